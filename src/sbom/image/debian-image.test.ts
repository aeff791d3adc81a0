/**
 * The image reader against real images: a `debootstrap` Debian root filesystem made into an OCI
 * layout by umoci and copied by skopeo into an OCI archive and a docker save archive (built by
 * scripts/fixtures/debian-rootfs.sh and scripts/fixtures/image-debian.sh; too big to commit).
 * Outside CI the tests skip when the fixtures are missing; in CI a missing fixture fails.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { FileEntry } from "../source.js";
import { openDirectorySource } from "../source/index.js";
import { type ImageFileSource, openImageSource } from "./index.js";

const FIXTURES =
  process.env.BULWARK_FIXTURES_DIR || fileURLToPath(new URL("../../../.cache/fixtures", import.meta.url));
const ci =
  process.env.CI !== undefined &&
  process.env.CI !== "" &&
  process.env.CI !== "false" &&
  process.env.CI !== "0";
const paths = {
  rootfs: join(FIXTURES, "debian-rootfs"),
  truth: join(FIXTURES, "debian-rootfs.dpkg-query.tsv"),
  layout: join(FIXTURES, "debian-image.oci"),
  ociArchive: join(FIXTURES, "debian-image.oci.tar"),
  dockerArchive: join(FIXTURES, "debian-image.docker.tar"),
  digest: join(FIXTURES, "debian-image.digest"),
};
const missing = Object.values(paths).filter((p) => !existsSync(p));

/** What the OS catalogers read, plus the paths the fixture's upper layers change. */
const want = (e: FileEntry): boolean =>
  e.path === "var/lib/dpkg/status" ||
  e.path === "usr/lib/os-release" ||
  e.path === "etc/motd" ||
  e.path.startsWith("app/") ||
  e.path.startsWith("var/log/") ||
  (e.path.startsWith("var/lib/dpkg/info/") && e.path.endsWith(".md5sums")) ||
  (e.path.startsWith("usr/share/doc/") && e.path.endsWith("/copyright"));

describe.skipIf(missing.length > 0 && !ci)("the real Debian image (debootstrap + umoci + skopeo)", () => {
  it("has its fixtures built (scripts/fixtures/debian-rootfs.sh, scripts/fixtures/image-debian.sh)", () => {
    expect(missing).toEqual([]);
  });

  const opened = new Map<string, Promise<ImageFileSource>>();
  const open = (path: string): Promise<ImageFileSource> => {
    if (!opened.has(path)) opened.set(path, openImageSource(path, { want }));
    return opened.get(path)!;
  };

  it.each([
    ["OCI layout", paths.layout],
    ["OCI archive", paths.ociArchive],
    ["docker save archive", paths.dockerArchive],
  ])("%s: every dpkg package is in the merged status file, upper layers applied", async (_name, path) => {
    const src = await open(path);
    const status = await src.readText("var/lib/dpkg/status");
    const truth = readFileSync(paths.truth, "utf8")
      .trim()
      .split("\n")
      .map((l) => l.split("\t")[0]!);
    expect(truth.length).toBeGreaterThan(80);
    const listed = new Set(
      status
        .split("\n")
        .filter((l) => l.startsWith("Package: "))
        .map((l) => l.slice(9)),
    );
    expect(truth.filter((pkg) => !listed.has(pkg))).toEqual([]);
    expect(src.resolveInRoot("etc/os-release")).toBe("usr/lib/os-release");
    expect(await src.readText("usr/lib/os-release")).toMatch(/^ID=debian$/m);
    expect(await src.readText("app/hello.txt")).toBe("hello from the app layer\n");
    // Layer 3 whites out /etc/motd; layer 4 makes /var/log opaque around one new file.
    expect(src.files().some((f) => f.path === "etc/motd")).toBe(false);
    expect(
      src
        .files()
        .filter((f) => f.path.startsWith("var/log/"))
        .map((f) => f.path),
    ).toEqual(["var/log/note.txt"]);
    expect(src.issues).toEqual([]);
  });

  it("reports the same image in all three formats", async () => {
    const [layout, oci, docker] = await Promise.all([
      open(paths.layout),
      open(paths.ociArchive),
      open(paths.dockerArchive),
    ]);
    const digest = readFileSync(paths.digest, "utf8").trim();
    expect(layout.image).toMatchObject({
      format: "oci-layout",
      digest,
      digestOf: "manifest",
      os: "linux",
      architecture: "amd64",
      reference: "latest",
    });
    expect(oci.image).toMatchObject({ format: "oci-archive", digest, digestOf: "manifest" });
    expect(docker.image).toMatchObject({
      format: "docker-archive",
      digest: layout.image.configDigest,
      digestOf: "config",
      reference: "bulwark.test/debian:latest",
    });
    expect(layout.image.layers.map((l) => l.base)).toEqual([true, false, false, false]);
    expect(oci.image.layers.every((l) => l.base === undefined)).toBe(true); // the base manifest is not in the archive
    const diffIds = layout.image.layers.map((l) => l.diffId);
    expect(oci.image.layers.map((l) => l.diffId)).toEqual(diffIds);
    expect(docker.image.layers.map((l) => l.digest)).toEqual(diffIds);
    const listing = (s: ImageFileSource): string[] => s.files().map((f) => `${f.path}:${f.size}`);
    expect(listing(oci)).toEqual(listing(layout));
    expect(listing(docker)).toEqual(listing(layout));
  });

  it("holds exactly the bytes of the root filesystem it was built from", async () => {
    const image = await open(paths.layout);
    const rootfs = await openDirectorySource(paths.rootfs, { kind: "rootfs", want });
    const changed = (p: string): boolean =>
      p.startsWith("app/") || p.startsWith("var/log/") || p === "etc/motd";
    const fromImage = image.files().filter((f) => !changed(f.path));
    expect(fromImage.map((f) => f.path)).toEqual(
      rootfs
        .files()
        .filter((f) => !changed(f.path))
        .map((f) => f.path),
    );
    expect(fromImage.length).toBeGreaterThan(150);
    for (const f of fromImage)
      expect(Buffer.from(await image.read(f.path)).equals(Buffer.from(await rootfs.read(f.path)))).toBe(true);
    expect(new Set(fromImage.map((f) => f.layer))).toEqual(new Set([image.image.layers[0]!.digest]));
    // The rootfs source skips dev/ (its fd and std* links); the image keeps it.
    const sorted = (m: ReadonlyMap<string, string>): [string, string][] =>
      [...m].sort(([a], [b]) => (a < b ? -1 : 1));
    expect(sorted(image.symlinks()).filter(([p]) => !p.startsWith("dev/"))).toEqual(
      sorted(rootfs.symlinks()),
    );
  });
});
