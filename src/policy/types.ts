import type { Digest, SourceLocation } from "../core/index.js";

export const SEVERITIES = ["critical", "high", "medium", "low", "info"] as const;
export type Severity = (typeof SEVERITIES)[number];

export const ENFORCEMENTS = ["deny", "warn", "audit"] as const;
export type Enforcement = (typeof ENFORCEMENTS)[number];

export type FailurePolicy = "Fail" | "Ignore";

export type DecisionValue = "allow" | "warn" | "deny";

/** Where a policy came from; decides the CEL variables it sees and how it is matched. */
export type PolicyOrigin =
  "bulwark" | "validating-admission-policy" | "kyverno-cluster-policy" | "kyverno-validating-policy";

/** The identity of the resource a result is about (Kubernetes objects fill all four). */
export interface ResourceRef {
  apiVersion?: string;
  kind: string;
  namespace?: string;
  name?: string;
}

/** An exception that matched a violation. */
export interface ExceptionNote {
  reason: string;
  expires: string;
  /** `applied`: the violation is waived. `expired`: it no longer applies and the violation counts. */
  status: "applied" | "expired";
}

export interface Violation {
  policyId: string;
  title: string;
  severity: Severity;
  enforcement: Enforcement;
  message: string;
  remediation?: string;
  /** Where in the input (file:line:col of the document, or the field when known). */
  location?: SourceLocation;
  /** Where in the policy (the failing expression). */
  policyLocation?: SourceLocation;
  /** Set when the violation comes from an evaluation error under `failurePolicy: Fail`. */
  error?: { code: "CEL_RUNTIME"; expression: string; message: string };
  /** Present when an exception matched; `applied` exceptions do not count toward the decision. */
  exception?: ExceptionNote;
  /** ValidatingAdmissionPolicy `reason` (e.g. Forbidden, Invalid). */
  reason?: string;
  /** An inline `# bulwark:ignore <ID> -- <reason>` comment waived it (`bulwark check`): it does not count. */
  waiver?: { reason: string; line: number };
}

/** An inline waiver comment found by `bulwark check`, and whether it waived anything. */
export interface InlineWaiver {
  file: string;
  line: number;
  policyId: string;
  reason: string;
  used: boolean;
}

export interface ResultSource {
  file: string;
  /** 0-based document index inside the file. */
  document: number;
}

/** One evaluated input document. */
export interface EvaluationResult {
  source: ResultSource;
  resource: ResourceRef;
  decision: DecisionValue;
  violations: Violation[];
  /** VAP/Kyverno `auditAnnotations` produced for this document, keyed `<policy>/<key>`. */
  auditAnnotations?: Record<string, string>;
  /** Ids of the policies that matched this document (evaluated, whether or not violated). */
  evaluated: string[];
}

/** The whole report of `policy eval` (and later `check`). Stable JSON; see docs/output.md. */
export interface EvaluationReport {
  decision: DecisionValue;
  policySetDigest: Digest;
  environment?: string;
  /** RFC 3339 time of evaluation (the injected clock). */
  time: string;
  results: EvaluationResult[];
  /** `bulwark check`: the inline waivers found (used or not). */
  waivers?: InlineWaiver[];
}
