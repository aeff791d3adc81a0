import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  buildPolicyDecisionV1,
  buildReleaseV01,
  buildSlsaProvenanceV1,
  buildSlsaVsaV1,
  buildStatement,
  buildTestResultV01,
  buildVulnsV02,
  DecodeLimitError,
  decodeResourceDescriptor,
  decodeStatement,
  encodeStatement,
  InTotoError,
  isLegacyStatement,
  type PolicyDecisionV1,
  predicateKindOf,
  PREDICATE_TYPES,
  type Statement,
  STATEMENT_TYPE_V01,
  STATEMENT_TYPE_V1,
  subjectMatches,
  validatePredicate,
  validateSlsaProvenanceV1,
} from "../../src/formats/index.js";
import { requireShared } from "../support/shared.js";

type Json = Record<string, unknown>;

const SHA_A = "a".repeat(64);
const SHA_B = "b".repeat(64);

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected an exception");
}

function inTotoError(fn: () => unknown): InTotoError {
  const e = thrown(fn);
  expect(e).toBeInstanceOf(InTotoError);
  return e as InTotoError;
}

function statement(over: Json = {}): Json {
  return {
    _type: STATEMENT_TYPE_V1,
    subject: [{ name: "app.tar", digest: { sha256: SHA_A } }],
    predicateType: "https://example.com/custom/v1",
    predicate: { any: "thing" },
    ...over,
  };
}

describe("decodeStatement: the statement layer", () => {
  it("reads a v1 statement from text, bytes or JSON alike", () => {
    const json = statement();
    const text = JSON.stringify(json);
    for (const input of [text, new TextEncoder().encode(text), json]) {
      expect(decodeStatement(input)).toEqual(json);
    }
  });

  it("reads v0.1 and flags it as legacy", () => {
    const s = decodeStatement(statement({ _type: STATEMENT_TYPE_V01 }));
    expect(isLegacyStatement(s)).toBe(true);
    expect(isLegacyStatement(decodeStatement(statement()))).toBe(false);
  });

  it("keeps known subject fields and drops unknown top-level fields", () => {
    const s = decodeStatement(
      statement({ extra: 1, subject: [{ uri: "pkg:npm/x@1", digest: { sha256: SHA_A }, x: 2 }] }),
    );
    expect(s).not.toHaveProperty("extra");
    expect(s.subject[0]).toEqual({ uri: "pkg:npm/x@1", digest: { sha256: SHA_A } });
  });

  it.each([
    ["an unknown _type", { _type: "https://in-toto.io/Statement/v2" }, "/_type"],
    ["a missing _type", { _type: undefined }, "/_type"],
    ["no subject", { subject: undefined }, "/subject"],
    ["an empty subject list", { subject: [] }, "/subject"],
    ["a subject without digest", { subject: [{ name: "x", uri: "https://x" }] }, "/subject/0/digest"],
    ["a subject with an empty digest", { subject: [{ name: "x", digest: {} }] }, "/subject/0/digest"],
    ["an empty subject", { subject: [{}] }, "/subject/0"],
    ["uppercase hex", { subject: [{ digest: { sha256: SHA_A.toUpperCase() } }] }, "/subject/0/digest/sha256"],
    ["a short sha256", { subject: [{ digest: { sha256: "abc123" } }] }, "/subject/0/digest/sha256"],
    ["a sha512 of sha256 length", { subject: [{ digest: { sha512: SHA_A } }] }, "/subject/0/digest/sha512"],
    ["a numeric digest value", { subject: [{ digest: { sha256: 5 } }] }, "/subject/0/digest/sha256"],
    ["an empty predicateType", { predicateType: "" }, "/predicateType"],
    ["a missing predicate", { predicate: undefined }, "/predicate"],
    ["an array predicate", { predicate: [] }, "/predicate"],
    ["a non-string name", { subject: [{ name: 1, digest: { sha256: SHA_A } }] }, "/subject/0/name"],
  ])("refuses %s (INPUT_INVALID at its path)", (_label, over, path) => {
    const e = inTotoError(() => decodeStatement(statement(over), "st.json"));
    expect(e.code).toBe("INPUT_INVALID");
    expect(e.location).toEqual({ file: "st.json", path });
  });

  it("accepts unknown digest algorithms and both git hash lengths", () => {
    const digest = { custom: "anything-goes", gitCommit: "1".repeat(40), gitTree: "2".repeat(64) };
    expect(decodeStatement(statement({ subject: [{ digest }] })).subject[0]!.digest).toEqual(digest);
  });

  it("refuses a digest algorithm named like an Object.prototype member only by its value rules", () => {
    const s = decodeStatement(
      JSON.parse(
        `{"_type":"${STATEMENT_TYPE_V1}","subject":[{"digest":{"constructor":"x","__proto__":"y"}}],"predicateType":"t","predicate":{}}`,
      ),
    );
    expect(Object.keys(s.subject[0]!.digest).sort()).toEqual(["__proto__", "constructor"]);
    expect(Object.getPrototypeOf(s.subject[0]!.digest)).toBe(Object.prototype);
  });

  it("refuses duplicate keys in the text (two readers must never see different subjects)", () => {
    const text = `{"_type":"${STATEMENT_TYPE_V1}","subject":[{"digest":{"sha256":"${SHA_A}"}}],"subject":[{"digest":{"sha256":"${SHA_B}"}}],"predicateType":"t","predicate":{}}`;
    const e = inTotoError(() => decodeStatement(text));
    expect(e.message).toMatch(/duplicate key "subject"/);
    expect(e.location.path).toBe("/subject");
  });

  it("malformed JSON: INPUT_INVALID with line and column", () => {
    const e = inTotoError(() => decodeStatement('{\n"_type": }', "bad.json"));
    expect(e.location).toMatchObject({ file: "bad.json", line: 2, column: 10 });
  });

  it("oversized statement: INPUT_TOO_LARGE", () => {
    const e = thrown(() => decodeStatement(JSON.stringify(statement()), "big.json", { maxBytes: 50 }));
    expect(e).toBeInstanceOf(DecodeLimitError);
    expect(e).toMatchObject({ code: "INPUT_TOO_LARGE" });
  });
});

