import type { YamlDocument } from "../../core/index.js";
import type { AutogenSpec, KyvernoResourceFilter, LabelSelector, MatchSpec, RuleSpec } from "../model.js";
import type { Enforcement } from "../types.js";
import { annotation, labelSelector, namedExpressions, severityFrom } from "./common.js";
import { Fields, type Path } from "./fields.js";
import { POD_CONTROLLERS } from "./kubernetes.js";
import { auditAnnotations, enforcementOf, matchResources, paramRef, vapValidations } from "./vap.js";

export const KYVERNO_POLICY_API_VERSIONS = ["kyverno.io/v1", "kyverno.io/v2beta1"];
export const KYVERNO_VP_API_VERSIONS = [
  "policies.kyverno.io/v1",
  "policies.kyverno.io/v1beta1",
  "policies.kyverno.io/v1alpha1",
];

const AUTOGEN_ANNOTATION = "pod-policies.kyverno.io/autogen-controllers";
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
];

function failureAction(f: Fields, path: Path): Enforcement | undefined {
  const v = f.string(path);
  if (v === undefined) return undefined;
  const lower = v.toLowerCase();
  if (lower === "enforce") return "deny";
  if (lower === "audit") return "audit";
  return f.fail(path, `${path.join(".")} must be Enforce or Audit, got ${JSON.stringify(v)}`);
}

function resourceFilter(f: Fields, path: Path): KyvernoResourceFilter {
  f.object(path, ["resources", "subjects", "roles", "clusterRoles"], {
    required: true,
    unsupported: ["subjects", "roles", "clusterRoles"],
  });
  const r = [...path, "resources"];
  f.object(
    r,
    ["kinds", "names", "name", "namespaces", "operations", "selector", "namespaceSelector", "annotations"],
    { required: true },
  );
  const name = f.string([...r, "name"]);
  const selector = labelSelector(f, [...r, "selector"]);
  const namespaceSelector = labelSelector(f, [...r, "namespaceSelector"]);
  const annotationsObj = f.object(
    [...r, "annotations"],
    Object.keys((f.get([...r, "annotations"]) as object | undefined) ?? {}),
  );
  const annotations: Record<string, string> = {};
  for (const k of Object.keys(annotationsObj ?? {}))
    annotations[k] = f.requiredString([...r, "annotations", k]);
  return {
    kinds: f.stringList([...r, "kinds"]),
    names: [...f.stringList([...r, "names"]), ...(name !== undefined ? [name] : [])],
    namespaces: f.stringList([...r, "namespaces"]),
    operations: f.stringList([...r, "operations"]),
    ...(selector ? { selector } : {}),
    ...(namespaceSelector ? { namespaceSelector } : {}),
    ...(annotationsObj ? { annotations } : {}),
  };
}

/** `match`/`exclude`: either `any`/`all` lists or a bare `resources` block (the older form). */
function filters(
  f: Fields,
  path: Path,
  required: boolean,
): { any: KyvernoResourceFilter[]; all: KyvernoResourceFilter[] } {
  const obj = f.object(path, ["any", "all", "resources", "subjects", "roles", "clusterRoles"], {
    required,
    unsupported: ["subjects", "roles", "clusterRoles"],
  });
  if (!obj) return { any: [], all: [] };
  const any = f.list([...path, "any"]).map((_, i) => resourceFilter(f, [...path, "any", i]));
  const all = f.list([...path, "all"]).map((_, i) => resourceFilter(f, [...path, "all", i]));
  if (obj["resources"] !== undefined) {
    if (any.length || all.length) f.fail([...path, "resources"], "use either resources or any/all, not both");
    all.push(resourceFilter(f, path));
  }
  return { any, all };
}

function kindsOf(m: { any: KyvernoResourceFilter[]; all: KyvernoResourceFilter[] }): string[] {
  return [...m.any, ...m.all].flatMap((x) => x.kinds.map((k) => k.split("/").at(-1)!));
}

