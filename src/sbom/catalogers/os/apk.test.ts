import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { CatalogResult, Distro, FoundPackage } from "../../model.js";
import { decodeChecksum } from "./apk.js";
import { apkCataloger } from "./index.js";
import { contextFor, memorySource } from "../../../../test/support/file-source.js";

const DB = "lib/apk/db/installed";
const ALPINE: Distro = { id: "alpine", versionId: "3.20.1", prettyName: "Alpine Linux v3.20" };
const FIXTURE = readFileSync(
  new URL("../../../../test/fixtures/sbom/os/apk/lib/apk/db/installed", import.meta.url),
  "utf8",
);

function run(text: string, distro: Distro | null = ALPINE): Promise<CatalogResult> {
  const source = memorySource({ [DB]: text }, "image");
  return apkCataloger.catalog({ path: DB, size: text.length }, contextFor(source, distro ?? undefined));
}

function deps(pkgs: readonly FoundPackage[], name: string): string[] {
  const names = new Map(pkgs.map((p) => [p.ref, p.name]));
  return (pkgs.find((p) => p.name === name)?.dependsOn ?? []).map((r) => names.get(r)!).sort();
}

describe("os/apk", () => {
  it("applies only to the installed database", () => {
    expect(apkCataloger.applies({ path: DB, size: 1 })).toBe(true);
    expect(apkCataloger.applies({ path: "lib/apk/db/triggers", size: 1 })).toBe(false);
    expect(apkCataloger.applies({ path: `x/${DB}`, size: 1 })).toBe(false);
  });

  it("reads every package of the fixture with its fields", async () => {
    const { packages, issues } = await run(FIXTURE);
    expect(issues).toBeUndefined();
    expect(packages.map((p) => `${p.name}@${p.version}`)).toEqual([
      "musl@1.2.5-r0",
      "busybox@1.36.1-r29",
      "busybox-binsh@1.36.1-r29",
      "alpine-baselayout@3.6.5-r0",
      "alpine-baselayout-data@3.6.5-r0",
      "ca-certificates-bundle@20240226-r0",
      "libcrypto3@3.3.1-r0",
      "libssl3@3.3.1-r0",
      "zlib@1.3.1-r1",
      "apk-tools@2.14.4-r0",
    ]);
    const libssl = packages.find((p) => p.name === "libssl3")!;
    expect(libssl).toMatchObject({
      purl: "pkg:apk/alpine/libssl3@3.3.1-r0?arch=x86_64&distro=alpine-3.20.1",
      ecosystem: "Alpine",
      type: "library",
      licenses: ["Apache-2.0"],
      sourcePackage: { name: "openssl" },
      locations: [{ path: DB }],
      properties: { "apk:commit": "9c3d0d53a3a2bbdb1b0a5a1b4cbd7f4b2a6fb4aa" },
    });
    expect(packages.find((p) => p.name === "ca-certificates-bundle")!.licenses).toEqual(["MPL-2.0 AND MIT"]);
  });

  it("turns the Q1 checksum (base64 SHA-1) into hex", async () => {
    const { packages } = await run(FIXTURE);
    const musl = packages.find((p) => p.name === "musl")!;
    // The fixture's C: line is Q1 + base64(sha1("musl-1.2.5-r0 control")); see its README.
    const want = createHash("sha1").update("musl-1.2.5-r0 control").digest("hex");
    expect(musl.hashes).toEqual([{ alg: "SHA-1", content: want }]);
    expect(FIXTURE).toContain(`C:Q1${Buffer.from(want, "hex").toString("base64")}\nP:musl\n`);
  });

  it("decodes the checksum encodings apk-tools writes", () => {
    expect(decodeChecksum("Q1hdtCSMbvfWyOdUPQuy+q+aVNYmg=")).toEqual({
      alg: "SHA-1",
      content: Buffer.from("hdtCSMbvfWyOdUPQuy+q+aVNYmg=", "base64").toString("hex"),
    });
    expect(decodeChecksum(`Q2${Buffer.alloc(32, 7).toString("base64")}`)).toEqual({
      alg: "SHA-256",
      content: "07".repeat(32),
    });
    expect(decodeChecksum("D41D8CD98F00B204E9800998ECF8427E")).toEqual({
      alg: "MD5",
      content: "d41d8cd98f00b204e9800998ecf8427e",
    });
    expect(decodeChecksum("Q1tooshort")).toBeUndefined();
    expect(decodeChecksum("Q1!!!!")).toBeUndefined();
    expect(decodeChecksum("sha1:abc")).toBeUndefined();
  });

  it("resolves so:, cmd:, file and versioned dependencies through provides", async () => {
    const { packages } = await run(FIXTURE);
    expect(deps(packages, "busybox")).toEqual(["musl"]);
    expect(deps(packages, "busybox-binsh")).toEqual(["busybox"]);
    // alpine-baselayout-data=3.6.5-r0 and /bin/sh (provided by busybox-binsh).
    expect(deps(packages, "alpine-baselayout")).toEqual(["alpine-baselayout-data", "busybox-binsh"]);
    expect(deps(packages, "libssl3")).toEqual(["libcrypto3", "musl"]);
    expect(deps(packages, "apk-tools")).toEqual([
      "ca-certificates-bundle",
      "libcrypto3",
      "libssl3",
      "musl",
      "zlib",
    ]);
    expect(deps(packages, "musl")).toEqual([]);
  });

  it("skips conflicts, prefers the highest provider priority, ignores @tag pins", async () => {
    const text = [
      "P:app\nV:1-r0\nD:!busybox sh-impl cmd:tool@edge",
      "P:busybox\nV:1-r0\np:sh-impl\nk:10",
      "P:dash\nV:1-r0\np:sh-impl\nk:100",
      "P:tool\nV:2-r0\np:cmd:tool=2-r0",
      "",
    ].join("\n\n");
    const { packages } = await run(text);
    expect(deps(packages, "app")).toEqual(["dash", "tool"]);
  });

  it("works without a distro: alpine namespace, no distro qualifier; Wolfi by its id", async () => {
    const text = "P:zlib\nV:1.3.1-r1\nA:aarch64\n";
    expect((await run(text, null)).packages[0]!.purl).toBe("pkg:apk/alpine/zlib@1.3.1-r1?arch=aarch64");
    const wolfi = (await run(text, { id: "wolfi", versionId: "20230201" })).packages[0]!;
    expect(wolfi).toMatchObject({
      ecosystem: "Wolfi",
      purl: "pkg:apk/wolfi/zlib@1.3.1-r1?arch=aarch64&distro=wolfi-20230201",
    });
  });

  it("reports malformed stanzas with their lines and keeps the rest", async () => {
    const text = [
      "P:good\nV:1.0-r0\nC:Q1notbase64!", // 1-3
      "V:2.0-r0\nA:x86_64", // 5-6: no name
      "P:noversion", // 8
      "P:good\nV:1.1-r0", // 10-11: duplicate
      "garbage line\nP:second\nP:again\nV:bad version", // 13-16
      "P:fine\nV:3-r1$\n", // 18-19: kept, flagged
    ].join("\n\n");
    const { packages, issues } = await run(text);
    expect(packages.map((p) => `${p.name}@${p.version}`)).toEqual(["good@1.0-r0", "fine@3-r1$"]);
    expect(packages[0]!.hashes).toBeUndefined();
    expect(issues!.map((i) => [i.location.line, i.message])).toEqual([
      [3, 'unreadable C: checksum "Q1notbase64!"'],
      [5, "stanza without a P: (package name) line"],
      [8, "package noversion: no V: (version) line"],
      [10, "package good is listed twice; the first is kept"],
      [13, 'not a "X:value" line: "garbage line"'],
      [15, "repeated P: line in one stanza; the first is kept"],
      [16, 'invalid package version "bad version"'],
      [14, "package second: no V: (version) line"],
      [19, 'unusual version "3-r1$"'],
    ]);
    expect(issues!.every((i) => i.cataloger === "os/apk" && i.location.file === DB)).toBe(true);
  });
});
