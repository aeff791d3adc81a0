/**
 * Vulnerability matching on a real Debian 12 root filesystem (`debootstrap --variant=minbase
 * bookworm`, built by scripts/fixtures/debian-rootfs.sh; too big to commit). Debian advisories
 * name source packages and are scoped to a release, so: the shared Debian 7/9 records must match
 * nothing here; and for every installed source package, records generated from its installed
 * version must match exactly where the OSV evaluation (./osv-oracle.ts) ordered by the real
 * `dpkg --compare-versions` says so, and never through a binary package's name or another release.
 * Outside CI the tests skip when the fixture or dpkg is missing; in CI a missing one fails.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import type { SbomComponent, SbomDocument } from "../../src/formats/index.js";
import { generateSbom } from "../../src/sbom/index.js";
import { matchComponents, type OsvEvent, OsvIndex, type OsvRecord } from "../../src/vuln/index.js";
import { requireShared } from "../support/shared.js";
import { isVulnerable, type OracleOrder, type OracleRecord } from "./osv-oracle.js";

const FIXTURES =
  process.env.BULWARK_FIXTURES_DIR || fileURLToPath(new URL("../../.cache/fixtures", import.meta.url));
const ROOTFS = join(FIXTURES, "debian-rootfs");
const CI = !!process.env.CI && process.env.CI !== "false" && process.env.CI !== "0";
const haveRootfs = existsSync(join(ROOTFS, "var/lib/dpkg/status"));
const haveDpkg = spawnSync("dpkg", ["--version"]).status === 0;
const shared = requireShared();

type TestRecord = OsvRecord & OracleRecord;
type Event = OsvEvent;

/**
 * `dpkg --compare-versions` as an {@link OracleOrder}. dpkg is run for many pairs at once: an
 * unknown pair is noted and answered 0 for now, and {@link settle} re-runs the evaluation after
 * asking dpkg about everything noted, until nothing new is asked.
 */
class DpkgOrder implements OracleOrder {
  readonly name = "dpkg --compare-versions";
  readonly #known = new Map<string, number>();
  readonly #missing = new Set<string>();
  calls = 0;

  valid(v: string): boolean {
    return v !== "" && !/\s/.test(v);
  }

  compare(a: string, b: string): number {
    const known = this.#known.get(`${a} ${b}`);
    if (known !== undefined) return known;
    this.#missing.add(`${a} ${b}`);
    return 0;
  }

  /** Evaluates until every comparison it made was answered by dpkg. */
  settle<T>(evaluate: () => T): T {
    for (let pass = 0; pass < 50; pass++) {
      const result = evaluate();
      if (this.#missing.size === 0) return result;
      this.#ask([...this.#missing]);
      this.#missing.clear();
    }
    throw new Error("the comparisons did not settle");
  }

  #ask(pairs: string[]): void {
    const script = `
      while read -r a b; do
        dpkg --compare-versions "$a" lt "$b"; lt=$?
        if [ $lt -eq 0 ]; then echo "$a $b -1"; continue; fi
        dpkg --compare-versions "$a" eq "$b"; eq=$?
        if [ $lt -eq 1 ] && [ $eq -eq 0 ]; then echo "$a $b 0"
        elif [ $lt -eq 1 ] && [ $eq -eq 1 ]; then echo "$a $b 1"
        else echo "$a $b error"; fi
      done`;
    const r = spawnSync("sh", ["-c", script], { input: `${pairs.join("\n")}\n`, encoding: "utf8" });
    if (r.status !== 0 || r.stderr !== "") throw new Error(`dpkg failed: ${r.stderr}`);
    const lines = r.stdout.trim().split("\n");
    if (lines.length !== pairs.length) throw new Error(`dpkg answered ${lines.length} of ${pairs.length}`);
    for (const line of lines) {
      const [a, b, answer] = line.split(" ") as [string, string, string];
      if (!["-1", "0", "1"].includes(answer)) throw new Error(`dpkg cannot compare ${a} with ${b}`);
      this.#known.set(`${a} ${b}`, Number(answer));
      this.#known.set(`${b} ${a}`, -Number(answer) || 0);
    }
    this.calls += pairs.length;
  }
}

interface Source {
  readonly name: string;
  readonly version: string;
  readonly binaries: readonly SbomComponent[];
}

