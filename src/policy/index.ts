export { BUNDLE_MEDIA_TYPE, buildPolicyBundle, type PolicyBundle, readPolicyBundle } from "./bundle.js";
export {
  decisionOf,
  type EngineOptions,
  type EvaluationContext,
  PolicyEngine,
  subjectName,
  worst,
} from "./engine.js";
export {
  detectKind,
  INPUT_KINDS,
  type InputDocument,
  parseInput,
  type ReadInputOptions,
  readInputFile,
  readStdin,
} from "./input.js";
export { type LintResult, lintPolicies } from "./lint.js";
export {
  LATEST_KUBERNETES_MINOR,
  type LibraryRef,
  librarySets,
  type LoadOptions,
  listPolicyFiles,
  loadPolicySet,
  resolvePolicyPath,
  type ObjectDocument,
  type PolicyFile,
  type PolicySet,
  policySetFromFiles,
} from "./load/index.js";
export { type PolicyTestCase, type PolicyTestResult, parsePolicyTests, runPolicyTests } from "./testing.js";
export * from "./types.js";
