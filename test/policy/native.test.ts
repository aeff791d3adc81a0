import { describe, expect, it } from "vitest";
import { engine, errorOf, evaluate, POD, policySet } from "./helpers.js";

const PRIVILEGED = `apiVersion: bulwark.dev/v1
kind: Policy
metadata:
  id: KUBE-001
  title: Containers must not be privileged
  severity: critical
spec:
  kinds: [Pod]
  variables:
    - name: bad
      expression: "object.spec.containers.filter(c, c.?securityContext.?privileged.orValue(false))"
  validations:
    - expression: "size(variables.bad) == 0"
      messageExpression: "'privileged: ' + variables.bad.map(c, c.name).join(', ')"
      remediation: drop privileged
`;

describe("native policies", () => {
  it("denies a violating Pod with the messageExpression, remediation and locations", () => {
    const report = evaluate({ "p.yaml": PRIVILEGED }, POD);
    expect(report.decision).toBe("deny");
    expect(report.policySetDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const [result] = report.results;
    expect(result!.resource).toEqual({ apiVersion: "v1", kind: "Pod", namespace: "shop", name: "web" });
    expect(result!.evaluated).toEqual(["KUBE-001"]);
    expect(result!.violations).toEqual([
      expect.objectContaining({
        policyId: "KUBE-001",
        title: "Containers must not be privileged",
        severity: "critical",
        enforcement: "deny",
        message: "privileged: app",
        remediation: "drop privileged",
        location: expect.objectContaining({ file: "input.yaml", line: 1 }),
        policyLocation: expect.objectContaining({ file: "p.yaml", line: 13 }),
      }),
    ]);
  });

  it("allows a compliant Pod and does not apply to other kinds", () => {
    const ok = POD.replace("privileged: true", "privileged: false");
    expect(evaluate({ "p.yaml": PRIVILEGED }, ok).decision).toBe("allow");
    const svc = "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {}\n";
    const r = evaluate({ "p.yaml": PRIVILEGED }, svc);
    expect(r.decision).toBe("allow");
    expect(r.results[0]!.evaluated).toEqual([]);
  });

  it("applies Pod policies to pod templates of controllers (autogen), unless turned off", () => {
    const deploy = `apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      containers: [{name: x, image: i, securityContext: {privileged: true}}]
`;
    expect(evaluate({ "p.yaml": PRIVILEGED }, deploy).results[0]!.violations[0]!.message).toBe(
      "privileged: x",
    );
    const off = PRIVILEGED.replace("kinds: [Pod]", "kinds: [Pod]\n  autogen: false");
    expect(evaluate({ "p.yaml": off }, deploy).decision).toBe("allow");
  });

  it("uses enforcement to decide: warn allows with a warning, audit only records", () => {
    const warn = evaluate(
      { "p.yaml": PRIVILEGED.replace("kinds: [Pod]", "kinds: [Pod]\n  enforcement: warn") },
      POD,
    );
    expect(warn.decision).toBe("warn");
    const audit = evaluate(
      { "p.yaml": PRIVILEGED.replace("kinds: [Pod]", "kinds: [Pod]\n  enforcement: audit") },
      POD,
    );
    expect(audit.decision).toBe("allow");
    expect(audit.results[0]!.violations).toHaveLength(1);
  });

  it("scopes policies to environments; unscoped evaluation skips them", () => {
    const scoped = PRIVILEGED.replace("kinds: [Pod]", "kinds: [Pod]\n  environments: [production]");
    expect(evaluate({ "p.yaml": scoped }, POD, { environment: "production" }).decision).toBe("deny");
    expect(evaluate({ "p.yaml": scoped }, POD, { environment: "dev" }).decision).toBe("allow");
    expect(evaluate({ "p.yaml": scoped }, POD).decision).toBe("allow");
  });

  it("skips a policy whose matchConditions are false", () => {
    const cond = PRIVILEGED.replace(
      "  variables:",
      "  matchConditions:\n    - name: not-kube-system\n      expression: \"object.metadata.namespace != 'shop'\"\n  variables:",
    );
    expect(evaluate({ "p.yaml": cond }, POD).decision).toBe("allow");
  });

  it("waives a violation with a live exception and reports an expired one", () => {
    const withException = (expires: string) =>
      `${PRIVILEGED}  exceptions:\n    - match: "object.metadata.name == 'web'"\n      expires: "${expires}"\n      reason: vendor fix pending SEC-1\n`;
    const live = evaluate({ "p.yaml": withException("2026-12-31") }, POD);
    expect(live.decision).toBe("allow");
    expect(live.results[0]!.violations[0]!.exception).toEqual({
      reason: "vendor fix pending SEC-1",
      expires: "2026-12-31",
      status: "applied",
    });
    const expired = evaluate({ "p.yaml": withException("2026-11-20") }, POD);
    expect(expired.decision).toBe("deny");
    expect(expired.results[0]!.violations[0]!.exception?.status).toBe("expired");
    // A date-only expiry lasts through that whole day (UTC).
    expect(evaluate({ "p.yaml": withException("2026-11-21") }, POD).decision).toBe("allow");
  });

  it("exposes subject, environment and now to CEL", () => {
    const p = `apiVersion: bulwark.dev/v1
kind: Policy
metadata: {id: CTX-1, title: context}
spec:
  kinds: ["*"]
  validations:
    - expression: "subject.name == 'registry.example/app' && environment == 'staging' && now.getFullYear() == 2026"
`;
    expect(
      evaluate({ "p.yaml": p }, POD, { subject: { name: "registry.example/app" }, environment: "staging" })
        .decision,
    ).toBe("allow");
    expect(
      evaluate({ "p.yaml": p }, POD, { subject: { name: "other" }, environment: "staging" }).decision,
    ).toBe("deny");
  });

  it("evaluates non-Kubernetes kinds through `resource`", () => {
    const p = `apiVersion: bulwark.dev/v1
kind: Policy
metadata: {id: VULN-001, title: No critical vulnerabilities, severity: critical}
spec:
  kinds: [vulnerability-report]
  variables:
    - name: open
      expression: "resource.matches.filter(m, m.severity == 'CRITICAL' && !m.suppressed)"
  validations:
    - expression: "size(variables.open) == 0"
      messageExpression: "'critical: ' + variables.open.map(m, m.id).join(', ')"
`;
    const report = `{"matches": [{"id": "GHSA-1", "severity": "CRITICAL", "suppressed": false}, {"id": "GHSA-2", "severity": "CRITICAL", "suppressed": true}], "summary": {}}`;
    const r = evaluate({ "p.yaml": p }, report);
    expect(r.results[0]!.resource).toEqual({ kind: "vulnerability-report" });
    expect(r.results[0]!.violations[0]!.message).toBe("critical: GHSA-1");
  });
});

describe("runtime errors fail closed", () => {
  const failing = (failurePolicy: string, expression: string) => `apiVersion: bulwark.dev/v1
kind: Policy
metadata: {id: ERR-1, title: errors}
spec:
  kinds: [Pod]
  failurePolicy: ${failurePolicy}
  validations:
    - expression: "${expression}"
`;

  it.each([
    ["missing field", "object.spec.nodeName == 'x'", /nodeName/],
    ["division by zero", "1 / (size(object.spec.containers) - 2) == 0", /division by zero|divide by zero/],
    ["wrong type", "dyn(object.metadata.name) + 1 == 2", /overload|no such|type/i],
  ])("a %s is a violation naming the expression under failurePolicy: Fail", (_name, expression, pattern) => {
    const r = evaluate({ "p.yaml": failing("Fail", expression) }, POD);
    expect(r.decision).toBe("deny");
    const v = r.results[0]!.violations[0]!;
    expect(v.error?.code).toBe("CEL_RUNTIME");
    expect(v.error?.expression).toBe(expression);
    expect(v.message).toContain(expression);
    expect(v.error?.message).toMatch(pattern);
  });

  it("is skipped under failurePolicy: Ignore", () => {
    expect(evaluate({ "p.yaml": failing("Ignore", "object.spec.nodeName == 'x'") }, POD).decision).toBe(
      "allow",
    );
  });

  it("reports the failing variable when a validation uses it", () => {
    const p = `apiVersion: bulwark.dev/v1
kind: Policy
metadata: {id: ERR-2, title: errors}
spec:
  kinds: [Pod]
  variables:
    - name: node
      expression: "object.spec.nodeName"
  validations:
    - expression: "variables.node != ''"
`;
    const v = evaluate({ "p.yaml": p }, POD).results[0]!.violations[0]!;
    expect(v.error?.message).toMatch(/^variable node: /);
  });

  it("names the root cause when a variable fails because an earlier one did", () => {
    const p = `apiVersion: bulwark.dev/v1
kind: Policy
metadata: {id: ERR-3, title: errors}
spec:
  kinds: [Pod]
  variables:
    - name: node
      expression: "object.spec.nodeName"
    - name: upper
      expression: "variables.node.upperAscii()"
  validations:
    - expression: "variables.upper != ''"
`;
    const v = evaluate({ "p.yaml": p }, POD).results[0]!.violations[0]!;
    expect(v.error?.message).toMatch(/^variable upper: variable node: .*nodeName/);
  });

  it("skips empty documents in inputs (a trailing ---, a comment-only document)", () => {
    const r = evaluate({ "p.yaml": PRIVILEGED }, `---\n${POD}---\n# nothing here\n---\n`);
    expect(r.results).toHaveLength(1);
  });

  it("treats a non-bool validation result as an error", () => {
    const r = evaluate({ "p.yaml": failing("Fail", "dyn(object.metadata.name)") }, POD);
    expect(r.results[0]!.violations[0]!.error?.message).toMatch(/not bool/);
  });
});

describe("policy loading errors are located", () => {
  it.each([
    [
      "unknown field",
      PRIVILEGED.replace("  kinds: [Pod]", "  kinds: [Pod]\n  enforcment: warn"),
      "POLICY_INVALID",
      /unknown field spec\.enforcment/,
      9,
    ],
    [
      "missing title",
      PRIVILEGED.replace("  title: Containers must not be privileged\n", ""),
      "POLICY_INVALID",
      /metadata\.title is required/,
      4,
    ],
    [
      "bad enforcement",
      PRIVILEGED.replace("  kinds: [Pod]", "  kinds: [Pod]\n  enforcement: block"),
      "POLICY_INVALID",
      /enforcement must be one of deny, warn, audit/,
      9,
    ],
    [
      "no validations",
      PRIVILEGED.replace(/ {2}validations:[\s\S]*$/, "  validations: []\n"),
      "POLICY_INVALID",
      /must not be empty/,
      12,
    ],
    [
      "exception without reason",
      `${PRIVILEGED}  exceptions:\n    - match: "true"\n      expires: "2027-01-01"\n`,
      "POLICY_INVALID",
      /reason is required/,
      17,
    ],
    [
      "exception without expiry",
      `${PRIVILEGED}  exceptions:\n    - match: "true"\n      reason: because\n`,
      "POLICY_INVALID",
      /needs an expiry/,
      17,
    ],
    [
      "exception with a bad date",
      `${PRIVILEGED}  exceptions:\n    - match: "true"\n      expires: "2027-02-30"\n      reason: r\n`,
      "POLICY_INVALID",
      /expires must be a date/,
      18,
    ],
  ])("%s", (_name, text, code, message, line) => {
    const e = errorOf(() => policySet({ "p.yaml": text }));
    expect(e.code).toBe(code);
    expect(e.message).toMatch(message);
    expect(e.location).toMatchObject({ file: "p.yaml", line });
  });

  it("rejects duplicate ids, naming both places", () => {
    const e = errorOf(() => policySet({ "a.yaml": PRIVILEGED, "b.yaml": PRIVILEGED }));
    expect(e.code).toBe("POLICY_DUPLICATE_ID");
    expect(e.message).toMatch(/KUBE-001 is defined twice \(first at a\.yaml:1\)/);
    expect(e.location?.file).toBe("b.yaml");
  });

  it("reports CEL syntax errors at the line and column inside the expression", () => {
    const text = PRIVILEGED.replace('"size(variables.bad) == 0"', '"size(variables.bad) == = 0"');
    const e = errorOf(() => engine({ "p.yaml": text }));
    expect(e.code).toBe("CEL_SYNTAX");
    expect(e.location).toMatchObject({ file: "p.yaml", line: 13 });
    expect(e.location!.column).toBeGreaterThan(20);
  });

  it("reports CEL type errors: unknown variables and functions, non-bool validations", () => {
    const unknownVar = PRIVILEGED.replace('"size(variables.bad) == 0"', '"size(objekt.spec) == 0"');
    expect(errorOf(() => engine({ "p.yaml": unknownVar })).code).toBe("CEL_TYPE");
    const unknownFn = PRIVILEGED.replace('"size(variables.bad) == 0"', '"frobnicate(object)"');
    expect(errorOf(() => engine({ "p.yaml": unknownFn })).code).toBe("CEL_TYPE");
    const notBool = PRIVILEGED.replace('"size(variables.bad) == 0"', '"size(variables.bad)"');
    const e = errorOf(() => engine({ "p.yaml": notBool }));
    expect(e.code).toBe("CEL_TYPE");
    expect(e.message).toMatch(/must return bool, but this one returns int/);
  });

  it("refuses documents that are not policies or objects", () => {
    expect(errorOf(() => policySet({ "p.yaml": "just: data\n" })).code).toBe("POLICY_INVALID");
    expect(
      errorOf(() => policySet({ "p.yaml": "apiVersion: bulwark.dev/v1\nkind: Polcy\n" })).message,
    ).toMatch(/unknown bulwark\.dev\/v1 kind "Polcy"/);
  });

  it("digests the policy set over file paths and contents", () => {
    const a = policySet({ "p.yaml": PRIVILEGED }).digest;
    expect(policySet({ "p.yaml": PRIVILEGED }).digest).toBe(a);
    expect(policySet({ "q.yaml": PRIVILEGED }).digest).not.toBe(a);
    expect(policySet({ "p.yaml": `${PRIVILEGED}\n` }).digest).not.toBe(a);
  });
});

describe("violation locations", () => {
  const withPath = (fieldPath: string) =>
    PRIVILEGED.replace(
      "      remediation: drop privileged",
      `      remediation: drop privileged\n      fieldPath: ${fieldPath}`,
    );

  it("point at the policy's fieldPath in the input", () => {
    const v = evaluate({ "p.yaml": withPath("spec.containers[0].securityContext.privileged") }, POD)
      .results[0]!.violations[0]!;
    expect(v.location).toMatchObject({
      file: "input.yaml",
      line: 12,
      column: 9,
      path: "spec.containers[0].securityContext.privileged",
    });
  });

  it("point into the pod template for autogen rules", () => {
    const deploy =
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      containers:\n        - name: x\n          image: i\n          securityContext: {privileged: true}\n";
    const plain = evaluate({ "p.yaml": PRIVILEGED }, deploy).results[0]!.violations[0]!;
    expect(plain.location).toMatchObject({ line: 5, path: "spec.template" });
    const exact = evaluate({ "p.yaml": withPath("spec.containers[0]") }, deploy).results[0]!.violations[0]!;
    expect(exact.location).toMatchObject({ line: 8, column: 11, path: "spec.template.spec.containers[0]" });
  });

  it("fieldPathExpression: one violation per path it gives, inside the pod template for controllers", () => {
    const policy = `apiVersion: bulwark.dev/v1
kind: Policy
metadata: { id: FP-1, title: no privileged containers }
spec:
  kinds: [Pod]
  variables:
    - name: bad
      expression: "podContainers(object.spec).filter(c, c.container.?securityContext.?privileged.orValue(false))"
  validations:
    - expression: "size(variables.bad) == 0"
      messageExpression: "'privileged: ' + variables.bad.map(c, c.name).join(', ')"
      fieldPath: spec
      fieldPathExpression: "variables.bad.map(c, c.path + '.securityContext.privileged')"
`;
    const deploy =
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      initContainers:\n        - name: i\n          securityContext: {privileged: true}\n      containers:\n        - name: ok\n        - name: x\n          securityContext: {privileged: true}\n";
    const vs = evaluate({ "p.yaml": policy }, deploy).results[0]!.violations;
    expect(vs.map((v) => [v.location!.path, v.location!.line, v.message])).toEqual([
      ["spec.template.spec.initContainers[0].securityContext.privileged", 9, "privileged: i, x"],
      ["spec.template.spec.containers[1].securityContext.privileged", 13, "privileged: i, x"],
    ]);
    // A failing or malformed expression falls back to the static fieldPath; the violation stays.
    for (const broken of ["object.nope.path", "'spec..x'", "[1, 2]"]) {
      const p2 = policy.replace(/fieldPathExpression: .*/, `fieldPathExpression: ${JSON.stringify(broken)}`);
      const v2 = evaluate({ "p.yaml": p2 }, deploy).results[0]!.violations;
      expect(v2.map((v) => v.location!.path)).toEqual(["spec.template.spec"]);
    }
  });

  it("fieldPathExpression items may be {path, message}: one message per violation", () => {
    const policy = `apiVersion: bulwark.dev/v1
kind: Policy
metadata: { id: FP-2, title: no privileged containers }
spec:
  kinds: [Pod]
  variables:
    - name: bad
      expression: "podContainers(object.spec).filter(c, c.container.?securityContext.?privileged.orValue(false))"
  validations:
    - expression: "size(variables.bad) == 0"
      message: privileged containers
      fieldPathExpression: "variables.bad.map(c, {'path': c.path, 'message': 'container ' + c.name + ' is privileged'})"
`;
    const pod =
      "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: a\n      securityContext: {privileged: true}\n    - name: b\n      securityContext: {privileged: true}\n";
    const vs = evaluate({ "p.yaml": policy }, pod).results[0]!.violations;
    expect(vs.map((v) => [v.location!.line, v.message])).toEqual([
      [6, "container a is privileged"],
      [8, "container b is privileged"],
    ]);
  });

  it("rejects a malformed fieldPath at load", () => {
    expect(errorOf(() => policySet({ "p.yaml": withPath("spec..containers") })).message).toMatch(
      /fieldPath must be a dotted path/,
    );
  });
});