/** A generated record and, where the construction alone settles it, the verdict for its source. */
interface Case {
  readonly record: TestRecord;
  readonly source: Source;
  readonly verdict?: boolean;
}

function record(
  id: string,
  name: string,
  affected: { ranges?: { type: "ECOSYSTEM"; events: Event[] }[]; versions?: string[] },
  ecosystem = "Debian:12",
): TestRecord {
  return { id, affected: [{ package: { ecosystem, name }, ...affected }] };
}

const range = (...events: Event[]) => ({ ranges: [{ type: "ECOSYSTEM" as const, events }] });

/**
 * The records for one source package at its installed version `v`. `x~ < x < x+1` for every
 * Debian version `x` (deb-version(7): `~` sorts before the end of the string, `+` after it), and
 * a larger epoch wins whatever follows; the verdicts marked here follow from that alone.
 */
function casesFor(src: Source): Case[] {
  const v = src.version;
  const above = `${v}+1`;
  const below = `${v}~`;
  const [, epochText, rest] = /^(?:(\d+):)?(.*)$/.exec(v)!;
  const epoch = Number(epochText ?? 0);
  const out: Case[] = [];
  const add = (what: string, affected: Parameters<typeof record>[2], verdict?: boolean, eco?: string) =>
    out.push({ record: record(`BW-${src.name}-${what}`, src.name, affected, eco), source: src, verdict });

  add("fixed-at-installed", range({ introduced: "0" }, { fixed: v }), false);
  add("fixed-above", range({ introduced: "0" }, { fixed: above }), true);
  add("fixed-tilde-below", range({ introduced: "0" }, { fixed: below }), false);
  add("introduced-at-installed", range({ introduced: v }), true);
  add("introduced-above", range({ introduced: above }), false);
  add("introduced-tilde-below", range({ introduced: below }, { fixed: above }), true);
  add("last-affected-at-installed", range({ introduced: "0" }, { last_affected: v }), true);
  add("last-affected-tilde-below", range({ introduced: "0" }, { last_affected: below }), false);
  add("limit-at-installed", range({ introduced: "0" }, { limit: v }), false);
  add("limit-above", range({ introduced: "0" }, { limit: above }), true);
  add("events-unsorted", range({ fixed: above }, { introduced: below }), true);
  add(
    "second-range",
    {
      ranges: [
        { type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: below }] },
        { type: "ECOSYSTEM", events: [{ introduced: v }, { fixed: above }] },
      ],
    },
    true,
  );
  add("versions-listed", { versions: [below, v, above] }, true);
  add("versions-not-listed", { versions: [below, above] }, false);
  add("fixed-next-epoch", range({ introduced: "0" }, { fixed: `${epoch + 1}:${rest}` }), true);
  if (epoch > 0) {
    add("fixed-without-epoch", range({ introduced: "0" }, { fixed: rest! }), false);
  } else {
    // `0:x` is `x` to dpkg; the oracle reads `versions` equality as dpkg's.
    add("fixed-explicit-epoch-0", range({ introduced: "0" }, { fixed: `0:${v}` }), false);
    add("versions-explicit-epoch-0", { versions: [`0:${v}`] });
  }
  if (v.includes("~")) {
    // A backport (`252.39-1~deb12u2`) sorts before the version it was backported from.
    add("fixed-in-unstable", range({ introduced: "0" }, { fixed: v.slice(0, v.lastIndexOf("~")) }), true);
  }
  const update = /\+deb(\d+)u(\d+)$/.exec(v);
  if (update) {
    // Numeric, not lexical: deb12u14 > deb12u9 and deb12u3 < deb12u13.
    const n = Number(update[2]);
    const other = n >= 10 ? 9 : n + 10;
    const fixed = `${v.slice(0, update.index)}+deb${update[1]}u${other}`;
    add(`fixed-at-deb-update-${other}`, range({ introduced: "0" }, { fixed }), n < 10);
  }
  // Binary versions differ from the source's (binNMU `+bN`, or an epoch only the binary has):
  // advisories are about the source version, so dpkg on the source version decides.
  const binaryVersions = [...new Set(src.binaries.map((b) => b.version))].filter((b) => b !== v).sort();
  binaryVersions.forEach((b, i) =>
    add(`fixed-at-binary-version-${i}`, range({ introduced: "0" }, { fixed: b })),
  );
  add("no-release", range({ introduced: "0" }), true, "Debian");
  add("other-release", range({ introduced: "0" }), false, "Debian:11");
  return out;
}

