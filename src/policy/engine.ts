import {
  BulwarkError,
  type Clock,
  DEFAULT_LIMITS,
  type Limits,
  type Logger,
  type SourceLocation,
  silentLogger,
} from "../core/index.js";
import { createCelEnvironment, RE2_MATCHES, rewriteMatches } from "./cel/index.js";
import type { InputDocument } from "./input.js";
import type { ObjectDocument, PolicySet } from "./load/index.js";
import {
  type KubeFacts,
  kubeMatches,
  podTemplateView,
  selectorMatches,
  stringMap,
  TEMPLATE_PATH,
} from "./load/kubernetes.js";
import { parseFieldPath } from "./load/native.js";
import type { ExpressionSpec, RuleSpec } from "./model.js";
import type { DecisionValue, EvaluationReport, EvaluationResult, Violation } from "./types.js";

type CelEnvironment = ReturnType<typeof createCelEnvironment>;
type Program = (ctx: Record<string, unknown>) => unknown;

export interface EngineOptions {
  readonly clock: Clock;
  readonly logger?: Logger;
  readonly limits?: Limits;
  /** Collect compile errors instead of throwing at the first (for `policy lint`). */
  readonly collectErrors?: BulwarkError[];
}

/** What the caller knows about the evaluation beyond the input documents. */
export interface EvaluationContext {
  readonly environment?: string;
  readonly subject?: { readonly name: string; readonly digest?: Record<string, string> };
  readonly action?: string;
  readonly identity?: unknown;
  /** Verified evidence only (ARCHITECTURE §2.3). */
  readonly evidence?: unknown;
  /** Extra objects (params, namespaces) beside those in the policy set. */
  readonly objects?: readonly ObjectDocument[];
  /** Evaluate as of this time instead of the engine's clock (policy tests pin it). */
  readonly now?: Date;
  /** Evaluate built-in sets as of this Kubernetes minor version (policy tests of version-specific rules). */
  readonly libraryMinor?: number;
  /** The run's documents by kind (CEL `inventory`); default: the documents given to `evaluate`. */
  readonly inventory?: Readonly<Record<string, readonly unknown[]>>;
}

interface CompiledExpr {
  readonly spec: ExpressionSpec;
  readonly program: Program;
  readonly location: SourceLocation;
}

interface CompiledRule {
  readonly spec: RuleSpec;
  readonly matchConditions: { name: string; expr: CompiledExpr }[];
  readonly variables: { name: string; expr: CompiledExpr }[];
  readonly validations: {
    expr: CompiledExpr;
    fieldPath?: readonly (string | number)[];
    fieldPathExpr?: CompiledExpr;
    message?: string;
    messageExpr?: CompiledExpr;
    reason?: string;
    remediation?: string;
  }[];
  readonly auditAnnotations: { key: string; expr: CompiledExpr }[];
  readonly exceptions: { match: CompiledExpr; expires: string; expiresAt: Date; reason: string }[];
}

