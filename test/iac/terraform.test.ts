// The Terraform plan parser (src/iac/terraform.ts): detection, the normalized `terraform-plan`
// input (flattened modules, unknown values, references, policy documents, deletions), locations,
// errors and a 50 MB plan; then builtin:terraform on every fixture plan, resource by resource.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BulwarkError, fixedClock } from "../../src/core/index.js";
import { detectParser, parseIacFile } from "../../src/iac/index.js";
import {
  jsonErrorOffset,
  type PlanResource,
  type TerraformPlan,
  terraformPlanParser,
} from "../../src/iac/terraform.js";
import { loadPolicySet, PolicyEngine } from "../../src/policy/index.js";

const FIXTURES = new URL("../fixtures/iac/terraform/", import.meta.url);
const fixturePath = (name: string) => `test/fixtures/iac/terraform/${name}/plan.json`;
const fixtureText = (name: string) => readFileSync(new URL(`${name}/plan.json`, FIXTURES), "utf8");

function parse(text: string, file = "plan.json") {
  const docs = terraformPlanParser.parse(text, file);
  expect(docs).toHaveLength(1);
  return docs[0]!;
}

const planOf = (text: string, file?: string) => parse(text, file).value as TerraformPlan;
const fixture = (name: string) => planOf(fixtureText(name), fixturePath(name));

function resource(plan: TerraformPlan, address: string): PlanResource {
  const r = plan.resources.find((x) => x.address === address);
  if (!r) throw new Error(`${address} not in [${plan.resources.map((x) => x.address).join(", ")}]`);
  return r;
}

function errorOf(fn: () => unknown): BulwarkError {
  try {
    fn();
  } catch (e) {
    if (e instanceof BulwarkError) return e;
    throw e;
  }
  throw new Error("expected a BulwarkError, nothing was thrown");
}

/** A minimal plan in `terraform show -json` shape, one line, with the given resource changes. */
function syntheticPlan(changes: Record<string, unknown>[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    format_version: "1.2",
    terraform_version: "1.11.4",
    planned_values: {
      root_module: {
        resources: changes
          .filter((c) => !(c["change"] as { actions: string[] }).actions.includes("delete"))
          .map((c) => ({ ...c, change: undefined, values: (c["change"] as { after: unknown }).after })),
      },
    },
    resource_changes: changes,
    ...extra,
  });
}

