/**
 * Vulnerability matching end to end on real projects: each fixture under test/fixtures/vuln/ (npm
 * lockfiles written by the npm CLI, a pinned requirements.txt, a go.mod/go.sum; see its README.md)
 * is catalogued with `generateSbom` and matched against every shared real OSV record. The result
 * must equal (1) what an independent implementation of the OSV evaluation pseudo-code says
 * (./osv-oracle.ts) and (2) a list of advisory ids checked by hand against the records, so a
 * mistake shared by the oracle and the matcher cannot pass unseen.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { SbomComponent } from "../../src/formats/index.js";
import { generateSbom } from "../../src/sbom/index.js";
import {
  evaluateAffected,
  matchComponents,
  npmScheme,
  OsvIndex,
  type OsvRecord,
  semverScheme,
} from "../../src/vuln/index.js";
import { requireShared } from "../support/shared.js";
import {
  isVulnerable,
  mergeIssues,
  type OracleOrder,
  type OracleRecord,
  pep440ReleaseOrder,
  pep503,
  semverOrder,
} from "./osv-oracle.js";

const shared = requireShared();
const FIXTURES = fileURLToPath(new URL("../fixtures/vuln/", import.meta.url));

/**
 * `advisory id  name@version` of every issue each project must report, from reading the records
 * (in /work/shared/vuln-data/osv/). Each comment says which range or list puts the version in.
 */
const EXPECTED: Readonly<Record<string, readonly string[]>> = {
  "npm-vulnerable": [
    "GHSA-29mw-wpgm-hmr9 lodash@4.17.15", // lodash: introduced 0, fixed 4.17.21 (CVE-2020-28500)
    "GHSA-35jh-r3h4-6jhm lodash@4.17.15", // lodash: introduced 0, fixed 4.17.21 (CVE-2021-23337)
    "GHSA-4w2v-q235-vp99 axios@0.21.0", // introduced 0, fixed 0.21.1
    "GHSA-8cf7-32gw-wr33 jsonwebtoken@8.5.1", // introduced 0, fixed 9.0.0 (GHSA-27h2-hvpr-p74q is withdrawn)
    "GHSA-9wv6-86v2-598j path-to-regexp@0.1.7", // first of five ranges: introduced 0, fixed 0.1.10
    "GHSA-cm22-4g7w-348p serve-static@1.14.1", // introduced 0, fixed 1.16.0
    "GHSA-cph5-m8f7-6c5x axios@0.21.0", // introduced 0, fixed 0.21.2
    "GHSA-hrpp-h998-j3pp qs@6.7.0", // the backport range introduced 6.7.0, fixed 6.7.3 (v == introduced)
    "GHSA-m6fv-jmcg-4jfg send@0.17.1", // introduced 0, fixed 0.19.0
    "GHSA-p6mc-m468-83gw lodash@4.17.15", // lodash: introduced 0, fixed 4.17.20
    "GHSA-pxg6-pf52-xh8x cookie@0.4.0", // introduced 0, fixed 0.7.0
    "GHSA-qw6h-vgh9-j6wx express@4.17.1", // introduced 0, fixed 4.20.0 (not the 5.0.0-alpha.1 range)
    "GHSA-qwcr-r2fm-qrc7 body-parser@1.19.0", // introduced 0, fixed 1.20.3
    "GHSA-r683-j2x4-v87g node-fetch@2.6.0", // both ranges: introduced 0, fixed 2.6.7 and introduced "1.0", fixed 3.1.1
    "GHSA-rv95-896h-c2vc express@4.17.1", // introduced 0, fixed 4.19.2
    "GHSA-vh95-rmgr-6w4m minimist@1.2.0", // second range: introduced 1.0.0, fixed 1.2.3
    "GHSA-wf5p-g6vw-rhxx axios@0.21.0", // introduced 0.8.1, fixed 1.6.0
    "GHSA-xvch-5gv4-984h minimist@1.2.0", // first range: introduced 1.0.0, fixed 1.2.6
    // Not affected: lodash's GHSA-4xc9/GHSA-x5rq (fixed 4.17.11), GHSA-jf85 (4.17.12), GHSA-fvqr
    // (4.17.5); follow-redirects@1.16.3 (all four fixed by 1.15.6); semver@5.7.3 (fixed 5.7.2).
  ],
  // lodash 4.17.21 is GHSA-29mw's and GHSA-35jh's `fixed`; axios 1.7.4 is past GHSA-wf5p's 1.6.0;
  // minimist 1.2.8 is past both ranges; follow-redirects 1.16.3 past all four records.
  "npm-fixed": [],
  python: [
    "GHSA-45x7-px36-x8w8 paramiko@2.7.2", // the record's PyPI entry: introduced 0, fixed 3.4.0
    "GHSA-8q59-q68h-6hv4 pyyaml@5.3.1", // names "PyYAML" (PEP 503): introduced 0, fixed 5.4
    "GHSA-h5c8-rqwp-cp95 jinja2@2.11.2", // names "jinja2": introduced 0, fixed 3.1.3
    "GHSA-h75v-3vvj-5mfj jinja2@2.11.2", // names "Jinja2": introduced 0, fixed 3.1.4
    "GHSA-j8r2-6x86-q33q requests@2.25.1", // introduced 2.3.0, fixed 2.31.0; PYSEC-2023-74 merged in (alias)
    "GHSA-jh3w-4vvf-mjgr django@3.2.3", // names "Django": first range introduced 3.2.0, fixed 3.2.20
    "GHSA-v845-jxx5-vc9f urllib3@1.25.8", // second range: introduced 0, fixed 1.26.17
    "PYSEC-2020-148 urllib3@1.25.8", // ECOSYSTEM introduced 0, fixed 1.25.9, and in `versions`
    "PYSEC-2021-98 django@3.2.3", // names "django": third pair of the range, introduced 3.2, fixed 3.2.4
  ],
  go: [
    "GHSA-4374-p667-p6c8 golang.org/x/net@v0.10.0", // ECOSYSTEM fixed 0.17.0; GO-2023-2102 (SEMVER fixed 0.17.0) merged in
    "GHSA-45x7-px36-x8w8 golang.org/x/crypto@v0.14.0", // Go entry fixed 0.17.0; GO-2023-2402 merged in
    "GO-2021-0052 github.com/gin-gonic/gin@v1.6.3", // SEMVER introduced 0, fixed 1.7.7
    "GO-2021-0113 golang.org/x/text@v0.3.6", // SEMVER introduced 0, fixed 0.3.7
    "GO-2022-1059 golang.org/x/text@v0.3.6", // SEMVER introduced 0, fixed 0.3.8
    "GO-2023-1737 github.com/gin-gonic/gin@v1.6.3", // introduced at the pseudo-version 1.3.1-0.20190301021747-…, fixed 1.9.1
    "GO-2024-3321 golang.org/x/crypto@v0.14.0", // SEMVER introduced 0, fixed 0.31.0
    "GO-2024-3333 golang.org/x/net@v0.10.0", // SEMVER introduced 0, fixed 0.33.0
    // Not affected: GO-2023-1571 (x/net fixed 0.7.0 < 0.10.0); the main module, `(devel)`.
  ],
};

