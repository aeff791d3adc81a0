// bench/policy: compile 1,000 policies; evaluate a realistic Deployment against 50 policies;
// and the CEL evaluator comparison (@marcbachmann/cel-js, which Bulwark uses, vs @bufbuild/cel).
import { fixedClock, sha256Hex } from "../dist/core/index.js";
import { PolicyEngine, parseInput, policySetFromFiles } from "../dist/policy/index.js";
import { fmt, stats, time } from "./lib.mjs";

const clock = fixedClock("2026-11-21T00:00:00Z");

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: checkout
  namespace: shop
  labels: {app: checkout, team: payments, env: production}
  annotations: {owner: payments@example.com}
spec:
  replicas: 6
  selector: {matchLabels: {app: checkout}}
  template:
    metadata:
      labels: {app: checkout, team: payments}
    spec:
      serviceAccountName: checkout
      automountServiceAccountToken: false
      securityContext: {runAsNonRoot: true, runAsUser: 10001, seccompProfile: {type: RuntimeDefault}}
      initContainers:
        - name: migrate
          image: registry.example.com/shop/checkout-migrate@sha256:${"1".repeat(64)}
          securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, readOnlyRootFilesystem: true}
          resources: {limits: {cpu: 200m, memory: 128Mi}, requests: {cpu: 100m, memory: 64Mi}}
      containers:
        - name: app
          image: registry.example.com/shop/checkout@sha256:${"2".repeat(64)}
          ports: [{containerPort: 8080, name: http}]
          env: [{name: LOG_LEVEL, value: info}, {name: DB_HOST, value: db.shop.svc}]
          securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, readOnlyRootFilesystem: true}
          resources: {limits: {cpu: "1", memory: 512Mi}, requests: {cpu: 250m, memory: 256Mi}}
          livenessProbe: {httpGet: {path: /healthz, port: 8080}}
          readinessProbe: {httpGet: {path: /ready, port: 8080}}
        - name: envoy
          image: registry.example.com/mirror/envoy@sha256:${"3".repeat(64)}
          securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, readOnlyRootFilesystem: true}
          resources: {limits: {cpu: 500m, memory: 256Mi}, requests: {cpu: 100m, memory: 128Mi}}
      volumes:
        - name: tmp
          emptyDir: {}
`;

// Pod-security style checks, as people write them; each becomes one policy (variants by index).
const CHECKS = [
  "object.spec.containers.all(c, !c.?securityContext.?privileged.orValue(false))",
  "object.spec.containers.all(c, c.?securityContext.?allowPrivilegeEscalation.orValue(true) == false)",
  "object.spec.containers.all(c, 'ALL' in c.?securityContext.?capabilities.?drop.orValue([]))",
  "object.spec.?securityContext.?runAsNonRoot.orValue(false) || object.spec.containers.all(c, c.?securityContext.?runAsNonRoot.orValue(false))",
  "!object.spec.?hostNetwork.orValue(false) && !object.spec.?hostPID.orValue(false) && !object.spec.?hostIPC.orValue(false)",
  "!has(object.spec.volumes) || object.spec.volumes.all(v, !has(v.hostPath))",
  "object.spec.containers.all(c, has(c.resources) && has(c.resources.limits) && has(c.resources.limits.memory))",
  "object.spec.containers.all(c, c.image.contains('@sha256:'))",
  "object.spec.containers.all(c, c.image.startsWith('registry.example.com/'))",
  "object.spec.containers.all(c, c.?securityContext.?readOnlyRootFilesystem.orValue(false))",
  "object.spec.?automountServiceAccountToken.orValue(true) == false",
  "object.spec.containers.all(c, !has(c.ports) || c.ports.all(p, !has(p.hostPort) || p.hostPort == 0))",
  "object.spec.?securityContext.?seccompProfile.?type.orValue('') in ['RuntimeDefault', 'Localhost']",
  "object.spec.containers.all(c, has(c.livenessProbe) && has(c.readinessProbe))",
  "object.metadata.?labels.?app.orValue('') != '' && object.metadata.?labels.?team.orValue('') != ''",
  "object.spec.containers.all(c, !has(c.env) || c.env.all(e, !e.name.contains('SECRET') || has(e.valueFrom)))",
  "size(object.spec.containers) <= 5",
  "object.spec.containers.all(c, quantity(c.resources.limits.memory).compareTo(quantity('2Gi')) <= 0)",
];

function policyYaml(i) {
  const expr = CHECKS[i % CHECKS.length];
  return `apiVersion: bulwark.dev/v1
kind: Policy
metadata:
  id: BENCH-${String(i).padStart(4, "0")}
  title: Benchmark policy ${i}
  severity: high
spec:
  kinds: [Pod]
  variables:
    - name: names
      expression: "object.spec.containers.map(c, c.name)"
  validations:
    - expression: "${expr} || ${i} < 0"
      messageExpression: "'policy ${i} failed for ' + variables.names.join(', ')"
