import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { Distro, FoundPackage } from "../../model.js";
import type { FileSource } from "../../source.js";
import { dpkgCataloger, osReleasePaths, readOsRelease } from "./index.js";
import { contextFor, fixtureSource, memorySource } from "../../../../test/support/file-source.js";

const REPO = fileURLToPath(new URL("../../../../", import.meta.url));
const FIXTURES = join(REPO, "test/fixtures/sbom/os");
const FIXTURES_DIR = process.env.BULWARK_FIXTURES_DIR || join(REPO, ".cache/fixtures");
const ROOTFS = join(FIXTURES_DIR, "debian-rootfs");
const CI = !!process.env.CI && process.env.CI !== "false" && process.env.CI !== "0";
const BOOKWORM: Distro = { id: "debian", versionId: "12", prettyName: "Debian GNU/Linux 12 (bookworm)" };

/** Runs the cataloger the way the orchestrator does: on every file it applies to. */
async function catalogAll(source: FileSource, distro?: Distro) {
  const packages: FoundPackage[] = [];
  const issues = [];
  for (const entry of source.files()) {
    if (!dpkgCataloger.applies(entry)) continue;
    const r = await dpkgCataloger.catalog(entry, contextFor(source, distro));
    packages.push(...r.packages);
    issues.push(...(r.issues ?? []));
  }
  return { packages, issues };
}

function byName(pkgs: readonly FoundPackage[]): Map<string, FoundPackage> {
  return new Map(pkgs.map((p) => [p.name, p]));
}

function depNames(pkgs: readonly FoundPackage[], name: string): string[] {
  const refs = new Map(pkgs.map((p) => [p.ref, p.name]));
  return (byName(pkgs).get(name)?.dependsOn ?? []).map((r) => refs.get(r)!).sort();
}

async function distroOf(source: FileSource): Promise<Distro | undefined> {
  const listed = new Set(source.files().map((f) => f.path));
  for (const p of osReleasePaths) if (listed.has(p)) return readOsRelease(await source.readText(p));
  return undefined;
}

const haveRootfs = existsSync(join(ROOTFS, "var/lib/dpkg/status"));

describe("os/dpkg on a real debootstrap root filesystem", () => {
  it.runIf(!haveRootfs && CI)("has its fixture in CI", () => {
    expect.fail(
      `missing ${ROOTFS}: build it with scripts/fixtures/debian-rootfs.sh "${ROOTFS}" (set BULWARK_FIXTURES_DIR to move it)`,
    );
  });

  describe.skipIf(!haveRootfs)("debootstrap --variant=minbase bookworm", () => {
    const load = async () => {
      const source = fixtureSource(
        ROOTFS,
        "rootfs",
        (p) => p.startsWith("var/lib/dpkg/") || osReleasePaths.includes(p),
      );
      const distro = await distroOf(source);
      return { distro, ...(await catalogAll(source, distro)) };
    };

    it("reads the distro from usr/lib/os-release (etc/os-release is a symlink to it)", async () => {
      const { distro } = await load();
      expect(distro).toMatchObject({ id: "debian", versionId: "12" });
    });

    it("finds exactly the packages dpkg-query lists: name, version and architecture", async () => {
      const truth = readFileSync(`${ROOTFS}.dpkg-query.tsv`, "utf8").trim().split("\n").sort();
      const { packages, issues } = await load();
      const found = packages
        .map((p) => `${p.name}\t${p.version}\t${new URL(p.purl).searchParams.get("arch")}`)
        .sort();
      expect(found).toEqual(truth);
      expect(truth.length).toBeGreaterThan(50);
      expect(issues).toEqual([]);
    });

    it("derives source packages exactly as dpkg-query ${source:Package} ${source:Version}", async () => {
      const truthFile = `${ROOTFS}.dpkg-source.tsv`;
      const { packages } = await load();
      const libc6 = byName(packages).get("libc6")!;
      expect(libc6.sourcePackage).toEqual({ name: "glibc", version: libc6.version });
      expect(byName(packages).get("bsdutils")!.sourcePackage?.name).toBe("util-linux");
      const truth = readFileSync(truthFile, "utf8").trim().split("\n").sort();
      const arch = (p: FoundPackage): string => new URL(p.purl).searchParams.get("arch") ?? "";
      const found = packages
        .map((p) => `${p.name}\t${arch(p)}\t${p.sourcePackage?.name}\t${p.sourcePackage?.version}`)
        .sort();
      expect(found).toEqual(truth);
    });

    it("links dependencies, resolving alternatives and virtual packages to what is installed", async () => {
      const { packages } = await load();
      expect(depNames(packages, "libc6")).toEqual(["libgcc-s1"]);
      expect(depNames(packages, "libgcc-s1")).toEqual(["gcc-12-base", "libc6"]);
      expect(depNames(packages, "libc-bin")).toEqual(["libc6"]);
      // `gpgv | gpgv2 | gpgv1`: the first alternative is installed.
      expect(depNames(packages, "apt")).toContain("gpgv");
      // `usrmerge | usr-is-merged`: only the second is installed.
      expect(depNames(packages, "init-system-helpers")).toEqual(["usr-is-merged"]);
      // Pre-Depends on the virtual `awk`, provided by mawk.
      expect(depNames(packages, "base-files")).toEqual(["mawk"]);
      const refs = new Set(packages.map((p) => p.ref));
      for (const p of packages) for (const d of p.dependsOn ?? []) expect(refs.has(d)).toBe(true);
    });

    it("builds Debian purls with the distro qualifier", async () => {
      const { packages } = await load();
      for (const p of packages) {
        expect(p.ecosystem).toBe("Debian");
        expect(p.purl).toMatch(
          /^pkg:deb\/debian\/[^@]+@[^?]+\?arch=(amd64|arm64|all|[a-z0-9]+)&distro=debian-12$/,
        );
        expect(p.locations).toEqual([{ path: "var/lib/dpkg/status" }]);
      }
    });
  });
});

