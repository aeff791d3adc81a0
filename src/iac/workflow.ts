/**
 * CI definitions as policy inputs: GitHub Actions workflows (`workflow`), GitHub actions —
 * `action.yml` of composite, Docker and JavaScript actions (`github-action`) — and GitLab CI
 * pipelines (`gitlab-ci`). docs/library-workflows.md describes the normalized shapes.
 *
 * How locations work: each parser builds a normalized document (the value policies see) and a
 * {@link locator} that maps every normalized path to the source node it came from. Fields that
 * exist in the source keep their name and place (`jobs.build.steps[2].uses` is the same path in
 * both), so a policy's `fieldPath` names what it reads; derived fields (`allSteps[7]`,
 * `on[1]`, `jobs.build.runs-on.labels[0]`, `expressions[0]`) are mapped to the node they were
 * derived from. Every job, step, image, script line, variable and `uses` reference also carries
 * `path`: its canonical normalized path, ready for `fieldPathExpression`.
 */
import { BulwarkError, parseYamlDocuments, type SourceLocation, type YamlDocument } from "../core/index.js";
import type { InputDocument } from "../policy/index.js";
import { type IacParser, locator } from "./types.js";

type Path = readonly (string | number)[];
type Json = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// Normalized shapes (shared)

/** `permissions:` as written: absent = null, `read-all`, `write-all`, or scope → level (`{}` = none). */
export type Permissions =
  null | "read-all" | "write-all" | Readonly<Record<string, "read" | "write" | "none">>;

/** A parsed `uses:` (step, reusable workflow call, or Docker action image). */
export interface ActionRef {
  /** As written. */
  readonly raw: string;
  /** `repository` (`owner/repo[/path]@ref`), `local` (`./…`), `docker` (`docker://…`), `invalid`. */
  readonly kind: "repository" | "local" | "docker" | "invalid";
  readonly owner: string;
  readonly repo: string;
  /** Path inside the repository (`init` for `github/codeql-action/init@v3`); the path for local refs. */
  readonly path: string;
  readonly ref: string;
  /** `owner/repo[/path]`, the local path, or the image without its digest: what was referenced. */
  readonly name: string;
  readonly local: boolean;
  readonly docker: boolean;
  /** Docker refs: the image reference after `docker://`. */
  readonly image: string;
  /** Docker refs: `sha256:…` when the image is pinned by digest. */
  readonly digest: string;
  /** Repository refs: `ref` is a full 40-hex commit SHA. Docker refs: a digest is given. */
  readonly pinned: boolean;
}

/** One `${{ … }}` expression in a string field. */
export interface TemplateExpression {
  /** Where, relative to its owner (step, job, workflow): `run`, `with.script`, `env.TITLE`. */
  readonly field: string;
  /** The text between `${{` and `}}`, trimmed. */
  readonly expression: string;
  /** Canonical normalized path of the field. */
  readonly path: string;
}

export interface CheckoutInfo {
  /** False only when `persist-credentials` is literally false. */
  readonly persistCredentials: boolean;
  readonly ref: string | null;
  readonly repository: string | null;
}

export interface WorkflowStep {
  readonly [field: string]: unknown;
  /** 0-based position in its job (or in `runs.steps`). */
  readonly index: bigint;
  /** Job id; null for composite-action steps. */
  readonly job: string | null;
  readonly path: string;
  /** For messages: `job build, step 2 "Checkout"` (1-based, as GitHub shows steps). */
  readonly where: string;
  readonly id: string | null;
  readonly name: string | null;
  readonly if: string | null;
  readonly uses: ActionRef | null;
  readonly run: string | null;
  readonly shell: string | null;
  /** Inputs; scalar values as the strings the runner receives. */
  readonly with: Readonly<Record<string, unknown>>;
  readonly env: Readonly<Record<string, unknown>>;
  /** Set for `actions/checkout` steps. */
  readonly checkout: CheckoutInfo | null;
  readonly expressions: readonly TemplateExpression[];
}

export interface RunsOn {
  readonly labels: readonly string[];
  readonly group: string | null;
}

export interface WorkflowJob {
  readonly [field: string]: unknown;
  readonly id: string;
  readonly path: string;
  readonly where: string;
  readonly name: string | null;
  readonly if: string | null;
  readonly needs: readonly string[];
  readonly permissions: Permissions;
  readonly "runs-on": RunsOn | null;
  readonly container: Json | null;
  readonly services: Readonly<Record<string, Json>>;
  /** Reusable workflow call. */
  readonly uses: ActionRef | null;
  readonly with: Readonly<Record<string, unknown>>;
  readonly secrets: "inherit" | Readonly<Record<string, unknown>> | null;
  readonly env: Readonly<Record<string, unknown>>;
  readonly steps: readonly WorkflowStep[];
  /** Expressions in the job's own fields (not its steps'). */
  readonly expressions: readonly TemplateExpression[];
}

/** A `uses:` with where it is: every step, reusable call and Docker action image of a document. */
export interface UsesSite {
  readonly uses: ActionRef;
  readonly path: string;
  readonly where: string;
  readonly job: string | null;
}

