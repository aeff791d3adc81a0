import { readFileSync } from "node:fs";
import { join } from "node:path";
import ajv2020Module from "ajv/dist/2020.js";
import ajvFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { BulwarkError, canonicalDigest } from "../../src/core/index.js";
import {
  decodeOpenVex,
  encodeOpenVex,
  jsonPointer,
  OPENVEX_CONTEXT,
  type OpenVexDocument,
  OpenVexError,
  parseJsonText,
} from "../../src/formats/index.js";
import type { Finding, VexStatus } from "../../src/vuln/report.js";
import {
  applyVex,
  createOpenVexDocument,
  type CreateOpenVexInput,
  CYCLONEDX_JUSTIFICATION_TO_OPENVEX,
  CYCLONEDX_STATE_TO_STATUS,
  loadVexDocument,
  type VexDocument,
  vexDocumentFromOpenVex,
} from "../../src/vuln/vex.js";
import { requireShared } from "../support/shared.js";

// ---------------------------------------------------------------------------------------------
// Helpers.

const LODASH = "pkg:npm/lodash@4.17.20";
const IMAGE_DIGEST = `sha256:${"ab".repeat(32)}`;

function finding(over: { id?: string; aliases?: string[]; purl?: string } = {}): Finding {
  const purl = over.purl ?? LODASH;
  return {
    id: over.id ?? "GHSA-35jh-r3h4-6jhm",
    aliases: over.aliases ?? ["CVE-2021-23337"],
    severity: "high",
    severitySource: "database",
    cvss: [],
    package: { purl, name: "lodash", version: "4.17.20", ecosystem: "npm", locations: [] },
    matchedVersion: "4.17.20",
    fixedVersions: ["4.17.21"],
    suppressed: false,
    references: [],
    source: "db",
    notes: [],
  };
}

type Json = Record<string, unknown>;

function statement(over: Json = {}): Json {
  return {
    vulnerability: { name: "CVE-2021-23337" },
    products: [{ "@id": LODASH }],
    status: "not_affected",
    justification: "vulnerable_code_not_in_execute_path",
    ...over,
  };
}

function openVex(statements: Json[], over: Json = {}): Json {
  return {
    "@context": OPENVEX_CONTEXT,
    "@id": "https://example.com/vex/1",
    author: "Security Team <security@example.com>",
    timestamp: "2024-01-01T00:00:00Z",
    version: 1,
    statements,
    ...over,
  };
}

function load(doc: unknown, file = "vex.json"): VexDocument {
  return loadVexDocument(typeof doc === "string" ? doc : JSON.stringify(doc, null, 2), file);
}

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error("expected an error, got none");
}

function loadError(doc: unknown, file = "vex.json"): BulwarkError {
  const e = thrown(() => load(doc, file));
  expect(e).toBeInstanceOf(BulwarkError);
  return e as BulwarkError;
}

function decodeError(doc: unknown): OpenVexError {
  const e = thrown(() => decodeOpenVex(doc, "vex.json"));
  expect(e).toBeInstanceOf(OpenVexError);
  return e as OpenVexError;
}

function apply(docs: unknown[], findings: Finding[] = [finding()], target?: Parameters<typeof applyVex>[2]) {
  return applyVex(
    findings,
    docs.map((d, i) => load(d, `vex-${i}.json`)),
    target,
  );
}

function cdx(vulnerabilities: Json[], over: Json = {}): Json {
  return {
    bomFormat: "CycloneDX",
    specVersion: "1.6",
    serialNumber: "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
    version: 1,
    metadata: { timestamp: "2024-01-01T00:00:00Z" },
    components: [
      { type: "library", "bom-ref": "lodash-ref", name: "lodash", version: "4.17.20", purl: LODASH },
    ],
    vulnerabilities,
    ...over,
  };
}

function cdxVuln(analysis: Json, over: Json = {}): Json {
  return { "bom-ref": "v1", id: "CVE-2021-23337", analysis, affects: [{ ref: "lodash-ref" }], ...over };
}

const fullDocument: OpenVexDocument = {
  "@context": OPENVEX_CONTEXT,
  "@id": "https://example.com/vex/full",
  author: "Security Team",
  role: "Document Creator",
  timestamp: "2024-01-01T00:00:00.123456789-06:00",
  last_updated: "2024-02-01T00:00:00Z",
  version: 3,
  tooling: "bulwark",
  statements: [
    {
      "@id": "https://example.com/vex/full#s1",
      version: 2,
      vulnerability: {
        "@id": "https://nvd.nist.gov/vuln/detail/CVE-2021-23337",
        name: "CVE-2021-23337",
        description: "Command injection in lodash",
        aliases: ["GHSA-35jh-r3h4-6jhm"],
      },
      timestamp: "2024-01-02T00:00:00Z",
      last_updated: "2024-01-03T00:00:00Z",
      products: [
        {
          "@id": "pkg:oci/app@sha256%3A" + "ab".repeat(32),
          identifiers: { purl: "pkg:oci/app", cpe23: "cpe:2.3:a:example:app:1.0:*:*:*:*:*:*:*" },
          hashes: { "sha-256": "ab".repeat(32) },
          subcomponents: [
            { "@id": LODASH, identifiers: { purl: LODASH }, hashes: { sha1: "00".repeat(20) } },
          ],
        },
      ],
      status: "not_affected",
      supplier: "Example Inc.",
      status_notes: "Reviewed by the security team",
      justification: "vulnerable_code_not_in_execute_path",
      impact_statement: "template() is never called with user input",
    },
    {
      vulnerability: { name: "CVE-2024-0001" },
      products: [{ identifiers: { purl: LODASH } }],
      status: "affected",
      action_statement: "Upgrade to 4.17.21",
      action_statement_timestamp: "2024-01-05T00:00:00Z",
    },
    { vulnerability: { name: "CVE-2024-0002" }, products: [{ "@id": LODASH }], status: "fixed" },
    {
      vulnerability: { name: "CVE-2024-0003" },
      products: [{ "@id": LODASH }],
      status: "under_investigation",
    },
  ],
};

const createInput: CreateOpenVexInput = {
  vulnerability: "CVE-2021-23337",
  products: [LODASH],
  status: "not_affected",
  justification: "vulnerable_code_not_in_execute_path",
  author: "Security Team",
  timestamp: "2024-03-01T12:00:00Z",
};

// ---------------------------------------------------------------------------------------------
// The OpenVEX codec.

