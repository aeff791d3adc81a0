import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { BulwarkError, type Clock, type Logger, toBulwarkError } from "../core/index.js";
import { decisionOf, PolicyEngine, worst } from "./engine.js";
import { type InputDocument, parseInput } from "./input.js";
import { Fields } from "./load/fields.js";
import { libraryIncludes, type PolicySet, type PolicyTestDocument } from "./load/index.js";
import type { DecisionValue, EvaluationReport } from "./types.js";

/** One `kind: PolicyTest` case, parsed. */
export interface PolicyTestCase {
  readonly file: string;
  readonly absolutePath?: string;
  readonly suite: string;
  readonly name: string;
  readonly input?: string;
  readonly object?: unknown;
  readonly kind?: string;
  readonly env?: string;
  readonly document?: number;
  /** Evaluate as of this RFC 3339 time (so expiring exceptions can be tested). */
  readonly now?: Date;
  /** Evaluate built-in sets as of this Kubernetes version (`v1.25`), for version-specific rules. */
  readonly kubernetesVersion?: string;
  readonly decision: DecisionValue;
  /** Exact set of violated policy ids expected (waived ones excluded); omitted = not checked. */
  readonly violations?: readonly string[];
}

export interface PolicyTestResult {
  readonly case: PolicyTestCase;
  readonly passed: boolean;
  readonly decision?: DecisionValue;
  readonly violations?: readonly string[];
  /** Ids of the policies that applied to the case's documents (violated or not). */
  readonly evaluated?: readonly string[];
  /** Why it failed, in one line. */
  readonly failure?: string;
}

export function parsePolicyTests(doc: PolicyTestDocument): PolicyTestCase[] {
  const f = new Fields(doc.doc);
  f.object([], ["apiVersion", "kind", "metadata", "spec"]);
  f.object(["metadata"], ["name", "description", "labels", "annotations"], { required: true });
  const suite = f.requiredString(["metadata", "name"]);
  f.object(["spec"], ["cases"], { required: true });
  return f.list(["spec", "cases"], { required: true, nonEmpty: true }).map((_, i) => {
    const p = ["spec", "cases", i];
    f.object(
      p,
      [
        "name",
        "input",
        "object",
        "kind",
        "env",
        "document",
        "now",
        "kubernetesVersion",
        "decision",
        "violations",
      ],
      { required: true },
    );
    const kubernetesVersion = f.string([...p, "kubernetesVersion"]);
    if (kubernetesVersion !== undefined && !/^v1\.\d+$/.test(kubernetesVersion))
      f.fail(
        [...p, "kubernetesVersion"],
        `kubernetesVersion must look like v1.25, got ${JSON.stringify(kubernetesVersion)}`,
      );
    const input = f.string([...p, "input"]);
    const object = f.get([...p, "object"]);
    if ((input === undefined) === (object === undefined))
      f.fail(p, "a test case needs exactly one of input (a file) or object (inline)");
    const decision = f.enumValue([...p, "decision"], ["allow", "warn", "deny"] as const, "allow");
    if (f.get([...p, "decision"]) === undefined)
      f.fail([...p, "decision"], "decision is required (allow, warn or deny)");
    const document = f.get([...p, "document"]);
    if (document !== undefined && typeof document !== "bigint")
      f.fail([...p, "document"], "document must be a whole number");
    const nowText = f.string([...p, "now"]);
    const now = nowText === undefined ? undefined : new Date(nowText);
    if (now && Number.isNaN(now.getTime()))
      f.fail([...p, "now"], `now must be an RFC 3339 time, got ${JSON.stringify(nowText)}`);
    const kind = f.string([...p, "kind"]);
    const env = f.string([...p, "env"]);
    return {
      file: doc.file,
      ...(doc.absolutePath ? { absolutePath: doc.absolutePath } : {}),
      suite,
      name: f.requiredString([...p, "name"]),
      ...(input !== undefined ? { input } : {}),
      ...(object !== undefined ? { object } : {}),
      ...(kind !== undefined ? { kind } : {}),
      ...(env !== undefined ? { env } : {}),
      ...(document !== undefined ? { document: Number(document) } : {}),
      ...(now ? { now } : {}),
      ...(kubernetesVersion !== undefined ? { kubernetesVersion } : {}),
      decision,
      ...(f.get([...p, "violations"]) !== undefined
        ? { violations: f.stringList([...p, "violations"]) }
        : {}),
    };
  });
}