export interface Workflow {
  readonly [field: string]: unknown;
  readonly name: string | null;
  /** Event names, in the order written. */
  readonly on: readonly string[];
  /** Event → its configuration (`{}` when the event is given without one). */
  readonly triggers: Readonly<Record<string, unknown>>;
  readonly permissions: Permissions;
  readonly env: Readonly<Record<string, unknown>>;
  readonly jobs: Readonly<Record<string, WorkflowJob>>;
  readonly allJobs: readonly WorkflowJob[];
  readonly allSteps: readonly WorkflowStep[];
  readonly allUses: readonly UsesSite[];
  /** Expressions in workflow-level fields (not in jobs). */
  readonly expressions: readonly TemplateExpression[];
}

// ---------------------------------------------------------------------------------------------
// Parsers

/** GitHub Actions workflows: `.github/workflows/*.yml`, or YAML with top-level `on:` and `jobs:`. */
export const githubWorkflowParser: IacParser = {
  name: "github-workflow",
  version: 1,
  kind: "workflow",
  applies: (path, head) =>
    WORKFLOW_PATH.test(path) ||
    (YAML_FILE.test(path) &&
      !ACTION_FILE.test(path) &&
      /^["']?on["']?\s*:/m.test(head) &&
      /^jobs\s*:/m.test(head)),
  parse: (text, file) => parseWith(text, file, "workflow", normalizeWorkflow),
};

/** GitHub actions: `action.yml` / `action.yaml` (composite, Docker, JavaScript). */
export const githubActionParser: IacParser = {
  name: "github-action",
  version: 1,
  kind: "github-action",
  applies: (path, head) => ACTION_FILE.test(path) && /^(runs|name|description|inputs|author)\s*:/m.test(head),
  parse: (text, file) => parseWith(text, file, "github-action", normalizeAction),
};

/**
 * GitLab CI: `.gitlab-ci.yml`, `*.gitlab-ci.yml` and YAML under `.gitlab/ci/` (where included
 * files usually live). Parsing is per file: `include:` entries are listed, not fetched; pass
 * included local files as inputs too (by name or with `--type gitlab-ci`).
 */
export const gitlabCiParser: IacParser = {
  name: "gitlab-ci",
  version: 1,
  kind: "gitlab-ci",
  applies: (path) => GITLAB_FILE.test(path) || GITLAB_DIR.test(path),
  parse: (text, file) => parseWith(text, file, "gitlab-ci", normalizeGitlab),
};

const WORKFLOW_PATH = /(?:^|[\\/])\.github[\\/]workflows[\\/][^\\/]+\.ya?ml$/i;
const YAML_FILE = /\.ya?ml$/i;
const ACTION_FILE = /(?:^|[\\/])action\.ya?ml$/i;
const GITLAB_FILE = /(?:^|[\\/])(?:\.gitlab-ci[^\\/]*|[^\\/]*\.gitlab-ci)\.ya?ml$/i;
const GITLAB_DIR = /(?:^|[\\/])\.gitlab[\\/]ci[\\/](?:[^\\/]+[\\/])*[^\\/]+\.ya?ml$/i;

type Normalizer = (t: Trace, value: unknown) => Json | undefined;

function parseWith(text: string, file: string, kind: string, normalize: Normalizer): InputDocument[] {
  const out: InputDocument[] = [];
  for (const doc of parseYamlDocuments(text, { file, intAsBigInt: true })) {
    const t = new Trace(doc, file);
    const value = normalize(t, doc.value);
    if (value === undefined) continue;
    out.push({
      file,
      index: doc.index,
      kind,
      value,
      resource: { kind, name: file },
      location: doc.location,
      doc: locator(doc.index, value, doc.location, t.nodes),
    });
  }
  return out;
}

/**
 * Records, for each normalized path, the location of the source node it shows (the key of a
 * field, as YamlDocument.locate gives it), and raises located INPUT_INVALID errors.
 */
class Trace {
  readonly nodes = new Map<string, SourceLocation>();
  constructor(
    private readonly src: YamlDocument,
    private readonly file: string,
  ) {}

  /** Normalized path `to` shows the source node at `from`. */
  at(to: Path, from: Path): void {
    this.nodes.set(nodeKey(to), this.src.locate(from));
  }

  /** A source subtree copied to `to`: every node keeps its relative path. */
  mirror(to: Path, from: Path, value: unknown, skip: ReadonlySet<string> = NONE): void {
    this.at(to, from);
    if (Array.isArray(value)) value.forEach((v, i) => this.mirror([...to, i], [...from, i], v));
    else if (isMap(value))
      for (const [k, v] of Object.entries(value)) if (!skip.has(k)) this.mirror([...to, k], [...from, k], v);
  }

  fail(from: Path, message: string): never {
    throw new BulwarkError("INPUT_INVALID", `${this.file}: ${message}`, { location: this.src.locate(from) });
  }
}

const NONE: ReadonlySet<string> = new Set();

/** The key format of {@link locator}: `jobs.build.steps[0]`. */
function nodeKey(path: Path): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}

const IDENT = /^[A-Za-z_$][\w$-]*$/;

