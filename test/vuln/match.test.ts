import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type MatchComponent, matchComponents, OsvIndex, type OsvRecord } from "../../src/vuln/match.js";
import { requireShared } from "../support/shared.js";

const shared = requireShared();

const npm = (name: string, version: string): MatchComponent => ({
  purl: `pkg:npm/${name}@${version}`,
  name,
  version,
  ecosystem: "npm",
});

describe("matching components against OSV records (own sample records)", () => {
  // Sample records written for this test, shaped like real ones.
  const index = new OsvIndex([
    {
      id: "GHSA-aaaa",
      aliases: ["CVE-2099-0001"],
      affected: [
        {
          package: { ecosystem: "npm", name: "left" },
          ranges: [{ type: "SEMVER", events: [{ introduced: "0" }, { fixed: "1.2.0" }] }],
        },
      ],
    },
    {
      id: "OSV-2099-1",
      aliases: ["CVE-2099-0001"],
      affected: [
        {
          package: { ecosystem: "npm", name: "left" },
          ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "1.0.0" }, { fixed: "1.1.5" }] }],
        },
      ],
    },
    {
      id: "GHSA-gone",
      withdrawn: "2099-01-01T00:00:00Z",
      affected: [
        {
          package: { ecosystem: "npm", name: "left" },
          ranges: [{ type: "SEMVER", events: [{ introduced: "0" }] }],
        },
      ],
    },
    {
      id: "DSA-9999-1",
      affected: [
        {
          package: { ecosystem: "Debian:12", name: "glibc" },
          ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: "2.36-9+deb12u4" }] }],
        },
      ],
    },
    {
      id: "PYSEC-1",
      affected: [{ package: { ecosystem: "PyPI", name: "Zope.Interface" }, versions: ["5.0"] }],
    },
  ]);

  it("merges aliases into one finding, skips withdrawn records, and reports the nearest fixes", () => {
    const m = matchComponents([npm("left", "1.1.0")], index);
    expect(m.map((x) => x.id)).toEqual(["GHSA-aaaa"]);
    expect(m[0]!.aliases).toEqual(["CVE-2099-0001", "OSV-2099-1"]);
    expect(m[0]!.fixedVersions).toEqual(["1.1.5", "1.2.0"]);
    expect(matchComponents([npm("left", "1.2.0")], index)).toEqual([]);
  });

  it("matches Debian packages by source package, for the component's release only", () => {
    const libc = (distro: string): MatchComponent => ({
      purl: `pkg:deb/debian/libc6@2.36-9%2Bdeb12u3?arch=amd64&distro=${distro}`,
      name: "libc6",
      version: "2.36-9+deb12u3",
      ecosystem: "Debian",
      sourcePackage: { name: "glibc", version: "2.36-9+deb12u3" },
    });
    expect(matchComponents([libc("debian-12")], index).map((x) => x.id)).toEqual(["DSA-9999-1"]);
    expect(matchComponents([libc("debian-11")], index)).toEqual([]);
  });

  it("normalises PyPI names (PEP 503) and needs the exact name elsewhere", () => {
    expect(
      matchComponents(
        [{ purl: "pkg:pypi/zope-interface@5.0", name: "zope-interface", version: "5.0", ecosystem: "PyPI" }],
        index,
      ),
    ).toHaveLength(1);
    expect(matchComponents([npm("Left", "1.0.0")], index)).toEqual([]);
  });
});

