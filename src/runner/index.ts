export * from "./types.js";
export { DEFAULT_PROFILE, extendProfile, parseProfile } from "./seccomp/index.js";
export { backendNamed, SANDBOX_BACKENDS } from "./backends/index.js";
export {
  type RunOptions,
  type RunOutcome,
  runInSandbox,
  runJob,
  SANDBOX_PATH,
  sandboxEnv,
  type StepSpec,
} from "./run.js";
export { type JobSpec, type JobStep, parseJobSpec } from "./job.js";
export { buildRunProvenance, isHermetic, RUN_BUILD_TYPE, type RunRecord } from "./provenance.js";
export {
  archiveDifferences,
  checkSource,
  compareProducts,
  type ProductComparison,
  type RebuildReport,
  type RecordedRun,
  readRecordedRun,
} from "./rebuild.js";
export {
  gitState,
  hostRootfs,
  lockfiles,
  resolveCommand,
  sourceIdentity,
  type SourceIdentity,
  toolchain,
  treeDigest,
} from "./inputs.js";
export {
  type JobClaims,
  type JobTokenPayload,
  jwkThumbprint,
  MAX_TOKEN_TTL_SECONDS,
  mintJobToken,
  verifyJobToken,
} from "./token.js";