/** A path as `fieldPath` text: `jobs.build.steps[0]`, other keys quoted (`jobs['test:unit']`). */
export function pathText(path: Path): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else if (IDENT.test(p)) out += out === "" ? p : `.${p}`;
    else out += `['${p}']`;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// GitHub workflows

function normalizeWorkflow(t: Trace, value: unknown): Workflow {
  if (!isMap(value)) t.fail([], "a workflow must be a map with on: and jobs:");
  if (value["on"] === undefined) t.fail([], "a workflow needs on: (its triggers)");
  const jobsRaw = value["jobs"];
  if (!isMap(jobsRaw)) t.fail(jobsRaw === undefined ? [] : ["jobs"], "jobs: must be a map of job id to job");

  t.mirror([], [], value, new Set(["on", "jobs"]));
  const { on, triggers } = triggersOf(t, value["on"]);

  const jobs: Record<string, WorkflowJob> = {};
  const allJobs: WorkflowJob[] = [];
  const allSteps: WorkflowStep[] = [];
  const allUses: UsesSite[] = [];
  t.at(["jobs"], ["jobs"]);
  t.at(["allJobs"], ["jobs"]);
  t.at(["allSteps"], ["jobs"]);
  t.at(["allUses"], ["jobs"]);
  for (const [id, raw] of Object.entries(jobsRaw)) {
    const src = ["jobs", id];
    if (!isMap(raw)) t.fail(src, `job ${id} must be a map`);
    const job = normalizeJob(t, id, raw);
    jobs[id] = job;
    traceJob(t, src, src, raw, job);
    traceJob(t, ["allJobs", allJobs.length], src, raw, job);
    allJobs.push(job);
    if (job.uses) {
      t.at(["allUses", allUses.length], [...src, "uses"]);
      allUses.push({ uses: job.uses, path: pathText([...src, "uses"]), where: job.where, job: id });
    }
    job.steps.forEach((step, i) => {
      const stepSrc = [...src, "steps", i];
      traceStep(t, ["allSteps", allSteps.length], stepSrc, listOf(raw["steps"])[i], step);
      allSteps.push(step);
      if (step.uses) {
        t.at(["allUses", allUses.length], [...stepSrc, "uses"]);
        allUses.push({ uses: step.uses, path: pathText([...stepSrc, "uses"]), where: step.where, job: id });
      }
    });
  }
  const expressions = expressionsIn(value, [], (rel) => rel[0] === "jobs");
  expressions.forEach((e, i) => t.at(["expressions", i], fieldSource([], e.field)));
  return {
    ...value,
    name: textOrNull(value["name"]),
    on,
    triggers,
    permissions: permissionsOf(t, value["permissions"], ["permissions"]),
    env: scalars(value["env"]),
    jobs,
    allJobs,
    allSteps,
    allUses,
    expressions,
  };
}

/** `on:` as a string, a list of events, or a map of event → configuration. */
function triggersOf(t: Trace, on: unknown): { on: string[]; triggers: Record<string, unknown> } {
  const names: string[] = [];
  const triggers: Record<string, unknown> = {};
  t.at(["on"], ["on"]);
  t.at(["triggers"], ["on"]);
  const add = (name: string, config: unknown, from: Path) => {
    t.at(["on", names.length], from);
    names.push(name);
    triggers[name] = config ?? {};
    t.mirror(["triggers", name], from, config);
  };
  if (typeof on === "string") add(on, null, ["on"]);
  else if (Array.isArray(on))
    on.forEach((e, i) => {
      if (typeof e !== "string") t.fail(["on", i], "each event in on: must be a name");
      add(e, null, ["on", i]);
    });
  else if (isMap(on)) for (const [e, config] of Object.entries(on)) add(e, config, ["on", e]);
  else t.fail(["on"], "on: must be an event name, a list of events or a map of events");
  return { on: names, triggers };
}

function normalizeJob(t: Trace, id: string, raw: Json): WorkflowJob {
  const src = ["jobs", id];
  const stepsRaw = raw["steps"];
  if (stepsRaw !== undefined && stepsRaw !== null && !Array.isArray(stepsRaw))
    t.fail([...src, "steps"], `job ${id}: steps must be a list`);
  const steps = listOf(stepsRaw).map((s, i) => normalizeStep(t, s, [...src, "steps", i], id, i));
  const secrets = raw["secrets"];
  return {
    ...raw,
    id,
    path: pathText(src),
    where: `job ${id}`,
    name: textOrNull(raw["name"]),
    if: textOrNull(raw["if"]),
    needs: textList(raw["needs"]),
    permissions: permissionsOf(t, raw["permissions"], [...src, "permissions"]),
    "runs-on": runsOnOf(t, raw["runs-on"], [...src, "runs-on"]),
    container:
      raw["container"] === undefined || raw["container"] === null ? null : containerOf(raw["container"]),
    services: isMap(raw["services"])
      ? Object.fromEntries(Object.entries(raw["services"]).map(([k, v]) => [k, containerOf(v)]))
      : {},
    uses: raw["uses"] === undefined ? null : actionRefAt(t, raw["uses"], [...src, "uses"]),
    with: scalars(raw["with"]),
    secrets: secrets === "inherit" ? "inherit" : isMap(secrets) ? scalars(secrets) : null,
    env: scalars(raw["env"]),
    steps,
    expressions: expressionsIn(raw, src, (rel) => rel[0] === "steps"),
  };
}

