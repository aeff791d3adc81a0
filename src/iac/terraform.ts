/**
 * Terraform plans (`terraform show -json plan.out`) as one `terraform-plan` policy input.
 *
 * A raw plan spreads one resource over three places (`planned_values` for the values after apply,
 * `resource_changes` for the actions and what is unknown until apply, `configuration` for what
 * the values were written from), nests module resources in `child_modules`, keeps IAM policies as
 * JSON strings, and omits values that are unknown at plan time. Policies should not have to
 * reassemble that, so the parser gives them one flat list of resources, each with everything
 * needed to judge it (the shape is documented in docs/library-terraform.md):
 *
 * - `values` are the planned values after apply; an attribute unknown at plan time is absent from
 *   `values` and present in `unknown` / `unknown_paths`, so a policy can treat it as the insecure
 *   case (fail closed) instead of silently passing it;
 * - `references` maps each configured attribute to the resources its expression refers to,
 *   followed through module variables and outputs, so policies can join resources whose ids are
 *   unknown until apply (a security group and the database using it);
 * - `policy_documents` holds every JSON policy document found in the values, decoded, with its
 *   statements in one shape (lists everywhere).
 *
 * Resources whose only action is `delete` (or `forget`) will not exist after apply: they are
 * left out of `resources`, which policies check, and listed in `deleted`.
 *
 * Plans can be tens of megabytes on one line: the text is read with `JSON.parse` and walked once;
 * locations come from one scan for the resources' `"address"` keys.
 */
import { BulwarkError, DEFAULT_LIMITS, type SourceLocation, type YamlDocument } from "../core/index.js";
import type { InputDocument } from "../policy/index.js";
import { type IacParser, locator } from "./types.js";

export const terraformPlanParser: IacParser = {
  name: "terraform-plan",
  version: 1,
  kind: "terraform-plan",
  applies(path, head) {
    return (
      /\.json$/i.test(path) &&
      head.includes('"terraform_version"') &&
      PLAN_MARKERS.some((m) => head.includes(m))
    );
  },
  parse(text, file) {
    return [parseTerraformPlan(text, file)];
  },
};

/**
 * Keys that tell a plan from other Terraform JSON (`terraform show -json` of a state has
 * `values`, `terraform version -json` has neither). `variables` and `prior_state` count because a
 * plan with many variables pushes `planned_values` past the first bytes the caller looks at.
 */
const PLAN_MARKERS = [
  '"planned_values"',
  '"resource_changes"',
  '"resource_drift"',
  '"prior_state"',
  '"variables"',
];

/** Actions after which the resource no longer exists (it is not checked, only listed). */
const GONE = new Set(["delete", "forget"]);

type Json = Record<string, unknown>;

/** What identifies a resource instance in the plan (shared by checked and deleted resources). */
export interface ResourceIdentity {
  /** `resources[3]`: this entry's field path, for `fieldPathExpression`. */
  readonly path: string;
  readonly address: string;
  /** The address without instance keys (`module.db.aws_db_instance.this`), as `references` name resources. */
  readonly config_address: string;
  /** `module.db[0]`, or `""` in the root module. */
  readonly module_address: string;
  readonly mode: string;
  readonly type: string;
  readonly name: string;
  /** The `count` index (int) or `for_each` key (string); absent for a single instance. */
  readonly index?: bigint | string;
  readonly provider_name: string;
  /** From `resource_changes`: `create`, `update`, `delete`, `no-op`, `read`; `["no-op"]` when the plan has no change for it. */
  readonly actions: string[];
}

/** One entry of the normalized `resources` list. */
export interface PlanResource extends ResourceIdentity {
  readonly values: Json;
  /** Terraform's `after_unknown` with known leaves pruned: `true` where a value is unknown until apply. */
  readonly unknown: Json;
  /** Every unknown value's path in `values` syntax (`ingress[0].cidr_blocks`), sorted. */
  readonly unknown_paths: string[];
  /** Terraform's `after_sensitive` with non-sensitive leaves pruned; absent when nothing is sensitive. */
  readonly sensitive?: Json;
  /**
   * Every attribute and block the configuration sets (`vpc_security_group_ids`, `access_logs`,
   * `access_logs.bucket`) → the config addresses of the resources its expression refers to
   * (`[]` for constants and variables). A key here means "set in the configuration".
   */
  readonly references: Record<string, string[]>;
  readonly policy_documents: PolicyDocument[];
}