const BOOL_RESULT = new Set(["bool", "dyn"]);
/** Calls into Kyverno's own CEL libraries (cluster look-ups, HTTP, image registries, global context). */
const KYVERNO_LIBRARY_CALL =
  /\b(resource|http|imagedata|globalContext|generator)\.[A-Z]\w*\s*\(|\b(image)\.GetMetadata\s*\(/;
const STRING_RESULT = new Set(["string", "dyn"]);

/**
 * Compiles a policy set once (every CEL expression parsed, type-checked and cached by its text)
 * and evaluates input documents against it. Evaluation never throws for a bad document or a
 * failing expression: those become violations (fail closed) or, with `failurePolicy: Ignore`,
 * are logged and skipped.
 */
export class PolicyEngine {
  readonly set: PolicySet;
  readonly #env: CelEnvironment;
  readonly #rules: CompiledRule[];
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #limits: Limits;
  readonly #cache = new Map<
    string,
    {
      program?: Program;
      error?: { code: "CEL_SYNTAX" | "CEL_TYPE"; message: string; offset: number };
      type?: string;
    }
  >();

  constructor(set: PolicySet, options: EngineOptions) {
    this.set = set;
    this.#clock = options.clock;
    this.#logger = options.logger ?? silentLogger;
    this.#limits = options.limits ?? DEFAULT_LIMITS;
    this.#env = createCelEnvironment({ clock: options.clock });
    this.#rules = [];
    for (const spec of set.rules) {
      try {
        this.#rules.push(this.#compileRule(spec, options.collectErrors));
      } catch (e) {
        if (!options.collectErrors || !(e instanceof BulwarkError)) throw e;
        options.collectErrors.push(e);
      }
    }
  }

  get ruleCount(): number {
    return this.#rules.length;
  }

  #compileRule(spec: RuleSpec, collect?: BulwarkError[]): CompiledRule {
    const errors: BulwarkError[] = [];
    const c = (e: ExpressionSpec, want?: Set<string>, what?: string): CompiledExpr => {
      try {
        return this.#compile(spec, e, want, what);
      } catch (err) {
        if (!collect || !(err instanceof BulwarkError)) throw err;
        errors.push(err);
        return { spec: e, program: () => undefined, location: spec.doc.locate(e.path) };
      }
    };
    const rule: CompiledRule = {
      spec,
      matchConditions: spec.matchConditions.map((m) => ({
        name: m.name,
        expr: c(m.expr, BOOL_RESULT, "a match condition"),
      })),
      variables: spec.variables.map((v) => ({ name: v.name, expr: c(v.expr) })),
      validations: spec.validations.map((v) => ({
        expr: c(v.expr, BOOL_RESULT, "a validation"),
        ...(v.fieldPath ? { fieldPath: v.fieldPath } : {}),
        ...(v.fieldPathExpr ? { fieldPathExpr: c(v.fieldPathExpr, undefined, "a fieldPathExpression") } : {}),
        ...(v.message !== undefined ? { message: v.message } : {}),
        ...(v.messageExpr ? { messageExpr: c(v.messageExpr, STRING_RESULT, "a messageExpression") } : {}),
        ...(v.reason !== undefined ? { reason: v.reason } : {}),
        ...(v.remediation !== undefined ? { remediation: v.remediation } : {}),
      })),
      auditAnnotations: spec.auditAnnotations.map((a) => ({ key: a.key, expr: c(a.valueExpr) })),
      exceptions: spec.exceptions.map((x) => ({
        match: c(x.match, BOOL_RESULT, "an exception match"),
        expires: x.expires,
        expiresAt: x.expiresAt,
        reason: x.reason,
      })),
    };
    if (errors.length) collect?.push(...errors);
    return rule;
  }

  #compile(rule: RuleSpec, e: ExpressionSpec, want?: Set<string>, what?: string): CompiledExpr {
    const location = rule.doc.locate(e.path);
    if (e.source.length > this.#limits.maxExpressionLength) {
      throw new BulwarkError(
        "INPUT_TOO_LARGE",
        `expression is ${e.source.length} characters, more than the limit of ${this.#limits.maxExpressionLength}`,
        { location },
      );
    }
    if (rule.origin.startsWith("kyverno")) {
      const lib = KYVERNO_LIBRARY_CALL.exec(e.source);
      if (lib) {
        throw new BulwarkError(
          "POLICY_UNSUPPORTED",
          `${lib[0].replace(/\s*\($/, "")} is Kyverno's ${lib[1] ?? lib[2]} library, which needs a live cluster or network; Bulwark does not evaluate it`,
          { location: rule.doc.locateInScalar(e.path, lib.index) },
        );
      }
    }
    let entry = this.#cache.get(e.source);
    if (!entry) {
      entry = this.#parse(e.source);
      this.#cache.set(e.source, entry);
    }
    if (entry.error) {
      throw new BulwarkError(entry.error.code, `${entry.error.message} in expression: ${e.source.trim()}`, {
        location: rule.doc.locateInScalar(e.path, entry.error.offset),
      });
    }
    if (want && entry.type && !want.has(entry.type) && !entry.type.startsWith("optional")) {
      throw new BulwarkError(
        "CEL_TYPE",
        `${what ?? "expression"} must return ${[...want].filter((t) => t !== "dyn").join(" or ")}, but this one returns ${entry.type}: ${e.source.trim()}`,
        { location },
      );
    }
    return { spec: e, program: entry.program!, location };
  }

  #parse(source: string): {
    program?: Program;
    error?: { code: "CEL_SYNTAX" | "CEL_TYPE"; message: string; offset: number };
    type?: string;
  } {
    const rewritten = rewriteMatches(source);
    const fail = (code: "CEL_SYNTAX" | "CEL_TYPE", err: unknown) => ({
      error: { code, message: celMessage(err), offset: rewritten.originalOffset(celOffset(err)) },
    });
    let program: Program;
    try {
      program = this.#env.parse(rewritten.source) as unknown as Program;
    } catch (err) {
      return fail("CEL_SYNTAX", err);
    }
    try {
      const checked = this.#env.check(rewritten.source) as {
        valid: boolean;
        error?: unknown;
        type?: unknown;
      };
      if (!checked.valid) return fail("CEL_TYPE", checked.error);
      return { program, type: String(checked.type ?? "dyn") };
    } catch (err) {
      return fail("CEL_TYPE", err);
    }
  }

  /** Evaluates every document against every applicable rule. */
  evaluate(inputs: readonly InputDocument[], ctx: EvaluationContext = {}): EvaluationReport {
    const now = ctx.now ?? this.#clock.now();
    const objects = [...this.set.objects, ...(ctx.objects ?? [])];
    const namespaces = new Map<string, Record<string, unknown>>();
    for (const o of objects) if (o.kind === "Namespace") namespaces.set(nameOf(o.value) ?? "", o.value);
    for (const d of inputs)
      if (d.kind === "Namespace" && d.kube?.name)
        namespaces.set(d.kube.name, d.value as Record<string, unknown>);
    // Every document of the run by kind, for rules about the whole set (a namespace's NetworkPolicy).
    let inventory = ctx.inventory;
    if (!inventory) {
      const byKind: Record<string, unknown[]> = {};
      for (const d of inputs) (byKind[d.kind] ??= []).push(d.value);
      inventory = byKind;
    }
    const withInventory = { ...ctx, inventory };
    const results = inputs.map((doc) => this.#evaluateDocument(doc, withInventory, objects, namespaces, now));
    return {
      decision: worst(results.map((r) => r.decision)),
      policySetDigest: this.set.digest,
      ...(ctx.environment !== undefined ? { environment: ctx.environment } : {}),
      time: now.toISOString(),
      results,
    };
  }

  #evaluateDocument(
    input: InputDocument,
    ctx: EvaluationContext,
    objects: readonly ObjectDocument[],
    namespaces: ReadonlyMap<string, Record<string, unknown>>,
    now: Date,
  ): EvaluationResult {
    const violations: Violation[] = [];
    const evaluated: string[] = [];
    const annotations: Record<string, string> = {};
    // As in a cluster, a namespaced object always has a namespace object; when none was supplied it
    // is the bare Namespace (name only, no labels).
    const namespaceObject = input.kube?.namespace
      ? (namespaces.get(input.kube.namespace) ?? bareNamespace(input.kube.namespace))
      : undefined;
    const doc: InputDocument = namespaceObject
      ? {
          ...input,
          kube: {
            ...input.kube!,
            namespaceLabels: stringMap(
              (namespaceObject["metadata"] as Record<string, unknown> | undefined)?.["labels"],
            ),
          },
        }
      : input;
    const base = baseActivation(doc, ctx, namespaceObject ?? null, now);
    for (const rule of this.#rules) {
      const spec = rule.spec;
      if (
        spec.environments &&
        !(ctx.environment !== undefined && spec.environments.includes(ctx.environment))
      )
        continue;
      for (const variant of variants(spec, doc)) {
        const id = variant.id;
        evaluated.push(id);
        const objectView = variant.object;
        const activation: Record<string, unknown> =
          objectView === doc.value ? { ...base } : withObject(base, objectView);
        activation["library"] = spec.library
          ? ctx.libraryMinor !== undefined
            ? { name: spec.library.name, version: `v1.${ctx.libraryMinor}`, minor: BigInt(ctx.libraryMinor) }
            : { name: spec.library.name, version: spec.library.version, minor: BigInt(spec.library.minor) }
          : null;
        const paramsList = spec.params ? findParams(spec, objects, doc) : [null];
        if (paramsList.length === 0) {
          if (spec.params?.notFound === "Deny") {
            violations.push(
              this.#violation(
                rule,
                variant,
                doc,
                `no params object ${spec.params.kind} found for the policy's paramRef`,
                undefined,
              ),
            );
          }
          continue;
        }
        for (const params of paramsList) {
          activation["params"] = params;
          this.#evaluateRule(rule, variant, doc, activation, now, violations, annotations);
        }
      }
    }
    const decision = decisionOf(violations);
    return {
      source: { file: doc.file, document: doc.index },
      resource: doc.resource,
      decision,
      violations,
      ...(Object.keys(annotations).length ? { auditAnnotations: annotations } : {}),
      evaluated,
    };
  }

  #evaluateRule(
    rule: CompiledRule,
    variant: Variant,
    doc: InputDocument,
    activation: Record<string, unknown>,
    now: Date,
    out: Violation[],
    annotations: Record<string, string>,
  ): void {
    const spec = rule.spec;
    const id = variant.id;
    const onError = (expr: CompiledExpr, message: string): void => {
      if (spec.failurePolicy === "Ignore") {
        this.#logger.warn("policy expression failed; ignored (failurePolicy: Ignore)", {
          policy: id,
          expression: expr.spec.source,
          error: message,
        });
        return;
      }
      out.push(
        this.#violation(
          rule,
          variant,
          doc,
          `expression ${oneLine(expr.spec.source)} failed: ${message}`,
          expr,
          {
            error: { code: "CEL_RUNTIME", expression: expr.spec.source, message },
          },
        ),
      );
    };
    const variables: Record<string, unknown> = {};
    activation["variables"] = variables;
    for (const m of rule.matchConditions) {
      const r = run(m.expr.program, activation);
      if (r.error !== undefined) {
        onError(m.expr, `match condition ${m.name}: ${r.error}`);
        return;
      }
      if (typeof r.value !== "boolean") {
        onError(m.expr, `match condition ${m.name} returned ${typeName(r.value)}, not bool`);
        return;
      }
      if (!r.value) return;
    }
    const variableErrors = new Map<string, string>();
    for (const v of rule.variables) {
      const r = run(v.expr.program, activation);
      if (r.error === undefined) {
        variables[v.name] = r.value;
        continue;
      }
      // A variable that failed because an earlier one failed reports the earlier, real cause.
      const cause = failedVariableIn(v.expr.spec.source, variableErrors);
      variableErrors.set(v.name, cause ? `variable ${cause[0]}: ${cause[1]}` : r.error);
    }
    const found: Violation[] = [];
    for (const val of rule.validations) {
      const r = run(val.expr.program, activation);
      if (r.error !== undefined) {
        const failedVar = failedVariableIn(val.expr.spec.source, variableErrors);
        onError(val.expr, failedVar ? `variable ${failedVar[0]}: ${failedVar[1]}` : r.error);
        continue;
      }
      if (typeof r.value !== "boolean") {
        onError(val.expr, `returned ${typeName(r.value)}, not bool`);
        continue;
      }
      if (r.value) continue;
      let message = val.message;
      if (val.messageExpr) {
        const m = run(val.messageExpr.program, activation);
        if (m.error === undefined && typeof m.value === "string" && m.value.trim() !== "") message = m.value;
        else
          this.#logger.debug("messageExpression gave no message; using message", {
            policy: id,
            error: m.error,
          });
      }
      for (const { path: fieldPath, message: own } of this.#fieldPaths(val, activation, id))
        found.push(
          this.#violation(
            rule,
            variant,
            doc,
            own ?? (message?.trim() ? message : `failed expression: ${oneLine(val.expr.spec.source)}`),
            val.expr,
            {
              ...(val.reason ? { reason: val.reason } : {}),
              ...(val.remediation ? { remediation: val.remediation } : {}),
            },
            fieldPath,
          ),
        );
    }
    for (const a of rule.auditAnnotations) {
      const r = run(a.expr.program, activation);
      if (r.error !== undefined) onError(a.expr, `audit annotation ${a.key}: ${r.error}`);
      else if (typeof r.value === "string" && r.value !== "") annotations[`${id}/${a.key}`] = r.value;
    }
    if (found.length && rule.exceptions.length) this.#applyExceptions(rule, activation, now, found);
    out.push(...found);
  }

  /**
   * Where a failed validation points: each path its `fieldPathExpression` gives (a string or a
   * list of strings: one violation per path), else its static `fieldPath`. A failing or malformed
   * expression falls back to the static path (logged), never loses the violation.
   */
  #fieldPaths(
    val: CompiledRule["validations"][number],
    activation: Record<string, unknown>,
    id: string,
  ): { path: readonly (string | number)[] | undefined; message?: string }[] {
    if (!val.fieldPathExpr) return [{ path: val.fieldPath }];
    const r = run(val.fieldPathExpr.program, activation);
    const items = typeof r.value === "string" ? [r.value] : Array.isArray(r.value) ? r.value : undefined;
    // Each item: a path string, or {path, message} for a message of its own (large inputs: one
    // resource per violation instead of every violation listing them all).
    const out = items?.map((item) => {
      if (typeof item === "string") return { path: parseFieldPath(item) };
      const get = (k: string): unknown =>
        item instanceof Map
          ? item.get(k)
          : item && typeof item === "object"
            ? (item as Record<string, unknown>)[k]
            : undefined;
      const path = get("path");
      const message = get("message");
      return {
        path: typeof path === "string" ? parseFieldPath(path) : undefined,
        ...(typeof message === "string" && message.trim() !== "" ? { message } : {}),
      };
    });
    if (r.error !== undefined || !out || out.some((p) => p.path === undefined)) {
      this.#logger.debug("fieldPathExpression gave no usable path; using fieldPath", {
        policy: id,
        error: r.error,
      });
      return [{ path: val.fieldPath }];
    }
    return out.length ? out : [{ path: val.fieldPath }];
  }

  #applyExceptions(
    rule: CompiledRule,
    activation: Record<string, unknown>,
    now: Date,
    found: Violation[],
  ): void {
    for (const x of rule.exceptions) {
      const r = run(x.match.program, activation);
      if (r.error !== undefined || r.value !== true) continue;
      const status = now.getTime() < x.expiresAt.getTime() ? "applied" : "expired";
      for (const v of found) {
        if (v.exception) continue;
        v.exception = { reason: x.reason, expires: x.expires, status };
      }
      return;
    }
  }

  #violation(
    rule: CompiledRule,
    variant: Variant,
    doc: InputDocument,
    message: string,
    expr: CompiledExpr | undefined,
    extra: Partial<Violation> = {},
    fieldPath?: readonly (string | number)[],
  ): Violation {
    const spec = rule.spec;
    return {
      policyId: variant.id,
      title: spec.title,
      severity: spec.severity,
      enforcement: spec.enforcement,
      message,
      ...(spec.remediation !== undefined && extra.remediation === undefined
        ? { remediation: spec.remediation }
        : {}),
      location: locateInInput(doc, variant, fieldPath),
      policyLocation: expr?.location ?? spec.location,
      ...extra,
    };
  }
}