describe("subjectMatches", () => {
  const s = decodeStatement(
    statement({
      subject: [{ digest: { sha512: "c".repeat(128) } }, { name: "b", digest: { sha256: SHA_B } }],
    }),
  );

  it("matches any subject by sha256, with or without the sha256: prefix", () => {
    expect(subjectMatches(s, SHA_B)).toBe(true);
    expect(subjectMatches(s, `sha256:${SHA_B}`)).toBe(true);
    expect(subjectMatches(s, { sha256: SHA_B })).toBe(true);
  });

  it("subject digest mismatch: false", () => {
    expect(subjectMatches(s, SHA_A)).toBe(false);
  });

  it("throws for a malformed expected digest instead of answering false", () => {
    expect(() => subjectMatches(s, "sha256:xyz")).toThrow(TypeError);
    expect(() => subjectMatches(s, SHA_B.toUpperCase())).toThrow(TypeError);
  });
});

describe("encodeStatement", () => {
  it("writes RFC 8785 canonical JSON: sorted members, no whitespace", () => {
    const out = encodeStatement(
      decodeStatement(statement({ predicate: { z: 1, a: [true, null, 1.5e-7] } })) as Statement,
    );
    expect(out).toBe(
      `{"_type":"${STATEMENT_TYPE_V1}","predicate":{"a":[true,null,1.5e-7],"z":1},"predicateType":"https://example.com/custom/v1","subject":[{"digest":{"sha256":"${SHA_A}"},"name":"app.tar"}]}`,
    );
  });

  it("is deterministic whatever the member order of the input", () => {
    const a = statement();
    const b = Object.fromEntries(Object.entries(statement()).reverse());
    expect(encodeStatement(a as never)).toBe(encodeStatement(b as never));
  });

  it("round-trips through decodeStatement", () => {
    const s = decodeStatement(statement());
    expect(decodeStatement(encodeStatement(s))).toEqual(s);
  });

  it("refuses to write v0.1 or an invalid statement", () => {
    expect(() => encodeStatement(decodeStatement(statement({ _type: STATEMENT_TYPE_V01 })))).toThrow(
      /writes .*v1 only/,
    );
    expect(() => encodeStatement({ ...statement(), subject: [] } as never)).toThrow(InTotoError);
    expect(() => encodeStatement({ ...statement(), predicate: { n: Number.NaN } } as never)).toThrow(
      InTotoError,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Predicates.

const PROVENANCE = {
  buildDefinition: {
    buildType: "https://bulwark.dev/build/v1",
    externalParameters: { repository: "https://github.com/acme/app", ref: "refs/heads/main" },
    resolvedDependencies: [
      { uri: "git+https://github.com/acme/app@refs/heads/main", digest: { gitCommit: "7".repeat(40) } },
    ],
  },
  runDetails: {
    builder: { id: "https://bulwark.dev/builder/v1" },
    metadata: {
      invocationId: "run-1",
      startedOn: "2024-05-01T10:00:00Z",
      finishedOn: "2024-05-01T10:05:00.5Z",
    },
  },
};

const VSA = {
  verifier: { id: "https://bulwark.dev/verifier" },
  timeVerified: "2024-05-01T10:06:00Z",
  resourceUri: "oci://registry.example/app",
  policy: { uri: "https://bulwark.dev/policy/prod", digest: { sha256: SHA_B } },
  inputAttestations: [{ uri: "https://x/att.json", digest: { sha256: SHA_A } }],
  verificationResult: "PASSED" as const,
  verifiedLevels: ["SLSA_BUILD_LEVEL_3", "SLSA_SOURCE_LEVEL_1", "ACME_REVIEWED"],
  dependencyLevels: { SLSA_BUILD_LEVEL_3: 5, SLSA_BUILD_LEVEL_1: 0 },
  slsaVersion: "1.0",
};

const TEST_RESULT = {
  result: "PASSED" as const,
  configuration: [{ name: ".github/workflows/ci.yml", digest: { gitBlob: "e".repeat(40) } }],
  url: "https://github.com/acme/app/actions/runs/1",
  passedTests: ["unit"],
  warnedTests: [],
  failedTests: [],
};

const VULNS = {
  scanner: {
    uri: "pkg:npm/bulwark@0.1.0",
    version: "0.1.0",
    db: { uri: "https://osv.dev", version: "2024-05-01", lastUpdate: "2024-05-01T00:00:00Z" },
    result: [
      {
        id: "CVE-2021-23337",
        severity: [{ method: "cvss_v3", score: "7.2" }],
        annotations: [{ fixed: "4.17.21" }],
      },
    ],
  },
  metadata: { scanStartedOn: "2024-05-01T10:00:00Z", scanFinishedOn: "2024-05-01T10:00:05Z" },
};

const DECISION: PolicyDecisionV1 = {
  decision: "deny",
  violations: [
    {
      policyId: "DKR-003",
      title: "Containers must not run as root",
      severity: "high",
      enforcement: "deny",
      message: "USER is root",
      remediation: "Add a USER instruction",
      location: { file: "Dockerfile", line: 12, column: 1 },
    },
    {
      policyId: "DKR-009",
      title: "Healthcheck",
      severity: "low",
      enforcement: "warn",
      message: "no HEALTHCHECK",
    },
    {
      policyId: "VULN-001",
      title: "No critical vulnerabilities",
      severity: "critical",
      enforcement: "deny",
      message: "CVE-2024-1",
      waived: { reason: "vendor fix pending, SEC-123", expires: "2027-01-31" },
    },
  ],
  policyBundleDigest: `sha256:${"1".repeat(64)}`,
  inputDigest: `sha256:${"2".repeat(64)}`,
  environment: "production",
  subject: { name: "registry.example/app", digest: { sha256: SHA_A } },
  time: "2024-05-01T10:07:00Z",
  evaluator: { id: "https://bulwark.dev/gate", version: "0.1.0" },
};

describe("predicate builders", () => {
  it.each([
    [
      "SLSA provenance v1",
      PREDICATE_TYPES.slsaProvenanceV1,
      () => buildSlsaProvenanceV1(PROVENANCE),
      "slsa-provenance-v1",
    ],
    ["SLSA VSA v1", PREDICATE_TYPES.slsaVsaV1, () => buildSlsaVsaV1(VSA), "slsa-vsa-v1"],
    [
      "test-result v0.1",
      PREDICATE_TYPES.testResultV01,
      () => buildTestResultV01(TEST_RESULT),
      "test-result-v0.1",
    ],
    ["vulns v0.2", PREDICATE_TYPES.vulnsV02, () => buildVulnsV02(VULNS), "vulns-v0.2"],
    [
      "release v0.1",
      PREDICATE_TYPES.releaseV01,
      () => buildReleaseV01({ purl: "pkg:npm/app@1.2.3", packageId: "42" }),
      "release-v0.1",
    ],
    [
      "policy decision v1",
      PREDICATE_TYPES.policyDecisionV1,
      () => buildPolicyDecisionV1(DECISION),
      "policy-decision-v1",
    ],
  ])("%s: builds a predicate that a statement carries and encodes", (_label, type, build, kind) => {
    const predicate = build();
    expect(predicateKindOf(type)).toBe(kind);
    expect(validatePredicate(type, predicate).kind).toBe(kind);
    const s = buildStatement({
      subject: [{ name: "registry.example/app", digest: { sha256: SHA_A } }],
      predicateType: type,
      predicate,
    });
    expect(decodeStatement(encodeStatement(s))).toEqual(s);
  });

  it("omits optional fields left undefined", () => {
    const p = buildSlsaProvenanceV1({
      buildDefinition: { buildType: "b", externalParameters: {}, internalParameters: undefined },
      runDetails: { builder: { id: "i" }, metadata: undefined },
    });
    expect(p).toEqual({
      buildDefinition: { buildType: "b", externalParameters: {} },
      runDetails: { builder: { id: "i" } },
    });
  });
});

describe("predicate validation: required fields and rules", () => {
  const bad = (over: Json, base: Json): Json => ({ ...base, ...over });

  it.each([
    [
      "provenance without buildDefinition",
      PREDICATE_TYPES.slsaProvenanceV1,
      bad({ buildDefinition: null }, PROVENANCE),
      "/buildDefinition",
    ],
    [
      "provenance with a bad startedOn",
      PREDICATE_TYPES.slsaProvenanceV1,
      bad({ runDetails: { builder: { id: "i" }, metadata: { startedOn: "2024-05-01 10:00" } } }, PROVENANCE),
      "/runDetails/metadata/startedOn",
    ],
    [
      "provenance with a non-UTC time",
      PREDICATE_TYPES.slsaProvenanceV1,
      bad(
        { runDetails: { builder: { id: "i" }, metadata: { finishedOn: "2024-05-01T10:00:00+02:00" } } },
        PROVENANCE,
      ),
      "/runDetails/metadata/finishedOn",
    ],
    [
      "provenance with a numeric builder version",
      PREDICATE_TYPES.slsaProvenanceV1,
      bad({ runDetails: { builder: { id: "i", version: { x: 1 } } } }, PROVENANCE),
      "/runDetails/builder/version/x",
    ],
    [
      "provenance with a bad dependency",
      PREDICATE_TYPES.slsaProvenanceV1,
      bad(
        {
          buildDefinition: { ...PROVENANCE.buildDefinition, resolvedDependencies: [{ name: "only a name" }] },
        },
        PROVENANCE,
      ),
      "/buildDefinition/resolvedDependencies/0",
    ],
    ["VSA without verifier.id", PREDICATE_TYPES.slsaVsaV1, bad({ verifier: {} }, VSA), "/verifier/id"],
    [
      "VSA with a policy lacking uri",
      PREDICATE_TYPES.slsaVsaV1,
      bad({ policy: { digest: { sha256: SHA_A } } }, VSA),
      "/policy/uri",
    ],
    [
      "VSA with an input attestation lacking digest",
      PREDICATE_TYPES.slsaVsaV1,
      bad({ inputAttestations: [{ uri: "https://x" }] }, VSA),
      "/inputAttestations/0/digest",
    ],
    [
      "VSA with a bad verificationResult",
      PREDICATE_TYPES.slsaVsaV1,
      bad({ verificationResult: "OK" }, VSA),
      "/verificationResult",
    ],
    [
      "VSA with two build levels",
      PREDICATE_TYPES.slsaVsaV1,
      bad({ verifiedLevels: ["SLSA_BUILD_LEVEL_3", "SLSA_BUILD_LEVEL_2"] }, VSA),
      "/verifiedLevels/1",
    ],
    [
      "VSA with a custom SLSA_ value",
      PREDICATE_TYPES.slsaVsaV1,
      bad({ verifiedLevels: ["SLSA_GREAT"] }, VSA),
      "/verifiedLevels/0",
    ],
    [
      "VSA with a negative dependency count",
      PREDICATE_TYPES.slsaVsaV1,
      bad({ dependencyLevels: { SLSA_BUILD_LEVEL_1: -1 } }, VSA),
      "/dependencyLevels/SLSA_BUILD_LEVEL_1",
    ],
    [
      "VSA with a bad slsaVersion",
      PREDICATE_TYPES.slsaVsaV1,
      bad({ slsaVersion: "v1" }, VSA),
      "/slsaVersion",
    ],
    [
      "VSA without timeVerified",
      PREDICATE_TYPES.slsaVsaV1,
      bad({ timeVerified: undefined }, VSA),
      "/timeVerified",
    ],
    [
      "test-result with a bad result",
      PREDICATE_TYPES.testResultV01,
      bad({ result: "OK" }, TEST_RESULT),
      "/result",
    ],
    [
      "test-result without configuration",
      PREDICATE_TYPES.testResultV01,
      bad({ configuration: undefined }, TEST_RESULT),
      "/configuration",
    ],
    [
      "test-result with a numeric test name",
      PREDICATE_TYPES.testResultV01,
      bad({ failedTests: [1] }, TEST_RESULT),
      "/failedTests/0",
    ],
    [
      "vulns without scanner.uri",
      PREDICATE_TYPES.vulnsV02,
      bad({ scanner: { ...VULNS.scanner, uri: "" } }, VULNS),
      "/scanner/uri",
    ],
    [
      "vulns without db.lastUpdate",
      PREDICATE_TYPES.vulnsV02,
      bad({ scanner: { ...VULNS.scanner, db: {} } }, VULNS),
      "/scanner/db/lastUpdate",
    ],
    [
      "vulns with a result lacking severity",
      PREDICATE_TYPES.vulnsV02,
      bad({ scanner: { ...VULNS.scanner, result: [{ id: "X" }] } }, VULNS),
      "/scanner/result/0/severity",
    ],
    ["vulns without metadata", PREDICATE_TYPES.vulnsV02, bad({ metadata: undefined }, VULNS), "/metadata"],
    ["release without purl", PREDICATE_TYPES.releaseV01, {}, "/purl"],
    ["release with an unversioned purl", PREDICATE_TYPES.releaseV01, { purl: "pkg:npm/app" }, "/purl"],
    ["release with a non-purl", PREDICATE_TYPES.releaseV01, { purl: "npm:app@1" }, "/purl"],
    ["CycloneDX without bomFormat", PREDICATE_TYPES.cyclonedx, { specVersion: "1.6" }, "/bomFormat"],
    [
      "CycloneDX of another version than its type",
      `${PREDICATE_TYPES.cyclonedx}/v1.4`,
      { bomFormat: "CycloneDX", specVersion: "1.6" },
      "/specVersion",
    ],
    ["SPDX 2 without SPDXID", PREDICATE_TYPES.spdx, { spdxVersion: "SPDX-2.3" }, "/SPDXID"],
    [
      "SPDX 2 type carrying SPDX 3",
      `${PREDICATE_TYPES.spdx}/v2.3`,
      { "@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "@graph": [] },
      "/spdxVersion",
    ],
    [
      "SPDX 3 without @graph",
      `${PREDICATE_TYPES.spdx}/v3`,
      { "@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld" },
      "/@graph",
    ],
    [
      "decision allow with a counted deny",
      PREDICATE_TYPES.policyDecisionV1,
      bad({ decision: "allow" }, DECISION as never),
      "/decision",
    ],
    [
      "decision deny with only warnings",
      PREDICATE_TYPES.policyDecisionV1,
      bad({ violations: [DECISION.violations[1]] }, DECISION as never),
      "/decision",
    ],
    [
      "decision with a bad severity",
      PREDICATE_TYPES.policyDecisionV1,
      bad({ violations: [{ ...DECISION.violations[0], severity: "severe" }] }, DECISION as never),
      "/violations/0/severity",
    ],
    [
      "decision with a tag for a digest",
      PREDICATE_TYPES.policyDecisionV1,
      bad({ inputDigest: "latest" }, DECISION as never),
      "/inputDigest",
    ],
    [
      "decision with line 0",
      PREDICATE_TYPES.policyDecisionV1,
      bad({ violations: [{ ...DECISION.violations[0], location: { line: 0 } }] }, DECISION as never),
      "/violations/0/location/line",
    ],
    [
      "decision without environment",
      PREDICATE_TYPES.policyDecisionV1,
      bad({ environment: "" }, DECISION as never),
      "/environment",
    ],
    [
      "decision without time",
      PREDICATE_TYPES.policyDecisionV1,
      bad({ time: undefined }, DECISION as never),
      "/time",
    ],
  ])("refuses %s", (_label, type, predicate, path) => {
    const e = inTotoError(() => validatePredicate(type, predicate));
    expect(e.location.path).toBe(path);
    // The same rule applies inside a statement, one level down.
    const inStatement = inTotoError(() => decodeStatement(statement({ predicateType: type, predicate })));
    expect(inStatement.location.path).toBe(`/predicate${path}`);
  });

  it("accepts SBOM predicates of each supported form", () => {
    const cdx = { bomFormat: "CycloneDX", specVersion: "1.6", components: [] };
    const spdx2 = { spdxVersion: "SPDX-2.3", SPDXID: "SPDXRef-DOCUMENT" };
    const spdx3 = { "@context": "https://spdx.org/rdf/3.0/spdx-context.jsonld", "@graph": [] };
    expect(validatePredicate(PREDICATE_TYPES.cyclonedx, cdx).kind).toBe("cyclonedx");
    expect(validatePredicate(`${PREDICATE_TYPES.cyclonedx}/v1.6`, cdx).kind).toBe("cyclonedx");
    expect(validatePredicate(PREDICATE_TYPES.spdx, spdx2).kind).toBe("spdx");
    expect(validatePredicate(`${PREDICATE_TYPES.spdx}/v2.3`, spdx2).kind).toBe("spdx");
    expect(validatePredicate(`${PREDICATE_TYPES.spdx}/v3`, spdx3).kind).toBe("spdx");
  });

  it("leaves predicates of unknown types alone (an object is all it takes)", () => {
    expect(validatePredicate("https://example.com/p/v9", { whatever: [1] })).toEqual({
      kind: "unknown",
      predicate: { whatever: [1] },
    });
    expect(() => validatePredicate("https://example.com/p/v9", "text")).toThrow(InTotoError);
  });

  it("a policy decision about another artifact than the statement's subject is refused", () => {
    const e = inTotoError(() =>
      decodeStatement(
        statement({
          subject: [{ digest: { sha256: SHA_B } }],
          predicateType: PREDICATE_TYPES.policyDecisionV1,
          predicate: DECISION,
        }),
      ),
    );
    expect(e.location.path).toBe("/predicate/subject/digest/sha256");
  });

  it("predicates: 'ignore' checks the statement layer only", () => {
    const s = decodeStatement(
      statement({ predicateType: PREDICATE_TYPES.releaseV01, predicate: {} }),
      undefined,
      { predicates: "ignore" },
    );
    expect(s.predicate).toEqual({});
  });
});

// ---------------------------------------------------------------------------------------------
// The shared in-toto vectors (in-toto/attestation Go tests): every case gets its expected verdict,
// and every invalid one fails at the field its upstream error names.

/** Upstream error name → the JSON pointer our error must point at (or below). */
const ERROR_PATHS: Record<string, string> = {
  ErrInvalidStatementType: "/_type",
  ErrSubjectRequired: "/subject",
  ErrRDRequiredField: "", // the descriptor itself: "" for a bare RD, "/subject/0" in a statement
  ErrDigestRequired: "/subject/0/digest",
  ErrPredicateTypeRequired: "/predicateType",
  ErrPredicateRequired: "/predicate",
  ErrInvalidDigestEncoding: "/digest/sha256",
  ErrIncorrectDigestLength: "/digest/",
  ErrBuildDefinitionRequired: "/buildDefinition",
  ErrBuildTypeRequired: "/buildDefinition/buildType",
  ErrExternalParamsRequired: "/buildDefinition/externalParameters",
  ErrRunDetailsRequired: "/runDetails",
  ErrBuilderRequired: "/runDetails/builder",
  ErrBuilderIdRequired: "/runDetails/builder/id",
};

const shared = requireShared();

describe.skipIf(!shared)("shared in-toto vectors (sigstore/in-toto)", () => {
  const root = join(shared ?? "", "test-vectors", "sigstore");
  const cases = readFileSync(join(root, "cases.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((c) => c.type === "intoto-validate");

  const decoders: Record<string, (text: string, file: string) => unknown> = {
    statement: (text, file) => decodeStatement(text, file),
    resourceDescriptor: (text, file) => decodeResourceDescriptor(text, file),
    slsaProvenanceV1Predicate: (text, file) => validateSlsaProvenanceV1(JSON.parse(text), file),
  };

  it("has the 26 cases the README lists", () => {
    expect(cases).toHaveLength(26);
  });

  for (const c of cases) {
    it(`${String(c.id)}: ${String(c.expected)}${c.expectedError ? ` (${String(c.expectedError)})` : ""}`, () => {
      const file = join(root, String(c.file));
      const text = readFileSync(file, "utf8");
      const decode = decoders[String(c.objectType)];
      expect(decode).toBeDefined();
      if (c.expected === "valid") {
        const decoded = decode!(text, file);
        if (c.upstreamCheck === "unmarshal-roundtrip") expect(decoded).toEqual(JSON.parse(text));
        // Bulwark writes v1 only; a v1 statement re-encodes to the same JSON value.
        if (c.objectType === "statement" && !isLegacyStatement(decoded as Statement)) {
          expect(JSON.parse(encodeStatement(decoded as Statement))).toEqual(JSON.parse(text));
        }
        return;
      }
      expect(c.expected).toBe("invalid");
      const e = inTotoError(() => decode!(text, file));
      const want = ERROR_PATHS[String(c.expectedError)];
      expect(want, `no path mapping for ${String(c.expectedError)}`).toBeDefined();
      const path = e.location.path ?? "";
      if (c.expectedError === "ErrRDRequiredField") {
        expect(path).toBe(c.objectType === "statement" ? "/subject/0" : "");
      } else {
        expect(path.startsWith(want!) || path.includes(want!), `${path} for ${String(c.expectedError)}`).toBe(
          true,
        );
      }
    });
  }
});