describe("decodeOpenVex", () => {
  it("reads every field of a v0.2.0 document", () => {
    expect(decodeOpenVex(JSON.parse(JSON.stringify(fullDocument)))).toEqual(fullDocument);
  });

  it("ignores fields it does not know and hash algorithms outside the specification's table", () => {
    const doc = decodeOpenVex(
      openVex(
        [statement({ products: [{ "@id": LODASH, hashes: { blake3: "x", "sha-256": "ab" } }], extra: 1 })],
        {
          "x-vendor": true,
        },
      ),
    );
    expect(doc.statements[0]!.products[0]).toEqual({ "@id": LODASH, hashes: { "sha-256": "ab" } });
    expect(doc).not.toHaveProperty("x-vendor");
  });

  it("normalises a legacy v0.0.1 document: string vulnerability, string products, statement subcomponents, string version", () => {
    const doc = decodeOpenVex({
      "@context": "https://openvex.dev/ns/v0.0.1",
      "@id": "https://openvex.dev/docs/example/vex-9fb3463de1b57",
      author: "Wolfi J Inkinson",
      role: "Document Creator",
      timestamp: "2023-01-08T18:02:03.647787998-06:00",
      version: "1",
      supplier: "Wolfi",
      statements: [
        {
          vulnerability: "CVE-2023-12345",
          vuln_description: "An old bug",
          products: ["pkg:apk/wolfi/git@2.39.0-r1?arch=armv7", "pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64"],
          subcomponents: ["pkg:generic/libcurl@7.0", ""],
          status: "fixed",
        },
      ],
    });
    expect(doc).toEqual({
      "@context": OPENVEX_CONTEXT,
      "@id": "https://openvex.dev/docs/example/vex-9fb3463de1b57",
      author: "Wolfi J Inkinson",
      role: "Document Creator",
      timestamp: "2023-01-08T18:02:03.647787998-06:00",
      version: 1,
      statements: [
        {
          vulnerability: { name: "CVE-2023-12345", description: "An old bug" },
          products: [
            {
              "@id": "pkg:apk/wolfi/git@2.39.0-r1?arch=armv7",
              subcomponents: [{ "@id": "pkg:generic/libcurl@7.0" }],
            },
            {
              "@id": "pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64",
              subcomponents: [{ "@id": "pkg:generic/libcurl@7.0" }],
            },
          ],
          status: "fixed",
        },
      ],
    });
  });

  it("reads the unversioned legacy context with the later struct shapes, and defaults a missing version to 1", () => {
    const doc = decodeOpenVex({
      ...openVex([statement()]),
      "@context": "https://openvex.dev/ns",
      version: undefined,
    });
    expect(doc["@context"]).toBe(OPENVEX_CONTEXT);
    expect(doc.version).toBe(1);
    expect(doc.statements[0]!.vulnerability).toEqual({ name: "CVE-2021-23337" });
  });

  const s0 = "/statements/0";
  const invalid: [string, unknown, string, RegExp][] = [
    ["not an object", [], "", /expected an object, got an array/],
    ["missing @context", { ...openVex([statement()]), "@context": undefined }, "/@context", /is required/],
    [
      "@context not a string",
      openVex([statement()], { "@context": ["x"] }),
      "/@context",
      /expected a string/,
    ],
    [
      "unsupported @context",
      openVex([statement()], { "@context": "https://openvex.dev/ns/v9.9.9" }),
      "/@context",
      /unsupported OpenVEX context "https:\/\/openvex.dev\/ns\/v9.9.9"/,
    ],
    ["missing @id", openVex([statement()], { "@id": undefined }), "/@id", /is required/],
    ["@id not an IRI", openVex([statement()], { "@id": "my vex" }), "/@id", /absolute IRI/],
    ["missing author", openVex([statement()], { author: undefined }), "/author", /is required/],
    [
      "author not a string",
      openVex([statement()], { author: 7 }),
      "/author",
      /expected a string, got a number/,
    ],
    ["missing timestamp", openVex([statement()], { timestamp: undefined }), "/timestamp", /is required/],
    ["timestamp not RFC 3339", openVex([statement()], { timestamp: "yesterday" }), "/timestamp", /RFC 3339/],
    [
      "timestamp out of range",
      openVex([statement()], { timestamp: "2024-02-30T00:00:00Z" }),
      "/timestamp",
      /RFC 3339/,
    ],
    [
      "timestamp without zone",
      openVex([statement()], { timestamp: "2024-01-01T00:00:00" }),
      "/timestamp",
      /RFC 3339/,
    ],
    ["missing version", openVex([statement()], { version: undefined }), "/version", /is required/],
    ["version 0", openVex([statement()], { version: 0 }), "/version", /integer >= 1/],
    ["string version in v0.2.0", openVex([statement()], { version: "1" }), "/version", /integer >= 1/],
    ["missing statements", openVex([], { statements: undefined }), "/statements", /is required/],
    ["no statements", openVex([]), "/statements", /at least one statement/],
    ["statements not an array", openVex([], { statements: {} }), "/statements", /expected an array/],
    ["statement not an object", openVex(["x" as unknown as Json]), s0, /expected an object, got a string/],
    [
      "missing vulnerability",
      openVex([statement({ vulnerability: undefined })]),
      `${s0}/vulnerability`,
      /required/,
    ],
    [
      "string vulnerability in v0.2.0",
      openVex([statement({ vulnerability: "CVE-1" })]),
      `${s0}/vulnerability`,
      /expected an object, got a string/,
    ],
    ["missing name", openVex([statement({ vulnerability: {} })]), `${s0}/vulnerability/name`, /is required/],
    [
      "empty name",
      openVex([statement({ vulnerability: { name: " " } })]),
      `${s0}/vulnerability/name`,
      /empty/,
    ],
    [
      "alias not a string",
      openVex([statement({ vulnerability: { name: "CVE-1", aliases: ["GHSA-x", 3] } })]),
      `${s0}/vulnerability/aliases/1`,
      /expected a string/,
    ],
    ["missing status", openVex([statement({ status: undefined })]), `${s0}/status`, /is required/],
    [
      "unknown status",
      openVex([statement({ status: "unaffected" })]),
      `${s0}/status`,
      /must be one of not_affected, affected, fixed, under_investigation; got "unaffected"/,
    ],
    [
      "unknown justification",
      openVex([statement({ justification: "code_not_reachable" })]),
      `${s0}/justification`,
      /must be one of component_not_present, /,
    ],
    [
      "not_affected without justification or impact statement",
      openVex([statement({ justification: undefined })]),
      s0,
      /not_affected requires a justification or an impact_statement/,
    ],
    [
      "not_affected with a blank impact statement",
      openVex([statement({ justification: undefined, impact_statement: "  " })]),
      s0,
      /not_affected requires/,
    ],
    [
      "affected without action statement",
      openVex([statement({ status: "affected", justification: undefined })]),
      s0,
      /affected requires an action_statement/,
    ],
    ["products not an array", openVex([statement({ products: {} })]), `${s0}/products`, /expected an array/],
    [
      "product with no @id or identifiers",
      openVex([statement({ products: [{}] })]),
      `${s0}/products/0`,
      /@id or identifiers/,
    ],
    [
      "product @id not an IRI",
      openVex([statement({ products: [{ "@id": "lodash 4" }] })]),
      `${s0}/products/0/@id`,
      /absolute IRI/,
    ],
    [
      "identifiers without any identifier",
      openVex([statement({ products: [{ identifiers: {} }] })]),
      `${s0}/products/0/identifiers`,
      /at least one of purl, cpe22, cpe23/,
    ],
    [
      "hash not a string",
      openVex([statement({ products: [{ "@id": LODASH, hashes: { "sha-256": 1 } }] })]),
      `${s0}/products/0/hashes/sha-256`,
      /expected a string/,
    ],
    [
      "bad subcomponent",
      openVex([statement({ products: [{ "@id": LODASH, subcomponents: [{ hashes: {} }] }] })]),
      `${s0}/products/0/subcomponents/0`,
      /@id or identifiers/,
    ],
    [
      "statement timestamp not RFC 3339",
      openVex([statement({ timestamp: "2024-01-01" })]),
      `${s0}/timestamp`,
      /RFC 3339/,
    ],
    [
      "action_statement_timestamp not RFC 3339",
      openVex([statement({ action_statement_timestamp: "soon" })]),
      `${s0}/action_statement_timestamp`,
      /RFC 3339/,
    ],
    ["statement version not an integer", openVex([statement({ version: 1.5 })]), `${s0}/version`, /integer/],
    [
      "legacy product that is not an IRI",
      {
        ...openVex([statement({ vulnerability: "CVE-1", products: ["lodash"] })]),
        "@context": "https://openvex.dev/ns",
      },
      `${s0}/products/0`,
      /absolute IRI/,
    ],
  ];

  for (const [name, doc, pointer, message] of invalid) {
    it(`rejects ${name} at ${pointer === "" ? "the root" : pointer}`, () => {
      const e = decodeError(doc);
      expect(e.location).toEqual({ file: "vex.json", path: pointer });
      expect(e.message).toMatch(message);
      if (pointer !== "") expect(e.message.startsWith(`${pointer}: `)).toBe(true);
      expect(e.code).toBe("INPUT_INVALID");
      expect(String(e)).toBe(`vex.json: ${e.message} [INPUT_INVALID]`);
    });
  }

  it("escapes JSON pointer segments (RFC 6901)", () => {
    expect(jsonPointer(["a/b", "c~d", 0])).toBe("/a~1b/c~0d/0");
    expect(jsonPointer([])).toBe("");
  });

  it("parseJsonText reports a syntax error with its line and column, and accepts a BOM", () => {
    const e = thrown(() => parseJsonText('{\n  "a": 1,\n  "b" 2\n}', "bad.json")) as OpenVexError;
    expect(e).toBeInstanceOf(OpenVexError);
    expect(e.location).toMatchObject({ file: "bad.json", line: 3, column: 7, path: "" });
    expect(e.message).toMatch(/^not valid JSON: /);
    expect(parseJsonText('\uFEFF{"a":1}')).toEqual({ a: 1 });
  });
});

