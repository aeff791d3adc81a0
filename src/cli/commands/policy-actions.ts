import { readFile, stat } from "node:fs/promises";
import { relative } from "node:path";
import { BulwarkError, EXIT, type ExitCode, formatLocation } from "../../core/index.js";
import {
  buildPolicyBundle,
  type EvaluationReport,
  type InputDocument,
  lintPolicies,
  loadPolicySet,
  type ObjectDocument,
  PolicyEngine,
  readInputFile,
  runPolicyTests,
} from "../../policy/index.js";
import { RENDER_FORMATS, type RenderFormat, render } from "../render/index.js";
import { exitFor, type Runtime } from "../runtime.js";

export interface EvalOptions {
  policy?: string[];
  policyBundle?: string;
  bundleKey?: string[];
  input: string[];
  kind?: string;
  env?: string;
  params?: string[];
  operation: string;
  subject?: string;
  log?: boolean;
}

function policyPaths(rt: Runtime, given: string[] | undefined): string[] {
  const paths = given?.length ? given : rt.settings.policy;
  if (!paths?.length)
    throw new BulwarkError(
      "USAGE",
      "no policy given: pass --policy <file|dir> or set `policy` in bulwark.yaml",
    );
  return paths;
}

export async function policyEval(rt: Runtime, opts: EvalOptions): Promise<ExitCode> {
  const format = (rt.settings.format ?? "table") as RenderFormat;
  if (!(RENDER_FORMATS as readonly string[]).includes(format)) {
    throw new BulwarkError(
      "USAGE",
      `--format must be one of ${RENDER_FORMATS.join(", ")} for policy eval, got ${format}`,
    );
  }
  if (opts.policyBundle && opts.policy?.length)
    throw new BulwarkError("USAGE", "give --policy or --policy-bundle, not both");
  if (opts.policyBundle && !opts.bundleKey?.length)
    throw new BulwarkError(
      "USAGE",
      "--policy-bundle needs --bundle-key: a signed set is only as good as the key it is checked with",
    );
  const set = opts.policyBundle
    ? await verifiedPolicySet(rt, opts.policyBundle, opts.bundleKey!)
    : await loadPolicySet(policyPaths(rt, opts.policy));
  const objects: ObjectDocument[] = [];
  for (const file of opts.params ?? []) {
    for (const d of await readInputFile(file, { kind: "generic" })) {
      const v = d.value as Record<string, unknown>;
      if (typeof v?.["apiVersion"] !== "string" || typeof v["kind"] !== "string") {
        throw new BulwarkError("INPUT_INVALID", "a params object needs apiVersion and kind", {
          location: d.location,
        });
      }
      objects.push({ file, doc: d.doc!, apiVersion: v["apiVersion"], kind: v["kind"], value: v });
    }
  }
  const inputs: InputDocument[] = [];
  const { detectParser, parserNamed } = await import("../../iac/index.js");
  for (const file of opts.input) {
    // Dockerfiles, Terraform plans and CI workflows go through their IaC parser (as in `check`).
    if (file !== "-" && (await stat(file).catch(() => undefined))?.isFile()) {
      const text = await readFile(file, "utf8");
      const forced = opts.kind ? tryParser(parserNamed, opts.kind) : undefined;
      const parser = forced ?? (opts.kind ? undefined : detectParser(file, text.slice(0, 4096)));
      if (parser) {
        inputs.push(...parser.parse(text, file));
        continue;
      }
    }
    inputs.push(
      ...(await readInputFile(file, {
        ...(opts.kind ? { kind: opts.kind } : {}),
        operation: opts.operation,
      })),
    );
  }
  if (inputs.length === 0)
    throw new BulwarkError("INPUT_INVALID", `no documents in ${opts.input.join(", ")}`);
  const engine = new PolicyEngine(set, { clock: rt.clock, logger: rt.logger });
  const env = opts.env ?? rt.settings.env;
  const report = engine.evaluate(inputs, {
    ...(env !== undefined ? { environment: env } : {}),
    ...(opts.subject ? { subject: { name: opts.subject } } : {}),
    objects,
  });
  rt.emit(
    render(format, report, {
      color: rt.color,
      toolVersion: rt.version,
      ...(rt.quiet ? { quiet: true } : {}),
    }),
  );
  if (opts.log) await logDecision(rt, report, inputs, opts.subject);
  return exitFor(report.decision);
}

/**
 * `--log`: the decision as a typed `decision` entry of the transparency log — outcome,
 * environment, the policy set's and the inputs' digests, the violated policy ids, and the subject
 * when `--subject` names it by digest (name@sha256:hex).
 */
async function logDecision(
  rt: Runtime,
  report: EvaluationReport,
  inputs: readonly InputDocument[],
  subject: string | undefined,
): Promise<void> {
  const { canonicalDigest } = await import("../../core/index.js");
  const { encodeEntry, makeEntry } = await import("../../tlog/index.js");
  const { recordInLog } = await import("./log-actions.js");
  const named = subject ? /^(.+)@sha256:([0-9a-f]{64})$/.exec(subject) : null;
  const violations = [...new Set(report.results.flatMap((r) => r.violations.map((v) => v.policyId)))].sort();
  const entry = makeEntry(
    "decision",
    {
      decision: report.decision,
      ...(report.environment ? { environment: report.environment } : {}),
      ...(named ? { subject: { name: named[1], digest: { sha256: named[2] } } } : {}),
      policyBundleDigest: report.policySetDigest,
      inputDigest: canonicalDigest(inputs.map((i) => i.value)),
      violations,
    },
    new Date(report.time),
  );
  await recordInLog(rt, [{ file: "policy-decision", bytes: encodeEntry(entry) }]);
}

