import { describe, expect, it } from "vitest";
import { CRONJOB, DEPLOYMENT, engine, errorOf, evaluate, policySet } from "./helpers.js";

// The example from the Kubernetes documentation ("Validating Admission Policy"), unchanged.
const VAP = `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: "demo-policy.example.com"
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - apiGroups:   ["apps"]
      apiVersions: ["v1"]
      operations:  ["CREATE", "UPDATE"]
      resources:   ["deployments"]
  validations:
    - expression: "object.spec.replicas <= 5"
`;

const BINDING = `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: "demo-binding-test.example.com"
spec:
  policyName: "demo-policy.example.com"
  validationActions: [Deny]
  matchResources:
    namespaceSelector:
      matchLabels:
        environment: test
`;

const PARAM_VAP = `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: "replicalimit-policy.example.com"
spec:
  failurePolicy: Fail
  paramKind:
    apiVersion: rules.example.com/v1
    kind: ReplicaLimit
  matchConstraints:
    resourceRules:
    - apiGroups:   ["apps"]
      apiVersions: ["v1"]
      operations:  ["CREATE", "UPDATE"]
      resources:   ["deployments"]
  validations:
    - expression: "object.spec.replicas <= params.maxReplicas"
      messageExpression: "'object.spec.replicas must be no greater than ' + string(params.maxReplicas)"
      reason: Invalid
  auditAnnotations:
    - key: replicas
      valueExpression: "'replicas: ' + string(object.spec.replicas)"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: "replicalimit-binding-test.example.com"
spec:
  policyName: "replicalimit-policy.example.com"
  validationActions: [Deny]
  paramRef:
    name: "replica-limit-test.example.com"
    namespace: "default"
    parameterNotFoundAction: Deny
---
apiVersion: rules.example.com/v1
kind: ReplicaLimit
metadata:
  name: "replica-limit-test.example.com"
  namespace: "default"
maxReplicas: 3
`;

const NAMESPACE_TEST =
  "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels: {environment: test}\n---\n";