function traceJob(t: Trace, to: Path, src: Path, raw: Json, job: WorkflowJob): void {
  t.mirror(to, src, raw, new Set(["steps"]));
  const runsOn = raw["runs-on"];
  if (job["runs-on"]) {
    const labels = isMap(runsOn) ? runsOn["labels"] : runsOn;
    const labelSrc: Path = isMap(runsOn) ? [...src, "runs-on", "labels"] : [...src, "runs-on"];
    t.at([...to, "runs-on", "labels"], labelSrc);
    if (Array.isArray(labels))
      labels.forEach((_, i) => t.at([...to, "runs-on", "labels", i], [...labelSrc, i]));
    else t.at([...to, "runs-on", "labels", 0], labelSrc);
  }
  if (typeof raw["container"] === "string") t.at([...to, "container", "image"], [...src, "container"]);
  if (isMap(raw["services"]))
    for (const [k, v] of Object.entries(raw["services"]))
      if (typeof v === "string") t.at([...to, "services", k, "image"], [...src, "services", k]);
  t.at([...to, "steps"], [...src, "steps"]);
  job.steps.forEach((step, i) =>
    traceStep(t, [...to, "steps", i], [...src, "steps", i], listOf(raw["steps"])[i], step),
  );
  job.expressions.forEach((e, i) => t.at([...to, "expressions", i], fieldSource(src, e.field)));
}

function normalizeStep(t: Trace, raw: unknown, src: Path, job: string | null, index: number): WorkflowStep {
  if (!isMap(raw)) t.fail(src, "a step must be a map");
  const uses =
    raw["uses"] === undefined || raw["uses"] === null ? null : actionRefAt(t, raw["uses"], [...src, "uses"]);
  const run = textOrNull(raw["run"]);
  const name = textOrNull(raw["name"]);
  const withs = scalars(raw["with"]);
  const label = name
    ? ` ${JSON.stringify(name)}`
    : uses
      ? ` (${uses.raw})`
      : run !== null
        ? ` (run: ${firstLine(run)})`
        : "";
  const isCheckout =
    uses?.kind === "repository" &&
    uses.owner.toLowerCase() === "actions" &&
    uses.repo.toLowerCase() === "checkout" &&
    uses.path === "";
  const text = (k: string) => {
    const v = withs[k];
    return typeof v === "string" ? v : null;
  };
  return {
    ...raw,
    index: BigInt(index),
    job,
    path: pathText(src),
    where: `${job === null ? "" : `job ${job}, `}step ${index + 1}${label}`,
    id: textOrNull(raw["id"]),
    name,
    if: textOrNull(raw["if"]),
    uses,
    run,
    shell: textOrNull(raw["shell"]),
    with: withs,
    env: scalars(raw["env"]),
    checkout: isCheckout
      ? {
          persistCredentials: text("persist-credentials")?.trim().toLowerCase() !== "false",
          ref: text("ref"),
          repository: text("repository"),
        }
      : null,
    expressions: expressionsIn(raw, src),
  };
}

function traceStep(t: Trace, to: Path, src: Path, raw: unknown, step: WorkflowStep): void {
  t.mirror(to, src, raw);
  if (step.checkout) {
    const given = isMap(raw) ? raw["with"] : undefined;
    const withs = isMap(given) ? given : {};
    t.at([...to, "checkout"], [...src, "uses"]);
    const input = (field: string, name: string) =>
      t.at([...to, "checkout", field], name in withs ? [...src, "with", name] : [...src, "uses"]);
    input("persistCredentials", "persist-credentials");
    input("ref", "ref");
    input("repository", "repository");
  }
  step.expressions.forEach((e, i) => t.at([...to, "expressions", i], fieldSource(src, e.field)));
}

/** The source path of an expression's field (`with.script` under `src`). */
function fieldSource(src: Path, field: string): Path {
  const out: (string | number)[] = [...src];
  const re = /(?:^|\.)([A-Za-z_$][\w$-]*)|\[(\d+)\]|\['([^']*)'\]/gy;
  for (let m = re.exec(field); m; m = re.exec(field))
    out.push(m[2] !== undefined ? Number(m[2]) : (m[1] ?? m[3])!);
  return out;
}

function permissionsOf(t: Trace, v: unknown, at: Path): Permissions {
  if (v === undefined || v === null) return null;
  if (v === "read-all" || v === "write-all") return v;
  if (!isMap(v))
    t.fail(
      at,
      `permissions must be read-all, write-all or a map of scope to read/write/none, got ${show(v)}`,
    );
  const out: Record<string, "read" | "write" | "none"> = {};
  for (const [scope, level] of Object.entries(v)) {
    if (level !== "read" && level !== "write" && level !== "none")
      t.fail([...at, scope], `permission ${scope} must be read, write or none, got ${show(level)}`);
    out[scope] = level;
  }
  return out;
}