describe("os/dpkg on the committed status fixture", () => {
  const load = (distro: Distro | undefined = BOOKWORM) =>
    catalogAll(fixtureSource(join(FIXTURES, "dpkg"), "rootfs"), distro);

  it("keeps installed and held packages and skips the removed one (config-files)", async () => {
    const { packages, issues } = await load();
    expect(packages.map((p) => p.name).sort()).toEqual([
      "base-files",
      "bsdutils",
      "debconf",
      "diffutils",
      "gcc-12-base",
      "init-system-helpers",
      "libc6",
      "libgcc-s1",
      "mawk",
      "tzdata",
      "usr-is-merged",
    ]);
    expect(issues).toEqual([]);
  });

  it("reads Source with a version, and an epoch in the version", async () => {
    const { packages } = await load();
    const bsdutils = byName(packages).get("bsdutils")!;
    expect(bsdutils).toMatchObject({
      version: "1:2.38.1-5+deb12u3",
      sourcePackage: { name: "util-linux", version: "2.38.1-5+deb12u3" },
      purl: "pkg:deb/debian/bsdutils@1:2.38.1-5+deb12u3?arch=amd64&distro=debian-12",
      ecosystem: "Debian",
      type: "library",
      locations: [{ path: "var/lib/dpkg/status" }],
    });
    expect(byName(packages).get("libc6")!.sourcePackage).toEqual({
      name: "glibc",
      version: "2.36-9+deb12u14",
    });
    expect(byName(packages).get("mawk")!.sourcePackage).toEqual({
      name: "mawk",
      version: "1.3.4.20200120-3.1",
    });
    expect(byName(packages).get("debconf")!.licenses).toBeUndefined();
  });

  it("resolves `a | b` to the installed alternative and virtual packages via Provides", async () => {
    const { packages } = await load();
    expect(depNames(packages, "init-system-helpers")).toEqual(["usr-is-merged"]);
    expect(depNames(packages, "tzdata")).toEqual(["debconf"]);
    expect(depNames(packages, "base-files")).toEqual(["mawk"]);
    expect(depNames(packages, "libgcc-s1")).toEqual(["gcc-12-base", "libc6"]);
    // bsdutils Pre-Depends on libsystemd0, which is not in this trimmed database: no edge.
    expect(depNames(packages, "bsdutils")).toEqual(["libc6"]);
  });

  it("marks packages whose files are present but not fully configured", async () => {
    const text = readFileSync(join(FIXTURES, "dpkg/var/lib/dpkg/status"), "utf8").replace(
      "Package: mawk\nStatus: install ok installed",
      "Package: mawk\nStatus: install ok half-configured",
    );
    const source = memorySource({ "var/lib/dpkg/status": text }, "image");
    const { packages } = await catalogAll(source, BOOKWORM);
    expect(byName(packages).get("mawk")!.properties).toEqual({ "dpkg:status": "half-configured" });
    expect(byName(packages).get("libc6")!.properties).toBeUndefined();
  });

  it("uses the distro for namespace, qualifier and ecosystem", async () => {
    const ubuntu = await load({ id: "ubuntu", versionId: "24.04" });
    expect(byName(ubuntu.packages).get("libc6")).toMatchObject({
      ecosystem: "Ubuntu",
      purl: "pkg:deb/ubuntu/libc6@2.36-9+deb12u14?arch=amd64&distro=ubuntu-24.04",
    });
    const none = await catalogAll(fixtureSource(join(FIXTURES, "dpkg"), "rootfs"));
    expect(byName(none.packages).get("libc6")!.purl).toBe("pkg:deb/debian/libc6@2.36-9+deb12u14?arch=amd64");
  });
});