describe.skipIf(!shared)("matching against the real shared OSV records", () => {
  const dir = join(shared ?? "", "vuln-data/osv");
  const records = shared
    ? readdirSync(dir)
        .filter((f) => f.endsWith(".json"))
        .map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")) as OsvRecord)
    : [];
  const index = new OsvIndex(records);

  it("finds exactly the lodash 4.17.15 advisories the records imply", () => {
    // Hand-checked from the records: fixed in 4.17.19/20 (CVE-2020-8203), 4.17.21 (CVE-2020-28500, CVE-2021-23337).
    const ids = matchComponents([npm("lodash", "4.17.15")], index)
      .map((m) => m.id)
      .sort();
    expect(ids).toEqual(["GHSA-29mw-wpgm-hmr9", "GHSA-35jh-r3h4-6jhm", "GHSA-p6mc-m468-83gw"]);
    expect(matchComponents([npm("lodash", "4.17.21")], index)).toEqual([]);
  });

  it("honours the two ranges of minimist and the withdrawn jsonwebtoken record", () => {
    expect(matchComponents([npm("minimist", "0.2.0")], index).map((m) => m.id)).toContain(
      "GHSA-vh95-rmgr-6w4m",
    );
    expect(matchComponents([npm("minimist", "0.2.1")], index).map((m) => m.id)).not.toContain(
      "GHSA-vh95-rmgr-6w4m",
    );
    expect(matchComponents([npm("minimist", "1.2.2")], index).map((m) => m.id)).toContain(
      "GHSA-vh95-rmgr-6w4m",
    );
    expect(matchComponents([npm("jsonwebtoken", "8.5.1")], index).map((m) => m.id)).not.toContain(
      "GHSA-27h2-hvpr-p74q",
    );
  });

  it("matches Alpine musl per release branch", () => {
    const musl = (v: string, distro: string): MatchComponent => ({
      purl: `pkg:apk/alpine/musl@${v}?arch=x86_64&distro=${distro}`,
      name: "musl",
      version: v,
      ecosystem: "Alpine",
      sourcePackage: { name: "musl" },
    });
    expect(matchComponents([musl("1.2.3-r3", "alpine-3.16.9")], index).map((m) => m.id)).toEqual([
      "ALPINE-CVE-2025-26519",
    ]);
    expect(matchComponents([musl("1.2.3-r4", "alpine-3.16.9")], index)).toEqual([]);
  });
});

describe("alias merging and release suffixes (regressions)", () => {
  const left = (id: string, aliases: string[]): OsvRecord => ({
    id,
    aliases,
    affected: [
      {
        package: { ecosystem: "npm", name: "left" },
        ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }] }],
      },
    ],
  });
  const c = npm("left", "1.0.0");

  it("merges records that are linked only through a third record", () => {
    // A names CVE-1, B names CVE-2, C names both: one issue.
    const m = matchComponents(
      [c],
      new OsvIndex([left("A", ["CVE-1"]), left("B", ["CVE-2"]), left("C", ["CVE-1", "CVE-2"])]),
    );
    expect(m.map((x) => [x.id, x.aliases])).toEqual([["A", ["B", "C", "CVE-1", "CVE-2"]]]);
    expect(m[0]!.records.map((r) => r.id)).toEqual(["A", "B", "C"]);
  });

  it("keeps unrelated records apart", () => {
    const m = matchComponents([c], new OsvIndex([left("A", ["CVE-1"]), left("B", ["CVE-2"])]));
    expect(m.map((x) => x.id)).toEqual(["A", "B"]);
  });

  it("matches Ubuntu LTS and Pro records by their release", () => {
    const libc = (distro: string): MatchComponent => ({
      purl: `pkg:deb/ubuntu/libc6@2.35-0ubuntu3.1?arch=amd64&distro=${distro}`,
      name: "libc6",
      version: "2.35-0ubuntu3.1",
      ecosystem: "Ubuntu",
      sourcePackage: { name: "glibc", version: "2.35-0ubuntu3.1" },
    });
    const rec = (ecosystem: string): OsvRecord => ({
      id: `UBUNTU-${ecosystem}`,
      affected: [
        {
          package: { ecosystem, name: "glibc" },
          ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: "2.35-0ubuntu3.8" }] }],
        },
      ],
    });
    const index = new OsvIndex([
      rec("Ubuntu:22.04:LTS"),
      rec("Ubuntu:Pro:18.04:LTS"),
      rec("Ubuntu:24.04:LTS"),
    ]);
    expect(matchComponents([libc("ubuntu-22.04")], index).map((x) => x.id)).toEqual([
      "UBUNTU-Ubuntu:22.04:LTS",
    ]);
    expect(matchComponents([libc("ubuntu-18.04")], index).map((x) => x.id)).toEqual([
      "UBUNTU-Ubuntu:Pro:18.04:LTS",
    ]);
  });
});