/** `runs-on:` as a label, a list of labels, or `{group, labels}`. */
function runsOnOf(t: Trace, v: unknown, at: Path): RunsOn | null {
  if (v === undefined || v === null) return null;
  if (isScalar(v)) return { labels: [String(v)], group: null };
  if (Array.isArray(v)) return { labels: textList(v), group: null };
  if (isMap(v)) return { labels: textList(v["labels"]), group: textOrNull(v["group"]) };
  return t.fail(at, "runs-on must be a label, a list of labels or a map with group/labels");
}

function containerOf(v: unknown): Json {
  if (isMap(v)) return { ...v, image: textOrNull(v["image"]) };
  return { image: textOrNull(v) };
}

function actionRefAt(t: Trace, v: unknown, at: Path): ActionRef {
  if (typeof v !== "string") t.fail(at, `uses must be a string, got ${show(v)}`);
  return parseActionRef(v);
}

const SHA1 = /^[0-9a-f]{40}$/i;
const IMAGE_DIGEST = /@(sha256:[0-9a-f]{64}|sha384:[0-9a-f]{96}|sha512:[0-9a-f]{128})$/;

/** Parses `owner/repo[/path]@ref`, `./local/path` or `docker://image[@digest]`. */
export function parseActionRef(raw: string): ActionRef {
  const s = raw.trim();
  const base = { raw, owner: "", repo: "", path: "", ref: "", name: "", image: "", digest: "" };
  if (s.startsWith("docker://")) {
    const image = s.slice("docker://".length);
    const m = IMAGE_DIGEST.exec(image);
    const name = m ? image.slice(0, m.index) : image;
    return {
      ...base,
      kind: "docker",
      name,
      image,
      digest: m?.[1] ?? "",
      local: false,
      docker: true,
      pinned: !!m,
    };
  }
  if (s.startsWith("./") || s.startsWith(".\\"))
    return { ...base, kind: "local", path: s.slice(2), name: s, local: true, docker: false, pinned: false };
  const at = s.indexOf("@");
  const spec = at < 0 ? s : s.slice(0, at);
  const ref = at < 0 ? "" : s.slice(at + 1);
  const parts = spec.split("/");
  if (parts.length < 2 || parts.some((p) => p === "") || /\s|\$\{\{/.test(s))
    return { ...base, kind: "invalid", local: false, docker: false, pinned: false };
  return {
    ...base,
    kind: "repository",
    owner: parts[0]!,
    repo: parts[1]!,
    path: parts.slice(2).join("/"),
    ref,
    name: spec,
    local: false,
    docker: false,
    pinned: SHA1.test(ref),
  };
}

const TEMPLATE = /\$\{\{([\s\S]*?)\}\}/g;

/** Every `${{ … }}` in the string leaves of `value` (an owner at `base`), except skipped fields. */
function expressionsIn(
  value: unknown,
  base: Path,
  skip: (rel: Path) => boolean = () => false,
): TemplateExpression[] {
  const out: TemplateExpression[] = [];
  const walk = (v: unknown, rel: (string | number)[]) => {
    if (rel.length && skip(rel)) return;
    if (typeof v === "string") {
      for (const m of v.matchAll(TEMPLATE))
        out.push({ field: pathText(rel), expression: m[1]!.trim(), path: pathText([...base, ...rel]) });
    } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...rel, i]));
    else if (isMap(v)) for (const [k, x] of Object.entries(v)) walk(x, [...rel, k]);
  };
  walk(value, []);
  return out;
}

// ---------------------------------------------------------------------------------------------
// GitHub actions (action.yml)

export interface GithubAction {
  readonly [field: string]: unknown;
  readonly name: string | null;
  readonly description: string | null;
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly outputs: Readonly<Record<string, unknown>>;
  /** As written, plus `using`, `type`, `steps` (composite), `image` and `docker` (Docker). */
  readonly runs: Json & {
    readonly using: string;
    readonly type: "composite" | "docker" | "javascript" | "unknown";
    readonly steps: readonly WorkflowStep[];
    readonly image: string | null;
    /** Docker actions: `runs.image` parsed (`docker://…`, or a local Dockerfile as kind `local`). */
    readonly docker: ActionRef | null;
    readonly env: Readonly<Record<string, unknown>>;
  };
  readonly allJobs: readonly WorkflowJob[];
  readonly allSteps: readonly WorkflowStep[];
  readonly allUses: readonly UsesSite[];
  readonly expressions: readonly TemplateExpression[];
}