/** A JSON policy document found in a string value (an IAM, bucket or key policy). */
export interface PolicyDocument {
  /** Where in `values` the string is (`policy`, `inline_policy[0].policy`). */
  readonly attribute: string;
  readonly version: string;
  readonly statements: PolicyStatement[];
}

export interface PolicyStatement {
  readonly sid: string;
  /** `Allow` or `Deny`, as written. */
  readonly effect: string;
  readonly actions: string[];
  readonly not_actions: string[];
  readonly resources: string[];
  readonly not_resources: string[];
  /** `*` for `"Principal": "*"`, else `TYPE:VALUE` (`AWS:*`, `Service:ec2.amazonaws.com`). */
  readonly principals: string[];
  readonly not_principals: string[];
  readonly condition: Json;
}

/** A resource the plan deletes: listed, never checked. */
export interface DeletedResource extends ResourceIdentity {
  /** The values before the change (the resource as it exists now). */
  readonly values: Json;
}

/** The normalized plan: what a `terraform-plan` policy sees as `resource`. */
export interface TerraformPlan {
  readonly format_version: string;
  readonly terraform_version: string;
  /** False when Terraform deferred some changes (the plan is partial). */
  readonly complete: boolean;
  readonly errored: boolean;
  readonly resources: PlanResource[];
  readonly deleted: DeletedResource[];
}

/** Parses `terraform show -json` output into one `terraform-plan` input document. */
export function parseTerraformPlan(text: string, file: string): InputDocument {
  const raw = parseJson(text, file);
  const plan = normalizePlan(raw, file);
  const start: SourceLocation = { file, line: 1, column: 1 };
  return {
    file,
    index: 0,
    kind: "terraform-plan",
    value: plan,
    resource: { kind: "TerraformPlan", name: file },
    location: start,
    doc: planLocator(text, file, plan, start),
  };
}

// ---------------------------------------------------------------------------------------------
// JSON

function parseJson(text: string, file: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(body);
  } catch (e) {
    // V8's messages give a position only for some errors; find it ourselves, only on failure.
    const offset = jsonErrorOffset(body) + (body === text ? 0 : 1);
    const { line, column } = lineColumn(text, [offset])[0]!;
    const reason = (e as Error).message.replace(/ in JSON at position \d+.*$/, "").replace(/, ".*$/s, "");
    throw new BulwarkError("INPUT_INVALID", `${file} is not valid JSON: ${reason}`, {
      location: { file, line, column },
      cause: e,
    });
  }
}

/**
 * Offset of the first syntax error in text that `JSON.parse` rejected: a small validating scanner,
 * iterative (a deeply nested or very long document cannot exhaust the stack).
 */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i]!)) i++;
  };
  /** Reads a string at i; false (i at the fault) when it is malformed. */
  const str = (): boolean => {
    if (text[i] !== '"') return false;
    i++;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return true;
      }
      if (c < 0x20) return false;
      if (c !== 0x5c) {
        i++;
        continue;
      }
      const n = text[i + 1];
      if (n === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 6;
      else if (n !== undefined && n !== "u" && '"\\/bfnrt'.includes(n)) i += 2;
      else return false;
    }
    return false;
  };
  const key = (): boolean => {
    ws();
    if (!str()) return false;
    ws();
    if (text[i] !== ":") return false;
    i++;
    return true;
  };
  const number = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  const stack: string[] = [];
  let wantValue = true;
  for (;;) {
    ws();
    if (wantValue) {
      const c = text[i];
      if (c === "{" || c === "[") {
        i++;
        ws();
        if (text[i] === (c === "{" ? "}" : "]")) {
          i++;
          wantValue = false;
          continue;
        }
        stack.push(c);
        if (c === "{" && !key()) return i;
        continue;
      }
      if (c === '"') {
        if (!str()) return i;
      } else if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) {
        number.lastIndex = i;
        if (!number.exec(text)) return i;
        i = number.lastIndex;
      } else if (text.startsWith("true", i)) i += 4;
      else if (text.startsWith("false", i)) i += 5;
      else if (text.startsWith("null", i)) i += 4;
      else return i;
      wantValue = false;
      continue;
    }
    const top = stack[stack.length - 1];
    if (top === undefined) return i;
    if (text[i] === ",") {
      i++;
      if (top === "{" && !key()) return i;
      wantValue = true;
    } else if (text[i] === (top === "{" ? "}" : "]")) {
      stack.pop();
      i++;
    } else return i;
  }
}

