import { type BulwarkError, type Clock, toBulwarkError } from "../core/index.js";
import { PolicyEngine } from "./engine.js";
import { loadPolicySet } from "./load/index.js";
import { parsePolicyTests } from "./testing.js";

export interface LintResult {
  readonly files: number;
  readonly rules: number;
  readonly errors: readonly BulwarkError[];
}

/**
 * Loads and compiles every policy under `paths`, collecting every problem (YAML, schema, CEL syntax
 * and type errors, duplicate ids, malformed tests) with its file:line:col instead of stopping at the first.
 */
export async function lintPolicies(paths: readonly string[], options: { clock: Clock }): Promise<LintResult> {
  const errors: BulwarkError[] = [];
  const set = await loadPolicySet(paths, { collectErrors: errors });
  const engine = new PolicyEngine(set, { clock: options.clock, collectErrors: errors });
  for (const t of set.tests) {
    try {
      parsePolicyTests(t);
    } catch (e) {
      errors.push(toBulwarkError(e));
    }
  }
  return { files: set.files.length, rules: engine.ruleCount, errors };
}