function normalizeAction(t: Trace, value: unknown): GithubAction {
  if (!isMap(value)) t.fail([], "an action must be a map with runs:");
  const runs = value["runs"];
  if (!isMap(runs)) t.fail(runs === undefined ? [] : ["runs"], "an action needs runs: (a map with using:)");
  const using = textOrNull(runs["using"]);
  if (using === null) t.fail(["runs"], "runs: needs using: (composite, docker or nodeNN)");
  const type =
    using === "composite"
      ? "composite"
      : using === "docker"
        ? "docker"
        : /^node\d+$/.test(using)
          ? "javascript"
          : "unknown";
  const stepsRaw = runs["steps"];
  if (type === "composite" && !Array.isArray(stepsRaw))
    t.fail(["runs"], "a composite action needs runs.steps (a list)");
  const steps =
    type === "composite"
      ? listOf(stepsRaw).map((s, i) => normalizeStep(t, s, ["runs", "steps", i], null, i))
      : [];
  const image = textOrNull(runs["image"]);
  const docker =
    type === "docker" && image !== null
      ? image.startsWith("docker://")
        ? parseActionRef(image)
        : { ...parseActionRef(`./${image.replace(/^\.\//, "")}`), raw: image }
      : null;

  t.mirror([], [], value, new Set(["runs"]));
  t.mirror(["runs"], ["runs"], runs, new Set(["steps"]));
  t.at(["runs", "steps"], ["runs", "steps"]);
  t.at(["allJobs"], ["runs"]);
  t.at(["allSteps"], ["runs", "steps"]);
  t.at(["allUses"], ["runs"]);
  const allUses: UsesSite[] = [];
  steps.forEach((step, i) => {
    const src = ["runs", "steps", i];
    traceStep(t, src, src, listOf(stepsRaw)[i], step);
    traceStep(t, ["allSteps", i], src, listOf(stepsRaw)[i], step);
    if (step.uses) {
      t.at(["allUses", allUses.length], [...src, "uses"]);
      allUses.push({ uses: step.uses, path: pathText([...src, "uses"]), where: step.where, job: null });
    }
  });
  if (docker) {
    t.at(["runs", "docker"], ["runs", "image"]);
    t.at(["allUses", allUses.length], ["runs", "image"]);
    allUses.push({ uses: docker, path: "runs.image", where: "runs.image", job: null });
  }
  const expressions = expressionsIn(value, [], (rel) => rel[0] === "runs" && rel[1] === "steps");
  expressions.forEach((e, i) => t.at(["expressions", i], fieldSource([], e.field)));
  return {
    ...value,
    name: textOrNull(value["name"]),
    description: textOrNull(value["description"]),
    inputs: isMap(value["inputs"]) ? value["inputs"] : {},
    outputs: isMap(value["outputs"]) ? value["outputs"] : {},
    runs: { ...runs, using, type, steps, image, docker, env: scalars(runs["env"]) },
    allJobs: [],
    allSteps: steps,
    allUses,
    expressions,
  };
}

// ---------------------------------------------------------------------------------------------
// GitLab CI

/** An `image:` or `services:` entry. */
export interface GitlabImage {
  readonly [field: string]: unknown;
  /** The image reference as written (`name:` of the map form). */
  readonly name: string;
  /** `sha256:…` when pinned by digest, else `''`. */
  readonly digest: string;
  readonly pinned: boolean;
  readonly service: boolean;
  readonly alias: string | null;
  /** Job name; null for `default:` and top-level images. */
  readonly job: string | null;
  readonly path: string;
  readonly where: string;
}

export interface GitlabVariable {
  readonly name: string;
  /** The value as a string (`value:` of the map form). */
  readonly value: string;
  readonly description: string | null;
  readonly job: string | null;
  readonly path: string;
  readonly where: string;
}

/** One entry of `before_script`, `script` or `after_script` (nested lists flattened). */
export interface GitlabScript {
  readonly job: string | null;
  readonly section: "before_script" | "script" | "after_script";
  readonly index: bigint;
  readonly text: string;
  readonly path: string;
  readonly where: string;
}

export interface GitlabInclude {
  readonly type: "local" | "project" | "remote" | "template" | "component";
  /** The local path, project path, URL, template name or component address. */
  readonly location: string;
  readonly project: string | null;
  readonly ref: string | null;
  readonly files: readonly string[];
  readonly path: string;
}

export interface GitlabJob {
  readonly [field: string]: unknown;
  readonly name: string;
  /** Hidden jobs (`.name`) are templates: not run, but reachable through `extends`/anchors. */
  readonly hidden: boolean;
  readonly path: string;
  readonly where: string;
  readonly stage: string | null;
  readonly extends: readonly string[];
  readonly image: GitlabImage | null;
  readonly services: readonly GitlabImage[];
  readonly variables: Readonly<Record<string, string>>;
  readonly before_script: readonly string[];
  readonly script: readonly string[];
  readonly after_script: readonly string[];
}

export interface GitlabPipeline {
  readonly [field: string]: unknown;
  readonly stages: readonly string[];
  readonly include: readonly GitlabInclude[];
  readonly variables: Readonly<Record<string, string>>;
  /** Top-level image, services and scripts: the deprecated form of `default:`. */
  readonly image: GitlabImage | null;
  readonly services: readonly GitlabImage[];
  readonly before_script: readonly string[];
  readonly after_script: readonly string[];
  readonly default: Json | null;
  readonly jobs: Readonly<Record<string, GitlabJob>>;
  readonly allJobs: readonly GitlabJob[];
  readonly allImages: readonly GitlabImage[];
  readonly allVariables: readonly GitlabVariable[];
  readonly allScripts: readonly GitlabScript[];
}

