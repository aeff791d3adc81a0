#!/usr/bin/env node
// Generates bench/iac's tree under .cache/bench/iac-tree (or BULWARK_BENCH_DIR): 5,000 Kubernetes
// documents (1,000 files of 5: Deployments, StatefulSets, CronJobs, Services, Roles — some
// compliant, some not), 500 Dockerfiles (multi-stage, heredocs, ARG-expanded FROMs) and one ~50 MB
// Terraform plan in `terraform show -json` shape (security groups, databases, buckets, IAM
// policies, load balancers, nested modules, unknown-after-apply values). Deterministic.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CACHE = process.env.BULWARK_BENCH_DIR ?? join(ROOT, ".cache/bench");
export const TREE = join(CACHE, "iac-tree");

let seed = 0x51ed2705;
const rand = () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 0x100000000;
};
const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
const pick = (a) => a[Math.floor(rand() * a.length)];
const digest = () => Array.from({ length: 64 }, () => "0123456789abcdef"[int(0, 15)]).join("");

function container(i, secure) {
  const image = secure
    ? `registry.example.com/team/app-${i}@sha256:${digest()}`
    : pick(["nginx", "redis:latest", `docker.io/library/app:${i}`]);
  const sc = secure
    ? `
          securityContext:
            runAsNonRoot: true
            runAsUser: 10001
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: { drop: [ALL] }
            seccompProfile: { type: RuntimeDefault }`
    : pick([
        "",
        "\n          securityContext: { privileged: true }",
        "\n          securityContext: { runAsUser: 0, capabilities: { add: [NET_ADMIN, SYS_ADMIN] } }",
      ]);
  return `        - name: c${i}
          image: ${image}
          ports: [{ containerPort: ${int(1000, 9000)} }]
          resources:
            requests: { cpu: 100m, memory: 128Mi }
            limits: { memory: 256Mi }${sc}
          livenessProbe: { httpGet: { path: /healthz, port: 8080 } }`;
}

function podSpec(n, secure) {
  return `      ${secure ? "" : "hostNetwork: true\n      "}automountServiceAccountToken: false
      containers:
${Array.from({ length: n }, (_, i) => container(i, secure)).join("\n")}
${secure ? "" : "      volumes: [{ name: host, hostPath: { path: /var/run } }]\n"}`;
}

function k8sFile(f) {
  const docs = [];
  const secure = f % 3 === 0;
  docs.push(`apiVersion: apps/v1
kind: Deployment
metadata: { name: web-${f}, namespace: ns-${f % 50} }
spec:
  replicas: ${int(1, 6)}
  selector: { matchLabels: { app: web-${f} } }
  template:
    metadata: { labels: { app: web-${f} } }
    spec:
${podSpec(int(1, 3), secure)}`);
  docs.push(`apiVersion: apps/v1
kind: StatefulSet
metadata: { name: db-${f}, namespace: ns-${f % 50} }
spec:
  serviceName: db-${f}
  selector: { matchLabels: { app: db-${f} } }
  template:
    metadata: { labels: { app: db-${f} } }
    spec:
${podSpec(1, !secure)}`);
  docs.push(`apiVersion: batch/v1
kind: CronJob
metadata: { name: job-${f}, namespace: ns-${f % 50} }
spec:
  schedule: "*/5 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
${podSpec(1, secure).replace(/^/gm, "    ")}`);
  docs.push(`apiVersion: v1
kind: Service
metadata: { name: web-${f}, namespace: ns-${f % 50} }
spec:
  type: ${pick(["ClusterIP", "ClusterIP", "LoadBalancer", "NodePort"])}
  selector: { app: web-${f} }
  ports: [{ port: 80, targetPort: 8080 }]`);
  docs.push(`apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: role-${f}, namespace: ns-${f % 50} }
rules:
  - apiGroups: [""]
    resources: [${secure ? "configmaps" : '"*"'}]
    verbs: [${secure ? "get, list" : '"*"'}]`);
  return `${docs.join("\n---\n")}\n`;
}

function dockerfile(i) {
  const base = pick(["debian:12", "node:20", "python:3.12-slim", "alpine:3.20", `debian@sha256:${digest()}`]);
  return `# syntax=docker/dockerfile:1
ARG BASE=${base}
FROM \${BASE} AS build
WORKDIR /src
RUN apt-get update && apt-get install -y build-essential curl${i % 2 ? " && rm -rf /var/lib/apt/lists/*" : ""}
COPY . .
RUN <<EOF
set -e
make -j4
${i % 5 === 0 ? "curl -fsSL https://get.example.com/install.sh | sh" : "echo built"}
EOF
${i % 7 === 0 ? "ADD https://example.com/tool.tar.gz /opt/\n" : ""}${i % 11 === 0 ? "ENV API_TOKEN=hunter2\n" : ""}FROM ${i % 3 ? "gcr.io/distroless/base-debian12" : "debian:12-slim"}
COPY --from=build /src/out /app
${i % 4 ? "USER 10001\n" : ""}${i % 6 ? 'HEALTHCHECK CMD ["/app/health"]\n' : ""}ENTRYPOINT ["/app/run"]
`;
}