/** 1-based line and column of each offset (offsets in any order; one pass over the text). */
function lineColumn(text: string, offsets: readonly number[]): { line: number; column: number }[] {
  const order = offsets.map((o, i) => [o, i] as const).sort((a, b) => a[0] - b[0]);
  const out: { line: number; column: number }[] = new Array(offsets.length);
  let line = 1;
  let lineStart = 0;
  let nl = text.indexOf("\n");
  for (const [offset, i] of order) {
    while (nl !== -1 && nl < offset) {
      line++;
      lineStart = nl + 1;
      nl = text.indexOf("\n", lineStart);
    }
    out[i] = { line, column: offset - lineStart + 1 };
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Normalization

function invalid(file: string, path: string, message: string): never {
  throw new BulwarkError("INPUT_INVALID", `${file}: ${message}`, { location: { file, path } });
}

function tooDeep(file: string, path: string): never {
  throw new BulwarkError("INPUT_TOO_DEEP", `${file}: nested deeper than ${DEFAULT_LIMITS.maxDepth} levels`, {
    location: { file, path },
  });
}

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function normalizePlan(raw: unknown, file: string): TerraformPlan {
  if (!isObject(raw)) invalid(file, "", "a Terraform plan is a JSON object");
  const version = raw["terraform_version"];
  if (typeof version !== "string")
    invalid(file, "terraform_version", "not a Terraform plan: no terraform_version");
  if (raw["planned_values"] === undefined && raw["resource_changes"] === undefined)
    invalid(
      file,
      "",
      "not a Terraform plan: neither planned_values nor resource_changes (is it `terraform show -json` of a state?)",
    );
  const format = raw["format_version"];
  if (format !== undefined && (typeof format !== "string" || !/^1\.\d+$/.test(format)))
    invalid(
      file,
      "format_version",
      `unsupported plan format_version ${JSON.stringify(format)} (Bulwark reads 1.x)`,
    );

  const config = configIndex(raw["configuration"], file);
  const byAddress = new Map<string, Entry>();
  const deleted: Entry[] = [];

  const changes = raw["resource_changes"] ?? [];
  if (!Array.isArray(changes)) invalid(file, "resource_changes", "resource_changes must be a list");
  changes.forEach((rc, i) => {
    const where = `resource_changes[${i}]`;
    const head = resourceHead(rc, file, where);
    const change = (rc as Json)["change"];
    if (!isObject(change)) invalid(file, `${where}.change`, "change must be an object");
    const actions = change["actions"];
    if (!Array.isArray(actions) || !actions.every((a) => typeof a === "string"))
      invalid(file, `${where}.change.actions`, "actions must be a list of strings");
    if (typeof (rc as Json)["module_address"] === "string")
      head.module_address = (rc as Json)["module_address"] as string;
    const entry: Entry = { head, actions: actions as string[], change };
    if (actions.length > 0 && actions.every((a) => GONE.has(a as string))) deleted.push(entry);
    else byAddress.set(head.address, entry);
  });

  const gone = new Set(deleted.map((d) => d.head.address));
  const planned = raw["planned_values"];
  if (planned !== undefined) {
    if (!isObject(planned)) invalid(file, "planned_values", "planned_values must be an object");
    for (const [r, where] of moduleResources(planned["root_module"], file, "planned_values.root_module")) {
      const head = resourceHead(r, file, where);
      const entry = byAddress.get(head.address);
      if (entry) entry.planned = r;
      else if (!gone.has(head.address)) byAddress.set(head.address, { head, actions: ["no-op"], planned: r });
    }
  }
  // Data sources read while planning appear only in the prior state.
  const prior = raw["prior_state"];
  if (isObject(prior) && isObject(prior["values"])) {
    for (const [r, where] of moduleResources(
      prior["values"]["root_module"],
      file,
      "prior_state.values.root_module",
    )) {
      const head = resourceHead(r, file, where);
      if (head.mode === "data" && !byAddress.has(head.address))
        byAddress.set(head.address, { head, actions: ["no-op"], planned: r });
    }
  }

  const resources: PlanResource[] = [];
  for (const entry of byAddress.values())
    resources.push(buildResource(entry, resources.length, config, file));
  return {
    format_version: typeof format === "string" ? format : "",
    terraform_version: version,
    complete: raw["complete"] !== false,
    errored: raw["errored"] === true,
    resources,
    deleted: deleted.map((d, i) => buildDeleted(d, i, file)),
  };
}

interface Head {
  address: string;
  module_address: string;
  mode: string;
  type: string;
  name: string;
  index?: bigint | string;
  provider_name: string;
}

interface Entry {
  head: Head;
  actions: string[];
  change?: Json;
  planned?: Json;
}

function resourceHead(r: unknown, file: string, where: string): Head {
  if (!isObject(r)) invalid(file, where, "a resource must be an object");
  const str = (k: string, required = true): string => {
    const v = r[k];
    if (typeof v === "string") return v;
    if (v === undefined && !required) return "";
    return invalid(file, `${where}.${k}`, `${k} must be a string`);
  };
  const address = str("address");
  const index = r["index"];
  if (index !== undefined && typeof index !== "string" && !Number.isInteger(index))
    invalid(file, `${where}.index`, "index must be an integer or a string");
  return {
    address,
    module_address: moduleOf(address),
    mode: str("mode"),
    type: str("type"),
    name: str("name"),
    ...(index === undefined ? {} : { index: typeof index === "number" ? BigInt(index) : (index as string) }),
    provider_name: str("provider_name", false),
  };
}

/** Resources of a module and, recursively, its child modules, with their field paths. */
function* moduleResources(mod: unknown, file: string, where: string, depth = 0): Generator<[Json, string]> {
  if (mod === undefined || mod === null) return;
  if (!isObject(mod)) return invalid(file, where, "a module must be an object");
  if (depth > DEFAULT_LIMITS.maxDepth) tooDeep(file, where);
  const resources = mod["resources"] ?? [];
  if (!Array.isArray(resources)) invalid(file, `${where}.resources`, "resources must be a list");
  for (const [i, r] of resources.entries()) yield [r as Json, `${where}.resources[${i}]`];
  const children = mod["child_modules"] ?? [];
  if (!Array.isArray(children)) invalid(file, `${where}.child_modules`, "child_modules must be a list");
  for (const [i, c] of children.entries())
    yield* moduleResources(c, file, `${where}.child_modules[${i}]`, depth + 1);
}

function buildResource(entry: Entry, i: number, config: ConfigIndex, file: string): PlanResource {
  const { head, change, planned } = entry;
  const where = `resources[${i}]`;
  const after = change?.["after"];
  const values = isObject(after) ? after : isObject(planned?.["values"]) ? planned["values"] : {};
  normalizeInPlace(values, file, `${where}.values`);
  const unknownTree = pruneTree(change?.["after_unknown"], file, `${where}.unknown`);
  const sensitiveTree = pruneTree(
    change ? change["after_sensitive"] : planned?.["sensitive_values"],
    file,
    `${where}.sensitive`,
  );
  const unknown = isObject(unknownTree) ? unknownTree : {};
  const configAddress = stripKeys(head.address);
  return {
    path: where,
    address: head.address,
    config_address: configAddress,
    module_address: head.module_address,
    mode: head.mode,
    type: head.type,
    name: head.name,
    ...(head.index === undefined ? {} : { index: head.index }),
    provider_name: head.provider_name,
    actions: entry.actions,
    values,
    unknown,
    unknown_paths: treePaths(unknown).sort(),
    ...(isObject(sensitiveTree) ? { sensitive: sensitiveTree } : {}),
    references: config.get(configAddress) ?? {},
    policy_documents: policyDocuments(values, file),
  };
}

function buildDeleted(entry: Entry, i: number, file: string): DeletedResource {
  const before = entry.change?.["before"];
  const values = isObject(before) ? before : {};
  normalizeInPlace(values, file, `deleted[${i}].values`);
  const h = entry.head;
  return {
    path: `deleted[${i}]`,
    address: h.address,
    config_address: stripKeys(h.address),
    module_address: h.module_address,
    mode: h.mode,
    type: h.type,
    name: h.name,
    ...(h.index === undefined ? {} : { index: h.index }),
    provider_name: h.provider_name,
    actions: entry.actions,
    values,
  };
}

/**
 * In place: integers become BigInt (CEL `int`) and null map entries are dropped, so that a key in
 * `values` means "set and known" and `has()` / `.?` read naturally; nulls in lists stay (indexes
 * must keep matching `unknown`). In place because the parsed plan is ours and copying 50 MB of
 * values would double the memory. Own `__proto__` keys from JSON.parse stay plain data.
 */
function normalizeInPlace(v: unknown, file: string, where: string, depth = 0): void {
  if (typeof v !== "object" || v === null) return;
  if (depth > DEFAULT_LIMITS.maxDepth) tooDeep(file, where);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (typeof x === "number") {
        if (Number.isInteger(x)) v[i] = BigInt(x);
      } else if (typeof x === "object" && x !== null) normalizeInPlace(x, file, where, depth + 1);
    }
    return;
  }
  const o = v as Json;
  for (const k of Object.keys(o)) {
    const x = o[k];
    if (x === null) delete o[k];
    else if (typeof x === "number") {
      if (Number.isInteger(x)) o[k] = BigInt(x);
    } else if (typeof x === "object") normalizeInPlace(x, file, where, depth + 1);
  }
}

