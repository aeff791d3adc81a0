import type { KyvernoResourceFilter, LabelSelector, MatchSpec, ResourceRule } from "../model.js";

/** Kinds whose objects carry a pod template, and where it is. */
export const POD_CONTROLLERS = [
  "DaemonSet",
  "Deployment",
  "Job",
  "StatefulSet",
  "ReplicaSet",
  "ReplicationController",
  "CronJob",
] as const;

export const TEMPLATE_PATH: Readonly<Record<string, readonly string[]>> = {
  DaemonSet: ["spec", "template"],
  Deployment: ["spec", "template"],
  Job: ["spec", "template"],
  StatefulSet: ["spec", "template"],
  ReplicaSet: ["spec", "template"],
  ReplicationController: ["spec", "template"],
  CronJob: ["spec", "jobTemplate", "spec", "template"],
};

/** Kubernetes object facts the matchers need, read once per input document. */
export interface KubeFacts {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly resource: string;
  readonly namespaced: boolean;
  readonly namespace?: string;
  readonly name?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** Labels of the namespace object when one was supplied with the input. */
  readonly namespaceLabels: Readonly<Record<string, string>>;
  readonly operation: string;
}

const CLUSTER_SCOPED = new Set([
  "Namespace",
  "Node",
  "PersistentVolume",
  "ClusterRole",
  "ClusterRoleBinding",
  "CustomResourceDefinition",
  "StorageClass",
  "PriorityClass",
  "ValidatingWebhookConfiguration",
  "MutatingWebhookConfiguration",
  "ValidatingAdmissionPolicy",
  "ValidatingAdmissionPolicyBinding",
  "APIService",
  "CSIDriver",
  "CSINode",
  "IngressClass",
  "RuntimeClass",
  "ClusterPolicy",
  "VolumeAttachment",
  "CertificateSigningRequest",
  "ComponentStatus",
  "ValidatingPolicy",
]);

const IRREGULAR_PLURALS: Record<string, string> = {
  Endpoints: "endpoints",
  NetworkPolicy: "networkpolicies",
  PodSecurityPolicy: "podsecuritypolicies",
  Ingress: "ingresses",
  IngressClass: "ingressclasses",
  StorageClass: "storageclasses",
  PriorityClass: "priorityclasses",
  RuntimeClass: "runtimeclasses",
  ClusterPolicy: "clusterpolicies",
  ValidatingAdmissionPolicy: "validatingadmissionpolicies",
  ValidatingPolicy: "validatingpolicies",
};

/** The REST resource name of a kind (`Deployment` → `deployments`), as the API server names it. */
export function resourceOf(kind: string): string {
  const irregular = IRREGULAR_PLURALS[kind];
  if (irregular) return irregular;
  const k = kind.toLowerCase();
  if (/[^aeiou]y$/.test(k)) return `${k.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/.test(k)) return `${k}es`;
  return `${k}s`;
}

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.lastIndexOf("/");
  return i < 0
    ? { group: "", version: apiVersion }
    : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

export function isNamespacedKind(kind: string): boolean {
  return !CLUSTER_SCOPED.has(kind);
}

export function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (v && typeof v === "object" && !Array.isArray(v)) {
    for (const [k, val] of Object.entries(v)) if (typeof val === "string") out[k] = val;
  }
  return out;
}

/**
 * The view Kyverno's autogen gives a rule written for Pods when it runs on a controller: `object.spec`
 * and `object.metadata` point into the pod template (Kyverno rewrites `object.spec` →
 * `object.spec.template.spec` and `object.metadata` → `object.spec.template.metadata`; this is the
 * same without touching the expression text).
 */
export function podTemplateView(object: unknown, kind: string): Record<string, unknown> | undefined {
  const path = TEMPLATE_PATH[kind];
  if (!path || !object || typeof object !== "object") return undefined;
  let t: unknown = object;
  for (const p of path) {
    if (!t || typeof t !== "object") return undefined;
    t = (t as Record<string, unknown>)[p];
  }
  if (!t || typeof t !== "object") return undefined;
  const template = t as Record<string, unknown>;
  const view: Record<string, unknown> = { ...(object as Record<string, unknown>) };
  if (template["metadata"] === undefined) delete view["metadata"];
  else view["metadata"] = template["metadata"];
  if (template["spec"] === undefined) delete view["spec"];
  else view["spec"] = template["spec"];
  return view;
}

export function selectorMatches(
  selector: LabelSelector | undefined,
  labels: Readonly<Record<string, string>>,
): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const value = labels[e.key];
    switch (e.operator) {
      case "In":
        if (!has || !e.values?.includes(value!)) return false;
        break;
      case "NotIn":
        if (has && e.values?.includes(value!)) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
      default: {
        const never: never = e.operator;
        throw new Error(`unknown operator ${String(never)}`);
      }
    }
  }
  return true;
}

function listMatch(patterns: readonly string[], value: string): boolean {
  return patterns.includes("*") || patterns.includes(value);
}

/** Kyverno wildcard (`*` any run, `?` one character) matching. */
export function wildcardMatch(pattern: string, value: string): boolean {
  if (!pattern.includes("*") && !pattern.includes("?")) return pattern === value;
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replaceAll("*", ".*")
      .replaceAll("?", ".")}$`,
  );
  return re.test(value);
}