describe("ValidatingAdmissionPolicy", () => {
  it("evaluates the documentation example unchanged (no binding: Deny)", () => {
    const r = evaluate({ "vap.yaml": VAP }, DEPLOYMENT);
    expect(r.decision).toBe("deny");
    expect(r.results[0]!.violations[0]).toMatchObject({
      policyId: "demo-policy.example.com",
      message: "failed expression: object.spec.replicas <= 5",
      reason: "Invalid",
    });
    expect(evaluate({ "vap.yaml": VAP }, DEPLOYMENT.replace("replicas: 7", "replicas: 5")).decision).toBe(
      "allow",
    );
  });

  it("matches resources, operations and API groups exactly", () => {
    expect(
      evaluate({ "vap.yaml": VAP }, DEPLOYMENT.replace("apps/v1", "apps/v1beta2")).results[0]!.evaluated,
    ).toEqual([]);
    expect(
      evaluate({ "vap.yaml": VAP.replace('["CREATE", "UPDATE"]', '["UPDATE"]') }, DEPLOYMENT).results[0]!
        .evaluated,
    ).toEqual([]);
    const exclude = VAP.replace(
      "  validations:",
      "    excludeResourceRules:\n    - apiGroups: ['apps']\n      apiVersions: ['*']\n      operations: ['*']\n      resources: ['deployments']\n      resourceNames: ['web']\n  validations:",
    );
    expect(evaluate({ "vap.yaml": exclude }, DEPLOYMENT).results[0]!.evaluated).toEqual([]);
  });

  it("applies a binding's namespaceSelector using Namespace objects given with the input", () => {
    const set = { "vap.yaml": VAP, "binding.yaml": BINDING };
    expect(evaluate(set, DEPLOYMENT).decision).toBe("allow");
    const r = evaluate(set, NAMESPACE_TEST + DEPLOYMENT);
    expect(r.decision).toBe("deny");
    expect(r.results[1]!.violations[0]!.policyId).toBe("demo-policy.example.com");
  });

  it("gives every namespaced object a namespaceObject, bare when none was supplied", () => {
    const vap = VAP.replace(
      '"object.spec.replicas <= 5"',
      "\"namespaceObject.metadata.name != 'default' && !has(namespaceObject.metadata.labels)\"",
    );
    expect(evaluate({ "vap.yaml": vap }, DEPLOYMENT).decision).toBe("allow");
    expect(
      evaluate({ "vap.yaml": vap }, DEPLOYMENT.replace("namespace: shop", "namespace: default")).decision,
    ).toBe("deny");
    expect(evaluate({ "vap.yaml": vap }, NAMESPACE_TEST + DEPLOYMENT).decision).toBe("deny");
  });

  it("maps validationActions to enforcement", () => {
    const warn = evaluate(
      { "vap.yaml": VAP, "b.yaml": BINDING.replace("[Deny]", "[Warn, Audit]") },
      NAMESPACE_TEST + DEPLOYMENT,
    );
    expect(warn.decision).toBe("warn");
    const audit = evaluate(
      { "vap.yaml": VAP, "b.yaml": BINDING.replace("[Deny]", "[Audit]") },
      NAMESPACE_TEST + DEPLOYMENT,
    );
    expect(audit.decision).toBe("allow");
    expect(audit.results[1]!.violations[0]!.enforcement).toBe("audit");
  });

  it("resolves params through the binding's paramRef and produces audit annotations", () => {
    const deploy = DEPLOYMENT.replace("namespace: shop", "namespace: default");
    const r = evaluate({ "p.yaml": PARAM_VAP }, deploy);
    expect(r.decision).toBe("deny");
    expect(r.results[0]!.violations[0]!.message).toBe("object.spec.replicas must be no greater than 3");
    expect(r.results[0]!.auditAnnotations).toEqual({
      "replicalimit-policy.example.com/replicas": "replicas: 7",
    });
    expect(evaluate({ "p.yaml": PARAM_VAP }, deploy.replace("replicas: 7", "replicas: 2")).decision).toBe(
      "allow",
    );
  });

  it("denies when the params object is missing and parameterNotFoundAction is Deny; allows with Allow", () => {
    const noParams = PARAM_VAP.split("---").slice(0, 2).join("---");
    const deploy = DEPLOYMENT.replace("namespace: shop", "namespace: default");
    const denied = evaluate({ "p.yaml": noParams }, deploy);
    expect(denied.decision).toBe("deny");
    expect(denied.results[0]!.violations[0]!.message).toMatch(/no params object ReplicaLimit/);
    expect(
      evaluate(
        { "p.yaml": noParams.replace("parameterNotFoundAction: Deny", "parameterNotFoundAction: Allow") },
        deploy,
      ).decision,
    ).toBe("allow");
  });

  it("rejects bindings to unknown policies and malformed bindings with located errors", () => {
    const orphan = errorOf(() => policySet({ "b.yaml": BINDING }));
    expect(orphan.code).toBe("POLICY_INVALID");
    expect(orphan.message).toMatch(/not in the policy set/);
    const bad = errorOf(() => policySet({ "vap.yaml": VAP, "b.yaml": BINDING.replace("[Deny]", "[Block]") }));
    expect(bad.message).toMatch(/validation action must be Deny, Warn or Audit/);
    expect(bad.location).toMatchObject({ file: "b.yaml", line: 7 });
    const both = errorOf(() =>
      policySet({ "vap.yaml": VAP, "b.yaml": BINDING.replace("[Deny]", "[Deny, Warn]") }),
    );
    expect(both.message).toMatch(/Deny and Warn/);
  });

  it("refuses unknown fields rather than ignoring them", () => {
    const e = errorOf(() =>
      policySet({
        "vap.yaml": VAP.replace("  failurePolicy: Fail", "  failurePolicy: Fail\n  validationz: []"),
      }),
    );
    expect(e.code).toBe("POLICY_INVALID");
    expect(e.message).toMatch(/unknown field spec\.validationz/);
  });
});

// From the Kyverno policy library (CEL variant), unchanged.
const KYVERNO = `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: disallow-privileged-containers
  annotations:
    policies.kyverno.io/title: Disallow Privileged Containers
    policies.kyverno.io/severity: medium
spec:
  validationFailureAction: Enforce
  background: true
  rules:
    - name: privileged-containers
      match:
        any:
        - resources:
            kinds:
              - Pod
            operations:
            - CREATE
            - UPDATE
      validate:
        cel:
          expressions:
            - expression: >-
                object.spec.containers.all(container, !has(container.securityContext) ||
                !has(container.securityContext.privileged) ||
                container.securityContext.privileged == false)
              message: >-
                Privileged mode is disallowed. The fields spec.containers[*].securityContext.privileged
                must be unset or set to \`false\`.
`;

