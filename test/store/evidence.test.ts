import { createHash } from "node:crypto";
import { Kysely, type Migration, Migrator, PostgresDialect, SqliteDialect } from "kysely";
import pg from "pg";
import { expect, it } from "vitest";
import { BulwarkError } from "../../src/core/index.js";
import { type DecisionInput, EvidenceIndex, openStore, type Store } from "../../src/store/index.js";
import { openSqlite } from "../../src/store/sqlite.js";
import { migrations } from "../../src/store/migrations.js";
import { describeStores } from "../support/stores.js";

const hex = (s: string, alg = "sha256") => createHash(alg).update(s).digest("hex");
const d = (s: string) => `sha256:${hex(s)}` as const;

const SLSA = "https://slsa.dev/provenance/v1";
const CDX = "https://cyclonedx.org/bom";
const VULN = "https://in-toto.io/attestation/vulns/v0.2";
const DSSE = "application/vnd.in-toto+json";
const BUNDLE = "application/vnd.dev.sigstore.bundle.v0.3+json";

const app = { name: "registry.example/shop/app", digest: { sha256: hex("app image") } };
const lib = {
  name: "shop-lib-1.4.0.tgz",
  digest: { sha256: hex("lib tarball"), sha512: hex("lib tarball", "sha512") },
};

async function count(
  store: Store,
  table:
    | "attestation"
    | "attestation_subject"
    | "decision"
    | "sbom"
    | "sbom_component"
    | "signing_key"
    | "key_revocation",
) {
  const row = await store.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(BulwarkError);
  return (e as BulwarkError).code;
}