function resourceRuleMatches(rule: ResourceRule, k: KubeFacts): boolean {
  if (!listMatch(rule.apiGroups, k.group)) return false;
  if (!listMatch(rule.apiVersions, k.version)) return false;
  if (!listMatch(rule.operations, k.operation) && !rule.operations.includes("*")) return false;
  if (
    !rule.resources.includes("*") &&
    !rule.resources.includes(k.resource) &&
    !rule.resources.includes(`${k.resource}/*`)
  )
    return false;
  const scope = rule.scope ?? "*";
  if (scope === "Cluster" && k.namespaced) return false;
  if (scope === "Namespaced" && !k.namespaced) return false;
  if (rule.resourceNames?.length && !rule.resourceNames.includes(k.name ?? "")) return false;
  return true;
}

/** Kyverno `kinds` entries: `Kind`, `version/Kind`, `group/version/Kind`, each part may hold wildcards. */
function kyvernoKindMatches(entry: string, k: KubeFacts): boolean {
  const parts = entry.split("/");
  const kind = parts.at(-1)!;
  if (!wildcardMatch(kind, k.kind)) return false;
  if (parts.length === 2) return wildcardMatch(parts[0]!, k.version);
  if (parts.length >= 3) return wildcardMatch(parts[0]!, k.group) && wildcardMatch(parts[1]!, k.version);
  return true;
}

function kyvernoFilterMatches(f: KyvernoResourceFilter, k: KubeFacts): boolean {
  if (f.kinds.length && !f.kinds.some((e) => kyvernoKindMatches(e, k))) return false;
  if (f.names.length && !f.names.some((n) => wildcardMatch(n, k.name ?? ""))) return false;
  if (f.namespaces.length && !f.namespaces.some((n) => wildcardMatch(n, k.namespace ?? ""))) return false;
  if (f.operations.length && !f.operations.includes(k.operation)) return false;
  if (f.selector && !selectorMatches(f.selector, k.labels)) return false;
  if (f.namespaceSelector && !selectorMatches(f.namespaceSelector, k.namespaceLabels)) return false;
  if (f.annotations) {
    for (const [key, pattern] of Object.entries(f.annotations)) {
      const v = k.annotations[key];
      if (v === undefined || !wildcardMatch(pattern, v)) return false;
    }
  }
  return true;
}

/**
 * Whether a Kubernetes object is selected by a match spec. Native `kinds` matching is done by the
 * engine (it also covers non-Kubernetes inputs), so it is not handled here.
 */
export function kubeMatches(spec: MatchSpec, k: KubeFacts): boolean {
  switch (spec.type) {
    case "kinds":
      return spec.kinds.includes("*") || spec.kinds.includes(k.kind);
    case "constraints": {
      const anyResource = spec.narrowsOnly && spec.resourceRules.length === 0;
      if (!anyResource && !spec.resourceRules.some((r) => resourceRuleMatches(r, k))) return false;
      if (spec.excludeResourceRules.some((r) => resourceRuleMatches(r, k))) return false;
      // The namespace selector applies to namespaced objects only (and to Namespaces themselves).
      if (k.namespaced || k.kind === "Namespace") {
        const labels = k.kind === "Namespace" ? k.labels : k.namespaceLabels;
        if (!selectorMatches(spec.namespaceSelector, labels)) return false;
      }
      if (!selectorMatches(spec.objectSelector, k.labels)) return false;
      return (spec.and ?? []).every((s) => kubeMatches(s, k));
    }
    case "kyverno": {
      const included =
        (spec.any.length === 0 || spec.any.some((f) => kyvernoFilterMatches(f, k))) &&
        spec.all.every((f) => kyvernoFilterMatches(f, k));
      if (!included || (spec.any.length === 0 && spec.all.length === 0)) return false;
      if (spec.excludeAny.some((f) => kyvernoFilterMatches(f, k))) return false;
      if (spec.excludeAll.length && spec.excludeAll.every((f) => kyvernoFilterMatches(f, k))) return false;
      return true;
    }
    default: {
      const never: never = spec;
      throw new Error(`unknown match spec ${JSON.stringify(never)}`);
    }
  }
}