describe("os/dpkg on a distroless status.d folder", () => {
  const source = fixtureSource(join(FIXTURES, "distroless"), "rootfs");

  it("applies to the control files but not to md5sums or dpkg's backup files", () => {
    const applies = (path: string) => dpkgCataloger.applies({ path, size: 1 });
    expect(applies("var/lib/dpkg/status.d/libc6")).toBe(true);
    expect(applies("var/lib/dpkg/status.d/libc6.md5sums")).toBe(false);
    expect(applies("var/lib/dpkg/status-old")).toBe(false);
    expect(applies("var/lib/dpkg/status.d/sub/x")).toBe(false);
    expect(applies("usr/var/lib/dpkg/status")).toBe(false);
  });

  it("reads every file (no Status field means installed) with edges across files", async () => {
    const { packages, issues } = await catalogAll(source, BOOKWORM);
    expect(issues).toEqual([]);
    expect(packages.map((p) => p.name).sort()).toEqual(["base-files", "gcc-12-base", "libc6", "libgcc-s1"]);
    expect(byName(packages).get("libc6")!.locations).toEqual([{ path: "var/lib/dpkg/status.d/libc6" }]);
    expect(depNames(packages, "libc6")).toEqual(["libgcc-s1"]);
    expect(depNames(packages, "libgcc-s1")).toEqual(["gcc-12-base", "libc6"]);
    // base-files Pre-Depends on awk; no awk provider in this image.
    expect(depNames(packages, "base-files")).toEqual([]);
  });

  it("returns the folder once: later files of the folder yield nothing", async () => {
    const later = source.files().find((f) => f.path === "var/lib/dpkg/status.d/libgcc-s1")!;
    const r = await dpkgCataloger.catalog(later, contextFor(source, BOOKWORM));
    expect(r.packages).toEqual([]);
  });
});

