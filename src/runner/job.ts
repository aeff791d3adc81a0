/**
 * Job specs for `bulwark build`: a named job of steps that run one after another, each in its own
 * fresh sandbox, the workspace carried from step to step; secrets only for the steps that declare
 * them; products collected at the end.
 *
 *   apiVersion: bulwark.dev/v1
 *   kind: Job
 *   metadata: { name: shop }
 *   spec:
 *     sandbox: bwrap                      # bwrap | oci | none (none needs --insecure)
 *     network: none                       # or { egress: [registry.npmjs.org] }
 *     env: { NODE_ENV: production }
 *     limits: { timeout: 10m, pids: 512, memory: 4Gi, workspace: 2Gi }
 *     inputs: [/opt/toolchains/go]      # host paths mounted read-only in every step
 *     seccomp: { deny: [io_uring_setup], allow: [] }
 *     steps:
 *       - name: install
 *         run: npm ci --ignore-scripts
 *       - name: pack
 *         run: npm pack
 *         secrets: [NPM_TOKEN]
 *     products: ["*.tgz"]
 */
import { BulwarkError, parseYamlDocuments, type SourceLocation } from "../core/index.js";
import type { NetworkSpec } from "./types.js";

export interface JobStep {
  readonly name: string;
  /** A shell command line (run with /bin/sh -c) or an argv list. */
  readonly command: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly secrets: readonly string[];
}

export interface JobSpec {
  readonly name: string;
  readonly sandbox?: string;
  readonly network: NetworkSpec;
  readonly env: Readonly<Record<string, string>>;
  readonly passEnv: readonly string[];
  /** Limit overrides as written (`10m`, `2Gi`), parsed by the caller. */
  readonly limits: Readonly<Record<string, string | number>>;
  readonly steps: readonly JobStep[];
  readonly products: readonly string[];
  /** Host paths mounted read-only in every step (`host` or `host:sandbox`). */
  readonly inputs: readonly string[];
  /** Per-job changes to the seccomp profile. */
  readonly seccomp: { readonly deny: readonly string[]; readonly allow: readonly string[] };
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const ENV = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LIMIT_KEYS = ["timeout", "pids", "memory", "cpuTime", "fileSize", "workspace", "tmp"];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function parseJobSpec(text: string, file: string): JobSpec {
  const docs = parseYamlDocuments(text, { file });
  if (docs.length !== 1)
    throw new BulwarkError("INPUT_INVALID", `${file}: a job spec is one YAML document, found ${docs.length}`);
  const doc = docs[0]!;
  const fail = (path: (string | number)[], message: string): never => {
    const location: SourceLocation = doc.locate(path);
    throw new BulwarkError("INPUT_INVALID", `${path.length ? path.join(".") : "job"}: ${message}`, {
      location,
    });
  };
  const root = doc.value;
  if (!isObject(root)) fail([], "must be a mapping");
  const r = root as Record<string, unknown>;
  if (r.apiVersion !== "bulwark.dev/v1") fail(["apiVersion"], "must be bulwark.dev/v1");
  if (r.kind !== "Job") fail(["kind"], "must be Job");
  const meta = isObject(r.metadata) ? r.metadata : fail(["metadata"], "must be a mapping with a name");
  if (typeof meta.name !== "string" || !NAME.test(meta.name))
    fail(["metadata", "name"], "must be a name (letters, digits, . _ -)");
  const spec = isObject(r.spec) ? r.spec : fail(["spec"], "must be a mapping");

  const envOf = (v: unknown, path: (string | number)[]): Record<string, string> => {
    if (v === undefined) return {};
    if (!isObject(v)) fail(path, "must be a mapping of NAME: value");
    const out: Record<string, string> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (!ENV.test(k)) fail([...path, k], "is not a variable name");
      if (typeof x !== "string" && typeof x !== "number" && typeof x !== "boolean" && typeof x !== "bigint")
        fail([...path, k], "must be a scalar");
      out[k] = String(x);
    }
    return out;
  };
  const names = (v: unknown, path: (string | number)[], re: RegExp): string[] => {
    if (v === undefined) return [];
    if (!Array.isArray(v)) fail(path, "must be a list");
    return (v as unknown[]).map((x, i) =>
      typeof x === "string" && re.test(x) ? x : fail([...path, i], "is not a valid name"),
    );
  };