describe("encodeOpenVex", () => {
  it("round trips: decode(encode(doc)) is the document, and encoding is stable", () => {
    const text = encodeOpenVex(fullDocument);
    expect(decodeOpenVex(JSON.parse(text))).toEqual(fullDocument);
    expect(encodeOpenVex(decodeOpenVex(JSON.parse(text)))).toBe(text);
    expect(text.endsWith("}\n")).toBe(true);
  });

  it("writes fields in the specification's order", () => {
    const json = JSON.parse(encodeOpenVex(fullDocument)) as Json;
    expect(Object.keys(json)).toEqual([
      "@context",
      "@id",
      "author",
      "role",
      "timestamp",
      "last_updated",
      "version",
      "tooling",
      "statements",
    ]);
    const first = (json.statements as Json[])[0]!;
    expect(Object.keys(first)).toEqual([
      "@id",
      "version",
      "vulnerability",
      "timestamp",
      "last_updated",
      "products",
      "status",
      "supplier",
      "status_notes",
      "justification",
      "impact_statement",
    ]);
  });

  it("writes a legacy document as v0.2.0", () => {
    const legacy = decodeOpenVex({
      "@context": "https://openvex.dev/ns/v0.0.1",
      "@id": "https://example.com/old",
      author: "a",
      timestamp: "2023-01-01T00:00:00Z",
      version: "2",
      statements: [{ vulnerability: "CVE-1", products: [LODASH], status: "under_investigation" }],
    });
    const json = JSON.parse(encodeOpenVex(legacy)) as Json;
    expect(json["@context"]).toBe(OPENVEX_CONTEXT);
    expect(json.version).toBe(2);
    expect((json.statements as Json[])[0]!.vulnerability).toEqual({ name: "CVE-1" });
  });

  it("refuses to write a document that breaks a rule", () => {
    const bad = {
      ...fullDocument,
      statements: [{ vulnerability: { name: "CVE-1" }, products: [], status: "affected" as const }],
    };
    const e = thrown(() => encodeOpenVex(bad));
    expect(e).toBeInstanceOf(OpenVexError);
    expect((e as OpenVexError).location.path).toBe("/statements/0");
  });
});

// ---------------------------------------------------------------------------------------------
// Loading.

describe("loadVexDocument: OpenVEX", () => {
  it("maps statements into the neutral model, with the file as the source", () => {
    const doc = load(JSON.parse(encodeOpenVex(fullDocument)), "vex/app.openvex.json");
    expect(doc.format).toBe("openvex");
    expect(doc.source).toBe("vex/app.openvex.json");
    expect(doc.id).toBe("https://example.com/vex/full");
    expect(doc.timestamp).toBe(fullDocument.timestamp);
    expect(doc.warnings).toEqual([]);
    expect(doc.statements[0]).toEqual({
      id: "https://example.com/vex/full#s1",
      vulnerability: "CVE-2021-23337",
      aliases: ["GHSA-35jh-r3h4-6jhm"],
      timestamp: "2024-01-02T00:00:00Z",
      products: [
        {
          id: `pkg:oci/app@sha256%3A${"ab".repeat(32)}`,
          purls: [`pkg:oci/app@sha256%3A${"ab".repeat(32)}`, "pkg:oci/app"],
          sha256: ["ab".repeat(32)],
          subcomponents: [{ id: LODASH, purls: [LODASH], sha256: [] }],
        },
      ],
      status: "not_affected",
      justification: "vulnerable_code_not_in_execute_path",
      impactStatement: "template() is never called with user input",
    });
    expect(doc.statements[1]).toMatchObject({ status: "affected", actionStatement: "Upgrade to 4.17.21" });
  });

  it("warns about statements that can never match: no products, a CPE-only product", () => {
    const doc = load(
      openVex([
        statement({ products: [] }),
        statement({
          products: [{ identifiers: { cpe23: "cpe:2.3:a:lodash:lodash:4.17.20:*:*:*:*:*:*:*" } }],
        }),
      ]),
    );
    expect(doc.warnings).toEqual([
      "/statements/0: the statement names no products; it applies to nothing",
      "/statements/1/products/0: the product has no purl, @id or sha-256 Bulwark can match (CPEs are not matched)",
    ]);
  });

  it("wraps decoder errors as INPUT_INVALID with the file and the JSON pointer", () => {
    const e = loadError(openVex([statement({ status: "bogus" })]), "team.vex.json");
    expect(e.code).toBe("INPUT_INVALID");
    expect(e.location).toEqual({ file: "team.vex.json", path: "/statements/0/status" });
    expect(e.message).toMatch(/^\/statements\/0\/status: must be one of/);
    expect(e.cause).toBeInstanceOf(OpenVexError);
    expect(String(e)).toMatch(/^team\.vex\.json: \/statements\/0\/status: /);
  });

  it("reports JSON syntax errors with line and column", () => {
    const e = loadError('{\n  "@context": \n}', "broken.json");
    expect(e.code).toBe("INPUT_INVALID");
    expect(e.location).toMatchObject({ file: "broken.json", line: 3, column: 1 });
    expect(e.message).toMatch(/not valid JSON/);
  });

  it("rejects documents that are neither OpenVEX nor CycloneDX VEX, naming the file", () => {
    for (const doc of [
      { spdxVersion: "SPDX-2.3" },
      [],
      "3",
      { "@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld" },
    ]) {
      const e = loadError(doc, "what.json");
      expect(e.code).toBe("INPUT_INVALID");
      expect(e.location).toEqual({ file: "what.json", path: "" });
      expect(e.message).toMatch(/not a VEX document/);
      expect(String(e)).toMatch(/^what\.json: not a VEX document/);
    }
  });

  it("refuses a file over the size limit with INPUT_TOO_LARGE", () => {
    const text = JSON.stringify(openVex([statement()]));
    const e = thrown(() => loadVexDocument(text, "big.json", { maxFileBytes: 100, maxDepth: 8 }));
    expect(e).toBeInstanceOf(BulwarkError);
    expect((e as BulwarkError).code).toBe("INPUT_TOO_LARGE");
    expect((e as BulwarkError).location).toEqual({ file: "big.json" });
  });

  it("applies a legacy v0.0.1 document end to end (statement subcomponents under a target product)", () => {
    const legacy = {
      "@context": "https://openvex.dev/ns/v0.0.1",
      "@id": "https://example.com/legacy",
      author: "a",
      timestamp: "2023-01-01T00:00:00Z",
      version: "1",
      statements: [
        {
          vulnerability: "CVE-2021-23337",
          products: [IMAGE_DIGEST],
          subcomponents: ["pkg:npm/lodash"],
          status: "not_affected",
          justification: "vulnerable_code_not_present",
        },
      ],
    };
    const out = apply([legacy], [finding(), finding({ purl: "pkg:npm/minimist@1.2.5" })], {
      digest: IMAGE_DIGEST,
    });
    expect(out.map((f) => f.suppressed)).toEqual([true, false]);
    expect(out[0]!.vex).toMatchObject({ format: "openvex", justification: "vulnerable_code_not_present" });
  });

  it("sends an unsupported openvex.dev context to the decoder, which names it", () => {
    const e = loadError(openVex([statement()], { "@context": "https://openvex.dev/ns/v1.0.0" }));
    expect(e.location?.path).toBe("/@context");
    expect(e.message).toMatch(/unsupported OpenVEX context/);
  });
});