/** The first failed variable an expression refers to (`variables.<name>`), with its error. */
function failedVariableIn(source: string, failed: ReadonlyMap<string, string>): [string, string] | undefined {
  for (const [name, error] of failed) {
    if (new RegExp(`\\bvariables\\.${name}\\b`).test(source)) return [name, error];
  }
  return undefined;
}

function bareNamespace(name: string): Record<string, unknown> {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name } };
}

function nameOf(v: unknown): string | undefined {
  const n = (v as { metadata?: { name?: unknown } }).metadata?.name;
  return typeof n === "string" ? n : undefined;
}

/** One application of a rule to a document: the rule itself, or its pod-template (autogen) form. */
interface Variant {
  readonly id: string;
  readonly object: unknown;
  /** Path of the object the rule sees inside the document (the pod template for autogen). */
  readonly prefix: readonly string[];
}

/** The rule applications for one document: the rule itself, and/or its pod-template form. */
function variants(spec: RuleSpec, doc: InputDocument): Variant[] {
  const out: Variant[] = [];
  const direct =
    spec.match.type === "kinds"
      ? spec.match.kinds.includes("*") || spec.match.kinds.includes(doc.kind)
      : doc.kube
        ? kubeMatches(spec.match, doc.kube)
        : false;
  if (direct) out.push({ id: spec.id, object: doc.value, prefix: [] });
  if (!direct && spec.autogen && doc.kube && spec.autogen.controllers.has(doc.kind)) {
    const asPod: KubeFacts = { ...doc.kube, kind: "Pod", group: "", version: "v1", resource: "pods" };
    const podMatch = spec.match.type === "kinds" ? true : kubeMatches(spec.match, asPod);
    const view = podMatch ? podTemplateView(doc.value, doc.kind) : undefined;
    if (view)
      out.push({ id: spec.autogen.idFor(doc.kind), object: view, prefix: TEMPLATE_PATH[doc.kind] ?? [] });
  }
  return out;
}

