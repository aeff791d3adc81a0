import type { SourceLocation, YamlDocument } from "../core/index.js";
import type { Path } from "./load/fields.js";
import type { Enforcement, FailurePolicy, PolicyOrigin, Severity } from "./types.js";

/** A CEL expression as written in a policy file, before compilation. */
export interface ExpressionSpec {
  readonly source: string;
  /** Path of the expression inside its policy document. */
  readonly path: Path;
}

export interface ValidationSpec {
  readonly expr: ExpressionSpec;
  readonly message?: string;
  readonly messageExpr?: ExpressionSpec;
  readonly reason?: string;
  readonly remediation?: string;
  /** Where in the input the violation points (`spec.containers[0].image`), as parsed path segments. */
  readonly fieldPath?: readonly (string | number)[];
  /**
   * CEL giving the path(s) at violation time: a string, or a list of strings for one violation per
   * offending field (e.g. each privileged container). Falls back to `fieldPath` when it fails.
   */
  readonly fieldPathExpr?: ExpressionSpec;
}

export interface ExceptionSpec {
  readonly match: ExpressionSpec;
  /** ISO date or RFC 3339 time after which the exception stops applying. */
  readonly expires: string;
  readonly expiresAt: Date;
  readonly reason: string;
}

/** Kubernetes resource matching shared by ValidatingAdmissionPolicy and Kyverno. */
export interface ResourceRule {
  readonly apiGroups: readonly string[];
  readonly apiVersions: readonly string[];
  readonly resources: readonly string[];
  readonly operations: readonly string[];
  readonly scope?: "Cluster" | "Namespaced" | "*";
  readonly resourceNames?: readonly string[];
}

export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly {
    readonly key: string;
    readonly operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
    readonly values?: readonly string[];
  }[];
}

/** One Kyverno `ResourceDescription` (the `resources` block of a match/exclude filter). */
export interface KyvernoResourceFilter {
  readonly kinds: readonly string[];
  readonly names: readonly string[];
  readonly namespaces: readonly string[];
  readonly operations: readonly string[];
  readonly selector?: LabelSelector;
  readonly namespaceSelector?: LabelSelector;
  readonly annotations?: Readonly<Record<string, string>>;
}

export type MatchSpec =
  /** Native policies: the input kinds (`Pod`, `Deployment`, `dockerfile`, `sbom`, … or `*`). */
  | { readonly type: "kinds"; readonly kinds: readonly string[] }
  /** ValidatingAdmissionPolicy / Kyverno ValidatingPolicy `matchConstraints` (+ binding `matchResources`). */
  | {
      readonly type: "constraints";
      /** Empty matches nothing, except in a binding's `matchResources`, where it does not narrow. */
      readonly resourceRules: readonly ResourceRule[];
      readonly narrowsOnly?: boolean;
      readonly excludeResourceRules: readonly ResourceRule[];
      readonly namespaceSelector?: LabelSelector;
      readonly objectSelector?: LabelSelector;
      /** Further constraints a binding adds (all must match). */
      readonly and?: readonly MatchSpec[];
    }
  /** Kyverno ClusterPolicy rule `match`/`exclude`. */
  | {
      readonly type: "kyverno";
      readonly any: readonly KyvernoResourceFilter[];
      readonly all: readonly KyvernoResourceFilter[];
      readonly excludeAny: readonly KyvernoResourceFilter[];
      readonly excludeAll: readonly KyvernoResourceFilter[];
    };

/** Where a rule's params come from (VAP `paramKind` + binding `paramRef`). */
export interface ParamSpec {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name?: string;
  readonly namespace?: string;
  readonly selector?: LabelSelector;
  readonly notFound: "Allow" | "Deny";
}

/** Pod-controller rule generation (Kyverno autogen, and the same for native Pod policies). */
export interface AutogenSpec {
  /** Controller kinds whose pod template the rule also applies to. */
  readonly controllers: ReadonlySet<string>;
  /** Id suffixes: Kyverno names generated rules `autogen-<rule>` / `autogen-cronjob-<rule>`. */
  readonly idFor: (controllerKind: string) => string;
}

/** A policy rule in the engine's one internal form, whatever format it was written in. */
export interface RuleSpec {
  readonly id: string;
  readonly title: string;
  readonly severity: Severity;
  readonly origin: PolicyOrigin;
  readonly description?: string;
  /** The built-in set and version it was loaded as (CEL `library`). */
  readonly library?: { readonly name: string; readonly version: string; readonly minor: number };
  readonly doc: YamlDocument;
  readonly file: string;
  readonly location: SourceLocation;
  readonly match: MatchSpec;
  readonly environments?: readonly string[];
  readonly enforcement: Enforcement;
  readonly failurePolicy: FailurePolicy;
  readonly matchConditions: readonly { readonly name: string; readonly expr: ExpressionSpec }[];
  readonly variables: readonly { readonly name: string; readonly expr: ExpressionSpec }[];
  readonly validations: readonly ValidationSpec[];
  readonly auditAnnotations: readonly { readonly key: string; readonly valueExpr: ExpressionSpec }[];
  readonly exceptions: readonly ExceptionSpec[];
  readonly remediation?: string;
  readonly params?: ParamSpec;
  readonly autogen?: AutogenSpec;
}