`;
}

function setOf(n) {
  const files = [];
  for (let i = 0; i < n; i++) {
    const content = policyYaml(i);
    files.push({ path: `p${i}.yaml`, absolutePath: `p${i}.yaml`, sha256: sha256Hex(content), content });
  }
  return policySetFromFiles(files);
}

export function run() {
  const rows = [];
  // 1. Compile 1,000 policies (load YAML + parse + type-check every expression), cold each time.
  const compile = [];
  for (let r = 0; r < 7; r++) {
    const t = performance.now();
    new PolicyEngine(setOf(1000), { clock });
    compile.push(performance.now() - t);
  }
  const c = stats(compile);
  rows.push({ name: "load + compile 1,000 policies", median: c.median, p99: c.max, target: "< 1 s" });

  // 2. Full decision: one realistic Deployment (autogen to its pod template) against 50 policies.
  const engine = new PolicyEngine(setOf(50), { clock });
  const input = parseInput(DEPLOYMENT, "deployment.yaml");
  const report = engine.evaluate(input);
  if (report.results[0].evaluated.length !== 50)
    throw new Error(`expected 50 evaluated policies, got ${report.results[0].evaluated.length}`);
  const d = time(() => engine.evaluate(input), { runs: 2000, warmup: 200 });
  rows.push({
    name: "decision: Deployment × 50 policies",
    median: d.median,
    p99: d.p99,
    target: "< 1 ms median, < 3 ms p99",
  });
  return rows;
}

export async function celComparison() {
  const { Environment } = await import("@marcbachmann/cel-js");
  const bufbuild = await import("@bufbuild/cel").catch(() => undefined);
  const pod = parseInput(DEPLOYMENT, "d.yaml")[0].value.spec.template;
  const object = { apiVersion: "v1", kind: "Pod", metadata: pod.metadata, spec: pod.spec };
  // Expressions both evaluators parse (no optional syntax: @bufbuild/cel 0.6 lacks `.?`).
  const exprs = [
    "object.spec.containers.all(c, !has(c.securityContext) || !has(c.securityContext.privileged) || c.securityContext.privileged == false)",
    "object.spec.containers.all(c, has(c.securityContext) && has(c.securityContext.allowPrivilegeEscalation) && c.securityContext.allowPrivilegeEscalation == false)",
    "object.spec.containers.all(c, c.image.contains('@sha256:'))",
    "!has(object.spec.volumes) || object.spec.volumes.all(v, !has(v.hostPath))",
    "object.spec.containers.all(c, has(c.resources) && has(c.resources.limits) && has(c.resources.limits.memory))",
  ];
  const out = [];
  const marc = new Environment({ unlistedVariablesAreDyn: true, enableOptionalTypes: true });
  const mp = exprs.map((e) => marc.parse(e));
  const m = time(
    () => {
      for (const p of mp) p({ object });
    },
    { runs: 5000, warmup: 500 },
  );
  const mc = time(
    () => {
      for (const e of exprs) marc.parse(`${e} && true`);
    },
    { runs: 200, warmup: 20 },
  );
  out.push({
    name: "@marcbachmann/cel-js 8.0.0",
    evalPerExpr: m.median / exprs.length,
    compilePerExpr: mc.median / exprs.length,
    optionals: true,
  });
  if (bufbuild) {
    const env = bufbuild.celEnv({});
    const bp = exprs.map((e) => bufbuild.plan(env, bufbuild.parse(e)));
    const b = time(
      () => {
        for (const p of bp) p({ object });
      },
      { runs: 5000, warmup: 500 },
    );
    const bc = time(
      () => {
        for (const e of exprs) bufbuild.plan(env, bufbuild.parse(`${e} && true`));
      },
      { runs: 200, warmup: 20 },
    );
    out.push({
      name: "@bufbuild/cel 0.6.1",
      evalPerExpr: b.median / exprs.length,
      compilePerExpr: bc.median / exprs.length,
      optionals: false,
    });
  }
  return out;
}

export function print(rows, cel) {
  console.log("\nbench/policy");
  for (const r of rows)
    console.log(
      `  ${r.name.padEnd(40)} median ${fmt(r.median).padStart(10)}   p99 ${fmt(r.p99).padStart(10)}   target ${r.target}`,
    );
  console.log("\nbench/policy: CEL evaluators (same 5 Pod checks, Deployment pod template)");
  for (const c of cel)
    console.log(
      `  ${c.name.padEnd(28)} eval ${fmt(c.evalPerExpr).padStart(9)}/expr   compile ${fmt(c.compilePerExpr).padStart(9)}/expr   optional syntax (.?): ${c.optionals ? "yes" : "no"}`,
    );
  if (cel.length === 2)
    console.log(
      `  ratio (bufbuild / marcbachmann): eval ${(cel[1].evalPerExpr / cel[0].evalPerExpr).toFixed(1)}×, compile ${(cel[1].compilePerExpr / cel[0].compilePerExpr).toFixed(1)}×`,
    );
}
