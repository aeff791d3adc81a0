import type { YamlDocument } from "../../core/index.js";
import type { MatchSpec, ParamSpec, RuleSpec, ValidationSpec } from "../model.js";
import type { Enforcement } from "../types.js";
import {
  annotation,
  expression,
  labelSelector,
  namedExpressions,
  optionalExpression,
  resourceRules,
  severityFrom,
} from "./common.js";
import { Fields, type Path } from "./fields.js";

export const VAP_API_VERSIONS = [
  "admissionregistration.k8s.io/v1",
  "admissionregistration.k8s.io/v1beta1",
  "admissionregistration.k8s.io/v1alpha1",
];

/** A parsed ValidatingAdmissionPolicy, before it is combined with its bindings. */
export interface VapPolicy {
  readonly name: string;
  readonly doc: YamlDocument;
  readonly file: string;
  readonly paramKind?: { apiVersion: string; kind: string };
  readonly match: MatchSpec;
  readonly failurePolicy: "Fail" | "Ignore";
  readonly matchConditions: RuleSpec["matchConditions"];
  readonly variables: RuleSpec["variables"];
  readonly validations: ValidationSpec[];
  readonly auditAnnotations: RuleSpec["auditAnnotations"];
}

export interface VapBinding {
  readonly name: string;
  readonly policyName: string;
  readonly doc: YamlDocument;
  readonly file: string;
  readonly paramRef?: Omit<ParamSpec, "apiVersion" | "kind">;
  readonly match?: MatchSpec;
  readonly validationActions: readonly ("Deny" | "Warn" | "Audit")[];
}

const METADATA_FIELDS = [
  "name",
  "namespace",
  "labels",
  "annotations",
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "managedFields",
  "generateName",
];

/** `matchConstraints` / `matchResources`: resource rules plus namespace and object selectors. */
export function matchResources(f: Fields, path: Path, required: boolean): MatchSpec | undefined {
  const obj = f.object(
    path,
    ["resourceRules", "excludeResourceRules", "namespaceSelector", "objectSelector", "matchPolicy"],
    { required },
  );
  if (!obj) return undefined;
  f.enumValue([...path, "matchPolicy"], ["Equivalent", "Exact"] as const, "Equivalent");
  const nsSel = labelSelector(f, [...path, "namespaceSelector"]);
  const objSel = labelSelector(f, [...path, "objectSelector"]);
  return {
    type: "constraints",
    resourceRules: resourceRules(f, [...path, "resourceRules"]),
    ...(required ? {} : { narrowsOnly: true }),
    excludeResourceRules: resourceRules(f, [...path, "excludeResourceRules"]),
    ...(nsSel ? { namespaceSelector: nsSel } : {}),
    ...(objSel ? { objectSelector: objSel } : {}),
  };
}

/** `validations` in the ValidatingAdmissionPolicy form (`expression`, `message`, `messageExpression`, `reason`). */
export function vapValidations(f: Fields, path: Path, required: boolean): ValidationSpec[] {
  return f.list(path, { required, nonEmpty: required }).map((_, i) => {
    const p = [...path, i];
    f.object(p, ["expression", "message", "messageExpression", "reason"], { required: true });
    const message = f.string([...p, "message"]);
    const messageExpr = optionalExpression(f, [...p, "messageExpression"]);
    const reason = f.enumValue(
      [...p, "reason"],
      ["Unauthorized", "Forbidden", "Invalid", "RequestEntityTooLarge"] as const,
      "Invalid",
    );
    return {
      expr: expression(f, [...p, "expression"]),
      ...(message !== undefined ? { message } : {}),
      ...(messageExpr ? { messageExpr } : {}),
      reason,
    };
  });
}

export function auditAnnotations(f: Fields, path: Path): RuleSpec["auditAnnotations"] {
  return f.list(path).map((_, i) => {
    const p = [...path, i];
    f.object(p, ["key", "valueExpression"], { required: true });
    return { key: f.requiredString([...p, "key"]), valueExpr: expression(f, [...p, "valueExpression"]) };
  });
}

export function loadVap(doc: YamlDocument, file: string): VapPolicy {
  const f = new Fields(doc);
  f.object([], ["apiVersion", "kind", "metadata", "spec", "status"]);
  f.object(["metadata"], METADATA_FIELDS, { required: true });
  const name = f.requiredString(["metadata", "name"]);
  f.object(
    ["spec"],
    [
      "paramKind",
      "matchConstraints",
      "validations",
      "failurePolicy",
      "auditAnnotations",
      "matchConditions",
      "variables",
    ],
    { required: true },
  );
  const pk = f.object(["spec", "paramKind"], ["apiVersion", "kind"]);
  const validations = vapValidations(f, ["spec", "validations"], false);
  const annotations = auditAnnotations(f, ["spec", "auditAnnotations"]);
  if (validations.length === 0 && annotations.length === 0)
    f.fail(["spec", "validations"], "spec.validations or spec.auditAnnotations must have at least one entry");
  return {
    name,
    doc,
    file,
    ...(pk
      ? {
          paramKind: {
            apiVersion: f.requiredString(["spec", "paramKind", "apiVersion"]),
            kind: f.requiredString(["spec", "paramKind", "kind"]),
          },
        }
      : {}),
    match: matchResources(f, ["spec", "matchConstraints"], true)!,
    failurePolicy: f.enumValue(["spec", "failurePolicy"], ["Fail", "Ignore"] as const, "Fail"),
    matchConditions: namedExpressions(f, ["spec", "matchConditions"]),
    variables: namedExpressions(f, ["spec", "variables"]),
    validations,
    auditAnnotations: annotations,
  };
}