export function plan(targetBytes) {
  const resources = [];
  const changes = [];
  let size = 0;
  let n = 0;
  const add = (module, type, name, values, unknown = {}) => {
    const address = `${module ? `${module}.` : ""}${type}.${name}`;
    const r = {
      address,
      mode: "managed",
      type,
      name,
      provider_name: "registry.terraform.io/hashicorp/aws",
      schema_version: 0,
      values,
      sensitive_values: {},
    };
    resources.push({ module, r });
    changes.push({
      address,
      ...(module ? { module_address: module } : {}),
      mode: "managed",
      type,
      name,
      provider_name: r.provider_name,
      change: {
        actions: ["create"],
        before: null,
        after: values,
        after_unknown: { id: true, arn: true, ...unknown },
        before_sensitive: false,
        after_sensitive: {},
      },
    });
    size += JSON.stringify(r).length * 2 + 200;
  };
  while (size < targetBytes) {
    const module = n % 4 === 0 ? `module.svc${n % 97}` : "";
    const open = n % 5 === 0;
    add(module, "aws_security_group", `db${n}`, {
      name: `db-${n}`,
      description: "database access",
      vpc_id: `vpc-${n % 40}`,
      revoke_rules_on_delete: false,
      tags: { Name: `db-${n}`, team: `t${n % 13}` },
      ingress: [
        {
          from_port: 5432,
          to_port: 5432,
          protocol: "tcp",
          cidr_blocks: [open ? "0.0.0.0/0" : "10.0.0.0/8"],
          ipv6_cidr_blocks: [],
          prefix_list_ids: [],
          security_groups: [],
          self: false,
          description: "postgres",
        },
      ],
      egress: [
        {
          from_port: 0,
          to_port: 0,
          protocol: "-1",
          cidr_blocks: ["0.0.0.0/0"],
          ipv6_cidr_blocks: [],
          prefix_list_ids: [],
          security_groups: [],
          self: false,
          description: "",
        },
      ],
    });
    add(
      module,
      "aws_db_instance",
      `db${n}`,
      {
        identifier: `db-${n}`,
        engine: "postgres",
        engine_version: "16.3",
        instance_class: "db.t3.micro",
        allocated_storage: 20,
        storage_encrypted: n % 3 !== 0,
        publicly_accessible: n % 7 === 0,
        username: "app",
        skip_final_snapshot: true,
        backup_retention_period: 7,
        multi_az: false,
        tags: { Name: `db-${n}` },
      },
      { endpoint: true, address: true },
    );
    add(
      module,
      "aws_s3_bucket",
      `data${n}`,
      { bucket: `data-${n}`, force_destroy: false, tags: { Name: `data-${n}` } },
      { bucket_regional_domain_name: true },
    );
    add(
      module,
      "aws_s3_bucket_public_access_block",
      `data${n}`,
      {
        block_public_acls: n % 4 !== 0,
        block_public_policy: true,
        ignore_public_acls: true,
        restrict_public_buckets: true,
      },
      { bucket: true },
    );
    add(module, "aws_iam_policy", `p${n}`, {
      name: `p-${n}`,
      path: "/",
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Action: n % 9 === 0 ? "*" : ["s3:GetObject"],
            Resource: n % 9 === 0 ? "*" : `arn:aws:s3:::data-${n}/*`,
          },
        ],
      }),
    });
    add(
      module,
      "aws_lb",
      `lb${n}`,
      {
        name: `lb-${n}`,
        internal: n % 2 === 0,
        load_balancer_type: "application",
        access_logs: n % 3 ? [{ bucket: `logs-${n}`, enabled: true, prefix: "lb" }] : [],
      },
      { dns_name: true },
    );
    n++;
  }
  const root = { resources: resources.filter((x) => !x.module).map((x) => x.r), child_modules: [] };
  const mods = new Map();
  for (const x of resources.filter((y) => y.module)) {
    if (!mods.has(x.module)) mods.set(x.module, { address: x.module, resources: [] });
    mods.get(x.module).resources.push(x.r);
  }
  root.child_modules = [...mods.values()];
  return JSON.stringify({
    format_version: "1.2",
    terraform_version: "1.11.4",
    planned_values: { root_module: root },
    resource_changes: changes,
    configuration: {
      provider_config: { aws: { name: "aws", full_name: "registry.terraform.io/hashicorp/aws" } },
      root_module: {},
    },
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (existsSync(join(TREE, "plan.json"))) {
    console.error(`tree ready in ${TREE}`);
  } else {
    for (let f = 0; f < 1000; f++) {
      const dir = join(TREE, "k8s", `team-${f % 40}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `app-${f}.yaml`), k8sFile(f));
    }
    for (let i = 0; i < 500; i++) {
      const dir = join(TREE, "services", `svc-${i}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "Dockerfile"), dockerfile(i));
    }
    const text = plan(55 * 1024 * 1024);
    writeFileSync(join(TREE, "plan.json"), text);
    console.error(
      `tree ready in ${TREE}: 1,000 manifest files (5,000 documents), 500 Dockerfiles, plan.json ${(text.length / 1048576).toFixed(1)} MiB`,
    );
  }
}