/** The package each fixture must catalogue, so a component lost on the way cannot hide an advisory. */
function declaredPackages(project: string): string[] {
  const dir = join(FIXTURES, project);
  if (project.startsWith("npm-")) {
    const lock = JSON.parse(readFileSync(join(dir, "package-lock.json"), "utf8")) as {
      packages: Record<string, { name?: string; version: string }>;
    };
    return Object.entries(lock.packages)
      .filter(([path]) => path !== "")
      .map(([path, p]) => `${p.name ?? path.slice(path.lastIndexOf("node_modules/") + 13)}@${p.version}`);
  }
  if (project === "python") {
    return readFileSync(join(dir, "requirements.txt"), "utf8")
      .split("\n")
      .filter((l) => /^[A-Za-z]/.test(l))
      .map((l) => l.replace("==", "@").replace(/^[^@]+/, pep503));
  }
  const mod = readFileSync(join(dir, "go.mod"), "utf8");
  return [
    "example.com/bulwark/vuln-fixture@(devel)",
    ...[...mod.matchAll(/^\t(\S+) (v\S+)$/gm)].map((m) => `${m[1]}@${m[2]}`),
  ];
}

/** The oracle's orders per ecosystem: node-semver for npm and Go, PEP 440 final releases for PyPI. */
function ordersFor(ecosystem: string): (rangeType: string) => OracleOrder | undefined {
  return (type) => {
    if (type === "GIT") return undefined;
    if (type === "SEMVER" || ecosystem === "npm" || ecosystem === "Go") return semverOrder;
    if (ecosystem === "PyPI") return pep440ReleaseOrder;
    throw new Error(`the oracle has no order for ${ecosystem}`);
  };
}

/** Every issue the oracle finds for one component, aliases merged: `id name@version` → aliases. */
function oracleIssues(c: SbomComponent, records: readonly OracleRecord[]): Map<string, string[]> {
  const name = c.ecosystem === "PyPI" ? pep503(c.name) : c.name;
  const hits = records.filter((r) =>
    isVulnerable(r, {
      version: c.version,
      orderOf: ordersFor(c.ecosystem),
      isPackage: (p) =>
        p.ecosystem.split(":")[0] === c.ecosystem &&
        (c.ecosystem === "PyPI" ? pep503(p.name) : p.name) === name,
    }),
  );
  return new Map(mergeIssues(hits).map((i) => [`${i.id} ${c.name}@${c.version}`, i.aliases]));
}