/** Top-level keys that are not jobs. */
const GITLAB_KEYWORDS = new Set([
  "default",
  "include",
  "stages",
  "variables",
  "workflow",
  "image",
  "services",
  "cache",
  "before_script",
  "after_script",
  "spec",
]);
const SCRIPT_SECTIONS = ["before_script", "script", "after_script"] as const;

/** Collects the flattened lists while one GitLab document is normalized. */
class GitlabContext {
  readonly images: GitlabImage[] = [];
  readonly variables: GitlabVariable[] = [];
  readonly scripts: GitlabScript[] = [];
  constructor(
    readonly t: Trace,
    readonly topKeys: ReadonlySet<string>,
  ) {}

  image(
    v: unknown,
    src: Path,
    to: Path,
    job: string | null,
    where: string,
    service: boolean,
  ): GitlabImage | null {
    if (v === undefined || v === null) return null;
    const map = isMap(v) ? v : undefined;
    const name = textOrNull(map ? map["name"] : v);
    if (name === null) this.t.fail(src, `${where}: an image needs a name`);
    const m = IMAGE_DIGEST.exec(name.trim());
    const out: GitlabImage = {
      ...(map ?? {}),
      name,
      digest: m?.[1] ?? "",
      pinned: !!m,
      service,
      alias: textOrNull(map?.["alias"]),
      job,
      path: pathText(to),
      where,
      ...(map
        ? { variables: this.vars(map["variables"], [...src, "variables"], [...to, "variables"], job, where) }
        : {}),
    };
    this.t.mirror(to, src, v);
    this.t.at([...to, "name"], map && "name" in map ? [...src, "name"] : src);
    this.t.at(["allImages", this.images.length], map && "name" in map ? [...src, "name"] : src);
    this.images.push(out);
    return out;
  }

  services(v: unknown, src: Path, to: Path, job: string | null, where: string): GitlabImage[] {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) this.t.fail(src, `${where}: services must be a list`);
    return v.map((s, i) => this.image(s, [...src, i], [...to, i], job, where, true)!);
  }

  vars(v: unknown, src: Path, to: Path, job: string | null, where: string): Record<string, string> {
    const out: Record<string, string> = {};
    if (v === undefined || v === null) return out;
    if (!isMap(v)) this.t.fail(src, `${where}: variables must be a map`);
    for (const [name, raw] of Object.entries(v)) {
      const value = isMap(raw) ? (textOrNull(raw["value"]) ?? "") : (textOrNull(raw) ?? "");
      out[name] = value;
      this.t.at(["allVariables", this.variables.length], [...src, name]);
      this.variables.push({
        name,
        value,
        description: isMap(raw) ? textOrNull(raw["description"]) : null,
        job,
        path: pathText([...to, name]),
        where,
      });
    }
    return out;
  }

  /** A script section as a flat list of strings; `!reference [.job, script]` tags are skipped. */
  script(
    v: unknown,
    src: Path,
    to: Path,
    job: string | null,
    where: string,
    section: GitlabScript["section"],
  ): string[] {
    const out: string[] = [];
    const add = (item: unknown, from: Path) => {
      if (Array.isArray(item)) {
        // `!reference [.setup, script]` arrives as a list of names starting with a top-level key.
        if (item.length > 0 && item.every((x) => typeof x === "string") && this.topKeys.has(String(item[0])))
          return;
        item.forEach((x, i) => add(x, [...from, i]));
        return;
      }
      const text = textOrNull(item);
      if (text === null) this.t.fail(from, `${where}: ${section} entries must be strings`);
      const index = out.length;
      this.t.at([...to, index], from);
      this.t.at(["allScripts", this.scripts.length], from);
      this.scripts.push({
        job,
        section,
        index: BigInt(index),
        text,
        path: pathText([...to, index]),
        where: `${where}, ${section} item ${index + 1}`,
      });
      out.push(text);
    };
    if (v === undefined || v === null) return out;
    this.t.at(to, src);
    if (Array.isArray(v)) v.forEach((x, i) => add(x, [...src, i]));
    else add(v, src);
    return out;
  }

  /** image, services and scripts of a job, of `default:` or of the top level (at `src`, normalized at `to`). */
  common(
    raw: Json,
    src: Path,
    to: Path,
    job: string | null,
    where: string,
    sections: readonly GitlabScript["section"][] = SCRIPT_SECTIONS,
  ): GitlabCommon {
    const section = (s: GitlabScript["section"]) =>
      sections.includes(s) ? this.script(raw[s], [...src, s], [...to, s], job, where, s) : [];
    return {
      image: this.image(raw["image"], [...src, "image"], [...to, "image"], job, where, false),
      services: this.services(raw["services"], [...src, "services"], [...to, "services"], job, where),
      before_script: section("before_script"),
      script: section("script"),
      after_script: section("after_script"),
    };
  }
}

type GitlabCommon = Pick<GitlabJob, "image" | "services" | (typeof SCRIPT_SECTIONS)[number]>;