function sourcesOf(doc: SbomDocument): Source[] {
  const bySource = new Map<string, SbomComponent[]>();
  for (const c of doc.components) {
    const source = `${c.sourcePackage!.name} ${c.sourcePackage!.version ?? c.version}`;
    bySource.set(source, [...(bySource.get(source) ?? []), c]);
  }
  return [...bySource].map(([source, binaries]) => {
    const [name, version] = source.split(" ") as [string, string];
    return { name, version, binaries };
  });
}

const key = (id: string, c: { name: string; version: string }): string => `${id} ${c.name}@${c.version}`;

describe("vulnerability matching on a real Debian root filesystem", () => {
  it.runIf(CI && !haveRootfs)("has its fixture in CI", () => {
    expect.fail(
      `missing ${ROOTFS}: build it with scripts/fixtures/debian-rootfs.sh "${ROOTFS}" (set BULWARK_FIXTURES_DIR to move it)`,
    );
  });
  it.runIf(CI && !haveDpkg)("has dpkg in CI", () => {
    expect.fail("dpkg is the oracle for Debian version order: install it (apt-get install dpkg)");
  });

  describe.skipIf(!haveRootfs)("debootstrap --variant=minbase bookworm", () => {
    let doc: SbomDocument;
    let release: string;
    beforeAll(async () => {
      doc = await generateSbom({ target: ROOTFS, kind: "rootfs", toolVersion: "test" });
      release = doc.subject.distro?.versionId ?? "";
    });

    it("catalogues Debian 12 packages, each with its source package", () => {
      expect(doc.subject.distro).toMatchObject({ id: "debian", versionId: "12" });
      expect(doc.components.length).toBeGreaterThan(50);
      for (const c of doc.components) {
        expect(c.ecosystem, c.purl).toBe("Debian");
        expect(c.purl, c.purl).toMatch(/[?&]distro=debian-12(&|$)/);
        expect(c.sourcePackage?.name, c.purl).toBeTruthy();
      }
      // The truth the dpkg cataloger test holds it to: libc6 is built from glibc.
      const libc6 = doc.components.find((c) => c.name === "libc6");
      expect(libc6?.sourcePackage?.name).toBe("glibc");
    });

    describe.skipIf(!shared)("the shared Debian records", () => {
      const dir = join(shared ?? "", "vuln-data/osv");
      const records = (): TestRecord[] =>
        readdirSync(dir)
          .filter((f) => f.endsWith(".json"))
          .map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")) as TestRecord);

      it("are for Debian 7 and 9, so nothing on bookworm matches any shared record", () => {
        const all = records();
        const debian = all.filter((r) => r.affected?.some((a) => a.package?.ecosystem.startsWith("Debian")));
        expect(new Set(debian.flatMap((r) => r.affected!.map((a) => a.package!.ecosystem)))).toEqual(
          new Set(["Debian:7", "Debian:9"]),
        );
        expect(matchComponents(doc.components, new OsvIndex(all))).toEqual([]);
      });

      it("match nothing even when made to cover every version, until moved to Debian:12", () => {
        const installed = new Set(doc.components.map((c) => c.sourcePackage!.name));
        // DLA-3022-1 (dpkg) and DLA-3051-1 (tzdata) name packages installed here.
        const here = records().filter((r) => r.affected?.some((a) => installed.has(a.package?.name ?? "")));
        expect(here.map((r) => r.id).sort()).toEqual(["DLA-3022-1", "DLA-3051-1"]);
        const everyVersion = (r: TestRecord, ecosystem?: string): TestRecord => ({
          ...r,
          affected: r.affected!.map((a) => ({
            package: { ...a.package!, ecosystem: ecosystem ?? a.package!.ecosystem },
            ranges: [{ type: "ECOSYSTEM" as const, events: [{ introduced: "0" }] }],
          })),
        });
        expect(matchComponents(doc.components, new OsvIndex(here.map((r) => everyVersion(r))))).toEqual([]);
        const moved = matchComponents(
          doc.components,
          new OsvIndex(here.map((r) => everyVersion(r, "Debian:12"))),
        );
        const expected = doc.components
          .filter((c) => ["dpkg", "tzdata"].includes(c.sourcePackage!.name))
          .map((c) => key(c.sourcePackage!.name === "dpkg" ? "DLA-3022-1" : "DLA-3051-1", c));
        expect(moved.map((m) => key(m.id, m.component)).sort()).toEqual(expected.sort());
      });
    });

    describe.skipIf(!haveDpkg)("Debian:12 records generated from every installed source package", () => {
      it("match exactly where the OSV evaluation ordered by dpkg --compare-versions says", () => {
        const sources = sourcesOf(doc);
        expect(sources.length).toBeGreaterThan(40);
        const cases = sources.flatMap(casesFor);
        const dpkg = new DpkgOrder();
        const verdictOf = (r: TestRecord, c: SbomComponent): boolean =>
          isVulnerable(r, {
            version: c.sourcePackage!.version ?? c.version,
            orderOf: (type) => (type === "ECOSYSTEM" ? dpkg : undefined),
            isPackage: (p) => {
              const [eco, rel] = p.ecosystem.split(":");
              return (
                eco === "Debian" && (rel === undefined || rel === release) && p.name === c.sourcePackage!.name
              );
            },
          });
        const { expected, verdicts } = dpkg.settle(() => {
          const expected: string[] = [];
          const verdicts: string[] = [];
          for (const { record: r, source, verdict } of cases) {
            for (const c of doc.components) if (verdictOf(r, c)) expected.push(key(r.id, c));
            if (verdict !== undefined) verdicts.push(`${r.id} ${verdictOf(r, source.binaries[0]!)}`);
          }
          return { expected, verdicts };
        });
        // dpkg and the oracle agree with what the construction implies.
        expect(verdicts).toEqual(
          cases.flatMap((c) => (c.verdict === undefined ? [] : [`${c.record.id} ${c.verdict}`])),
        );
        expect(cases.filter((c) => c.verdict === undefined).length).toBeGreaterThan(10);
        expect(dpkg.calls, "comparisons dpkg answered").toBeGreaterThan(sources.length * 5);

        const matches = matchComponents(doc.components, new OsvIndex(cases.map((c) => c.record)));
        const found = matches.map((m) => key(m.id, m.component)).sort();
        expect(found).toEqual(expected.sort());
        // The source version is the one evaluated, for every binary of the source.
        for (const m of matches) expect(m.matchedVersion).toBe(m.component.sourcePackage!.version);
        expect(found.length).toBeGreaterThan(doc.components.length * 5);
      }, 120_000);

      it("never match through a binary package's name: Debian advisories name source packages", () => {
        const sourceNames = new Set(doc.components.map((c) => c.sourcePackage!.name));
        const binaryOnly = doc.components.filter((c) => !sourceNames.has(c.name));
        expect(binaryOnly.map((c) => c.name)).toContain("libc6");
        const byBinary = binaryOnly.map((c) =>
          record(`BW-binary-${c.name}`, c.name, range({ introduced: "0" })),
        );
        expect(matchComponents(doc.components, new OsvIndex(byBinary))).toEqual([]);

        const glibc = matchComponents(
          doc.components,
          new OsvIndex([
            record("BW-libc6", "libc6", range({ introduced: "0" })),
            record("BW-glibc", "glibc", range({ introduced: "0" })),
          ]),
        );
        expect(glibc.map((m) => key(m.id, m.component)).sort()).toEqual(
          doc.components
            .filter((c) => c.sourcePackage!.name === "glibc")
            .map((c) => key("BW-glibc", c))
            .sort(),
        );
        expect(glibc.map((m) => m.component.name).sort()).toEqual(["libc-bin", "libc6"]);
      });

      it("never match a record for another Debian release", () => {
        const other = sourcesOf(doc).flatMap((s) =>
          ["Debian:11", "Debian:13", "Debian:1", "Debian:sid"].map((eco) =>
            record(`BW-${s.name}-${eco}`, s.name, range({ introduced: "0" }), eco),
          ),
        );
        expect(matchComponents(doc.components, new OsvIndex(other))).toEqual([]);
      });
    });
  });
});