describe("os/dpkg relationships", () => {
  const stanza = (name: string, arch: string, extra = "") =>
    `Package: ${name}\nStatus: install ok installed\nVersion: 1.0-1\nArchitecture: ${arch}\n${extra}`;

  it("follows multi-arch: same-architecture first, :any for any, explicit architectures", async () => {
    const text = [
      stanza("libc6", "amd64"),
      stanza("libc6", "i386"),
      stanza("app", "i386", "Depends: libc6 (>= 2.3)"),
      stanza("tool", "all", "Depends: python3:any, libc6:amd64"),
      stanza("python3", "amd64"),
    ].join("\n\n");
    const { packages, issues } = await catalogAll(
      memorySource({ "var/lib/dpkg/status": text }, "image"),
      BOOKWORM,
    );
    expect(issues).toEqual([]);
    expect(packages.map((p) => p.ref)).toEqual([
      "libc6:amd64",
      "libc6:i386",
      "app:i386",
      "tool:all",
      "python3:amd64",
    ]);
    expect(packages.find((p) => p.ref === "app:i386")!.dependsOn).toEqual(["libc6:i386"]);
    expect(packages.find((p) => p.ref === "tool:all")!.dependsOn).toEqual(["python3:amd64", "libc6:amd64"]);
  });

  it("handles folded fields, architecture restrictions and self-provides", async () => {
    const text = [
      stanza("a", "amd64", "Depends: b,\n c [amd64] | d,\n a-virt\nProvides: a-virt"),
      stanza("b", "amd64"),
      stanza("d", "amd64"),
    ].join("\n\n");
    const { packages } = await catalogAll(memorySource({ "var/lib/dpkg/status": text }, "image"));
    expect(depNames(packages, "a")).toEqual(["b", "d"]);
  });
});

describe("os/dpkg on malformed input", () => {
  it("reports located issues and keeps every stanza it can read", async () => {
    const text = [
      "Package: good\nStatus: install ok installed\nVersion: 1.0\nArchitecture: amd64\n", // 1-4
      "Status: install ok installed\nVersion: 2.0\n", // 6-7: no Package
      "Package: noversion\nStatus: install ok installed\n", // 9-10
      "Package: badstatus\nStatus: installed\nVersion: 1\n", // 12-14
      "this line is not a field\n continuation after a bad line\nPackage: later\nStatus: install ok installed\nVersion: 3\nVersion: 4\n", // 16-21
      "Package: good\nStatus: install ok installed\nVersion: 1.1\nArchitecture: amd64\n", // 23-26: duplicate
      "Package: weird\nStatus: install ok installed\nVersion: not a version!\n", // 28-30
      "Package: nostatus\nVersion: 1\n", // 32-33
      "Package: strange\nStatus: install ok floating\nVersion: 1\n", // 35-37
    ].join("\n");
    const source = memorySource({ "var/lib/dpkg/status": text }, "image");
    const { packages, issues } = await catalogAll(source, BOOKWORM);
    expect(packages.map((p) => `${p.name}@${p.version}`)).toEqual([
      "good@1.0",
      "later@3",
      "weird@not a version!",
    ]);
    const located = issues.map((i) => [i.location.line, i.message, i.location.file, i.cataloger]);
    expect(located).toEqual([
      [16, 'not a "Field: value" line: "this line is not a field"', "var/lib/dpkg/status", "os/dpkg"],
      [17, "continuation line outside a field", "var/lib/dpkg/status", "os/dpkg"],
      [21, "field Version repeated in one stanza; the first is kept", "var/lib/dpkg/status", "os/dpkg"],
      [6, "stanza without a Package field", "var/lib/dpkg/status", "os/dpkg"],
      [9, "package noversion: no Version field", "var/lib/dpkg/status", "os/dpkg"],
      [13, 'package badstatus: malformed Status "installed"', "var/lib/dpkg/status", "os/dpkg"],
      [23, "package good:amd64 is listed twice; the first is kept", "var/lib/dpkg/status", "os/dpkg"],
      [30, 'package weird: invalid version "not a version!"', "var/lib/dpkg/status", "os/dpkg"],
      [32, "package nostatus: no Status field", "var/lib/dpkg/status", "os/dpkg"],
      [36, 'package strange: unknown package state "floating"', "var/lib/dpkg/status", "os/dpkg"],
    ]);
  });

  it("reports an unreadable file instead of throwing", async () => {
    const source: FileSource = {
      ...memorySource({ "var/lib/dpkg/status": "" }, "image"),
      readText: async () => {
        throw new Error("boom");
      },
    };
    const r = await dpkgCataloger.catalog(
      { path: "var/lib/dpkg/status", size: 1, layer: "sha256:ab" },
      contextFor(source),
    );
    expect(r.packages).toEqual([]);
    expect(r.issues).toEqual([
      {
        cataloger: "os/dpkg",
        message: "cannot read: boom",
        location: { file: "var/lib/dpkg/status", layer: "sha256:ab" },
      },
    ]);
  });
});