describeStores("evidence index", (h) => {
  const open = async () => {
    const store = await h.open();
    return { store, index: new EvidenceIndex(store) };
  };

  it("migration 0003 upgrades a database created by the previous release", async () => {
    const location = await h.fresh();
    const old = new Kysely<unknown>({
      dialect:
        "file" in location
          ? new SqliteDialect({ database: openSqlite(location.file).database })
          : new PostgresDialect({ pool: new pg.Pool({ connectionString: location.url }) }),
    });
    const all = migrations(h.dialect);
    expect(Object.keys(all)).toEqual([
      "0001_vulnerability_database",
      "0002_transparency_log",
      "0003_evidence_indexes",
    ]);
    const { "0003_evidence_indexes": _, ...previous } = all;
    const migrator = new Migrator({
      db: old,
      provider: { getMigrations: () => Promise.resolve(previous as Record<string, Migration>) },
    });
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    await old.destroy();

    const readonly = await openStore({ ...location, readonly: true }).catch((e: unknown) => e);
    expect(readonly).toMatchObject({ code: "STORE_UNAVAILABLE" });
    expect((readonly as Error).message).toContain("0003_evidence_indexes");

    const store = await openStore(location);
    try {
      const index = new EvidenceIndex(store);
      expect(await index.findAttestations()).toEqual([]);
      expect(await index.listKeys()).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it("finds attestations by subject digest and predicate type, newest first", async () => {
    const { store, index } = await open();
    const provenance = {
      digest: d("provenance envelope"),
      predicateType: SLSA,
      subjects: [app],
      mediaType: DSSE,
      logIndex: 0,
      createdAt: "2025-06-01T10:00:00Z",
    };
    const sbom = {
      digest: d("sbom bundle"),
      predicateType: CDX,
      subjects: [app, lib],
      mediaType: BUNDLE,
      createdAt: "2025-06-02T10:00:00Z",
    };
    const vulns = {
      digest: d("vuln envelope"),
      predicateType: VULN,
      subjects: [lib],
      mediaType: DSSE,
      logIndex: 7,
      createdAt: "2025-06-03T10:00:00+02:00",
    };
    expect(await index.recordAttestation(provenance)).toBe(true);
    expect(await index.recordAttestation(sbom)).toBe(true);
    expect(await index.recordAttestation(vulns)).toBe(true);

    const rec = (a: typeof provenance | typeof sbom | typeof vulns, createdAt: string) => ({
      digest: a.digest,
      predicateType: a.predicateType,
      mediaType: a.mediaType,
      subjects: a.subjects,
      ...("logIndex" in a ? { logIndex: a.logIndex } : {}),
      createdAt,
    });
    const P = rec(provenance, "2025-06-01T10:00:00.000Z");
    const S = rec(sbom, "2025-06-02T10:00:00.000Z");
    const V = rec(vulns, "2025-06-03T08:00:00.000Z");

    expect(await index.findAttestations({ subjectDigest: `sha256:${app.digest.sha256}` })).toEqual([S, P]);
    expect(await index.findAttestations({ subjectDigest: `sha256:${lib.digest.sha256}` })).toEqual([V, S]);
    // Any algorithm of the DigestSet is indexed; lookups are case-insensitive.
    expect(
      await index.findAttestations({ subjectDigest: `SHA512:${lib.digest.sha512.toUpperCase()}` }),
    ).toEqual([V, S]);
    expect(
      await index.findAttestations({ subjectDigest: `sha256:${app.digest.sha256}`, predicateType: SLSA }),
    ).toEqual([P]);
    expect(await index.findAttestations({ predicateType: CDX })).toEqual([S]);
    expect(await index.findAttestations({ predicateType: "https://example.com/none" })).toEqual([]);
    expect(await index.findAttestations({ subjectDigest: d("unknown") })).toEqual([]);
    expect(await index.findAttestations()).toEqual([V, S, P]);
    expect(await index.findAttestations({ limit: 2 })).toEqual([V, S]);
    expect(await index.findAttestations({ subjectDigest: `sha256:${lib.digest.sha256}`, limit: 1 })).toEqual([
      V,
    ]);
    // app: 1 + 1 rows; lib (sha256 and sha512): 2 + 2 rows.
    expect(await count(store, "attestation_subject")).toBe(6);
  });

  it("records an attestation once, and takes a log index that arrives later", async () => {
    const { store, index } = await open();
    const a = {
      digest: d("env"),
      predicateType: SLSA,
      subjects: [app],
      mediaType: DSSE,
      createdAt: "2025-06-01T00:00:00Z",
    };
    expect(await index.recordAttestation(a)).toBe(true);
    expect(await index.recordAttestation(a)).toBe(false);
    expect(await index.recordAttestation({ ...a, logIndex: 41 })).toBe(false);
    expect(await index.recordAttestation({ ...a, logIndex: 99 })).toBe(false);
    expect(await count(store, "attestation")).toBe(1);
    expect(await count(store, "attestation_subject")).toBe(1);
    expect((await index.findAttestations())[0]!.logIndex).toBe(41);
  });

  it("concurrent records of one attestation, decision and SBOM each write it once", async () => {
    const { store, index } = await open();
    const a = {
      digest: d("racing envelope"),
      predicateType: SLSA,
      subjects: [app, lib],
      mediaType: DSSE,
      createdAt: "2025-06-01T00:00:00Z",
    };
    const body = JSON.stringify({ decision: "allow" });
    const x = { id: d(body), decision: "allow" as const, time: "2025-06-01T00:00:00Z", body };
    const sbom = {
      digest: d("racing sbom"),
      format: "spdx-json",
      createdAt: "2025-06-01T00:00:00Z",
      components: [{ purl: "pkg:npm/lodash@4.17.21" }, { purl: "pkg:npm/%40scope/name@1.0.0" }],
    };
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        Promise.all([index.recordAttestation(a), index.recordDecision(x), index.recordSbom(sbom)]),
      ),
    );
    expect(results.filter(([r]) => r)).toHaveLength(1);
    expect(results.filter(([, r]) => r)).toHaveLength(1);
    expect(results.filter(([, , r]) => r.inserted)).toHaveLength(1);
    expect(await count(store, "attestation")).toBe(1);
    expect(await count(store, "attestation_subject")).toBe(3);
    expect(await count(store, "decision")).toBe(1);
    expect(await count(store, "sbom")).toBe(1);
    expect(await count(store, "sbom_component")).toBe(2);
  });

  it("orders attestations of the same time by digest", async () => {
    const { index } = await open();
    const digests = ["a", "b", "c", "d", "e"].map(d);
    for (const digest of [...digests].reverse())
      await index.recordAttestation({
        digest,
        predicateType: SLSA,
        subjects: [app],
        mediaType: DSSE,
        createdAt: "2025-01-01T00:00:00Z",
      });
    expect(
      (await index.findAttestations({ subjectDigest: `sha256:${app.digest.sha256}` })).map((r) => r.digest),
    ).toEqual([...digests].sort());
  });

  it("refuses malformed attestation input with INPUT_INVALID", async () => {
    const { store, index } = await open();
    const a = {
      digest: d("x"),
      predicateType: SLSA,
      subjects: [app],
      mediaType: DSSE,
      createdAt: "2025-06-01T00:00:00Z",
    };
    expect(await codeOf(index.recordAttestation({ ...a, digest: "sha256:abc" }))).toBe("INPUT_INVALID");
    expect(await codeOf(index.recordAttestation({ ...a, createdAt: "yesterday" }))).toBe("INPUT_INVALID");
    expect(
      await codeOf(
        index.recordAttestation({ ...a, subjects: [{ name: "x", digest: { sha256: "not hex" } }] }),
      ),
    ).toBe("INPUT_INVALID");
    expect(await codeOf(index.recordAttestation({ ...a, logIndex: -1 }))).toBe("INPUT_INVALID");
    expect(await codeOf(index.findAttestations({ subjectDigest: "app" }))).toBe("INPUT_INVALID");
    expect(await codeOf(index.findAttestations({ limit: 0 }))).toBe("INPUT_INVALID");
    expect(await count(store, "attestation")).toBe(0);
  });

  const decision = (n: number, over: Partial<DecisionInput>): DecisionInput => {
    const body = JSON.stringify({ n, ...over });
    return { id: d(body), decision: "allow", time: "2025-06-01T00:00:00Z", body, ...over };
  };

  it("finds decisions by subject, outcome and time window, newest first", async () => {
    const { index } = await open();
    const appDigest = `sha256:${app.digest.sha256}`;
    const libDigest = `sha256:${lib.digest.sha256}`;
    const all = [
      decision(1, {
        decision: "deny",
        subjectName: app.name,
        subjectDigest: appDigest,
        environment: "prod",
        time: "2025-06-01T09:00:00Z",
      }),
      decision(2, {
        decision: "allow",
        subjectName: app.name,
        subjectDigest: appDigest,
        environment: "prod",
        time: "2025-06-01T12:00:00Z",
        logIndex: 3,
      }),
      decision(3, {
        decision: "warn",
        subjectName: app.name,
        subjectDigest: appDigest,
        environment: "staging",
        policyBundleDigest: d("bundle"),
        inputDigest: d("input"),
        // Stored in UTC: 2025-06-02T00:00:00.000Z.
        time: "2025-06-02T02:00:00+02:00",
      }),
      decision(4, {
        decision: "allow",
        subjectName: lib.name,
        subjectDigest: libDigest,
        time: "2025-06-01T10:30:00Z",
      }),
      decision(5, { decision: "deny", time: "2025-05-31T23:59:59.999Z" }),
    ];
    for (const x of all) expect(await index.recordDecision(x)).toBe(true);
    const ids = async (q: Parameters<EvidenceIndex["findDecisions"]>[0]) =>
      (await index.findDecisions(q)).map((r) => JSON.parse(r.body).n as number);

    expect(await ids({ subjectDigest: appDigest })).toEqual([3, 2, 1]);
    expect(await ids({ subjectName: app.name })).toEqual([3, 2, 1]);
    expect(await ids({})).toEqual([3, 2, 4, 1, 5]);
    // since is inclusive, until exclusive.
    expect(await ids({ since: "2025-06-01T09:00:00Z", until: "2025-06-01T12:00:00Z" })).toEqual([4, 1]);
    expect(await ids({ since: new Date("2025-06-01T00:00:00Z") })).toEqual([3, 2, 4, 1]);
    expect(await ids({ until: "2025-06-01T00:00:00Z" })).toEqual([5]);
    expect(
      await ids({ subjectDigest: appDigest, since: "2025-06-01T10:00:00Z", until: "2025-06-02T00:00:00Z" }),
    ).toEqual([2]);
    expect(await ids({ decision: "deny" })).toEqual([1, 5]);
    expect(await ids({ subjectDigest: appDigest, decision: "allow" })).toEqual([2]);
    expect(await ids({ subjectDigest: d("nothing") })).toEqual([]);
    expect(await ids({ limit: 2 })).toEqual([3, 2]);

    const [third] = await index.findDecisions({ decision: "warn" });
    expect(third).toEqual({
      id: all[2]!.id,
      decision: "warn",
      subjectName: app.name,
      subjectDigest: appDigest,
      environment: "staging",
      policyBundleDigest: d("bundle"),
      inputDigest: d("input"),
      time: "2025-06-02T00:00:00.000Z",
      body: all[2]!.body,
    });
    expect((await index.findDecisions({ decision: "allow", subjectName: app.name }))[0]!.logIndex).toBe(3);
  });

  it("records a decision once and orders equal times by id", async () => {
    const { store, index } = await open();
    const same = [1, 2, 3, 4].map((n) => decision(n, { time: "2025-06-01T00:00:00Z", subjectName: "app" }));
    for (const x of same) expect(await index.recordDecision(x)).toBe(true);
    expect(await index.recordDecision(same[0]!)).toBe(false);
    expect(await index.recordDecision({ ...same[1]!, logIndex: 12 })).toBe(false);
    expect(await count(store, "decision")).toBe(4);
    const found = await index.findDecisions({ subjectName: "app" });
    expect(found.map((r) => r.id)).toEqual(same.map((x) => x.id).sort());
    expect(found.find((r) => r.id === same[1]!.id)!.logIndex).toBe(12);
    expect(await codeOf(index.recordDecision({ ...same[0]!, decision: "maybe" as "allow" }))).toBe(
      "INPUT_INVALID",
    );
    expect(await codeOf(index.recordDecision({ ...same[0]!, id: "abc" }))).toBe("INPUT_INVALID");
    expect(await codeOf(index.findDecisions({ since: "not a time" }))).toBe("INPUT_INVALID");
  });

  it("answers which artifacts contain a package, with and without a version", async () => {
    const { store, index } = await open();
    const appSbom = {
      digest: d("app sbom"),
      artifactName: "registry.example/shop/app",
      artifactDigest: d("app image"),
      format: "cyclonedx-json",
      createdAt: "2025-06-01T00:00:00Z",
      components: [
        { purl: "pkg:npm/lodash@4.17.21", name: "lodash", version: "4.17.21" },
        { purl: "pkg:npm/%40scope/name@1.0.0", name: "@scope/name", version: "1.0.0" },
        { purl: "pkg:deb/debian/curl@7.88.1-10%2Bdeb12u5?arch=amd64&distro=debian-12" },
        { purl: "pkg:pypi/django@4.2.11" },
        { purl: "not a purl", name: "mystery" },
        { purl: "pkg:npm/lodash@4.17.21", name: "lodash (again)" },
      ],
    };
    const apiSbom = {
      digest: d("api sbom"),
      artifactName: "registry.example/shop/api",
      artifactDigest: d("api image"),
      format: "spdx-json",
      createdAt: "2025-06-02T00:00:00Z",
      components: [
        { purl: "pkg:npm/lodash@4.17.20" },
        { purl: "pkg:npm/@scope/name@2.0.0" },
        { purl: "pkg:npm/left-pad", version: "1.3.0" },
      ],
    };
    const oldApiSbom = {
      ...apiSbom,
      digest: d("old api sbom"),
      components: [{ purl: "pkg:npm/lodash@4.17.19" }],
    };
    const anonymous = {
      digest: d("dir sbom"),
      format: "cyclonedx-json",
      createdAt: "2025-06-03T00:00:00Z",
      components: [{ purl: "pkg:npm/lodash@4.17.21" }],
    };

    expect(await index.recordSbom(appSbom)).toEqual({ inserted: true, components: 4, skipped: 1 });
    expect(await index.recordSbom(apiSbom)).toEqual({ inserted: true, components: 3, skipped: 0 });
    expect(await index.recordSbom(oldApiSbom)).toEqual({ inserted: true, components: 1, skipped: 0 });
    expect(await index.recordSbom(anonymous)).toEqual({ inserted: true, components: 1, skipped: 0 });

    const app_ = {
      artifactName: appSbom.artifactName,
      artifactDigest: appSbom.artifactDigest,
      sbomDigest: appSbom.digest,
    };
    const api = {
      artifactName: apiSbom.artifactName,
      artifactDigest: apiSbom.artifactDigest,
      sbomDigest: apiSbom.digest,
    };
    const oldApi = { ...api, sbomDigest: oldApiSbom.digest };
    expect(oldApi.sbomDigest < api.sbomDigest).toBe(true);

    // By artifact name, then artifact digest, SBOM digest and purl; no artifact name sorts last.
    expect(await index.artifactsContaining("pkg:npm/lodash")).toEqual([
      { ...oldApi, purl: "pkg:npm/lodash@4.17.19", version: "4.17.19" },
      { ...api, purl: "pkg:npm/lodash@4.17.20", version: "4.17.20" },
      { ...app_, purl: "pkg:npm/lodash@4.17.21", version: "4.17.21" },
      { sbomDigest: anonymous.digest, purl: "pkg:npm/lodash@4.17.21", version: "4.17.21" },
    ]);
    expect(await index.artifactsContaining("pkg:npm/lodash@4.17.21")).toEqual([
      { ...app_, purl: "pkg:npm/lodash@4.17.21", version: "4.17.21" },
      { sbomDigest: anonymous.digest, purl: "pkg:npm/lodash@4.17.21", version: "4.17.21" },
    ]);
    expect(await index.artifactsContaining("pkg:npm/lodash@4.17.18")).toEqual([]);
    // Scoped npm names match whether the @ is percent-encoded or not.
    expect(await index.artifactsContaining("pkg:npm/%40scope/name@1.0.0")).toEqual([
      { ...app_, purl: "pkg:npm/%40scope/name@1.0.0", version: "1.0.0" },
    ]);
    expect(await index.artifactsContaining("pkg:npm/@scope/name")).toEqual([
      { ...api, purl: "pkg:npm/@scope/name@2.0.0", version: "2.0.0" },
      { ...app_, purl: "pkg:npm/%40scope/name@1.0.0", version: "1.0.0" },
    ]);
    expect(await index.artifactsContaining("pkg:npm/name")).toEqual([]);
    expect(await index.artifactsContaining("pkg:npm/%40other/name")).toEqual([]);
    // Qualifiers are ignored; the version is compared decoded.
    expect(await index.artifactsContaining("pkg:deb/debian/curl@7.88.1-10+deb12u5?distro=debian-11")).toEqual(
      [
        {
          ...app_,
          purl: "pkg:deb/debian/curl@7.88.1-10%2Bdeb12u5?arch=amd64&distro=debian-12",
          version: "7.88.1-10+deb12u5",
        },
      ],
    );
    // Type-specific normalisation (PyPI names are case-insensitive).
    expect(await index.artifactsContaining("pkg:pypi/Django@4.2.11")).toEqual([
      { ...app_, purl: "pkg:pypi/django@4.2.11", version: "4.2.11" },
    ]);
    // A purl without a version takes the component's own version.
    expect(await index.artifactsContaining("pkg:npm/left-pad@1.3.0")).toEqual([
      { ...api, purl: "pkg:npm/left-pad", version: "1.3.0" },
    ]);
    expect(await codeOf(index.artifactsContaining("lodash"))).toBe("INPUT_INVALID");

    // Idempotent: the same SBOM again writes nothing.
    const before = await count(store, "sbom_component");
    expect(before).toBe(9);
    expect(await index.recordSbom(appSbom)).toEqual({ inserted: false, components: 4, skipped: 1 });
    expect(await count(store, "sbom_component")).toBe(before);
    expect(await count(store, "sbom")).toBe(4);
  });

  it("indexes SBOMs larger than one insert statement", async () => {
    const { store, index } = await open();
    const components = Array.from({ length: 2345 }, (_, i) => ({ purl: `pkg:npm/pkg-${i}@1.${i % 7}.0` }));
    components.push({ purl: "pkg:npm/%40big/shared@3.0.0" });
    const sbom = {
      digest: d("big"),
      artifactName: "big",
      format: "cyclonedx-json",
      createdAt: "2025-06-01T00:00:00Z",
      components,
    };
    expect(await index.recordSbom(sbom)).toEqual({ inserted: true, components: 2346, skipped: 0 });
    expect(await count(store, "sbom_component")).toBe(2346);
    expect(await index.artifactsContaining("pkg:npm/pkg-2338@1.0.0")).toEqual([
      { artifactName: "big", sbomDigest: d("big"), purl: "pkg:npm/pkg-2338@1.0.0", version: "1.0.0" },
    ]);
    expect(await index.artifactsContaining("pkg:npm/pkg-2338@1.1.0")).toEqual([]);
  });

  it("lists keys with the revocation that applies and answers isRevoked at a time", async () => {
    const { store, index } = await open();
    const k1 = {
      keyid: hex("key one"),
      algorithm: "ecdsa-p256",
      publicKeyPem: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
      createdAt: "2025-01-01T00:00:00Z",
      source: "generated",
    };
    const k2 = {
      keyid: hex("key two"),
      algorithm: "ed25519",
      publicKeyPem: "-----BEGIN PUBLIC KEY-----\nBBBB\n-----END PUBLIC KEY-----\n",
      createdAt: "2025-02-01T00:00:00Z",
      expiresAt: "2026-02-01T00:00:00Z",
      source: "trusted",
    };
    expect(await index.recordKey(k2)).toBe(true);
    expect(await index.recordKey(k1)).toBe(true);
    expect(await index.recordKey(k1)).toBe(false);

    const leak = {
      keyid: k1.keyid,
      revokedAt: "2025-06-03T09:12:44Z",
      since: "2025-06-01T00:00:00Z",
      reason: "key leaked in a build log",
      logIndex: 17,
    };
    expect(await index.recordRevocation(leak)).toBe(true);
    expect(await index.recordRevocation(leak)).toBe(false);
    expect(await count(store, "key_revocation")).toBe(1);

    const expectedKeys = (revocation: object) =>
      [
        {
          keyid: k1.keyid,
          algorithm: k1.algorithm,
          publicKeyPem: k1.publicKeyPem,
          createdAt: "2025-01-01T00:00:00.000Z",
          source: "generated",
          revocation,
        },
        {
          keyid: k2.keyid,
          algorithm: k2.algorithm,
          publicKeyPem: k2.publicKeyPem,
          createdAt: "2025-02-01T00:00:00.000Z",
          expiresAt: "2026-02-01T00:00:00.000Z",
          source: "trusted",
        },
      ].sort((a, b) => (a.keyid < b.keyid ? -1 : 1));
    expect(await index.listKeys()).toEqual(
      expectedKeys({
        keyid: k1.keyid,
        since: "2025-06-01T00:00:00.000Z",
        revokedAt: "2025-06-03T09:12:44.000Z",
        reason: "key leaked in a build log",
        logIndex: 17,
      }),
    );
    expect(await index.isRevoked(k1.keyid, new Date("2025-05-31T23:59:59.999Z"))).toBe(false);
    expect(await index.isRevoked(k1.keyid, new Date("2025-06-01T00:00:00Z"))).toBe(true);
    expect(await index.isRevoked(k1.keyid)).toBe(true);
    expect(await index.isRevoked(k2.keyid)).toBe(false);
    expect(await index.isRevoked(k2.keyid, new Date("2030-01-01T00:00:00Z"))).toBe(false);

    // A later entry with an earlier since tightens the revocation; a looser one changes nothing.
    expect(
      await index.recordRevocation({
        keyid: k1.keyid,
        revokedAt: "2025-06-04T00:00:00Z",
        since: "2025-05-20T00:00:00Z",
        reason: "audit",
      }),
    ).toBe(true);
    expect(
      await index.recordRevocation({
        keyid: k1.keyid,
        revokedAt: "2025-06-05T00:00:00Z",
        since: "2025-06-02T00:00:00Z",
        reason: "late",
      }),
    ).toBe(true);
    expect(await index.isRevoked(k1.keyid, new Date("2025-05-25T00:00:00Z"))).toBe(true);
    expect(await index.isRevoked(k1.keyid, new Date("2025-05-19T00:00:00Z"))).toBe(false);
    expect((await index.listKeys()).find((k) => k.keyid === k1.keyid)!.revocation).toEqual({
      keyid: k1.keyid,
      since: "2025-05-20T00:00:00.000Z",
      revokedAt: "2025-06-04T00:00:00.000Z",
      reason: "audit",
    });

    // since defaults to the revocation time; a revocation may name a key not recorded here.
    const stranger = hex("someone else's key");
    expect(
      await index.recordRevocation({ keyid: stranger, revokedAt: "2025-07-01T00:00:00Z", reason: "rotated" }),
    ).toBe(true);
    expect(await index.isRevoked(stranger, new Date("2025-06-30T23:59:59Z"))).toBe(false);
    expect(await index.isRevoked(stranger, new Date("2025-07-01T00:00:00Z"))).toBe(true);
    expect((await index.listKeys()).map((k) => k.keyid)).toEqual([k1.keyid, k2.keyid].sort());
    expect(await codeOf(index.isRevoked(k1.keyid, new Date(NaN)))).toBe("INPUT_INVALID");
    expect(await codeOf(index.recordRevocation({ ...leak, reason: "" }))).toBe("INPUT_INVALID");
  });
});
