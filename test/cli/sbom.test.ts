import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, ROOT } from "../support/cli.js";

const APP = join(ROOT, "examples/shop/app");
const FIXTURES = process.env.BULWARK_FIXTURES_DIR ?? join(ROOT, ".cache/fixtures");
const IMAGE = join(FIXTURES, "debian-image.oci.tar");

function npmLockSet(lockPath: string): Set<string> {
  const lock = JSON.parse(readFileSync(lockPath, "utf8")) as {
    packages: Record<string, { name?: string; version?: string; link?: boolean }>;
  };
  const out = new Set<string>();
  for (const [path, p] of Object.entries(lock.packages)) {
    if (!path || p.link || !p.version) continue;
    const folder = path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length);
    out.add(`${p.name ?? folder}@${p.version}`);
  }
  return out;
}

describe("bulwark sbom", () => {
  it("catalogues the example project: CycloneDX 1.7 with exactly the lockfile's packages", async () => {
    const r = await cli(["sbom", APP]);
    expect(r.code).toBe(0);
    const bom = JSON.parse(r.stdout);
    expect(bom).toMatchObject({
      bomFormat: "CycloneDX",
      specVersion: "1.7",
      serialNumber: expect.stringMatching(/^urn:uuid:/),
    });
    const found = new Set<string>(
      bom.components.map(
        (c: { group?: string; name: string; version: string }) =>
          `${c.group ? `${c.group}/` : ""}${c.name}@${c.version}`,
      ),
    );
    expect(found).toEqual(npmLockSet(join(APP, "package-lock.json")));
    expect(bom.dependencies.length).toBeGreaterThan(10);
    expect(r.stderr).toMatch(/\d+ components/);
  });

  it("is deterministic: same input and SOURCE_DATE_EPOCH give the same bytes, in every format", async () => {
    for (const format of ["cyclonedx-json", "cyclonedx-json@1.5", "spdx-json", "spdx3-json"]) {
      const a = await cli(["sbom", APP, "--format", format]);
      const b = await cli(["sbom", APP, "--format", format]);
      expect(a.code, format).toBe(0);
      expect(a.stdout, format).toBe(b.stdout);
    }
  });

  it("reads an existing SBOM and converts it (SPDX 2.3 → CycloneDX → same packages)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bulwark-sbom-"));
    const spdx = join(dir, "app.spdx.json");
    expect((await cli(["sbom", APP, "--format", "spdx-json", "-o", spdx])).code).toBe(0);
    const back = await cli(["sbom", spdx, "--format", "cyclonedx-json"]);
    expect(back.code).toBe(0);
    const direct = JSON.parse((await cli(["sbom", APP])).stdout);
    const converted = JSON.parse(back.stdout);
    const purls = (b: { components: { purl: string }[] }) => b.components.map((c) => c.purl).sort();
    expect(purls(converted)).toEqual(purls(direct));
  });

  it("fails with a located INPUT_INVALID for a broken SBOM and FILE_NOT_FOUND for a missing target", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bulwark-sbom-"));
    const bad = join(dir, "bad.cdx.json");
    writeFileSync(
      bad,
      JSON.stringify({ bomFormat: "CycloneDX", specVersion: "1.6", components: [{ type: "library" }] }),
    );
    const r = await cli(["sbom", bad]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/bad\.cdx\.json.*components\[0\].*\[INPUT_INVALID\]/);
    const missing = await cli(["sbom", join(dir, "nope")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/FILE_NOT_FOUND/);
    const format = await cli(["sbom", APP, "--format", "xml"]);
    expect(format.code).toBe(2);
  });

  it("reports parser problems as issues and still writes the SBOM", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bulwark-sbom-"));
    writeFileSync(join(dir, "requirements.txt"), "requests==2.32.3\nflask==\n");
    writeFileSync(join(dir, "Cargo.lock"), '[[package]]\nname = "x"\nversion = \n');
    const r = await cli(["sbom", dir]);
    expect(r.code).toBe(0);
    const bom = JSON.parse(r.stdout);
    expect(bom.components.map((c: { name: string }) => c.name)).toContain("requests");
    expect(r.stderr).toMatch(/Cargo\.lock/);
  });

  describe.skipIf(!existsSync(IMAGE) && !process.env.CI)("a real Debian image (debootstrap + umoci)", () => {
    it("lists exactly the packages dpkg-query lists, with the image's digest and distro", async () => {
      const r = await cli(["sbom", IMAGE]);
      expect(r.code).toBe(0);
      const bom = JSON.parse(r.stdout);
      const truth = readFileSync(join(FIXTURES, "debian-rootfs.dpkg-query.tsv"), "utf8")
        .trim()
        .split("\n")
        .map((l) => l.split("\t").slice(0, 2).join("@"))
        .sort();
      const debs = bom.components
        .filter((c: { purl?: string }) => c.purl?.startsWith("pkg:deb/"))
        .map((c: { name: string; version: string }) => `${c.name}@${c.version}`)
        .sort();
      expect(debs).toEqual(truth);
      expect(bom.components.find((c: { type: string }) => c.type === "operating-system")).toMatchObject({
        name: "debian",
        version: "12",
      });
      expect(bom.metadata.component.type).toBe("container");
      expect(JSON.stringify(bom)).toContain("distro=debian-12");
    });
  });
});