/**
 * A built-in set's tests judge that set (and the sets it includes), also when loaded together with
 * others (`builtin:default`): violations of other sets' policies are left out of the case.
 */
function ownSetOnly(report: EvaluationReport, testFile: string): EvaluationReport {
  const m = /^builtin:([a-z0-9-]+)\//.exec(testFile);
  if (!m) return report;
  const own = [m[1]!, ...libraryIncludes(m[1]!)].map((n) => `builtin:${n}/`);
  const results = report.results.map((r) => {
    const violations = r.violations.filter((v) => {
      const file = v.policyLocation?.file;
      return file === undefined || !file.startsWith("builtin:") || own.some((o) => file.startsWith(o));
    });
    const evaluated = r.evaluated;
    return { ...r, violations, evaluated, decision: decisionOf(violations) };
  });
  return { ...report, results, decision: worst(results.map((r) => r.decision)) };
}

export interface RunTestsOptions {
  readonly clock: Clock;
  readonly logger?: Logger;
  /**
   * Reads a test input file that is not YAML/JSON policy input (a Dockerfile, a Terraform plan, a
   * workflow): return its documents, or undefined to read it as YAML/JSON. The CLI wires the IaC
   * parsers in here.
   */
  readonly parseFile?: (text: string, file: string, kind?: string) => InputDocument[] | undefined;
}

/** Runs every PolicyTest case found in the policy set against that set. */
export async function runPolicyTests(set: PolicySet, options: RunTestsOptions): Promise<PolicyTestResult[]> {
  const engine = new PolicyEngine(set, {
    clock: options.clock,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const results: PolicyTestResult[] = [];
  for (const t of set.tests) {
    for (const c of parsePolicyTests(t)) results.push(await runCase(engine, c, options.parseFile));
  }
  return results;
}

async function runCase(
  engine: PolicyEngine,
  c: PolicyTestCase,
  parseFile: RunTestsOptions["parseFile"],
): Promise<PolicyTestResult> {
  let docs: InputDocument[];
  try {
    if (c.input !== undefined) {
      const path = resolve(dirname(c.absolutePath ?? c.file), c.input);
      const text = await readFile(path, "utf8").catch((e: unknown) => {
        throw new BulwarkError("FILE_NOT_FOUND", `test input not found: ${c.input}`, { cause: e });
      });
      docs = parseFile?.(text, c.input, c.kind) ?? parseInput(text, c.input, c.kind ? { kind: c.kind } : {});
    } else {
      docs = parseInput(
        JSON.stringify(c.object, (_k, v: unknown) => (typeof v === "bigint" ? Number(v) : v)),
        `${c.name} (inline)`,
        c.kind ? { kind: c.kind } : {},
      );
    }
  } catch (e) {
    return { case: c, passed: false, failure: toBulwarkError(e).toString() };
  }
  // Rules about the whole run see every document of the case, even when one is selected.
  const inventory: Record<string, unknown[]> = {};
  for (const d of docs) (inventory[d.kind] ??= []).push(d.value);
  if (c.document !== undefined) {
    const one = docs[c.document];
    if (!one) return { case: c, passed: false, failure: `input has no document ${c.document}` };
    docs = [one];
  }
  const full = engine.evaluate(docs, {
    ...(c.env !== undefined ? { environment: c.env } : {}),
    ...(c.now ? { now: c.now } : {}),
    ...(c.kubernetesVersion ? { libraryMinor: Number(c.kubernetesVersion.slice(3)) } : {}),
    inventory,
  });
  const report = ownSetOnly(full, c.file);
  const violated = [
    ...new Set(
      report.results.flatMap((r) =>
        r.violations.filter((v) => v.exception?.status !== "applied").map((v) => v.policyId),
      ),
    ),
  ].sort();
  const problems: string[] = [];
  if (report.decision !== c.decision)
    problems.push(`expected decision ${c.decision}, got ${report.decision}`);
  if (c.violations) {
    const want = [...new Set(c.violations)].sort();
    const missing = want.filter((id) => !violated.includes(id));
    const extra = violated.filter((id) => !want.includes(id));
    if (missing.length) problems.push(`expected violations not raised: ${missing.join(", ")}`);
    if (extra.length) problems.push(`unexpected violations: ${extra.join(", ")}`);
  }
  return {
    case: c,
    passed: problems.length === 0,
    decision: report.decision,
    violations: violated,
    evaluated: [...new Set(report.results.flatMap((r) => r.evaluated))].sort(),
    ...(problems.length ? { failure: problems.join("; ") } : {}),
  };
}