  let network: NetworkSpec = { mode: "none" };
  if (spec.network !== undefined && spec.network !== "none") {
    const n = spec.network;
    if (!isObject(n) || !Array.isArray(n.egress) || n.egress.length === 0)
      fail(["spec", "network"], "must be none or { egress: [host[:port], …] }");
    const allow = ((n as Record<string, unknown>).egress as unknown[]).map((h, i) =>
      typeof h === "string" && h !== "" ? h : fail(["spec", "network", "egress", i], "must be host[:port]"),
    );
    network = { mode: "egress", allow };
  }
  const limits: Record<string, string | number> = {};
  if (spec.limits !== undefined) {
    if (!isObject(spec.limits)) fail(["spec", "limits"], "must be a mapping");
    for (const [k, v] of Object.entries(spec.limits as Record<string, unknown>)) {
      if (!LIMIT_KEYS.includes(k))
        fail(["spec", "limits", k], `unknown limit (known: ${LIMIT_KEYS.join(", ")})`);
      if (typeof v !== "string" && typeof v !== "number" && typeof v !== "bigint")
        fail(["spec", "limits", k], "must be a value");
      limits[k] = typeof v === "bigint" ? Number(v) : (v as string | number);
    }
  }
  if (!Array.isArray(spec.steps) || spec.steps.length === 0)
    fail(["spec", "steps"], "must list at least one step");
  const seen = new Set<string>();
  const steps = (spec.steps as unknown[]).map((s, i): JobStep => {
    const path = ["spec", "steps", i];
    if (!isObject(s)) fail(path, "must be a mapping with name and run");
    const st = s as Record<string, unknown>;
    const name =
      typeof st.name === "string" && NAME.test(st.name) ? st.name : fail([...path, "name"], "must be a name");
    if (seen.has(name)) fail([...path, "name"], `duplicates step ${name}`);
    seen.add(name);
    let command: string[];
    if (typeof st.run === "string" && st.run.trim() !== "") command = ["/bin/sh", "-ec", st.run];
    else if (Array.isArray(st.run) && st.run.length > 0 && st.run.every((a) => typeof a === "string"))
      command = st.run as string[];
    else fail([...path, "run"], "must be a command line or an argv list");
    return {
      name,
      command: command!,
      env: envOf(st.env, [...path, "env"]),
      secrets: names(st.secrets, [...path, "secrets"], ENV),
    };
  });
  const products = names(spec.products, ["spec", "products"], /\S/);
  if (products.length === 0) fail(["spec", "products"], "must list the product globs");
  if (spec.sandbox !== undefined && !["bwrap", "oci", "none"].includes(spec.sandbox as string))
    fail(["spec", "sandbox"], "must be bwrap, oci or none");
  const inputs = names(spec.inputs, ["spec", "inputs"], /^\/\S*$/);
  let seccomp = { deny: [] as string[], allow: [] as string[] };
  if (spec.seccomp !== undefined) {
    if (!isObject(spec.seccomp)) fail(["spec", "seccomp"], "must be a mapping { deny: […], allow: […] }");
    const sc = spec.seccomp as Record<string, unknown>;
    for (const k of Object.keys(sc))
      if (k !== "deny" && k !== "allow") fail(["spec", "seccomp", k], "unknown key (deny, allow)");
    seccomp = {
      deny: names(sc.deny, ["spec", "seccomp", "deny"], /^[a-z0-9_]+$/),
      allow: names(sc.allow, ["spec", "seccomp", "allow"], /^[a-z0-9_]+$/),
    };
  }
  return {
    name: meta.name as string,
    inputs,
    seccomp,
    ...(typeof spec.sandbox === "string" ? { sandbox: spec.sandbox } : {}),
    network,
    env: envOf(spec.env, ["spec", "env"]),
    passEnv: names(spec.passEnv, ["spec", "passEnv"], ENV),
    limits,
    steps,
    products,
  };
}