/**
 * The violation's place in the input: the policy's `fieldPath` when it gives one (inside the pod
 * template for autogen rules), else the template for autogen rules, else the document.
 */
function locateInInput(
  doc: InputDocument,
  variant: Variant,
  fieldPath?: readonly (string | number)[],
): SourceLocation {
  if (!doc.doc || (!fieldPath && variant.prefix.length === 0)) return doc.location;
  const inTemplate = fieldPath && (fieldPath[0] === "spec" || fieldPath[0] === "metadata");
  const path = [
    ...(doc.path ?? []),
    ...(fieldPath && !inTemplate ? [] : variant.prefix),
    ...(fieldPath ?? []),
  ];
  return { ...doc.doc.locate(path), document: doc.location.document ?? doc.doc.index };
}

function baseActivation(
  doc: InputDocument,
  ctx: EvaluationContext,
  namespaceObject: unknown,
  now: Date,
): Record<string, unknown> {
  const k = doc.kube;
  const request = k
    ? {
        uid: "",
        kind: { group: k.group, version: k.version, kind: k.kind },
        resource: { group: k.group, version: k.version, resource: k.resource },
        requestKind: { group: k.group, version: k.version, kind: k.kind },
        requestResource: { group: k.group, version: k.version, resource: k.resource },
        name: k.name ?? "",
        namespace: k.namespace ?? "",
        operation: k.operation,
        userInfo: { username: "", groups: [] },
        object: doc.value,
        oldObject: null,
        dryRun: false,
      }
    : null;
  return {
    resource: doc.value,
    object: k ? doc.value : null,
    oldObject: null,
    request,
    namespaceObject,
    params: null,
    authorizer: null,
    subject: ctx.subject ?? { name: subjectName(doc) },
    environment: ctx.environment ?? "",
    action: ctx.action ?? "",
    identity: ctx.identity ?? {},
    evidence: ctx.evidence ?? {},
    inventory: ctx.inventory ?? {},
    now,
    variables: {},
  };
}