describe("loadVexDocument: CycloneDX VEX", () => {
  it.each(Object.entries(CYCLONEDX_STATE_TO_STATUS))("maps analysis state %s to %s", (state, status) => {
    const detail = state === "exploitable" ? { detail: "Upgrade now", response: ["update"] } : {};
    const doc = load(cdx([cdxVuln({ state, ...detail })]));
    expect(doc.format).toBe("cyclonedx");
    expect(doc.statements[0]!.status).toBe(status);
  });

  it("has exactly the six CycloneDX states and nine justifications", () => {
    expect(Object.keys(CYCLONEDX_STATE_TO_STATUS).sort()).toEqual(
      [
        "exploitable",
        "false_positive",
        "in_triage",
        "not_affected",
        "resolved",
        "resolved_with_pedigree",
      ].sort(),
    );
    expect(CYCLONEDX_JUSTIFICATION_TO_OPENVEX).toEqual({
      code_not_present: "vulnerable_code_not_present",
      code_not_reachable: "vulnerable_code_not_in_execute_path",
      requires_configuration: "vulnerable_code_cannot_be_controlled_by_adversary",
      requires_dependency: "vulnerable_code_cannot_be_controlled_by_adversary",
      requires_environment: "vulnerable_code_cannot_be_controlled_by_adversary",
      protected_by_compiler: "inline_mitigations_already_exist",
      protected_at_runtime: "inline_mitigations_already_exist",
      protected_at_perimeter: "inline_mitigations_already_exist",
      protected_by_mitigating_control: "inline_mitigations_already_exist",
    });
  });

  it.each(Object.entries(CYCLONEDX_JUSTIFICATION_TO_OPENVEX))(
    "maps justification %s to %s and keeps the original in the impact statement",
    (justification, openvex) => {
      const s = load(cdx([cdxVuln({ state: "not_affected", justification })]))!.statements[0]!;
      expect(s.justification).toBe(openvex);
      expect(s.impactStatement).toBe(`CycloneDX analysis state not_affected, justification ${justification}`);
    },
  );

  it("reads id, references as aliases, bom-ref as statement id, detail, response and timestamps", () => {
    const doc = load(
      cdx([
        cdxVuln(
          {
            state: "not_affected",
            justification: "code_not_reachable",
            detail: "Not called",
            response: ["will_not_fix"],
            firstIssued: "2024-01-02T00:00:00Z",
            lastUpdated: "2024-01-03T00:00:00Z",
          },
          { references: [{ id: "GHSA-35jh-r3h4-6jhm", source: { name: "GitHub" } }] },
        ),
        cdxVuln({
          state: "exploitable",
          detail: "Upgrade lodash",
          response: ["update", "workaround_available"],
        }),
        cdxVuln({ state: "false_positive", firstIssued: "2024-01-04T00:00:00Z" }),
        { id: "CVE-2099-0001", affects: [{ ref: "lodash-ref" }] },
      ]),
      "bom.vex.json",
    );
    expect(doc).toMatchObject({
      format: "cyclonedx",
      source: "bom.vex.json",
      id: "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
      timestamp: "2024-01-01T00:00:00Z",
      warnings: [],
    });
    expect(doc.statements).toHaveLength(3);
    expect(doc.statements[0]).toEqual({
      id: "v1",
      vulnerability: "CVE-2021-23337",
      aliases: ["GHSA-35jh-r3h4-6jhm"],
      timestamp: "2024-01-03T00:00:00Z",
      products: [{ id: "lodash-ref", purls: [LODASH], sha256: [], subcomponents: [] }],
      status: "not_affected",
      justification: "vulnerable_code_not_in_execute_path",
      impactStatement: "Not called",
      actionStatement: "response: will_not_fix",
    });
    expect(doc.statements[1]).toMatchObject({
      status: "affected",
      actionStatement: "response: update, workaround_available. Upgrade lodash",
    });
    expect(doc.statements[1]).not.toHaveProperty("impactStatement");
    expect(doc.statements[2]).toMatchObject({
      status: "not_affected",
      timestamp: "2024-01-04T00:00:00Z",
      impactStatement: "CycloneDX analysis state false_positive",
    });
    expect(doc.statements[2]).not.toHaveProperty("justification");
  });

  it("resolves affects refs: nested components, metadata.component, purls, BOM-links; warns about the rest", () => {
    const bom = cdx(
      [
        cdxVuln(
          { state: "resolved" },
          {
            affects: [
              { ref: "nested" },
              { ref: "app" },
              { ref: "pkg:npm/minimist@1.2.5" },
              { ref: "urn:cdx:3E671687-395b-41f5-a30f-a58921a69b79/1#pkg%3Anpm%2Fqs%406.0.0" },
              { ref: "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1" },
              { ref: "unknown-ref" },
              { ref: "no-purl" },
              { ref: "urn:cdx:broken" },
            ],
          },
        ),
      ],
      {
        metadata: {
          component: {
            type: "container",
            "bom-ref": "app",
            name: "app",
            hashes: [{ alg: "SHA-256", content: "AB".repeat(32) }],
          },
        },
        components: [
          {
            type: "library",
            "bom-ref": "outer",
            name: "outer",
            components: [{ type: "library", "bom-ref": "nested", name: "ms", purl: "pkg:npm/ms@2.0.0" }],
          },
          { type: "library", "bom-ref": "no-purl", name: "mystery" },
        ],
      },
    );
    const doc = load(bom);
    expect(doc.statements[0]!.products).toEqual([
      { id: "nested", purls: ["pkg:npm/ms@2.0.0"], sha256: [], subcomponents: [] },
      { id: "app", purls: [], sha256: ["ab".repeat(32)], subcomponents: [] },
      { id: "pkg:npm/minimist@1.2.5", purls: ["pkg:npm/minimist@1.2.5"], sha256: [], subcomponents: [] },
      {
        id: "urn:cdx:3E671687-395b-41f5-a30f-a58921a69b79/1#pkg%3Anpm%2Fqs%406.0.0",
        purls: ["pkg:npm/qs@6.0.0"],
        sha256: [],
        bomSerial: "3e671687-395b-41f5-a30f-a58921a69b79",
        subcomponents: [],
      },
      {
        id: "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1",
        purls: [],
        sha256: [],
        bomSerial: "3e671687-395b-41f5-a30f-a58921a69b79",
        wholeBom: true,
        subcomponents: [],
      },
    ]);
    expect(doc.warnings).toEqual([
      '/vulnerabilities/0/affects/5/ref: "unknown-ref" is neither a bom-ref of this BOM nor a package URL; the entry applies to nothing',
      '/vulnerabilities/0/affects/6/ref: component "no-purl" has neither a purl nor a SHA-256 hash; the entry applies to nothing',
      '/vulnerabilities/0/affects/7/ref: "urn:cdx:broken" is not a BOM-link (urn:cdx:<serial>/<version>#<bom-ref>); the entry applies to nothing',
    ]);
  });

  it("narrows a version-less ref to affects[].versions, ignoring ranges with a warning", () => {
    const doc = load(
      cdx([
        cdxVuln(
          { state: "not_affected", justification: "code_not_present" },
          {
            affects: [
              {
                ref: "pkg:npm/lodash",
                versions: [
                  { version: "4.17.20", status: "unaffected" },
                  { range: "vers:npm/<4", status: "unaffected" },
                ],
              },
              { ref: "pkg:npm/qs", versions: [{ range: "vers:npm/<6" }] },
            ],
          },
        ),
      ]),
    );
    expect(doc.statements[0]!.products.map((p) => p.purls)).toEqual([["pkg:npm/lodash@4.17.20"]]);
    expect(doc.warnings).toEqual([
      "/vulnerabilities/0/affects/0/versions/1/range: version ranges are not evaluated; the range is ignored",
      "/vulnerabilities/0/affects/1/versions/0/range: version ranges are not evaluated; the range is ignored",
    ]);
  });

  it("refuses components nested deeper than the limit with INPUT_TOO_DEEP", () => {
    let nested: Json = { type: "library", name: "leaf" };
    for (let i = 0; i < 5; i++) nested = { type: "library", name: `level${i}`, components: [nested] };
    const text = JSON.stringify(cdx([cdxVuln({ state: "resolved" })], { components: [nested] }));
    const e = thrown(() => loadVexDocument(text, "deep.json", { maxFileBytes: 1 << 20, maxDepth: 3 }));
    expect(e).toBeInstanceOf(BulwarkError);
    expect((e as BulwarkError).code).toBe("INPUT_TOO_DEEP");
    expect((e as BulwarkError).location).toEqual({
      file: "deep.json",
      path: "/components/0/components/0/components/0/components/0",
    });
    expect(
      loadVexDocument(text, "deep.json", { maxFileBytes: 1 << 20, maxDepth: 6 }).statements,
    ).toHaveLength(1);
  });

  it("warns when an analysis names nothing usable", () => {
    const doc = load(
      cdx([cdxVuln({ state: "not_affected", justification: "code_not_present" }, { affects: [] })]),
    );
    expect(doc.warnings).toEqual([
      "/vulnerabilities/0: the analysis names no usable affects[].ref; it applies to nothing",
    ]);
  });

  const v0 = "/vulnerabilities/0";
  const invalid: [string, Json, string, RegExp][] = [
    [
      "an unsupported specVersion",
      cdx([cdxVuln({ state: "resolved" })], { specVersion: "1.3" }),
      "/specVersion",
      /must be one of 1\.4, 1\.5, 1\.6, 1\.7/,
    ],
    [
      "a missing specVersion",
      cdx([cdxVuln({ state: "resolved" })], { specVersion: undefined }),
      "/specVersion",
      /is required/,
    ],
    [
      "a BOM without vulnerabilities",
      cdx([], { vulnerabilities: undefined }),
      "",
      /without vulnerabilities\[\] is not a VEX document/,
    ],
    [
      "vulnerabilities without an analysis",
      cdx([{ id: "CVE-1" }]),
      "/vulnerabilities",
      /no vulnerability carries an analysis/,
    ],
    ["a vulnerability that is not an object", cdx(["CVE-1" as unknown as Json]), v0, /expected an object/],
    [
      "an analysis without state",
      cdx([cdxVuln({ detail: "x" })]),
      `${v0}/analysis/state`,
      /is required for a VEX statement/,
    ],
    [
      "an unknown state",
      cdx([cdxVuln({ state: "fixed" })]),
      `${v0}/analysis/state`,
      /must be one of not_affected, false_positive/,
    ],
    [
      "an unknown justification",
      cdx([cdxVuln({ state: "not_affected", justification: "component_not_present" })]),
      `${v0}/analysis/justification`,
      /must be one of code_not_present/,
    ],
    [
      "an unknown response",
      cdx([cdxVuln({ state: "exploitable", response: ["panic"] })]),
      `${v0}/analysis/response/0`,
      /must be one of can_not_fix/,
    ],
    [
      "a missing id",
      cdx([cdxVuln({ state: "resolved" }, { id: undefined })]),
      `${v0}/id`,
      /is required to match a VEX statement/,
    ],
    [
      "an affects entry without ref",
      cdx([cdxVuln({ state: "resolved" }, { affects: [{}] })]),
      `${v0}/affects/0/ref`,
      /is required in affects/,
    ],
    [
      "a bad lastUpdated",
      cdx([cdxVuln({ state: "resolved", lastUpdated: "today" })]),
      `${v0}/analysis/lastUpdated`,
      /RFC 3339/,
    ],
    [
      "a bad metadata.timestamp",
      cdx([cdxVuln({ state: "resolved" })], { metadata: { timestamp: 5 } }),
      "/metadata/timestamp",
      /expected a string/,
    ],
    [
      "a reference without id",
      cdx([cdxVuln({ state: "resolved" }, { references: [{ source: {} }] })]),
      `${v0}/references/0/id`,
      /is required/,
    ],
    [
      "a component that is not an object",
      cdx([cdxVuln({ state: "resolved" })], { components: [1] }),
      "/components/0",
      /expected an object/,
    ],
  ];
  for (const [name, doc, pointer, message] of invalid) {
    it(`rejects ${name} (${pointer === "" ? "root" : pointer})`, () => {
      const e = loadError(doc, "bom.json");
      expect(e.code).toBe("INPUT_INVALID");
      expect(e.location).toEqual({ file: "bom.json", path: pointer });
      expect(e.message).toMatch(message);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Applying.

describe("applyVex: statuses and the recorded statement", () => {
  const statuses: [VexStatus, Json, boolean][] = [
    ["not_affected", { justification: "vulnerable_code_not_present" }, true],
    ["fixed", { justification: undefined }, true],
    ["affected", { justification: undefined, action_statement: "Upgrade to 4.17.21" }, false],
    ["under_investigation", { justification: undefined }, false],
  ];
  for (const [status, extra, suppressed] of statuses) {
    it(`${status} → suppressed: ${suppressed}, vex recorded`, () => {
      const [out] = apply([openVex([statement({ status, ...extra })])]);
      expect(out!.suppressed).toBe(suppressed);
      expect(out!.vex?.status).toBe(status);
    });
  }

  it("fills VexInfo from the statement, falling back to the document timestamp", () => {
    const [out] = apply([
      openVex([
        statement({
          "@id": "https://example.com/vex/1#lodash",
          impact_statement: "template() is not used",
          action_statement: "none needed",
        }),
      ]),
    ]);
    expect(out!.vex).toEqual({
      status: "not_affected",
      justification: "vulnerable_code_not_in_execute_path",
      impactStatement: "template() is not used",
      actionStatement: "none needed",
      document: "vex-0.json",
      statementId: "https://example.com/vex/1#lodash",
      timestamp: "2024-01-01T00:00:00Z",
      format: "openvex",
    });
  });

  it("returns new findings and leaves the input untouched; unmatched findings come back as they were", () => {
    const input = [finding(), finding({ id: "GHSA-other", aliases: [] })];
    const frozen = structuredClone(input);
    const out = apply([openVex([statement()])], input);
    expect(input).toEqual(frozen);
    expect(out).not.toBe(input);
    expect(out[0]).not.toBe(input[0]);
    expect(out[1]).toBe(input[1]);
    expect(out[1]!.vex).toBeUndefined();
  });

  it("applies CycloneDX statements and records the format, file and bom-ref", () => {
    const [out] = apply([cdx([cdxVuln({ state: "resolved", lastUpdated: "2024-05-01T00:00:00Z" })])]);
    expect(out!.suppressed).toBe(true);
    expect(out!.vex).toEqual({
      status: "fixed",
      document: "vex-0.json",
      statementId: "v1",
      timestamp: "2024-05-01T00:00:00Z",
      format: "cyclonedx",
    });
  });
});

describe("applyVex: vulnerability ids and aliases", () => {
  const cases: [string, Json, Partial<Parameters<typeof finding>[0]>, boolean][] = [
    [
      "statement name = finding alias",
      { name: "CVE-2021-23337" },
      { id: "GHSA-35jh-r3h4-6jhm", aliases: ["CVE-2021-23337"] },
      true,
    ],
    [
      "statement alias = finding id",
      { name: "CVE-2021-23337", aliases: ["GHSA-35jh-r3h4-6jhm"] },
      { id: "GHSA-35jh-r3h4-6jhm", aliases: [] },
      true,
    ],
    [
      "statement name = finding id",
      { name: "GHSA-35jh-r3h4-6jhm" },
      { id: "GHSA-35jh-r3h4-6jhm", aliases: [] },
      true,
    ],
    ["ids differ only in case", { name: "cve-2021-23337" }, { id: "CVE-2021-23337", aliases: [] }, true],
    [
      "no id in common",
      { name: "CVE-2021-99999", aliases: ["GHSA-zzzz"] },
      { id: "GHSA-35jh-r3h4-6jhm", aliases: ["CVE-2021-23337"] },
      false,
    ],
  ];
  for (const [name, vulnerability, f, applies] of cases) {
    it(`${name} → ${applies ? "applies" : "does not apply"}`, () => {
      const [out] = apply([openVex([statement({ vulnerability })])], [finding(f)]);
      expect(out!.suppressed).toBe(applies);
    });
  }
});

describe("applyVex: products that name the package (purl matching)", () => {
  const cases: [string, string, string, boolean][] = [
    ["the same purl", LODASH, LODASH, true],
    ["a version-less purl matches every version", "pkg:npm/lodash", "pkg:npm/lodash@3.0.0", true],
    ["another version", "pkg:npm/lodash@4.17.21", LODASH, false],
    ["another name", "pkg:npm/lodash-es@4.17.20", LODASH, false],
    ["another type", "pkg:pypi/lodash@4.17.20", LODASH, false],
    ["npm names are case-insensitive (purl spec)", "pkg:NPM/LoDash@4.17.20", LODASH, true],
    ["scoped npm, percent-encoded or not", "pkg:npm/@babel/core@7.0.0", "pkg:npm/%40babel/core@7.0.0", true],
    ["another npm scope", "pkg:npm/@other/core@7.0.0", "pkg:npm/%40babel/core@7.0.0", false],
    ["pypi names normalise _ to -", "pkg:pypi/Django_Rest@1.0", "pkg:pypi/django-rest@1.0", true],
    [
      "maven names stay case-sensitive",
      "pkg:maven/org.apache/Log4j@2.0",
      "pkg:maven/org.apache/log4j@2.0",
      false,
    ],
    ["another maven namespace", "pkg:maven/org.other/log4j@2.0", "pkg:maven/org.apache/log4j@2.0", false],
    [
      "a VEX qualifier narrows: present with the same value",
      "pkg:deb/debian/curl@7.88.1-10?distro=debian-12",
      "pkg:deb/debian/curl@7.88.1-10?arch=amd64&distro=debian-12",
      true,
    ],
    [
      "a VEX qualifier narrows: another value",
      "pkg:deb/debian/curl@7.88.1-10?distro=debian-12",
      "pkg:deb/debian/curl@7.88.1-10?arch=amd64&distro=debian-11",
      false,
    ],
    [
      "a VEX qualifier narrows: missing in the package",
      "pkg:deb/debian/curl@7.88.1-10?distro=debian-12",
      "pkg:deb/debian/curl@7.88.1-10",
      false,
    ],
    [
      "package qualifiers the VEX purl lacks are ignored",
      "pkg:deb/debian/curl",
      "pkg:deb/debian/curl@7.88.1-10?arch=amd64&distro=debian-12",
      true,
    ],
    [
      "a Go purl packageurl-js rejects still matches by the generic grammar",
      "pkg:golang/github.com/foo/bar@v1",
      "pkg:golang/github.com/foo/bar@v1",
      true,
    ],
    [
      "a VEX subpath must match",
      "pkg:golang/github.com/foo/bar#cmd/x",
      "pkg:golang/github.com/foo/bar@v1.0.0#cmd/y",
      false,
    ],
    ["a package without a purl is never named", LODASH, "", false],
  ];
  for (const [name, vexPurl, pkgPurl, applies] of cases) {
    it(`${name} → ${applies ? "applies" : "does not apply"}`, () => {
      const [out] = apply(
        [openVex([statement({ products: [{ "@id": vexPurl }] })])],
        [finding({ purl: pkgPurl })],
      );
      expect(out!.suppressed).toBe(applies);
    });
  }

  it("reads the purl from identifiers.purl as well as @id", () => {
    const [out] = apply([
      openVex([
        statement({ products: [{ "@id": "https://example.com/p/lodash", identifiers: { purl: LODASH } }] }),
      ]),
    ]);
    expect(out!.suppressed).toBe(true);
  });

  it("a product that is the package but lists other subcomponents does not apply", () => {
    const [out] = apply([
      openVex([
        statement({ products: [{ "@id": LODASH, subcomponents: [{ "@id": "pkg:npm/minimist@1.2.5" }] }] }),
      ]),
    ]);
    expect(out!.suppressed).toBe(false);
  });

  it("a statement without products applies to nothing", () => {
    const [out] = apply([openVex([statement({ products: [] })])]);
    expect(out!.vex).toBeUndefined();
  });
});

describe("applyVex: products that name the scanned target", () => {
  const appPurl = "pkg:oci/app?repository_url=ghcr.io/acme/app";
  const target = {
    purls: [`pkg:oci/app@${IMAGE_DIGEST}?repository_url=ghcr.io/acme/app`],
    digest: IMAGE_DIGEST,
    name: "ghcr.io/acme/app:1.0",
  };
  const both = [finding(), finding({ purl: "pkg:npm/minimist@1.2.5" })];

  const cases: [string, Json, boolean[]][] = [
    [
      "target purl + subcomponent = package",
      { "@id": appPurl, subcomponents: [{ "@id": LODASH }] },
      [true, false],
    ],
    [
      "target purl + subcomponents without the package",
      { "@id": appPurl, subcomponents: [{ "@id": "pkg:npm/qs@6.0.0" }] },
      [false, false],
    ],
    ["target purl, no subcomponents: every package", { "@id": appPurl }, [true, true]],
    [
      "target digest as @id",
      { "@id": IMAGE_DIGEST, subcomponents: [{ identifiers: { purl: "pkg:npm/lodash" } }] },
      [true, false],
    ],
    [
      "target digest as hashes.sha-256",
      {
        identifiers: { cpe23: "cpe:2.3:a:acme:app:*:*:*:*:*:*:*:*" },
        hashes: { "sha-256": "AB".repeat(32) },
      },
      [true, true],
    ],
    [
      "an OCI purl whose version is the target digest",
      { "@id": `pkg:oci/app@${IMAGE_DIGEST.replace(":", "%3A")}` },
      [true, true],
    ],
    ["an OCI purl with another digest", { "@id": `pkg:oci/app@sha256:${"cd".repeat(32)}` }, [false, false]],
    ["an IRI @id other than the target name", { "@id": "https://ghcr.io/acme/app" }, [false, false]],
    ["another target purl", { "@id": "pkg:oci/other?repository_url=ghcr.io/acme/other" }, [false, false]],
  ];
  for (const [name, product, expected] of cases) {
    it(`${name} → ${expected.join(", ")}`, () => {
      const out = apply([openVex([statement({ products: [product] })])], both, target);
      expect(out.map((f) => f.suppressed)).toEqual(expected);
    });
  }

  it("a product whose @id equals the target name names the target", () => {
    const out = apply([openVex([statement({ products: [{ "@id": "urn:acme:app" }] })])], both, {
      name: "urn:acme:app",
    });
    expect(out.map((f) => f.suppressed)).toEqual([true, true]);
  });

  it("without a target, statements about the target apply to nothing", () => {
    const out = apply([openVex([statement({ products: [{ "@id": appPurl }] })])], both);
    expect(out.map((f) => f.suppressed)).toEqual([false, false]);
  });

  it("a finding without a purl is covered by a target statement without subcomponents only", () => {
    const noPurl = [finding({ purl: "" })];
    expect(
      apply([openVex([statement({ products: [{ "@id": IMAGE_DIGEST }] })])], noPurl, target)[0]!.suppressed,
    ).toBe(true);
    expect(
      apply(
        [openVex([statement({ products: [{ "@id": IMAGE_DIGEST, subcomponents: [{ "@id": LODASH }] }] })])],
        noPurl,
        target,
      )[0]!.suppressed,
    ).toBe(false);
  });

  it("CycloneDX BOM-links: the serial number is checked only when the scanned SBOM's is given", () => {
    const link = "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1";
    const bom = cdx([
      cdxVuln(
        { state: "not_affected", justification: "code_not_present" },
        { affects: [{ ref: `${link}#lodash-ref` }] },
      ),
    ]);
    expect(apply([bom])[0]!.suppressed).toBe(true);
    expect(
      apply([bom], undefined, { bomSerialNumber: "urn:uuid:3E671687-395B-41F5-A30F-A58921A69B79" })[0]!
        .suppressed,
    ).toBe(true);
    expect(
      apply([bom], undefined, { bomSerialNumber: "urn:uuid:00000000-0000-0000-0000-000000000000" })[0]!
        .suppressed,
    ).toBe(false);

    const whole = cdx([
      cdxVuln({ state: "not_affected", justification: "code_not_present" }, { affects: [{ ref: link }] }),
    ]);
    expect(apply([whole])[0]!.suppressed).toBe(false);
    expect(
      apply([whole], undefined, { bomSerialNumber: "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79" })[0]!
        .suppressed,
    ).toBe(true);
  });
});

describe("applyVex: the latest statement wins", () => {
  const investigating = (timestamp?: string): Json =>
    statement({
      status: "under_investigation",
      justification: undefined,
      ...(timestamp ? { timestamp } : {}),
    });
  const notAffected = (timestamp?: string): Json => statement(timestamp ? { timestamp } : {});

  it("across documents, by statement timestamp, whichever order they are given in", () => {
    const early = openVex([investigating("2024-01-01T00:00:00Z")], { "@id": "https://example.com/a" });
    const late = openVex([notAffected("2024-06-01T00:00:00Z")], { "@id": "https://example.com/b" });
    expect(apply([early, late])[0]!.vex).toMatchObject({ status: "not_affected", document: "vex-1.json" });
    expect(apply([late, early])[0]!.vex).toMatchObject({ status: "not_affected", document: "vex-0.json" });
  });

  it("falls back to the document timestamp, and a statement timestamp overrides its document's", () => {
    const docLate = openVex([investigating()], { timestamp: "2024-03-01T00:00:00Z" });
    const stmtLater = openVex([notAffected("2024-03-02T00:00:00Z")], { timestamp: "2024-01-01T00:00:00Z" });
    expect(apply([stmtLater, docLate])[0]!.vex?.status).toBe("not_affected");
    expect(apply([docLate, stmtLater])[0]!.vex?.status).toBe("not_affected");
    const stmtEarlier = openVex([notAffected("2024-02-01T00:00:00Z")], { timestamp: "2024-12-01T00:00:00Z" });
    expect(apply([docLate, stmtEarlier])[0]!.vex?.status).toBe("under_investigation");
  });

  it("compares instants, not strings: offsets and sub-millisecond digits count", () => {
    const a = openVex([notAffected("2024-01-01T10:00:00+02:00")]); // 08:00Z
    const b = openVex([investigating("2024-01-01T09:00:00Z")]);
    expect(apply([b, a])[0]!.vex?.status).toBe("under_investigation");
    const c = openVex([notAffected("2024-01-01T00:00:00.0000002Z")]);
    const d = openVex([investigating("2024-01-01T00:00:00.0000001Z")]);
    expect(apply([c, d])[0]!.vex?.status).toBe("not_affected");
  });

  it("ties go to the later statement in input order, within and across documents", () => {
    const one = openVex([investigating(), notAffected()]);
    expect(apply([one])[0]!.vex?.status).toBe("not_affected");
    const two = openVex([notAffected(), investigating()]);
    expect(apply([two])[0]!.vex?.status).toBe("under_investigation");
    expect(apply([openVex([notAffected()]), openVex([investigating()])])[0]!.vex?.status).toBe(
      "under_investigation",
    );
    expect(apply([openVex([investigating()]), openVex([notAffected()])])[0]!.vex?.status).toBe(
      "not_affected",
    );
  });

  it("a statement with no time at all is older than any with one", () => {
    const untimed = cdx([cdxVuln({ state: "exploitable", detail: "bad" })], { metadata: {} });
    const timed = openVex([notAffected("2020-01-01T00:00:00Z")]);
    expect(apply([timed, untimed])[0]!.vex?.status).toBe("not_affected");
    expect(apply([untimed, timed])[0]!.vex?.status).toBe("not_affected");
  });

  it("only statements that apply compete: a later one about another package does not win", () => {
    const mine = openVex([notAffected("2024-01-01T00:00:00Z")]);
    const other = openVex(
      [investigating("2024-09-01T00:00:00Z")].map((s) => ({ ...s, products: [{ "@id": "pkg:npm/qs" }] })),
    );
    expect(apply([mine, other])[0]!.vex?.status).toBe("not_affected");
  });
});

// ---------------------------------------------------------------------------------------------
// Creating.

describe("createOpenVexDocument", () => {
  it("creates one statement with canonical purls as @id and identifiers, and a content-derived @id", () => {
    const doc = createOpenVexDocument({
      ...createInput,
      products: ["pkg:NPM/LoDash@4.17.20", LODASH],
      subcomponents: ["pkg:npm/%40babel/core@7.0.0"],
      aliases: ["GHSA-35jh-r3h4-6jhm", "CVE-2021-23337", " "],
      impactStatement: "  template() is not used ",
    });
    const product = { "@id": LODASH, identifiers: { purl: LODASH } };
    const sub = {
      "@id": "pkg:npm/%40babel/core@7.0.0",
      identifiers: { purl: "pkg:npm/%40babel/core@7.0.0" },
    };
    const { "@id": id, ...body } = doc;
    expect(body).toEqual({
      "@context": OPENVEX_CONTEXT,
      author: "Security Team",
      timestamp: "2024-03-01T12:00:00Z",
      version: 1,
      statements: [
        {
          vulnerability: { name: "CVE-2021-23337", aliases: ["GHSA-35jh-r3h4-6jhm"] },
          products: [{ ...product, subcomponents: [sub] }],
          status: "not_affected",
          justification: "vulnerable_code_not_in_execute_path",
          impact_statement: "template() is not used",
        },
      ],
    });
    expect(id).toBe(`https://openvex.dev/docs/public/vex-${canonicalDigest(body).slice("sha256:".length)}`);
  });

  it("derives the same @id from the same input and another from another; an explicit id wins", () => {
    const a = createOpenVexDocument(createInput)["@id"];
    expect(createOpenVexDocument({ ...createInput })["@id"]).toBe(a);
    expect(a).toMatch(/^https:\/\/openvex\.dev\/docs\/public\/vex-[0-9a-f]{64}$/);
    expect(createOpenVexDocument({ ...createInput, timestamp: "2024-03-01T12:00:01Z" })["@id"]).not.toBe(a);
    expect(createOpenVexDocument({ ...createInput, id: "https://example.com/vex/42" })["@id"]).toBe(
      "https://example.com/vex/42",
    );
  });

  it("creates every status", () => {
    for (const [status, extra] of [
      ["not_affected", { impactStatement: "not reachable", justification: undefined }],
      ["affected", { actionStatement: "upgrade", justification: undefined }],
      ["fixed", { justification: undefined }],
      ["under_investigation", { justification: undefined }],
    ] as const) {
      expect(createOpenVexDocument({ ...createInput, status, ...extra }).statements[0]!.status).toBe(status);
    }
  });

  it("round trips: create → encode → load → apply suppresses the finding", () => {
    const text = encodeOpenVex(createOpenVexDocument(createInput));
    const doc = loadVexDocument(text, "created.json");
    const [out] = applyVex([finding()], [doc]);
    expect(out!.suppressed).toBe(true);
    expect(out!.vex).toMatchObject({ document: "created.json", timestamp: "2024-03-01T12:00:00Z" });
    expect(vexDocumentFromOpenVex(createOpenVexDocument(createInput)).source).toMatch(
      /^https:\/\/openvex\.dev\/docs\/public\//,
    );
  });

  const usage: [string, Partial<CreateOpenVexInput>, RegExp][] = [
    ["an empty vulnerability", { vulnerability: " " }, /vulnerability id must not be empty/],
    [
      "an unknown status",
      { status: "wontfix" as VexStatus },
      /status must be one of not_affected, affected, fixed, under_investigation; got "wontfix"/,
    ],
    [
      "an unknown justification",
      { justification: "code_not_reachable" },
      /justification must be one of component_not_present, .*got "code_not_reachable"/,
    ],
    [
      "a justification with another status",
      { status: "fixed" },
      /justification only goes with status not_affected, not fixed/,
    ],
    [
      "not_affected without justification or impact statement",
      { justification: undefined, impactStatement: " " },
      /not_affected needs a justification \(one of component_not_present/,
    ],
    [
      "affected without action statement",
      { status: "affected", justification: undefined },
      /affected needs an action statement/,
    ],
    ["no products", { products: [] }, /at least one product/],
    [
      "a product that is not a purl",
      { products: ["lodash@4.17.20"] },
      /product "lodash@4.17.20" is not a valid package URL/,
    ],
    [
      "a subcomponent that is not a purl",
      { subcomponents: ["pkg:"] },
      /subcomponent "pkg:" is not a valid package URL/,
    ],
    ["an empty author", { author: "" }, /author must not be empty/],
    [
      "a timestamp that is not RFC 3339",
      { timestamp: "2024-03-01" },
      /timestamp must be an RFC 3339 date-time, got "2024-03-01"/,
    ],
    ["an id that is not an IRI", { id: "vex 1" }, /document id must be an absolute IRI/],
  ];
  for (const [name, over, message] of usage) {
    it(`rejects ${name} with USAGE`, () => {
      const e = thrown(() => createOpenVexDocument({ ...createInput, ...over }));
      expect(e).toBeInstanceOf(BulwarkError);
      expect((e as BulwarkError).code).toBe("USAGE");
      expect((e as BulwarkError).message).toMatch(message);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Conformance with the official OpenVEX JSON schema.

// CommonJS packages: under NodeNext the default import is `module.exports`, whose `default` is the export.
const Ajv2020 = ajv2020Module.default;
const addFormats = ajvFormats.default;

const shared = requireShared();

describe.skipIf(!shared)("OpenVEX conformance (official JSON schema 0.2.0)", () => {
  const validator = () => {
    const schema = JSON.parse(
      readFileSync(join(shared!, "schemas/openvex/openvex_json_schema.json"), "utf8"),
    );
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats(ajv);
    // ajv-formats has no `iri`; an absolute IRI is a scheme, a colon and no white space.
    ajv.addFormat("iri", /^[A-Za-z][A-Za-z0-9+.-]*:\S*$/u);
    return ajv.compile(schema);
  };
  const valid = (text: string): void => {
    const check = validator();
    const ok = check(JSON.parse(text));
    expect(check.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  };

  it("accepts every document createOpenVexDocument makes, encoded", () => {
    const inputs: CreateOpenVexInput[] = [
      createInput,
      {
        ...createInput,
        justification: undefined,
        impactStatement: "not reachable",
        aliases: ["GHSA-35jh-r3h4-6jhm"],
      },
      { ...createInput, status: "affected", justification: undefined, actionStatement: "upgrade" },
      {
        ...createInput,
        status: "fixed",
        justification: undefined,
        subcomponents: [LODASH],
        products: ["pkg:oci/app?tag=1"],
      },
      {
        ...createInput,
        status: "under_investigation",
        justification: undefined,
        id: "https://example.com/vex/7",
      },
    ];
    for (const input of inputs) valid(encodeOpenVex(createOpenVexDocument(input)));
  });

  it("accepts every document encodeOpenVex writes: the full sample and a normalised legacy document", () => {
    valid(encodeOpenVex(fullDocument));
    valid(
      encodeOpenVex(
        decodeOpenVex({
          "@context": "https://openvex.dev/ns/v0.0.1",
          "@id": "https://example.com/old",
          author: "a",
          timestamp: "2023-01-01T00:00:00Z",
          version: "1",
          statements: [
            { vulnerability: "CVE-1", products: [LODASH], subcomponents: [LODASH], status: "fixed" },
          ],
        }),
      ),
    );
  });

  it("rejects what the decoder rejects (the validator is really checking)", () => {
    const check = validator();
    const json = JSON.parse(encodeOpenVex(createOpenVexDocument(createInput))) as Json;
    const broken = structuredClone(json);
    delete ((broken.statements as Json[])[0] as Json).justification;
    expect(check(broken)).toBe(false);
    expect(check({ ...json, version: 0 })).toBe(false);
    expect(check({ ...json, timestamp: "yesterday" })).toBe(false);
  });
});