export function paramRef(f: Fields, path: Path): Omit<ParamSpec, "apiVersion" | "kind"> | undefined {
  const obj = f.object(path, ["name", "namespace", "selector", "parameterNotFoundAction"]);
  if (!obj) return undefined;
  const name = f.string([...path, "name"]);
  const namespace = f.string([...path, "namespace"]);
  const selector = labelSelector(f, [...path, "selector"]);
  if (name !== undefined && selector)
    f.fail(path, "paramRef.name and paramRef.selector are mutually exclusive");
  return {
    ...(name !== undefined ? { name } : {}),
    ...(namespace !== undefined ? { namespace } : {}),
    ...(selector ? { selector } : {}),
    notFound: f.enumValue([...path, "parameterNotFoundAction"], ["Allow", "Deny"] as const, "Deny"),
  };
}

export function loadVapBinding(doc: YamlDocument, file: string): VapBinding {
  const f = new Fields(doc);
  f.object([], ["apiVersion", "kind", "metadata", "spec"]);
  f.object(["metadata"], METADATA_FIELDS, { required: true });
  f.object(["spec"], ["policyName", "paramRef", "matchResources", "validationActions"], { required: true });
  const actions = f.stringList(["spec", "validationActions"], { required: true });
  if (actions.length === 0) f.fail(["spec", "validationActions"], "spec.validationActions must not be empty");
  actions.forEach((a, i) => {
    if (!["Deny", "Warn", "Audit"].includes(a))
      f.fail(
        ["spec", "validationActions", i],
        `validation action must be Deny, Warn or Audit, got ${JSON.stringify(a)}`,
      );
  });
  if (actions.includes("Deny") && actions.includes("Warn"))
    f.fail(["spec", "validationActions"], "Deny and Warn may not be used together");
  const ref = paramRef(f, ["spec", "paramRef"]);
  const match = matchResources(f, ["spec", "matchResources"], false);
  return {
    name: f.requiredString(["metadata", "name"]),
    policyName: f.requiredString(["spec", "policyName"]),
    doc,
    file,
    ...(ref ? { paramRef: ref } : {}),
    ...(match ? { match } : {}),
    validationActions: actions as VapBinding["validationActions"],
  };
}

export function enforcementOf(actions: readonly string[]): Enforcement {
  if (actions.includes("Deny")) return "deny";
  if (actions.includes("Warn")) return "warn";
  return "audit";
}

/**
 * One rule per (policy, binding). A policy without a binding is evaluated as if bound with
 * `validationActions: [Deny]` and no params — the useful default in CI, documented in docs/policies.md.
 */
export function combineVap(policy: VapPolicy, bindings: readonly VapBinding[]): RuleSpec[] {
  const title = annotation(policy.doc, "bulwark.dev/title") ?? policy.name;
  const severity = severityFrom(annotation(policy.doc, "bulwark.dev/severity"), "high");
  const base = {
    title,
    severity,
    origin: "validating-admission-policy" as const,
    doc: policy.doc,
    file: policy.file,
    location: policy.doc.location,
    failurePolicy: policy.failurePolicy,
    matchConditions: policy.matchConditions,
    variables: policy.variables,
    validations: policy.validations,
    auditAnnotations: policy.auditAnnotations,
    exceptions: [],
  };
  if (bindings.length === 0) {
    return [{ ...base, id: policy.name, match: policy.match, enforcement: "deny" }];
  }
  return bindings.map((b) => {
    if (policy.paramKind && !b.paramRef) {
      new Fields(b.doc).fail(
        ["spec"],
        `policy ${policy.name} declares paramKind, so binding ${b.name} needs spec.paramRef`,
      );
    }
    const match: MatchSpec =
      b.match && policy.match.type === "constraints" ? { ...policy.match, and: [b.match] } : policy.match;
    return {
      ...base,
      id: bindings.length === 1 ? policy.name : `${policy.name}/${b.name}`,
      match,
      enforcement: enforcementOf(b.validationActions),
      ...(policy.paramKind && b.paramRef ? { params: { ...policy.paramKind, ...b.paramRef } } : {}),
    };
  });
}