describe.skipIf(!shared)("matching real projects against the shared OSV records", () => {
  const dir = join(shared ?? "", "vuln-data/osv");
  const records = shared
    ? readdirSync(dir)
        .filter((f) => f.endsWith(".json"))
        .map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")) as OsvRecord & OracleRecord)
    : [];
  const index = new OsvIndex(records);

  it("loads every record but the two withdrawn ones", () => {
    expect(records.length).toBeGreaterThanOrEqual(86);
    expect(index.size).toBe(records.length - 2);
  });

  it.each(Object.keys(EXPECTED))("%s: matcher == OSV oracle == hand-checked list", async (project) => {
    const doc = await generateSbom({ target: join(FIXTURES, project), toolVersion: "test" });
    expect(doc.issues).toEqual([]);
    const catalogued = doc.components.map((c) => `${c.name}@${c.version}`).sort();
    expect(catalogued).toEqual(declaredPackages(project).sort());

    const matches = matchComponents(doc.components, index);
    const found = new Map(matches.map((m) => [`${m.id} ${m.component.name}@${m.component.version}`, m]));
    expect(found.size, "one finding per issue per component").toBe(matches.length);

    const oracle = new Map(doc.components.flatMap((c) => [...oracleIssues(c, records)]));
    expect([...found.keys()].sort()).toEqual([...oracle.keys()].sort());
    for (const [key, aliases] of oracle) expect([...found.get(key)!.aliases], key).toEqual(aliases);

    expect([...found.keys()].sort()).toEqual([...EXPECTED[project]!].sort());
  });

  it("never reports the withdrawn jsonwebtoken record, not even as an alias", async () => {
    const doc = await generateSbom({ target: join(FIXTURES, "npm-vulnerable"), toolVersion: "test" });
    const jwt = matchComponents(
      doc.components.filter((c) => c.name === "jsonwebtoken"),
      index,
    );
    expect(jwt.map((m) => m.id)).toEqual(["GHSA-8cf7-32gw-wr33"]);
    expect(jwt.flatMap((m) => m.aliases)).not.toContain("GHSA-27h2-hvpr-p74q");
    expect(jwt.flatMap((m) => m.aliases)).not.toContain("CVE-2022-23529");
  });

  it("merges the records of one CVE and reports the nearest fix of the range that matched", async () => {
    const python = await generateSbom({ target: join(FIXTURES, "python"), toolVersion: "test" });
    const requests = matchComponents(
      python.components.filter((c) => c.name === "requests"),
      index,
    );
    expect(requests.map((m) => [m.id, m.aliases, m.fixedVersions])).toEqual([
      ["GHSA-j8r2-6x86-q33q", ["CVE-2023-32681", "PYSEC-2023-74"], ["2.31.0"]],
    ]);
    const npm = await generateSbom({ target: join(FIXTURES, "npm-vulnerable"), toolVersion: "test" });
    const qs = matchComponents(
      npm.components.filter((c) => c.name === "qs"),
      index,
    );
    // Nine backport ranges; only `introduced 6.7.0, fixed 6.7.3` holds 6.7.0.
    expect(qs.map((m) => [m.id, m.fixedVersions])).toEqual([["GHSA-hrpp-h998-j3pp", ["6.7.3"]]]);
  });
});

describe("the oracle and the range evaluation agree on random ranges", () => {
  // Few versions, so events collide (ties, limits at the installed version, `*` beside a limit).
  const POOL = ["0.9.0", "1.0.0-alpha", "1.0.0", "1.0.1", "1.1.0-rc.1", "1.1.0", "2.0.0", "10.0.0"];
  const version = fc.constantFrom(...POOL);
  const event = fc.oneof(
    fc.constantFrom(...POOL, "0").map((v) => ({ introduced: v })),
    version.map((v) => ({ fixed: v })),
    version.map((v) => ({ last_affected: v })),
    fc.constantFrom(...POOL, "*").map((v) => ({ limit: v })),
  );
  const ranges = fc.array(
    fc.record({
      type: fc.constantFrom("ECOSYSTEM" as const, "SEMVER" as const),
      events: fc.array(event, { minLength: 1, maxLength: 5 }),
    }),
    { maxLength: 3 },
  );

  it("for npm versions", () => {
    fc.assert(
      fc.property(version, ranges, fc.array(version, { maxLength: 2 }), (v, r, versions) => {
        const affected = { ranges: r, versions };
        const want = isVulnerable(
          { id: "X", affected: [{ package: { ecosystem: "npm", name: "x" }, ...affected }] },
          { version: v, isPackage: () => true, orderOf: () => semverOrder },
        );
        expect(evaluateAffected(v, affected, npmScheme, semverScheme).affected).toBe(want);
      }),
      { numRuns: 5000 },
    );
  });
});