/** Kyverno's rule for when a policy's Pod rules are also generated for pod controllers. */
function canAutogen(filtersList: KyvernoResourceFilter[]): boolean {
  let needed = false;
  for (const x of filtersList) {
    if (x.names.length || x.selector || x.annotations) return false;
    const kinds = x.kinds.map((k) => k.split("/").at(-1)!);
    if (kinds.length > 1 && kinds.includes("Pod")) return false;
    if (kinds.some((k) => k === "Pod" || (POD_CONTROLLERS as readonly string[]).includes(k))) needed = true;
  }
  return needed;
}

function requestedControllers(doc: YamlDocument): Set<string> | undefined {
  const v = annotation(doc, AUTOGEN_ANNOTATION);
  if (v === undefined || v === "") return undefined;
  if (v === "none") return new Set();
  return new Set(v.split(",").map((s) => s.trim()));
}

/**
 * Kyverno `ClusterPolicy` / namespaced `Policy`. Only `validate.cel` rules can be evaluated from
 * CEL; every other rule type is refused by name rather than skipped, so nothing silently passes.
 */
export function loadKyvernoPolicy(doc: YamlDocument, file: string): RuleSpec[] {
  const f = new Fields(doc);
  f.object([], ["apiVersion", "kind", "metadata", "spec", "status"]);
  f.object(["metadata"], METADATA_FIELDS, { required: true });
  const policyName = f.requiredString(["metadata", "name"]);
  const policyNamespace =
    (f.get([]) as { kind?: string }).kind === "Policy"
      ? (f.string(["metadata", "namespace"]) ?? "default")
      : undefined;
  f.object(
    ["spec"],
    [
      "rules",
      "validationFailureAction",
      "background",
      "failurePolicy",
      "admission",
      "webhookTimeoutSeconds",
      "schemaValidation",
      "emitWarning",
      "applyRules",
      "useServerSideApply",
      "webhookConfiguration",
      "validationFailureActionOverrides",
      "mutateExistingOnPolicyUpdate",
      "generateExisting",
      "generateExistingOnPolicyUpdate",
    ],
    {
      required: true,
      unsupported: [
        "validationFailureActionOverrides",
        "mutateExistingOnPolicyUpdate",
        "generateExisting",
        "generateExistingOnPolicyUpdate",
      ],
    },
  );
  const applyRules = f.enumValue(["spec", "applyRules"], ["All", "One"] as const, "All");
  if (applyRules === "One")
    f.fail(["spec", "applyRules"], "applyRules: One is not supported; use All", "POLICY_UNSUPPORTED");
  const policyAction = failureAction(f, ["spec", "validationFailureAction"]) ?? "audit";
  const failurePolicy = f.enumValue(["spec", "failurePolicy"], ["Fail", "Ignore"] as const, "Fail");
  const title = annotation(doc, "policies.kyverno.io/title") ?? policyName;
  const severity = severityFrom(annotation(doc, "policies.kyverno.io/severity"));
  const description = annotation(doc, "policies.kyverno.io/description");

  const parsed = f.list(["spec", "rules"], { required: true, nonEmpty: true }).map((_, i) => {
    const p: Path = ["spec", "rules", i];
    f.object(
      p,
      [
        "name",
        "match",
        "exclude",
        "validate",
        "celPreconditions",
        "skipBackgroundRequests",
        "reportProperties",
        "context",
        "preconditions",
        "mutate",
        "generate",
        "verifyImages",
        "imageExtractors",
      ],
      {
        required: true,
        unsupported: ["context", "preconditions", "mutate", "generate", "verifyImages", "imageExtractors"],
      },
    );
    const name = f.requiredString([...p, "name"]);
    const match = filters(f, [...p, "match"], true);
    const exclude = filters(f, [...p, "exclude"], false);
    const v = [...p, "validate"];
    f.object(
      v,
      [
        "cel",
        "message",
        "failureAction",
        "allowExistingViolations",
        "failureActionOverrides",
        "pattern",
        "anyPattern",
        "deny",
        "foreach",
        "podSecurity",
        "assert",
        "manifests",
      ],
      {
        required: true,
        unsupported: [
          "failureActionOverrides",
          "pattern",
          "anyPattern",
          "deny",
          "foreach",
          "podSecurity",
          "assert",
          "manifests",
        ],
      },
    );
    const c = [...v, "cel"];
    f.object(c, ["expressions", "paramKind", "paramRef", "auditAnnotations", "variables", "generate"], {
      required: true,
      unsupported: ["generate"],
    });
    const pk = f.object([...c, "paramKind"], ["apiVersion", "kind"]);
    const ref = paramRef(f, [...c, "paramRef"]);
    if (pk && !ref) f.fail([...c, "paramKind"], "paramKind needs a paramRef beside it");
    return {
      name,
      path: p,
      match,
      exclude,
      enforcement: failureAction(f, [...v, "failureAction"]) ?? policyAction,
      message: f.string([...v, "message"]),
      validations: vapValidations(f, [...c, "expressions"], true),
      variables: namedExpressions(f, [...c, "variables"]),
      auditAnnotations: auditAnnotations(f, [...c, "auditAnnotations"]),
      matchConditions: namedExpressions(f, [...p, "celPreconditions"]),
      params:
        pk && ref
          ? {
              apiVersion: f.requiredString([...c, "paramKind", "apiVersion"]),
              kind: f.requiredString([...c, "paramKind", "kind"]),
              ...ref,
            }
          : undefined,
    };
  });

  const allFilters = parsed.flatMap((r) => [
    ...r.match.any,
    ...r.match.all,
    ...r.exclude.any,
    ...r.exclude.all,
  ]);
  const supported = canAutogen(allFilters);
  const requested = requestedControllers(doc);
  const controllers = !supported ? new Set<string>() : (requested ?? new Set<string>(POD_CONTROLLERS));

  return parsed.map((r) => {
    const podRule = kindsOf(r.match).includes("Pod");
    const autogen: AutogenSpec | undefined =
      podRule && controllers.size > 0
        ? {
            controllers,
            idFor: (kind) =>
              `${policyName}/${(kind === "CronJob" ? `autogen-cronjob-${r.name}` : `autogen-${r.name}`).slice(0, 63)}`,
          }
        : undefined;
    const namespaceOnly: KyvernoResourceFilter[] = policyNamespace
      ? [{ kinds: [], names: [], namespaces: [policyNamespace], operations: [] }]
      : [];
    const match: MatchSpec = {
      type: "kyverno",
      any: r.match.any,
      all: [...r.match.all, ...namespaceOnly],
      excludeAny: r.exclude.any,
      excludeAll: r.exclude.all,
    };
    const validations = r.message
      ? r.validations.map((x) => (x.message || x.messageExpr ? x : { ...x, message: r.message! }))
      : r.validations;
    return {
      id: `${policyName}/${r.name}`,
      title,
      severity,
      origin: "kyverno-cluster-policy" as const,
      ...(description !== undefined ? { description } : {}),
      doc,
      file,
      location: doc.locate(r.path),
      match,
      enforcement: r.enforcement,
      failurePolicy,
      matchConditions: r.matchConditions,
      variables: r.variables,
      validations,
      auditAnnotations: r.auditAnnotations,
      exceptions: [],
      ...(r.params ? { params: r.params } : {}),
      ...(autogen ? { autogen } : {}),
    };
  });
}