/** The policy set inside a signed policy bundle, after verifying the signature and every file. */
async function verifiedPolicySet(rt: Runtime, file: string, keys: string[]) {
  const { verifySignedPolicyBundle } = await import("./policy-bundle-sign.js");
  const { set } = verifySignedPolicyBundle(rt, file, keys);
  return set;
}

export async function policyBundleSign(rt: Runtime, file: string, opts: { key: string }): Promise<ExitCode> {
  const { signPolicyBundle } = await import("./policy-bundle-sign.js");
  return signPolicyBundle(rt, file, opts.key);
}

export async function policyBundleVerify(
  rt: Runtime,
  file: string,
  opts: { key: string[] },
): Promise<ExitCode> {
  const { verifySignedPolicyBundle } = await import("./policy-bundle-sign.js");
  const { json, set, keyid } = verifySignedPolicyBundle(rt, file, opts.key);
  rt.emit(rt.output ? json : `${json}\n`);
  rt.note(`verified policy bundle ${set.digest} (${set.files.length} files), signed by key ${keyid}`);
  return EXIT.ok;
}

function tryParser<T>(find: (name: string) => T, name: string): T | undefined {
  try {
    return find(name);
  } catch {
    return undefined;
  }
}

export async function policyTest(rt: Runtime, paths: string[]): Promise<ExitCode> {
  const set = await loadPolicySet(paths);
  if (set.tests.length === 0)
    throw new BulwarkError("POLICY_NOT_FOUND", `no PolicyTest documents under ${paths.join(", ")}`);
  const { parseIacFile } = await import("../../iac/index.js");
  const results = await runPolicyTests(set, { clock: rt.clock, logger: rt.logger, parseFile: parseIacFile });
  const failed = results.filter((r) => !r.passed);
  const format = rt.settings.format ?? "table";
  if (format === "json") {
    rt.emit(
      `${JSON.stringify({ passed: results.length - failed.length, failed: failed.length, cases: results.map((r) => ({ file: r.case.file, suite: r.case.suite, name: r.case.name, passed: r.passed, expected: { decision: r.case.decision, ...(r.case.violations ? { violations: r.case.violations } : {}) }, actual: { decision: r.decision ?? null, violations: r.violations ?? [] }, ...(r.failure ? { failure: r.failure } : {}) })) }, null, 2)}\n`,
    );
  } else if (format === "junit") {
    const { renderTestsJunit } = await import("../render/tests-junit.js");
    rt.emit(renderTestsJunit(results));
  } else if (format === "table") {
    const lines = results.map(
      (r) =>
        `${r.passed ? "PASS" : "FAIL"}  ${r.case.suite} / ${r.case.name}${r.failure ? `\n      ${r.failure}` : ""}`,
    );
    rt.emit(`${lines.join("\n")}\n\n${results.length - failed.length} passed, ${failed.length} failed\n`);
  } else {
    throw new BulwarkError("USAGE", `--format must be table, json or junit for policy test, got ${format}`);
  }
  return failed.length ? EXIT.denied : EXIT.ok;
}

export async function policyLint(rt: Runtime, paths: string[]): Promise<ExitCode> {
  const result = await lintPolicies(paths, { clock: rt.clock });
  const format = rt.settings.format ?? "table";
  if (format === "json") {
    rt.emit(
      `${JSON.stringify({ files: result.files, rules: result.rules, errors: result.errors.map((e) => e.toJSON()) }, null, 2)}\n`,
    );
  } else if (format === "table") {
    const lines = result.errors.map(
      (e) => `${formatLocation(e.location) || "<policy>"}: ${e.message} [${e.code}]`,
    );
    rt.emit(
      `${lines.join("\n")}${lines.length ? "\n" : ""}${result.files} files, ${result.rules} rules, ${result.errors.length} errors\n`,
    );
  } else {
    throw new BulwarkError("USAGE", `--format must be table or json for policy lint, got ${format}`);
  }
  return result.errors.length ? EXIT.invalidInput : EXIT.ok;
}

export async function policyBundleBuild(rt: Runtime, paths: string[]): Promise<ExitCode> {
  const set = await loadPolicySet(paths);
  // Compile before bundling: a bundle must never carry a policy that does not load.
  new PolicyEngine(set, { clock: rt.clock });
  const { bundle, json } = buildPolicyBundle(set);
  rt.emit(rt.output ? json : `${json}\n`);
  rt.note(
    `bundle ${bundle.digest} (${bundle.files.length} files${rt.output ? `, written to ${relative(rt.io.cwd, rt.output) || rt.output}` : ""})`,
  );
  return EXIT.ok;
}