describe("Kyverno ClusterPolicy (validate.cel)", () => {
  it("evaluates Pods and, through autogen, Deployments and CronJobs with Kyverno's rule names", () => {
    const pod = DEPLOYMENT.replace(
      /apiVersion: apps\/v1\nkind: Deployment[\s\S]*$/,
      "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: i, securityContext: {privileged: true}}]\n",
    );
    const r = evaluate({ "k.yaml": KYVERNO }, `${pod}---\n${DEPLOYMENT}---\n${CRONJOB}`);
    expect(r.decision).toBe("deny");
    expect(r.results.map((x) => x.violations.map((v) => v.policyId))).toEqual([
      ["disallow-privileged-containers/privileged-containers"],
      ["disallow-privileged-containers/autogen-privileged-containers"],
      ["disallow-privileged-containers/autogen-cronjob-privileged-containers"],
    ]);
    expect(r.results[0]!.violations[0]).toMatchObject({
      title: "Disallow Privileged Containers",
      severity: "medium",
      enforcement: "deny",
    });
  });

  it("honours the autogen-controllers annotation (none, or a list)", () => {
    const none = KYVERNO.replace(
      "    policies.kyverno.io/severity: medium",
      "    policies.kyverno.io/severity: medium\n    pod-policies.kyverno.io/autogen-controllers: none",
    );
    expect(evaluate({ "k.yaml": none }, DEPLOYMENT).results[0]!.evaluated).toEqual([]);
    const onlyCron = none.replace("autogen-controllers: none", "autogen-controllers: CronJob");
    expect(evaluate({ "k.yaml": onlyCron }, DEPLOYMENT).results[0]!.evaluated).toEqual([]);
    expect(evaluate({ "k.yaml": onlyCron }, CRONJOB).decision).toBe("deny");
  });

  it("does not autogen when the match names objects (as Kyverno)", () => {
    const named = KYVERNO.replace(
      "            kinds:\n              - Pod",
      "            kinds:\n              - Pod\n            names: [web-*]",
    );
    expect(evaluate({ "k.yaml": named }, DEPLOYMENT).results[0]!.evaluated).toEqual([]);
  });

  it("defaults to Audit like Kyverno, and honours per-rule failureAction", () => {
    const auditDefault = KYVERNO.replace("  validationFailureAction: Enforce\n", "");
    const r = evaluate({ "k.yaml": auditDefault }, DEPLOYMENT);
    expect(r.decision).toBe("allow");
    expect(r.results[0]!.violations[0]!.enforcement).toBe("audit");
    const ruleEnforce = auditDefault.replace(
      "      validate:\n",
      "      validate:\n        failureAction: Enforce\n",
    );
    expect(evaluate({ "k.yaml": ruleEnforce }, DEPLOYMENT).decision).toBe("deny");
  });

  it("respects exclude blocks and namespaced Policy scope", () => {
    const excl = KYVERNO.replace(
      "      validate:\n",
      "      exclude:\n        any:\n        - resources:\n            namespaces: [shop]\n      validate:\n",
    );
    expect(evaluate({ "k.yaml": excl }, DEPLOYMENT).results[0]!.evaluated).toEqual([]);
    const nsPolicy = KYVERNO.replace("kind: ClusterPolicy", "kind: Policy").replace(
      "  name: disallow-privileged-containers",
      "  name: disallow-privileged-containers\n  namespace: other",
    );
    expect(evaluate({ "k.yaml": nsPolicy }, DEPLOYMENT).results[0]!.evaluated).toEqual([]);
  });

  it.each([
    [
      "pattern rules",
      "        cel:",
      "        pattern:\n          spec: {}\n        cel:",
      /validate\.pattern is not supported/,
    ],
    ["mutate rules", "      validate:\n", "      mutate: {}\n      validate:\n", /mutate is not supported/],
    [
      "JMESPath preconditions",
      "      validate:\n",
      "      preconditions: {}\n      validate:\n",
      /preconditions is not supported/,
    ],
    [
      "subjects in match",
      "        - resources:\n            kinds:",
      "        - subjects: [{kind: User, name: x}]\n          resources:\n            kinds:",
      /subjects is not supported/,
    ],
  ])("refuses %s by name", (_name, from, to, message) => {
    const e = errorOf(() => policySet({ "k.yaml": KYVERNO.replace(from, to) }));
    expect(e.code).toBe("POLICY_UNSUPPORTED");
    expect(e.message).toMatch(message);
    expect(e.location?.file).toBe("k.yaml");
  });
});