function change(address: string, after: Record<string, unknown> | null, more: Record<string, unknown> = {}) {
  const [type, name] = address.replace(/\[.*$/, "").split(".").slice(-2);
  return {
    address,
    mode: "managed",
    type,
    name,
    provider_name: "registry.terraform.io/hashicorp/aws",
    change: { actions: ["create"], before: null, after, after_unknown: {}, after_sensitive: {}, ...more },
  };
}

describe("terraform-plan parser: detection", () => {
  const real = fixtureText("aws-network-open").slice(0, 4096);
  it.each([
    ["plan.json", real, true],
    ["out/PLAN.JSON", real, true],
    ["gcp.json", fixtureText("gcp-insecure").slice(0, 4096), true],
    // Many variables push planned_values out of the first 4 KiB.
    [
      "vars.json",
      `{"format_version":"1.2","terraform_version":"1.11.4","variables":{"a":{"value":"${"x".repeat(5000)}`,
      true,
    ],
    [
      "state.json",
      '{"format_version":"1.0","terraform_version":"1.11.4","values":{"root_module":{}}}',
      false,
    ],
    ["version.json", '{"terraform_version":"1.11.4","platform":"linux_amd64"}', false],
    ["plan.yaml", real, false],
    ["plan.json", '{"apiVersion":"v1","kind":"ConfigMap"}', false],
    ["plan.json", "", false],
  ])("%s → %s", (path, head, expected) => {
    expect(terraformPlanParser.applies(path, head)).toBe(expected);
  });

  it("is what the IaC registry picks for a plan, and can be forced by name or kind", () => {
    const text = fixtureText("aws-secure");
    expect(detectParser("plan.json", text.slice(0, 4096))?.name).toBe("terraform-plan");
    expect(parseIacFile(text, "plan.json")?.[0]?.kind).toBe("terraform-plan");
    expect(parseIacFile(text, "plan.txt", "terraform-plan")?.[0]?.kind).toBe("terraform-plan");
    expect(terraformPlanParser).toMatchObject({ name: "terraform-plan", kind: "terraform-plan", version: 1 });
  });

  it("makes one TerraformPlan document named after the file", () => {
    const doc = parse(fixtureText("aws-secure"), "infra/plan.json");
    expect(doc).toMatchObject({
      file: "infra/plan.json",
      index: 0,
      kind: "terraform-plan",
      resource: { kind: "TerraformPlan", name: "infra/plan.json" },
      location: { file: "infra/plan.json", line: 1, column: 1 },
    });
    expect(planOf(fixtureText("aws-secure"))).toMatchObject({
      format_version: "1.2",
      terraform_version: "1.11.4",
      complete: true,
      errored: false,
    });
  });
});

describe("terraform-plan parser: normalized resources", () => {
  it("flattens child modules recursively, with module addresses and config addresses", () => {
    const plan = fixture("module-nested");
    expect(
      plan.resources.map((r) => [r.path, r.address, r.module_address, r.config_address, r.type, r.name]),
    ).toEqual([
      [
        "resources[0]",
        "module.database[0].aws_db_instance.this",
        "module.database[0]",
        "module.database.aws_db_instance.this",
        "aws_db_instance",
        "this",
      ],
      [
        "resources[1]",
        "module.database[0].module.firewall.aws_security_group.this",
        "module.database[0].module.firewall",
        "module.database.module.firewall.aws_security_group.this",
        "aws_security_group",
        "this",
      ],
    ]);
    expect(resource(fixture("aws-secure"), "aws_lb.public").module_address).toBe("");
  });

  it("follows references through module variables and outputs to resources", () => {
    const plan = fixture("module-nested");
    const db = resource(plan, "module.database[0].aws_db_instance.this");
    // vpc_security_group_ids = [module.firewall.security_group_id] → output → aws_security_group.this
    expect(db.references["vpc_security_group_ids"]).toEqual([
      "module.database.module.firewall.aws_security_group.this",
    ]);
    // publicly_accessible = var.public, a constant in the root module: set, refers to no resource.
    expect(db.references["publicly_accessible"]).toEqual([]);
    expect(db.references["storage_encrypted"]).toEqual([]);
    expect(db.references).not.toHaveProperty("port");
    const lb = resource(fixture("aws-secure"), "aws_lb.public");
    expect(lb.references).toMatchObject({
      access_logs: ["aws_s3_bucket.logs"],
      "access_logs.bucket": ["aws_s3_bucket.logs"],
      "access_logs.enabled": [],
      security_groups: ["aws_security_group.app"],
    });
  });

  it("keeps values known after apply out of values and lists them in unknown / unknown_paths", () => {
    const plan = fixture("unknown-values");
    const sg = resource(plan, "aws_security_group.db");
    const ingress = (sg.values["ingress"] as Record<string, unknown>[])[0]!;
    expect(ingress).not.toHaveProperty("cidr_blocks");
    expect(ingress["from_port"]).toBe(5432n);
    expect(sg.unknown["ingress"]).toEqual([{ cidr_blocks: true }]);
    expect(sg.unknown_paths).toContain("ingress[0].cidr_blocks");
    expect(sg.unknown_paths).toContain("id");
    expect(sg.unknown_paths).toEqual([...sg.unknown_paths].sort());
    expect(sg.references["ingress"]).toEqual(["aws_eip.nat"]);

    const db = resource(plan, "aws_db_instance.db");
    expect(db.values).not.toHaveProperty("publicly_accessible");
    expect(db.unknown_paths).toContain("publicly_accessible");
    expect(db.references["publicly_accessible"]).toEqual(["aws_eip.nat"]);
    expect(db.actions).toEqual(["create"]);
  });

  it("keeps integers as BigInt, floats as numbers, and drops null map entries but not list items", () => {
    const plan = planOf(
      syntheticPlan([
        change("aws_x.a", {
          port: 5432,
          ratio: 0.5,
          unset: null,
          list: [1, null, 2.5],
          nested: { n: 3, gone: null },
        }),
      ]),
    );
    const v = resource(plan, "aws_x.a").values;
    expect(v).toEqual({ port: 5432n, ratio: 0.5, list: [1n, null, 2.5], nested: { n: 3n } });
    expect(resource(fixture("aws-network-open"), "aws_security_group_rule.mssql").values["to_port"]).toBe(
      1433n,
    );
    // An unset RDS setting is absent (null in Terraform's output).
    expect(resource(fixture("aws-db-exposed"), "aws_db_instance.plain").values).not.toHaveProperty(
      "storage_encrypted",
    );
  });

  it("marks sensitive values, pruning the non-sensitive ones", () => {
    const plan = fixture("module-nested");
    expect(resource(plan, "module.database[0].aws_db_instance.this").sensitive).toEqual({
      password: true,
      password_wo: true,
    });
    expect(resource(plan, "module.database[0].module.firewall.aws_security_group.this")).not.toHaveProperty(
      "sensitive",
    );
  });

  it("decodes policy documents found in string values into one statement shape", () => {
    const plan = fixture("aws-iam-wildcard");
    const ci = resource(plan, "aws_iam_user_policy.ci");
    expect(ci.policy_documents).toEqual([
      {
        attribute: "policy",
        version: "2012-10-17",
        statements: [
          {
            sid: "Read",
            effect: "Allow",
            actions: ["s3:GetObject"],
            not_actions: [],
            resources: ["arn:aws:s3:::artifacts/*"],
            not_resources: [],
            principals: [],
            not_principals: [],
            condition: {},
          },
          {
            sid: "Admin",
            effect: "Allow",
            actions: ["*:*"],
            not_actions: [],
            resources: ["*"],
            not_resources: [],
            principals: [],
            not_principals: [],
            condition: {},
          },
        ],
      },
    ]);
    const role = resource(plan, "aws_iam_role.deployer");
    expect(role.policy_documents.map((d) => d.attribute)).toEqual([
      "assume_role_policy",
      "inline_policy[0].policy",
    ]);
    expect(role.policy_documents[0]!.statements[0]!.principals).toEqual(["Service:ec2.amazonaws.com"]);
    const bucketPolicy = resource(fixture("aws-storage-public"), "aws_s3_bucket_policy.downloads");
    expect(bucketPolicy.policy_documents[0]!.statements[0]!.principals).toEqual(["*"]);
    // A document unknown until apply is not in values, so there is nothing to decode.
    const publisher = resource(plan, "aws_iam_role_policy.publisher");
    expect(publisher.policy_documents).toEqual([]);
    expect(publisher.unknown_paths).toContain("policy");
  });

  it("includes data sources read while planning, from the prior state", () => {
    const data = resource(fixture("aws-iam-wildcard"), "data.aws_iam_policy_document.everything");
    expect(data).toMatchObject({ mode: "data", actions: ["no-op"], type: "aws_iam_policy_document" });
    expect(data.policy_documents.map((d) => d.attribute)).toEqual(["json", "minified_json"]);
  });

  it("leaves resources the plan deletes out of resources and lists them in deleted", () => {
    const plan = fixture("aws-delete");
    expect(plan.resources.map((r) => [r.address, r.actions])).toEqual([
      ["aws_iam_policy.reader", ["update"]],
    ]);
    expect(plan.deleted).toEqual([
      expect.objectContaining({
        path: "deleted[0]",
        address: "aws_db_instance.legacy",
        actions: ["delete"],
        values: expect.objectContaining({ publicly_accessible: true, allocated_storage: 20n }),
      }),
    ]);
    const synthetic = planOf(
      syntheticPlan([
        change("aws_x.replaced", { a: 1 }, { actions: ["delete", "create"] }),
        change("aws_x.forgotten", null, { actions: ["forget"], before: { a: 2 } }),
      ]),
    );
    expect(synthetic.resources.map((r) => [r.address, r.actions])).toEqual([
      ["aws_x.replaced", ["delete", "create"]],
    ]);
    expect(synthetic.deleted.map((r) => [r.address, r.actions])).toEqual([["aws_x.forgotten", ["forget"]]]);
  });

  it("keeps count indexes as int, for_each keys as strings, and strips them from config addresses", () => {
    const plan = planOf(
      syntheticPlan([
        { ...change("aws_x.counted[2]", {}), index: 2 },
        {
          ...change('module.m["k.1"].aws_x.each["a.b[c]"]', {}),
          index: "a.b[c]",
          module_address: 'module.m["k.1"]',
        },
      ]),
    );
    expect(plan.resources.map((r) => [r.index, r.config_address, r.module_address])).toEqual([
      [2n, "aws_x.counted", ""],
      ["a.b[c]", "module.m.aws_x.each", 'module.m["k.1"]'],
    ]);
  });

  it("keeps a __proto__ key as data", () => {
    const plan = planOf(
      syntheticPlan([]).replace(
        '"resource_changes":[]',
        '"resource_changes":[{"address":"aws_x.p","mode":"managed","type":"aws_x","name":"p","change":{"actions":["create"],"after":{"tags":{"__proto__":{"polluted":1}}},"after_unknown":{"__proto__":true}}}]',
      ),
    );
    const r = resource(plan, "aws_x.p");
    expect(Object.keys(r.values["tags"] as object)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
    expect(r.unknown_paths).toEqual(["__proto__"]);
  });
});

describe("terraform-plan parser: locations", () => {
  it("points each resource of a one-line plan at its object, with its address as the path", () => {
    const text = fixtureText("aws-network-open");
    expect(text.trimEnd().split("\n")).toHaveLength(1);
    const doc = parse(text, "plan.json");
    const plan = doc.value as TerraformPlan;
    for (const [i, r] of plan.resources.entries()) {
      const loc = doc.doc!.locate(["resources", i]);
      expect(loc).toMatchObject({ file: "plan.json", line: 1, path: r.address });
      expect(text.slice(loc.column! - 1)).toMatch(
        new RegExp(`^\\{"address":${JSON.stringify(JSON.stringify(r.address)).slice(1, -1)}`),
      );
    }
  });

  it("names paths into a resource by address and attribute", () => {
    const doc = parse(fixtureText("aws-network-open"), "plan.json");
    const plan = doc.value as TerraformPlan;
    const i = plan.resources.findIndex((r) => r.address === "aws_security_group.postgres");
    const at = doc.doc!.locate(["resources", i]);
    expect(doc.doc!.locate(["resources", i, "values", "ingress", 0, "cidr_blocks"])).toEqual({
      ...at,
      path: "aws_security_group.postgres.ingress[0].cidr_blocks",
    });
    expect(doc.doc!.locate(["resources", i, "unknown_paths"]).path).toBe(
      "aws_security_group.postgres unknown_paths",
    );
    expect(doc.doc!.locate(["resources", 999]).path).toBe("resources[999]");
    expect(doc.doc!.locate(["terraform_version"])).toMatchObject({ line: 1, column: 1 });
  });

  it("gives lines and columns in a pretty-printed plan", () => {
    const text = fixtureText("gcp-insecure");
    const doc = parse(text, "gcp.json");
    const lines = text.split("\n");
    const plan = doc.value as TerraformPlan;
    for (const [i, r] of plan.resources.entries()) {
      const loc = doc.doc!.locate(["resources", i]);
      expect(loc.line).toBeGreaterThan(1);
      expect(lines[loc.line! - 1]![loc.column! - 1]).toBe("{");
      expect(lines[loc.line!]).toContain(`"address": ${JSON.stringify(r.address)}`);
    }
  });

  it("finds addresses with escaped characters, and locates deleted resources", () => {
    const text = syntheticPlan([
      change('aws_s3_bucket.b["x\\"y"]', {}),
      change("aws_x.old", null, { actions: ["delete"], before: {} }),
    ]);
    const doc = parse(text);
    const at = doc.doc!.locate(["resources", 0]);
    expect(at.path).toBe('aws_s3_bucket.b["x\\"y"]');
    expect(text.slice(at.column! - 1)).toMatch(/^\{"address":"aws_s3_bucket\.b\[\\"x\\\\\\"y\\"\]"/);
    const old = doc.doc!.locate(["deleted", 0]);
    expect(old.path).toBe("aws_x.old");
    expect(text.slice(old.column! - 1)).toMatch(/^\{"address":"aws_x\.old"/);
  });
});

describe("terraform-plan parser: errors", () => {
  it("reports invalid JSON as INPUT_INVALID at the line and column of the fault", () => {
    const e = errorOf(() =>
      terraformPlanParser.parse(
        '{\n  "terraform_version": "1.11.4",\n  "planned_values": {,}\n}\n',
        "bad.json",
      ),
    );
    expect(e.code).toBe("INPUT_INVALID");
    expect(e.location).toEqual({ file: "bad.json", line: 3, column: 22 });
    expect(e.message).toMatch(/^bad\.json is not valid JSON: /);
  });

  it.each([
    ['{"terraform_version": "1.11.4", "planned_values": {}', 52],
    ['{"a": tru}', 6],
    ['{"a": "b\\x"}', 8],
    ["[1, 2,]", 6],
    ['{"a": 1} x', 9],
    ["", 0],
  ])("finds the fault in %j at offset %i", (text, offset) => {
    expect(() => JSON.parse(text)).toThrow();
    expect(jsonErrorOffset(text)).toBe(offset);
  });

  it("scans a deeply nested document without exhausting the stack", () => {
    const text = "[".repeat(1_000_000);
    expect(jsonErrorOffset(text)).toBe(text.length);
    expect(errorOf(() => terraformPlanParser.parse(text, "deep.json")).location).toEqual({
      file: "deep.json",
      line: 1,
      column: 1_000_001,
    });
  });

  it.each([
    ["[]", "a Terraform plan is a JSON object", ""],
    ['{"format_version":"1.0","values":{}}', "no terraform_version", "terraform_version"],
    ['{"format_version":"1.0","terraform_version":"1.11.4","values":{}}', "state", ""],
    [
      '{"format_version":"2.0","terraform_version":"1.11.4","resource_changes":[]}',
      "format_version",
      "format_version",
    ],
    ['{"terraform_version":"1.11.4","resource_changes":{}}', "must be a list", "resource_changes"],
    [
      '{"terraform_version":"1.11.4","resource_changes":[{"address":1}]}',
      "address must be a string",
      "resource_changes[0].address",
    ],
    [
      '{"terraform_version":"1.11.4","resource_changes":[{"address":"a.b","mode":"managed","type":"a","name":"b","change":{"actions":"create"}}]}',
      "actions must be a list",
      "resource_changes[0].change.actions",
    ],
    [
      '{"terraform_version":"1.11.4","planned_values":{"root_module":{"child_modules":{}}}}',
      "must be a list",
      "planned_values.root_module.child_modules",
    ],
  ])("rejects %s as INPUT_INVALID (%s)", (text, message, path) => {
    const e = errorOf(() => terraformPlanParser.parse(text, "p.json"));
    expect(e.code).toBe("INPUT_INVALID");
    expect(e.message).toContain(message);
    expect(e.location).toEqual({ file: "p.json", path });
  });

  it("rejects values nested deeper than the limit as INPUT_TOO_DEEP", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 200; i++) deep = { d: deep };
    const e = errorOf(() =>
      terraformPlanParser.parse(syntheticPlan([change("aws_x.deep", { deep })]), "p.json"),
    );
    expect(e.code).toBe("INPUT_TOO_DEEP");
    expect(e.location).toEqual({ file: "p.json", path: "resources[0].values" });
  });
});

describe("terraform-plan parser: a 50 MB plan", () => {
  it("parses in reasonable time (measured, not asserted)", { timeout: 120_000 }, async () => {
    const text = bigPlan(50 * 1024 * 1024);
    const started = performance.now();
    const doc = parse(text, "big.json");
    const ms = performance.now() - started;
    const plan = doc.value as TerraformPlan;
    console.log(
      `terraform-plan: parsed ${(text.length / 1024 / 1024).toFixed(1)} MB, ${plan.resources.length} resources, in ${ms.toFixed(0)} ms`,
    );
    expect(text.length).toBeGreaterThan(50 * 1024 * 1024);
    const last = plan.resources.length - 1;
    const loc = doc.doc!.locate(["resources", last]);
    expect(loc.path).toBe(plan.resources[last]!.address);
    expect(text.slice(loc.column! - 1, loc.column! + 10)).toBe('{"address":');

    const engine = new PolicyEngine(await loadPolicySet(["builtin:terraform"]), {
      clock: fixedClock("2026-11-21T12:00:00Z"),
    });
    const evaluating = performance.now();
    const report = engine.evaluate([doc], {});
    console.log(
      `terraform-plan: builtin:terraform evaluated it in ${(performance.now() - evaluating).toFixed(0)} ms`,
    );
    expect(report.decision).toBe("allow");
  });
});

/** A one-line plan of at least `bytes`: security groups, buckets and databases in modules. */
function bigPlan(bytes: number): string {
  const parts: string[] = [];
  const changes: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const mod = `module.m${i % 50}`;
    const sg = {
      address: `${mod}.aws_security_group.g${i}`,
      mode: "managed",
      type: "aws_security_group",
      name: `g${i}`,
      provider_name: "registry.terraform.io/hashicorp/aws",
      schema_version: 1,
      values: {
        description: "Managed by Terraform",
        name: `group-${i}`,
        vpc_id: "vpc-0123456789abcdef0",
        ingress: Array.from({ length: 8 }, (_, j) => ({
          cidr_blocks: [`10.${j}.0.0/16`],
          description: "rule ".repeat(10),
          from_port: 1000 + j,
          ipv6_cidr_blocks: [],
          prefix_list_ids: [],
          protocol: "tcp",
          security_groups: [],
          self: false,
          to_port: 1000 + j,
        })),
        tags: { team: "platform", cost_center: String(i) },
      },
      sensitive_values: {},
    };
    const pv = JSON.stringify(sg);
    const rc = JSON.stringify({
      address: sg.address,
      module_address: mod,
      mode: sg.mode,
      type: sg.type,
      name: sg.name,
      provider_name: sg.provider_name,
      change: {
        actions: ["create"],
        before: null,
        after: sg.values,
        after_unknown: { arn: true, id: true, owner_id: true, egress: true },
        before_sensitive: false,
        after_sensitive: { tags: {} },
      },
    });
    parts.push(pv);
    changes.push(rc);
    size += pv.length + rc.length;
  }
  return `{"format_version":"1.2","terraform_version":"1.11.4","planned_values":{"root_module":{"resources":[${parts.join(",")}]}},"resource_changes":[${changes.join(",")}],"timestamp":"2025-01-01T00:00:00Z","applyable":true,"complete":true,"errored":false}`;
}

describe("builtin:terraform on the fixture plans", () => {
  // Which resources each policy reports, per fixture: the PolicyTest cases check the policy ids,
  // this checks that every offending resource is reported, once, and nothing else.
  const expected: Record<string, Record<string, string[]>> = {
    "aws-secure": {},
    "gcp-secure": {},
    "azure-secure": {},
    "aws-delete": {},
    "aws-ebs-default": {},
    "aws-network-open": {
      "TF-001": [
        "aws_security_group.all_traffic",
        "aws_security_group.mysql_ipv6",
        "aws_security_group.postgres",
        "aws_security_group_rule.mssql",
        "aws_security_group_rule.oracle_range",
        "aws_vpc_security_group_ingress_rule.mongodb_ipv6",
        "aws_vpc_security_group_ingress_rule.redis",
      ],
    },
    "aws-db-attached-sg": {
      "TF-002": ["aws_security_group.app", "aws_vpc_security_group_ingress_rule.cluster_https"],
    },
    "aws-db-exposed": {
      "TF-003": [
        "aws_db_instance.public",
        "aws_rds_cluster_instance.aurora_public",
        "aws_redshift_cluster.warehouse",
      ],
      "TF-006": [
        "aws_db_instance.plain",
        "aws_elasticache_replication_group.cache",
        "aws_rds_cluster.aurora",
        "aws_redshift_cluster.warehouse",
      ],
    },
    "aws-storage-public": {
      "TF-004": ["aws_s3_bucket_acl.website", "aws_s3_bucket_policy.downloads"],
      "TF-005": ["aws_s3_bucket.downloads", "aws_s3_bucket.website"],
      "TF-007": ["aws_ebs_volume.data", "aws_efs_file_system.shared", "aws_instance.worker"],
      "TF-011": ["aws_s3_bucket.downloads", "aws_s3_bucket.website"],
    },
    "aws-iam-wildcard": {
      "TF-009": [
        "aws_iam_policy.admin",
        "aws_iam_role.deployer",
        "aws_iam_role_policy.publisher",
        "aws_iam_user_policy.ci",
      ],
    },
    "aws-lb-no-logs": { "TF-010": ["aws_elb.classic", "aws_lb.disabled", "aws_lb.public"] },
    "module-nested": {
      "TF-001": ["module.database[0].module.firewall.aws_security_group.this"],
      "TF-002": ["module.database[0].module.firewall.aws_security_group.this"],
      "TF-003": ["module.database[0].aws_db_instance.this"],
    },
    "unknown-values": {
      "TF-001": ["aws_security_group.db", "aws_security_group_rule.mysql"],
      "TF-002": ["aws_security_group.db", "aws_security_group_rule.mysql"],
      "TF-003": ["aws_db_instance.db"],
    },
    "gcp-insecure": {
      "TF-001": [
        "google_compute_firewall.db_open",
        "google_compute_firewall.everything_ipv6",
        "google_compute_firewall.no_source",
      ],
      "TF-003": ["google_sql_database_instance.public"],
      "TF-004": [
        "google_storage_bucket_iam_binding.authenticated_read",
        "google_storage_bucket_iam_member.public_read",
      ],
    },
    "azure-insecure": {
      "TF-001": [
        "azurerm_network_security_group.db",
        "azurerm_network_security_rule.mysql_range",
        "azurerm_network_security_rule.sql_anywhere",
      ],
      "TF-003": ["azurerm_mssql_firewall_rule.anywhere"],
      "TF-004": ["azurerm_storage_container.assets"],
      "TF-005": ["azurerm_storage_account.public"],
      "TF-008": ["azurerm_storage_account.public"],
      "TF-009": ["azurerm_role_definition.superuser"],
    },
  };

  it.each(Object.entries(expected))("%s", async (name, want) => {
    const set = await loadPolicySet(["builtin:terraform"]);
    const engine = new PolicyEngine(set, { clock: fixedClock("2026-11-21T12:00:00Z") });
    const text = fixtureText(name);
    const doc = parse(text, fixturePath(name));
    const report = engine.evaluate([doc], {});
    const violations = report.results.flatMap((r) => r.violations);
    const got: Record<string, string[]> = {};
    for (const v of violations) (got[v.policyId] ??= []).push(v.location!.path!);
    for (const list of Object.values(got)) list.sort();
    expect(got).toEqual(want);
    const plan = doc.value as TerraformPlan;
    for (const v of violations) {
      // Each finding points at its resource's object in the plan, and names the resource.
      const i = plan.resources.findIndex((r) => r.address === v.location!.path);
      expect(v.location).toMatchObject({ ...doc.doc!.locate(["resources", i]), document: 0 });
      expect(v.message).toContain(v.location!.path!);
    }
  });
});