function normalizeGitlab(t: Trace, value: unknown): GitlabPipeline | undefined {
  if (!isMap(value)) t.fail([], "a GitLab CI file must be a map of keywords and jobs");
  const keys = Object.keys(value);
  // The header document of a CI/CD component (`spec: inputs:` then `---`) holds no jobs.
  if (keys.length === 1 && keys[0] === "spec") return undefined;
  const g = new GitlabContext(t, new Set(keys));
  for (const k of keys) if (GITLAB_KEYWORDS.has(k)) t.mirror([k], [k], value[k]);

  const variables = g.vars(value["variables"], ["variables"], ["variables"], null, "top level");
  // Top-level image, services and scripts are the deprecated form of `default:`.
  const { image, services, before_script, after_script } = g.common(value, [], [], null, "top level", [
    "before_script",
    "after_script",
  ]);
  const defaultsRaw = value["default"];
  if (defaultsRaw !== undefined && defaultsRaw !== null && !isMap(defaultsRaw))
    t.fail(["default"], "default: must be a map");
  const defaults = isMap(defaultsRaw)
    ? { ...defaultsRaw, ...g.common(defaultsRaw, ["default"], ["default"], null, "default") }
    : null;

  const jobs: Record<string, GitlabJob> = {};
  const allJobs: GitlabJob[] = [];
  t.at(["jobs"], []);
  t.at(["allJobs"], []);
  for (const name of keys) {
    if (GITLAB_KEYWORDS.has(name)) continue;
    const raw = value[name];
    const hidden = name.startsWith(".");
    if (!isMap(raw)) {
      if (hidden) continue; // hidden keys also hold anchors of any shape
      t.fail([name], `job ${name} must be a map`);
    }
    const to = ["jobs", name];
    const where = `job ${name}`;
    t.mirror(to, [name], raw);
    t.mirror(["allJobs", allJobs.length], [name], raw);
    const job: GitlabJob = {
      ...raw,
      name,
      hidden,
      path: pathText(to),
      where,
      stage: textOrNull(raw["stage"]),
      extends: textList(raw["extends"]),
      variables: g.vars(raw["variables"], [name, "variables"], [...to, "variables"], name, where),
      ...g.common(raw, [name], to, name, where),
    };
    jobs[name] = job;
    allJobs.push(job);
  }
  t.at(["allImages"], []);
  t.at(["allVariables"], []);
  t.at(["allScripts"], []);
  return {
    ...value,
    stages: textList(value["stages"]),
    include: includesOf(t, value["include"]),
    variables,
    image,
    services,
    before_script,
    after_script,
    default: defaults,
    jobs,
    allJobs,
    allImages: g.images,
    allVariables: g.variables,
    allScripts: g.scripts,
  };
}

/** `include:` as a string, a map or a list of either. */
function includesOf(t: Trace, v: unknown): GitlabInclude[] {
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.map((item, i): GitlabInclude => {
    const src: Path = Array.isArray(v) ? ["include", i] : ["include"];
    const to = ["include", i];
    t.mirror(to, src, item);
    const path = pathText(to);
    const one = { project: null, ref: null, files: [] as string[], path };
    if (typeof item === "string")
      return { ...one, type: /^https?:\/\//i.test(item) ? "remote" : "local", location: item };
    if (!isMap(item)) t.fail(src, "include entries must be a path or a map");
    const text = (k: string) => textOrNull(item[k]);
    if (text("local") !== null) return { ...one, type: "local", location: text("local")! };
    if (text("remote") !== null) return { ...one, type: "remote", location: text("remote")! };
    if (text("template") !== null) return { ...one, type: "template", location: text("template")! };
    if (text("component") !== null) {
      const c = text("component")!;
      const at = c.lastIndexOf("@");
      return { ...one, type: "component", location: c, ref: at < 0 ? null : c.slice(at + 1) };
    }
    if (text("project") !== null)
      return {
        ...one,
        type: "project",
        location: text("project")!,
        project: text("project"),
        ref: text("ref"),
        files: textList(item["file"]),
      };
    return t.fail(src, "include entry needs local, remote, template, component or project");
  });
}

// ---------------------------------------------------------------------------------------------
// Helpers

function listOf(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function isMap(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isScalar(v: unknown): v is string | number | bigint | boolean {
  return typeof v === "string" || typeof v === "number" || typeof v === "bigint" || typeof v === "boolean";
}

/** A scalar as the string a CI system sees; null for null, absent, maps and lists. */
function textOrNull(v: unknown): string | null {
  return isScalar(v) ? String(v) : null;
}

function textList(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]).map(textOrNull).filter((x): x is string => x !== null);
}

/** A map whose scalar values become strings (null → `''`); other maps give `{}`. */
function scalars(v: unknown): Record<string, unknown> {
  if (!isMap(v)) return {};
  return Object.fromEntries(
    Object.entries(v).map(([k, x]) => [k, x === null ? "" : isScalar(x) ? String(x) : x]),
  );
}

function firstLine(s: string): string {
  const line = s.trim().split("\n")[0] ?? "";
  return line.length > 40 ? `${line.slice(0, 40)}…` : line;
}

function show(v: unknown): string {
  return typeof v === "bigint" ? String(v) : (JSON.stringify(v) ?? String(v));
}