const VALIDATING_POLICY = `apiVersion: policies.kyverno.io/v1alpha1
kind: ValidatingPolicy
metadata:
  name: check-labels
spec:
  validationActions: [Deny]
  matchConstraints:
    resourceRules:
    - apiGroups:   [apps]
      apiVersions: [v1]
      operations:  [CREATE, UPDATE]
      resources:   [deployments]
  variables:
    - name: environment
      expression: "object.metadata.?labels.?env.orValue('')"
  validations:
    - expression: "variables.environment in ['dev', 'staging', 'prod']"
      messageExpression: "'label env must be dev, staging or prod, got ' + variables.environment"
`;

describe("Kyverno ValidatingPolicy", () => {
  it("evaluates like a VAP with Kyverno's extras", () => {
    expect(evaluate({ "v.yaml": VALIDATING_POLICY }, DEPLOYMENT).decision).toBe("allow");
    const r = evaluate({ "v.yaml": VALIDATING_POLICY }, DEPLOYMENT.replace("env: prod", "env: qa"));
    expect(r.results[0]!.violations[0]).toMatchObject({
      policyId: "check-labels",
      message: "label env must be dev, staging or prod, got qa",
    });
  });

  it("generates pod-controller rules when spec.autogen lists controllers", () => {
    const podPolicy = `apiVersion: policies.kyverno.io/v1alpha1
kind: ValidatingPolicy
metadata:
  name: no-host-path
spec:
  autogen:
    podControllers:
      controllers: [deployments, cronjobs]
  matchConstraints:
    resourceRules:
    - apiGroups: [""]
      apiVersions: [v1]
      operations: [CREATE]
      resources: [pods]
  validations:
    - expression: "!has(object.spec.volumes) || object.spec.volumes.all(v, !has(v.hostPath))"
`;
    const r = evaluate({ "v.yaml": podPolicy }, `${DEPLOYMENT}---\n${CRONJOB}`);
    expect(r.results[0]!.violations.map((v) => v.policyId)).toEqual(["autogen-no-host-path"]);
    // CronJob listed, but its template has no hostPath: evaluated and allowed.
    expect(r.results[1]!.evaluated).toEqual(["autogen-cronjobs-no-host-path"]);
    // Without spec.autogen Kyverno covers every pod controller when the policy matches core/v1 pods only.
    const byDefault = podPolicy.replace(
      / {2}autogen:\n {4}podControllers:\n {6}controllers: \[deployments, cronjobs\]\n/,
      "",
    );
    expect(
      evaluate({ "v.yaml": byDefault }, DEPLOYMENT).results[0]!.violations.map((v) => v.policyId),
    ).toEqual(["autogen-no-host-path"]);
    // An explicit empty list turns it off.
    const off = podPolicy.replace("controllers: [deployments, cronjobs]", "controllers: []");
    expect(evaluate({ "v.yaml": off }, DEPLOYMENT).results[0]!.evaluated).toEqual([]);
  });

  it("refuses Kyverno's cluster and network libraries by name", () => {
    const lookup = VALIDATING_POLICY.replace(
      `variables.environment in ['dev', 'staging', 'prod']`,
      `resource.Get('v1', 'configmaps', 'default', 'envs').data.size() > 0`,
    );
    const e = errorOf(() => engine({ "v.yaml": lookup }));
    expect(e.code).toBe("POLICY_UNSUPPORTED");
    expect(e.message).toMatch(/resource\.Get is Kyverno's resource library/);
    expect(e.location).toMatchObject({ file: "v.yaml", line: 17 });
  });

  it("refuses JSON evaluation mode by name", () => {
    const e = errorOf(() =>
      policySet({ "v.yaml": VALIDATING_POLICY.replace("spec:\n", "spec:\n  evaluation:\n    mode: JSON\n") }),
    );
    expect(e.code).toBe("POLICY_UNSUPPORTED");
  });
});