function withObject(base: Record<string, unknown>, object: unknown): Record<string, unknown> {
  const request = base["request"] as Record<string, unknown> | null;
  return { ...base, object, resource: object, request: request ? { ...request, object } : null };
}

export function subjectName(doc: InputDocument): string {
  const r = doc.resource;
  if (r.name) return r.namespace ? `${r.kind}/${r.namespace}/${r.name}` : `${r.kind}/${r.name}`;
  return doc.file;
}

function findParams(spec: RuleSpec, objects: readonly ObjectDocument[], doc: InputDocument): unknown[] {
  const p = spec.params!;
  const namespace = p.namespace ?? doc.kube?.namespace;
  return objects
    .filter((o) => o.apiVersion === p.apiVersion && o.kind === p.kind)
    .filter((o) => {
      const meta = (o.value["metadata"] ?? {}) as Record<string, unknown>;
      const ns = typeof meta["namespace"] === "string" ? meta["namespace"] : undefined;
      if (ns !== undefined && namespace !== undefined && ns !== namespace) return false;
      if (p.name !== undefined) return meta["name"] === p.name;
      return selectorMatches(p.selector, stringMap(meta["labels"]));
    })
    .map((o) => o.value);
}

function run(program: Program, activation: Record<string, unknown>): { value?: unknown; error?: string } {
  try {
    return { value: program(activation) };
  } catch (e) {
    return { error: celMessage(e) };
  }
}