function podsOnly(match: MatchSpec): boolean {
  if (match.type !== "constraints" || match.resourceRules.length !== 1 || match.excludeResourceRules.length)
    return false;
  if (hasSelector(match.namespaceSelector) || hasSelector(match.objectSelector)) return false;
  const r = match.resourceRules[0]!;
  return (
    !r.resourceNames?.length &&
    r.apiGroups.length === 1 &&
    r.apiGroups[0] === "" &&
    r.apiVersions.length === 1 &&
    r.apiVersions[0] === "v1" &&
    r.resources.length === 1 &&
    r.resources[0] === "pods"
  );
}

function hasSelector(s: LabelSelector | undefined): boolean {
  return Boolean(s && (Object.keys(s.matchLabels ?? {}).length || s.matchExpressions?.length));
}

const CONTROLLER_BY_RESOURCE: Record<string, string> = {
  daemonsets: "DaemonSet",
  deployments: "Deployment",
  jobs: "Job",
  statefulsets: "StatefulSet",
  replicasets: "ReplicaSet",
  replicationcontrollers: "ReplicationController",
  cronjobs: "CronJob",
};

/** Kyverno `ValidatingPolicy` (policies.kyverno.io): the VAP shape plus Kyverno's extras. */
export function loadKyvernoValidatingPolicy(doc: YamlDocument, file: string): RuleSpec {
  const f = new Fields(doc);
  f.object([], ["apiVersion", "kind", "metadata", "spec", "status"]);
  f.object(["metadata"], METADATA_FIELDS, { required: true });
  const name = f.requiredString(["metadata", "name"]);
  f.object(
    ["spec"],
    [
      "validationActions",
      "matchConstraints",
      "matchConditions",
      "variables",
      "validations",
      "auditAnnotations",
      "failurePolicy",
      "autogen",
      "evaluation",
      "webhookConfiguration",
      "paramKind",
      "admission",
      "background",
    ],
    { required: true, unsupported: ["paramKind"] },
  );
  const actions =
    f.get(["spec", "validationActions"]) === undefined
      ? ["Deny"]
      : f.stringList(["spec", "validationActions"]);
  actions.forEach((a, i) => {
    if (!["Deny", "Warn", "Audit"].includes(a))
      f.fail(
        ["spec", "validationActions", i],
        `validation action must be Deny, Warn or Audit, got ${JSON.stringify(a)}`,
      );
  });
  f.object(["spec", "autogen"], ["podControllers"]);
  f.object(["spec", "autogen", "podControllers"], ["controllers"]);
  const listed = f.get(["spec", "autogen", "podControllers", "controllers"]) !== undefined;
  const controllerResources = f.stringList(["spec", "autogen", "podControllers", "controllers"]);
  const controllers = new Set<string>();
  for (const [i, c] of controllerResources.entries()) {
    const kind =
      CONTROLLER_BY_RESOURCE[c.toLowerCase()] ?? (POD_CONTROLLERS as readonly string[]).find((k) => k === c);
    if (!kind)
      return f.fail(
        ["spec", "autogen", "podControllers", "controllers", i],
        `unknown pod controller ${JSON.stringify(c)}`,
      );
    controllers.add(kind);
  }
  const match = matchResources(f, ["spec", "matchConstraints"], true)!;
  // Kyverno generates pod-controller rules by default when the policy matches exactly core/v1 pods
  // (no selectors, exclusions or names); `spec.autogen.podControllers.controllers` narrows it.
  if (!listed && podsOnly(match)) for (const k of POD_CONTROLLERS) controllers.add(k);
  f.object(["spec", "evaluation"], ["mode", "admission", "background"]);
  const mode = f.enumValue(["spec", "evaluation", "mode"], ["Kubernetes", "JSON"] as const, "Kubernetes");
  if (mode === "JSON")
    f.fail(
      ["spec", "evaluation", "mode"],
      "evaluation.mode: JSON is not supported yet; use a native bulwark.dev/v1 Policy for non-Kubernetes input",
      "POLICY_UNSUPPORTED",
    );
  const validations = vapValidations(f, ["spec", "validations"], false);
  const annotations = auditAnnotations(f, ["spec", "auditAnnotations"]);
  if (validations.length === 0 && annotations.length === 0)
    f.fail(["spec", "validations"], "spec.validations or spec.auditAnnotations must have at least one entry");
  const description = annotation(doc, "policies.kyverno.io/description");
  return {
    id: name,
    title: annotation(doc, "policies.kyverno.io/title") ?? name,
    severity: severityFrom(annotation(doc, "policies.kyverno.io/severity")),
    origin: "kyverno-validating-policy",
    ...(description !== undefined ? { description } : {}),
    doc,
    file,
    location: doc.location,
    match,
    enforcement: enforcementOf(actions),
    failurePolicy: f.enumValue(["spec", "failurePolicy"], ["Fail", "Ignore"] as const, "Fail"),
    matchConditions: namedExpressions(f, ["spec", "matchConditions"]),
    variables: namedExpressions(f, ["spec", "variables"]),
    validations,
    auditAnnotations: annotations,
    exceptions: [],
    ...(controllers.size
      ? {
          autogen: {
            controllers,
            // Kyverno names the generated policies autogen-<name> and autogen-cronjobs-<name>.
            idFor: (kind: string) => (kind === "CronJob" ? `autogen-cronjobs-${name}` : `autogen-${name}`),
          },
        }
      : {}),
  };
}