/**
 * `after_unknown` / `after_sensitive` without their `false` leaves: maps keep only keys with
 * something true below them; lists keep their length (so indexes match `values`) with `false`
 * for an element with nothing true; undefined when nothing is true at all.
 */
function pruneTree(v: unknown, file: string, where: string, depth = 0): unknown {
  if (v === true) return true;
  if (typeof v !== "object" || v === null) return undefined;
  if (depth > DEFAULT_LIMITS.maxDepth) tooDeep(file, where);
  if (Array.isArray(v)) {
    const items = v.map((x) => pruneTree(x, file, where, depth + 1));
    return items.some((x) => x !== undefined) ? items.map((x) => x ?? false) : undefined;
  }
  let out: Json | undefined;
  for (const k of Object.keys(v)) {
    const x = pruneTree((v as Json)[k], file, where, depth + 1);
    if (x === undefined) continue;
    out ??= {};
    Object.defineProperty(out, k, { value: x, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Paths (`ingress[0].cidr_blocks`) of the `true` leaves of a pruned tree. */
function treePaths(tree: unknown, prefix = "", out: string[] = []): string[] {
  if (tree === true) {
    if (prefix) out.push(prefix);
  } else if (Array.isArray(tree)) tree.forEach((x, i) => treePaths(x, `${prefix}[${i}]`, out));
  else if (isObject(tree))
    for (const k of Object.keys(tree))
      treePaths(tree[k], prefix ? `${prefix}.${attributeKey(k)}` : attributeKey(k), out);
  return out;
}

/** A map key in path syntax: bare when it is an identifier, else `['key']` (as fieldPath accepts). */
function attributeKey(k: string): string {
  return /^[A-Za-z_][\w-]*$/.test(k) ? k : `['${k}']`;
}

// ---------------------------------------------------------------------------------------------
// Addresses

/**
 * Splits `module.a["x"].aws_s3_bucket.b[0].id` into dot-separated segments, each with its
 * instance key kept (`a["x"]`); keys may be quoted strings containing dots or brackets.
 */
function segments(address: string): string[] {
  const out: string[] = [];
  let cur = "";
  for (let i = 0; i < address.length; i++) {
    const c = address[i]!;
    if (c === "[") {
      const end = closingBracket(address, i);
      cur += address.slice(i, end + 1);
      i = end;
    } else if (c === ".") {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out;
}

function closingBracket(s: string, open: number): number {
  let quoted = false;
  for (let i = open + 1; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      if (c === "\\") i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === "]") return i;
  }
  return s.length - 1;
}

const bare = (segment: string): string => {
  const b = segment.indexOf("[");
  return b === -1 ? segment : segment.slice(0, b);
};

/** The address without instance keys: `module.db[0].aws_x.y["k"]` → `module.db.aws_x.y`. */
export function stripKeys(address: string): string {
  return segments(address).map(bare).join(".");
}

/** The module part of a resource address (`module.a[0].module.b`), `""` in the root module. */
function moduleOf(address: string): string {
  const segs = segments(address);
  let n = 0;
  while (segs[n] === "module" && n + 2 < segs.length) n += 2;
  return segs.slice(0, n).join(".");
}

// ---------------------------------------------------------------------------------------------
// Configuration: attribute → referenced resources

/**
 * Config address → every attribute path the configuration sets → config addresses of the
 * resources its expression refers to (`[]` for a constant or a variable).
 */
type ConfigIndex = Map<string, Record<string, string[]>>;

interface ModuleNode {
  /** `module.a.module.b.` (empty for the root): prefix of this module's config addresses. */
  readonly prefix: string;
  readonly module: Json;
  readonly parent?: { readonly node: ModuleNode; readonly call: Json };
}

const NOT_RESOURCES = new Set([
  "var",
  "local",
  "each",
  "count",
  "self",
  "path",
  "terraform",
  "module",
  "data",
]);
const MAX_REFERENCE_HOPS = 64;

function configIndex(configuration: unknown, file: string): ConfigIndex {
  const index: ConfigIndex = new Map();
  if (!isObject(configuration) || !isObject(configuration["root_module"])) return index;
  const visit = (node: ModuleNode, depth: number): void => {
    if (depth > DEFAULT_LIMITS.maxDepth) tooDeep(file, "configuration");
    const resources = node.module["resources"];
    if (Array.isArray(resources))
      for (const r of resources) {
        if (!isObject(r) || typeof r["address"] !== "string") continue;
        const refs: Record<string, Set<string>> = {};
        if (isObject(r["expressions"])) collectReferences(r["expressions"], "", node, refs, file);
        const out: Record<string, string[]> = {};
        for (const [k, set] of Object.entries(refs)) out[k] = [...set].sort();
        index.set(node.prefix + r["address"], out);
      }
    const calls = node.module["module_calls"];
    if (isObject(calls))
      for (const [name, call] of Object.entries(calls)) {
        if (!isObject(call) || !isObject(call["module"])) continue;
        visit(
          { prefix: `${node.prefix}module.${name}.`, module: call["module"], parent: { node, call } },
          depth + 1,
        );
      }
  };
  visit({ prefix: "", module: configuration["root_module"] }, 0);
  return index;
}

/** An expression (`{references, constant_value}`, or `{}`) rather than a nested block's map. */
function isExpression(v: Json): boolean {
  return "references" in v || "constant_value" in v || Object.keys(v).length === 0;
}

/**
 * Adds every attribute and block the configuration sets (`ingress`, `access_logs`,
 * `access_logs.bucket`) with the resources its expression refers to; a block gets the union of
 * its attributes'. Returns what it found, for the enclosing block.
 */
function collectReferences(
  exprs: Json,
  prefix: string,
  node: ModuleNode,
  out: Record<string, Set<string>>,
  file: string,
  depth = 0,
): Set<string> {
  if (depth > DEFAULT_LIMITS.maxDepth) tooDeep(file, `configuration (${node.prefix}${prefix})`);
  const all = new Set<string>();
  for (const [k, v] of Object.entries(exprs)) {
    const key = prefix ? `${prefix}.${k}` : k;
    const set = (out[key] ??= new Set());
    if (Array.isArray(v)) {
      for (const block of v)
        if (isObject(block))
          for (const a of collectReferences(block, key, node, out, file, depth + 1)) set.add(a);
    } else if (isObject(v)) {
      if (!isExpression(v)) {
        for (const a of collectReferences(v, key, node, out, file, depth + 1)) set.add(a);
      } else if (Array.isArray(v["references"])) {
        for (const ref of v["references"])
          if (typeof ref === "string") for (const a of resolveReference(ref, node, 0)) set.add(a);
      }
    }
    for (const a of set) all.add(a);
  }
  return all;
}

/**
 * The resources a reference names, seen from module `node`: `aws_x.y.id` → `aws_x.y`;
 * `var.v` → what the module call passes as `v`; `module.m.out` → what output `out` of child `m`
 * refers to. Locals are not in the plan's configuration, so `local.*` resolves to nothing.
 */
function resolveReference(ref: string, node: ModuleNode, hops: number): string[] {
  if (hops > MAX_REFERENCE_HOPS) return [];
  const segs = segments(ref).map(bare);
  const [first, second, third] = segs;
  if (first === undefined || second === undefined) return [];
  const exprRefs = (e: unknown): string[] =>
    isObject(e) && Array.isArray(e["references"])
      ? (e["references"] as unknown[]).filter((r): r is string => typeof r === "string")
      : [];
  switch (first) {
    case "var": {
      const parent = node.parent;
      if (!parent) return [];
      const exprs = parent.call["expressions"];
      const refs = exprRefs(isObject(exprs) ? exprs[second] : undefined);
      return refs.flatMap((r) => resolveReference(r, parent.node, hops + 1));
    }
    case "module": {
      if (third === undefined) return [];
      const calls = node.module["module_calls"];
      const call = isObject(calls) ? calls[second] : undefined;
      if (!isObject(call) || !isObject(call["module"])) return [];
      const child: ModuleNode = {
        prefix: `${node.prefix}module.${second}.`,
        module: call["module"],
        parent: { node, call },
      };
      const outputs = call["module"]["outputs"];
      const output = isObject(outputs) ? outputs[third] : undefined;
      const refs = exprRefs(isObject(output) ? output["expression"] : undefined);
      return refs.flatMap((r) => resolveReference(r, child, hops + 1));
    }
    case "data":
      return third === undefined ? [] : [`${node.prefix}data.${second}.${third}`];
    default:
      return NOT_RESOURCES.has(first) ? [] : [`${node.prefix}${first}.${second}`];
  }
}

// ---------------------------------------------------------------------------------------------
// Policy documents

/** Every string in `values` that is a JSON policy document (an object with `Statement`). */
function policyDocuments(values: Json, file: string): PolicyDocument[] {
  const out: PolicyDocument[] = [];
  const walk = (v: unknown, path: string, depth: number): void => {
    if (typeof v === "string") {
      const doc = decodePolicy(v, file, path);
      if (doc) out.push(doc);
    } else if (Array.isArray(v)) {
      if (depth < DEFAULT_LIMITS.maxDepth) v.forEach((x, i) => walk(x, `${path}[${i}]`, depth + 1));
    } else if (isObject(v) && depth < DEFAULT_LIMITS.maxDepth) {
      for (const k of Object.keys(v))
        walk(v[k], path ? `${path}.${attributeKey(k)}` : attributeKey(k), depth + 1);
    }
  };
  walk(values, "", 0);
  return out;
}

function decodePolicy(s: string, file: string, attribute: string): PolicyDocument | undefined {
  const t = s.trimStart();
  if (!t.startsWith("{") || !s.includes('"Statement"')) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(s);
  } catch {
    return undefined;
  }
  if (!isObject(doc) || doc["Statement"] === undefined) return undefined;
  normalizeInPlace(doc, file, attribute);
  const raw = doc["Statement"];
  const statements = (Array.isArray(raw) ? raw : [raw]).filter(isObject).map(statement);
  return { attribute, version: typeof doc["Version"] === "string" ? doc["Version"] : "", statements };
}

function statement(s: Json): PolicyStatement {
  const list = (v: unknown): string[] =>
    v === undefined || v === null
      ? []
      : (Array.isArray(v) ? v : [v]).map((x) => (typeof x === "string" ? x : String(x)));
  const principals = (v: unknown): string[] => {
    if (v === undefined || v === null) return [];
    if (typeof v === "string") return [v];
    if (!isObject(v)) return list(v);
    return Object.entries(v).flatMap(([type, ids]) => list(ids).map((id) => `${type}:${id}`));
  };
  return {
    sid: typeof s["Sid"] === "string" ? s["Sid"] : "",
    effect: typeof s["Effect"] === "string" ? s["Effect"] : "",
    actions: list(s["Action"]),
    not_actions: list(s["NotAction"]),
    resources: list(s["Resource"]),
    not_resources: list(s["NotResource"]),
    principals: principals(s["Principal"]),
    not_principals: principals(s["NotPrincipal"]),
    condition: isObject(s["Condition"]) ? s["Condition"] : {},
  };
}

// ---------------------------------------------------------------------------------------------
// Locations

/**
 * Findings name the resource: `locate(["resources", i, …])` gives the place of that resource's
 * object in the plan text (its first `"address"` entry, usually in `planned_values`) and, as the
 * location's `path`, its address — `aws_security_group.db`, or `aws_security_group.db.ingress[0]`
 * for a path into its values (Terraform's own attribute syntax), `aws_x.y unknown.ingress` for
 * other fields.
 */
function planLocator(text: string, file: string, plan: TerraformPlan, start: SourceLocation): YamlDocument {
  const lists = [
    ["resources", plan.resources],
    ["deleted", plan.deleted],
  ] as const;
  const wanted = new Set<string>();
  for (const [, list] of lists) for (const r of list) wanted.add(r.address);
  const offsets = addressOffsets(text, wanted);
  const keys: string[] = [];
  const at: number[] = [];
  for (const [name, list] of lists)
    list.forEach((r, i) => {
      const o = offsets.get(r.address);
      if (o === undefined) return;
      keys.push(`${name}[${i}]`);
      at.push(o);
    });
  const lc = lineColumn(text, at);
  const nodes = new Map<string, SourceLocation>(keys.map((k, i) => [k, { file, ...lc[i]! }]));
  const base = locator(0, plan, start, nodes);
  const named = (path: readonly (string | number)[], loc: SourceLocation): SourceLocation => {
    const [list, i, field, ...rest] = path;
    const r =
      list === "resources" || list === "deleted"
        ? typeof i === "number"
          ? (list === "resources" ? plan.resources : plan.deleted)[i]
          : undefined
        : undefined;
    if (!r) return loc;
    if (field === undefined) return { ...loc, path: r.address };
    const tail = rest.map((p) => (typeof p === "number" ? `[${p}]` : `.${attributeKey(p)}`)).join("");
    return {
      ...loc,
      path: field === "values" ? `${r.address}${tail}` : `${r.address} ${String(field)}${tail}`,
    };
  };
  return {
    ...base,
    locate: (path) => named(path, base.locate(path)),
    locateInScalar: (path, offset) => named(path, base.locateInScalar(path, offset)),
  };
}

/**
 * Offset of the object holding the first `"address": "<a>"` of each wanted address, in one
 * scan that stops once every address is found.
 */
function addressOffsets(text: string, wanted: ReadonlySet<string>): Map<string, number> {
  const found = new Map<string, number>();
  if (!wanted.size) return found;
  const key = /"address"\s*:\s*"/g;
  let m: RegExpExecArray | null;
  while (found.size < wanted.size && (m = key.exec(text))) {
    const open = key.lastIndex - 1;
    let close = open + 1;
    let escaped = false;
    while (close < text.length) {
      const c = text.charCodeAt(close);
      if (c === 0x22) break;
      if (c === 0x5c) {
        escaped = true;
        close++;
      }
      close++;
    }
    let address: string;
    try {
      address = escaped ? (JSON.parse(text.slice(open, close + 1)) as string) : text.slice(open + 1, close);
    } catch {
      continue;
    }
    key.lastIndex = close + 1;
    if (!wanted.has(address) || found.has(address)) continue;
    // Point at the `{` that opens the resource when "address" is its first key (it always is in
    // Terraform's output), else at the key itself.
    let b = m.index - 1;
    while (b >= 0 && " \t\r\n".includes(text[b]!)) b--;
    found.set(address, b >= 0 && text[b] === "{" ? b : m.index);
  }
  return found;
}