function celMessage(e: unknown): string {
  return rawMessage(e).replaceAll(RE2_MATCHES, "matches");
}

function rawMessage(e: unknown): string {
  if (e && typeof e === "object") {
    const summary = (e as { summary?: unknown }).summary;
    if (typeof summary === "string") return summary;
    const message = (e as { message?: unknown }).message;
    if (typeof message === "string") return message.split("\n")[0] ?? message;
  }
  return String(e);
}

function celOffset(e: unknown): number {
  const range = (e as { range?: { start?: unknown } } | undefined)?.range;
  return typeof range?.start === "number" ? range.start : 0;
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "list";
  if (typeof v === "bigint") return "int";
  if (typeof v === "number") return "double";
  if (typeof v === "object") return "map";
  return typeof v;
}

function oneLine(s: string): string {
  return s.trim().replace(/\s+/g, " ");
}

/** A document's decision: the strongest enforcement among violations not waived or excepted. */
export function decisionOf(violations: readonly Violation[]): DecisionValue {
  const counted = violations.filter((v) => v.exception?.status !== "applied" && !v.waiver);
  return counted.some((v) => v.enforcement === "deny")
    ? "deny"
    : counted.some((v) => v.enforcement === "warn")
      ? "warn"
      : "allow";
}

export function worst(decisions: readonly DecisionValue[]): DecisionValue {
  if (decisions.includes("deny")) return "deny";
  if (decisions.includes("warn")) return "warn";
  return "allow";
}
