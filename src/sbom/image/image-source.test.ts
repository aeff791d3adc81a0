import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { decompress as zstdDecompress } from "fzstd";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BulwarkError } from "../../core/index.js";
import type { FileEntry } from "../source.js";
import {
  archiveOf,
  buildImage,
  buildIndex,
  type BuiltImage,
  dockerSaveFiles,
  gzip,
  type IndexEntry,
  layoutFiles,
  sha256,
  tarOf,
  writeTree,
} from "../../../test/fixtures/sbom/image/build-image.js";
import { detectImageTarget, type ImageFileSource, openImageSource, type OpenImageOptions } from "./index.js";

const FIXTURES = new URL("../../../test/fixtures/sbom/image/", import.meta.url).pathname;
const all = (): boolean => true;
let tmp: string;
let n = 0;
const fresh = (): string => mkdtempSync(join(tmp, `t${n++}-`));

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "bulwark-image-test-"));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function layoutDir(entries: readonly IndexEntry[], extra: Parameters<typeof layoutFiles>[1] = []): string {
  return writeTree(fresh(), layoutFiles(entries, extra));
}

async function rejection(p: Promise<unknown>): Promise<BulwarkError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof BulwarkError) return e;
    throw e;
  }
  throw new Error("expected a rejection");
}

const text = async (src: ImageFileSource, path: string): Promise<string> => src.readText(path);

/** Three layers (gzip, zstd, plain) covering whiteouts, opaque dirs, replacement and hostile entries. */
const layers = {
  l0: undefined as unknown as Uint8Array,
  l1zst: new Uint8Array(readFileSync(join(FIXTURES, "layer-whiteouts.tar.zst"))),
  l2: undefined as unknown as Uint8Array,
};
let semantic: BuiltImage;

beforeAll(async () => {
  layers.l0 = await tarOf([
    { path: "etc/", type: "directory" },
    { path: "usr/lib/os-release", content: "ID=testos\nVERSION_ID=1\n" },
    { path: "etc/os-release", type: "symlink", linkname: "../usr/lib/os-release" },
    { path: "app/keep.txt", content: "keep v1\n" },
    { path: "app/old.txt", content: "old\n" },
    { path: "app/dir/a.txt", content: "a\n" },
    { path: "app/dir/sub/b.txt", content: "b\n" },
    { path: "opq/x.txt", content: "x\n" },
    { path: "opq/sub/y.txt", content: "y\n" },
    { path: "loop1", type: "symlink", linkname: "loop2" },
    { path: "loop2", type: "symlink", linkname: "/loop1" },
    { path: "../../etc/passwd", content: "root:x:0:0::/root:/bin/sh\n" },
    { path: "./hard/target.txt", content: "shared\n", mode: 0o755 },
    { path: "hard/link.txt", type: "link", linkname: "hard/target.txt" },
    { path: "lib", type: "symlink", linkname: "usr/lib" },
    { path: "dev/null", type: "character-device" },
    { path: "replace/me.txt", content: "file\n" },
    { path: "same/f", content: "f\n" },
  ]);
  layers.l2 = await tarOf([
    { path: "lib/added.txt", content: "via the lib symlink\n" },
    { path: "replace/me.txt", type: "directory" },
    { path: "replace/me.txt/inner.txt", content: "inner\n" },
    { path: "same/g", content: "g\n" },
    { path: "same/.wh.g" },
    { path: "same/.wh.f" },
    { path: "loop1/file.txt", content: "under a loop\n" },
  ]);
  semantic = buildImage({
    layers: [gzip(layers.l0), layers.l1zst, layers.l2],
    diffs: [layers.l0, zstdDecompress(layers.l1zst), layers.l2],
  });
});

const LONG = `deep/${"d".repeat(60)}/${"e".repeat(50)}/file.txt`;
const EXPECTED_FILES = [
  "app/keep.txt",
  LONG,
  "hard/link.txt",
  "hard/target.txt",
  "opq/new.txt",
  "replace/me.txt/inner.txt",
  "same/g",
  "usr/lib/added.txt",
  "usr/lib/os-release",
];

async function checkSemantics(src: ImageFileSource): Promise<void> {
  expect(src.files().map((f) => f.path)).toEqual(EXPECTED_FILES);
  expect(await text(src, "app/keep.txt")).toBe("keep v2\n");
  expect(await text(src, LONG)).toBe("long\n");
  expect(await text(src, "hard/link.txt")).toBe("shared\n");
  expect(await text(src, "usr/lib/added.txt")).toBe("via the lib symlink\n");
  expect([...src.symlinks()]).toEqual([
    ["etc/os-release", "../usr/lib/os-release"],
    ["lib", "usr/lib"],
    ["loop1", "loop2"],
    ["loop2", "/loop1"],
  ]);
  expect(src.resolveInRoot("etc/os-release")).toBe("usr/lib/os-release");
  expect(src.resolveInRoot("lib/os-release")).toBe("usr/lib/os-release");
  expect(src.resolveInRoot("loop1/x")).toBeUndefined();
  expect(src.issues.map((i) => [i.message, i.path])).toEqual([
    ["entry skipped: its path leaves the image root", "../../etc/passwd"],
    ["entry skipped: its parent directories form a symlink loop", "loop1/file.txt"],
  ]);
}

describe("openImageSource: layer semantics", () => {
  it("applies whiteouts, opaque directories, replacements and hardlinks across gzip, zstd and plain layers", async () => {
    const src = await openImageSource(layoutDir([{ image: semantic }]), { want: all });
    await checkSemantics(src);
    const byPath = new Map(src.files().map((f) => [f.path, f]));
    expect(byPath.get("app/keep.txt")!.layer).toBe(semantic.layers[1]!.digest);
    expect(byPath.get("usr/lib/os-release")!.layer).toBe(semantic.layers[0]!.digest);
    expect(byPath.get("hard/target.txt")!.executable).toBe(true);
    expect(byPath.get("app/keep.txt")!.executable).toBe(false);
  });

  it("reports what the image is", async () => {
    const src = await openImageSource(layoutDir([{ image: semantic, refName: "v1" }]), { want: all });
    expect(src.kind).toBe("image");
    expect(src.name).toBe("v1");
    expect(src.image).toEqual({
      format: "oci-layout",
      digest: semantic.manifest.digest,
      digestOf: "manifest",
      configDigest: semantic.config.digest,
      os: "linux",
      architecture: "amd64",
      reference: "v1",
      // The config's runtime settings (User, Env, …): the test image sets none.
      runtime: {},
      layers: semantic.layers.map((l, i) => ({
        digest: l.digest,
        diffId: sha256([layers.l0, zstdDecompress(layers.l1zst), layers.l2][i]!),
        size: l.size,
        mediaType: l.mediaType,
      })),
    });
  });

  it("keeps only wanted files, but unwanted entries still replace lower ones", async () => {
    const upper = await tarOf([
      { path: "app/keep.txt", content: "a much longer replacement that is not wanted\n" },
    ]);
    const image = buildImage({ layers: [layers.l0, upper] });
    const seen: FileEntry[] = [];
    const src = await openImageSource(layoutDir([{ image }]), {
      want: (e) => {
        seen.push({ ...e });
        return e.path.startsWith("app/") && e.size < 20;
      },
    });
    expect(src.files().map((f) => f.path)).toEqual(["app/dir/a.txt", "app/dir/sub/b.txt", "app/old.txt"]);
    expect(seen.find((e) => e.path === "hard/target.txt")).toMatchObject({
      size: 7,
      executable: true,
      layer: image.layers[0]!.digest,
    });
  });

  it("refuses reads of unlisted paths and paths leaving the root", async () => {
    const src = await openImageSource(layoutDir([{ image: semantic }]), { want: all });
    expect((await rejection(src.read("etc/passwd"))).code).toBe("FILE_NOT_FOUND");
    expect((await rejection(src.read("../../etc/passwd"))).code).toBe("INPUT_INVALID");
    expect((await rejection(src.read("/usr/lib/os-release"))).code).toBe("INPUT_INVALID");
    expect((await rejection(src.read("etc/os-release"))).code).toBe("FILE_NOT_FOUND"); // a symlink: never followed
    expect(src.resolveInRoot("../../etc/passwd")).toBe("etc/passwd");
  });

  it("reads a committed multi-frame zstd layer (skippable frame first)", async () => {
    const zst = new Uint8Array(readFileSync(join(FIXTURES, "layer-multiframe.tar.zst")));
    const image = buildImage({ layers: [gzip(layers.l0), zst], diffs: [layers.l0, zstdDecompress(zst)] });
    const src = await openImageSource(layoutDir([{ image }]), { want: all });
    expect(await text(src, "app/keep.txt")).toBe("keep v2\n");
    expect(src.files().some((f) => f.path.startsWith("opq/x"))).toBe(false);
  });
});

describe("openImageSource: formats", () => {
  it("reads an OCI archive (a tar of a layout), plain and gzip-compressed", async () => {
    const files = layoutFiles([{ image: semantic }]);
    const dir = fresh();
    writeFileSync(join(dir, "image.tar"), await archiveOf(files));
    writeFileSync(join(dir, "image.tar.gz"), gzipSync(await archiveOf(files)));
    for (const name of ["image.tar", "image.tar.gz"]) {
      const src = await openImageSource(join(dir, name), { want: all });
      expect(src.image.format).toBe("oci-archive");
      expect(src.image.digest).toBe(semantic.manifest.digest);
      await checkSemantics(src);
    }
  });

  it("reads a legacy docker save archive (layer tars behind <id>/layer.tar symlinks)", async () => {
    const plain = [layers.l0, zstdDecompress(layers.l1zst), layers.l2];
    const { files, links, configs } = dockerSaveFiles([
      { layers: plain, repoTags: ["example.test/app:1.0"] },
    ]);
    const file = join(fresh(), "docker.tar");
    writeFileSync(file, await archiveOf(files, links));
    const src = await openImageSource(file, { want: all });
    await checkSemantics(src);
    expect(src.image).toMatchObject({
      format: "docker-archive",
      digest: configs[0],
      digestOf: "config",
      configDigest: configs[0],
      reference: "example.test/app:1.0",
    });
    expect(src.image.layers.map((l) => l.digest)).toEqual(plain.map((l) => sha256(l)));
  });

  it("picks an image of a multi-image docker save by tag, and refuses to guess", async () => {
    const a = await tarOf([{ path: "which", content: "a" }]);
    const b = await tarOf([{ path: "which", content: "b" }]);
    const { files, links } = dockerSaveFiles([
      { layers: [a], repoTags: ["example.test/a:1"] },
      { layers: [b], repoTags: ["example.test/b:1"] },
    ]);
    const file = join(fresh(), "docker.tar");
    writeFileSync(file, await archiveOf(files, links));
    expect(
      await text(await openImageSource(file, { want: all, reference: "example.test/b:1" }), "which"),
    ).toBe("b");
    const e = await rejection(openImageSource(file, { want: all }));
    expect(e.code).toBe("INPUT_INVALID");
    expect(e.message).toMatch(/holds 2 images \(example\.test\/a:1, example\.test\/b:1\)/);
    expect((await rejection(openImageSource(file, { want: all, reference: "nope" }))).message).toMatch(
      /no image tagged nope/,
    );
  });

  it("reads a Docker ≥ 25 save archive (OCI layout plus manifest.json)", async () => {
    const image = buildImage({
      layers: [layers.l0],
      layerMediaType: "application/vnd.oci.image.layer.v1.tar",
    });
    const files = layoutFiles([
      {
        image,
        annotations: {
          "io.containerd.image.name": "docker.io/library/app:1",
          "org.opencontainers.image.ref.name": "1",
        },
      },
    ]);
    files.set(
      "manifest.json",
      new TextEncoder().encode(
        JSON.stringify([
          {
            Config: `blobs/sha256/${image.config.digest.slice(7)}`,
            RepoTags: ["app:1"],
            Layers: [`blobs/sha256/${image.layers[0]!.digest.slice(7)}`],
          },
        ]),
      ),
    );
    const file = join(fresh(), "docker25.tar");
    writeFileSync(file, await archiveOf(files));
    const src = await openImageSource(file, { want: all, reference: "app:1" });
    expect(src.image).toMatchObject({
      format: "docker-archive",
      digest: image.manifest.digest,
      digestOf: "manifest",
      reference: "1",
    });
    expect(await text(src, "app/keep.txt")).toBe("keep v1\n");
  });

  it("detects image targets cheaply and says no to other files", async () => {
    const dir = fresh();
    const layout = layoutDir([{ image: semantic }]);
    writeFileSync(join(dir, "oci.tar"), await archiveOf(layoutFiles([{ image: semantic }])));
    const { files, links } = dockerSaveFiles([{ layers: [layers.l0], repoTags: [] }]);
    writeFileSync(join(dir, "docker.tar.gz"), gzipSync(await archiveOf(files, links)));
    writeFileSync(join(dir, "rootfs.tar"), layers.l0);
    writeFileSync(join(dir, "package-lock.json"), "{}");
    expect(await detectImageTarget(layout)).toBe(true);
    expect(await detectImageTarget(join(dir, "oci.tar"))).toBe(true);
    expect(await detectImageTarget(join(dir, "docker.tar.gz"))).toBe(true);
    expect(await detectImageTarget(join(dir, "rootfs.tar"))).toBe(false);
    expect(await detectImageTarget(join(dir, "package-lock.json"))).toBe(false);
    expect(await detectImageTarget(dir)).toBe(false);
    expect(await detectImageTarget(join(dir, "missing"))).toBe(false);
  });

  it("says clearly when a path is not an image", async () => {
    const dir = fresh();
    writeFileSync(join(dir, "rootfs.tar"), layers.l0);
    expect((await rejection(openImageSource(dir, { want: all }))).message).toMatch(/not an OCI image layout/);
    expect((await rejection(openImageSource(join(dir, "rootfs.tar"), { want: all }))).message).toMatch(
      /neither an OCI archive nor a docker save/,
    );
    expect((await rejection(openImageSource(join(dir, "missing"), { want: all }))).code).toBe(
      "FILE_NOT_FOUND",
    );
  });
});

describe("openImageSource: choosing the image", () => {
  const archImage = async (arch: string, variant?: string): Promise<BuiltImage> =>
    buildImage({
      layers: [gzip(await tarOf([{ path: "arch.txt", content: `${arch}${variant ? `/${variant}` : ""}` }]))],
      architecture: arch,
      ...(variant ? { variant } : {}),
    });

  let multi: string;
  beforeAll(async () => {
    const attestation = buildImage({
      layers: [gzip(await tarOf([{ path: "statement.json", content: "{}" }]))],
    });
    const index = buildIndex([
      { image: await archImage("amd64"), platform: { os: "linux", architecture: "amd64" } },
      {
        image: await archImage("arm64", "v8"),
        platform: { os: "linux", architecture: "arm64", variant: "v8" },
      },
      { image: await archImage("arm", "v7"), platform: { os: "linux", architecture: "arm", variant: "v7" } },
      { image: attestation, platform: { os: "unknown", architecture: "unknown" } },
    ]);
    multi = layoutDir([{ image: index, refName: "multi" }]);
  });

  it.each([
    [undefined, "amd64"],
    ["linux/arm64", "arm64/v8"],
    ["linux/aarch64", "arm64/v8"],
    ["linux/arm64/v8", "arm64/v8"],
    ["linux/arm/v7", "arm/v7"],
  ])("platform %s gives %s (nested index)", async (platform, expected) => {
    const src = await openImageSource(multi, { want: all, ...(platform ? { platform } : {}) });
    expect(await text(src, "arch.txt")).toBe(expected);
    expect(src.image.reference).toBe("multi");
  });

  it("says which platforms exist when the wanted one is absent", async () => {
    const e = await rejection(openImageSource(multi, { want: all, platform: "linux/s390x" }));
    expect(e.code).toBe("INPUT_INVALID");
    expect(e.message).toMatch(
      /no image for linux\/s390x \(it has linux\/amd64, linux\/arm64\/v8, linux\/arm\/v7\)/,
    );
    expect((await rejection(openImageSource(multi, { want: all, platform: "linux" }))).code).toBe("USAGE");
  });

  it("checks an explicit platform against a single-image config", async () => {
    const dir = layoutDir([{ image: await archImage("arm64") }]);
    expect(await text(await openImageSource(dir, { want: all }), "arch.txt")).toBe("arm64");
    expect((await rejection(openImageSource(dir, { want: all, platform: "linux/amd64" }))).message).toMatch(
      /is a linux\/arm64 image, not linux\/amd64/,
    );
  });

  it("picks among several images by name, takes `latest` by default, and otherwise refuses to guess", async () => {
    const a = await archImage("amd64");
    const b = buildImage({ layers: [gzip(await tarOf([{ path: "arch.txt", content: "b" }]))] });
    const two = layoutDir([
      { image: a, refName: "a" },
      { image: b, refName: "b" },
    ]);
    expect(await text(await openImageSource(two, { want: all, reference: "b" }), "arch.txt")).toBe("b");
    const e = await rejection(openImageSource(two, { want: all }));
    expect(e.message).toMatch(/holds 2 images \(a, b\); name the one to read/);
    expect((await rejection(openImageSource(two, { want: all, reference: "c" }))).message).toMatch(
      /no image named c \(it holds a, b\)/,
    );
    const withLatest = layoutDir([
      { image: a, refName: "base" },
      { image: b, refName: "latest" },
    ]);
    expect(await text(await openImageSource(withLatest, { want: all }), "arch.txt")).toBe("b");
  });

  it("marks base layers when the base image named by the annotation is in the store", async () => {
    const baseLayer = gzip(layers.l0);
    const base = buildImage({ layers: [baseLayer], diffs: [layers.l0] });
    const app = buildImage({
      layers: [baseLayer, gzip(layers.l2)],
      diffs: [layers.l0, layers.l2],
      annotations: {
        "org.opencontainers.image.base.digest": base.manifest.digest,
        "org.opencontainers.image.base.name": "example.test/base:1",
      },
    });
    const both = layoutDir([
      { image: base, refName: "base" },
      { image: app, refName: "latest" },
    ]);
    const src = await openImageSource(both, { want: all });
    expect(src.image.layers.map((l) => l.base)).toEqual([true, false]);
    const alone = await openImageSource(layoutDir([{ image: app }]), { want: all });
    expect(alone.image.layers.map((l) => l.base)).toEqual([undefined, undefined]);
    const other = buildImage({ layers: [gzip(layers.l2)], diffs: [layers.l2] });
    const liar = buildImage({
      layers: [baseLayer],
      diffs: [layers.l0],
      annotations: { "org.opencontainers.image.base.digest": other.manifest.digest },
    });
    const notPrefix = await openImageSource(
      layoutDir([
        { image: liar, refName: "latest" },
        { image: other, refName: "other" },
      ]),
      { want: all },
    );
    expect(notPrefix.image.layers.map((l) => l.base)).toEqual([undefined]);
    expect(notPrefix.issues[0]!.message).toMatch(/not a prefix/);
  });

  it("refuses artifacts that are not container images", async () => {
    const image = buildImage({ layers: [gzip(layers.l0)] });
    const manifest = JSON.parse(new TextDecoder().decode(image.manifest.bytes)) as {
      config: { mediaType: string };
    };
    manifest.config.mediaType = "application/vnd.cncf.helm.config.v1+json";
    const bytes = new TextEncoder().encode(JSON.stringify(manifest));
    const artifact = {
      ...image,
      manifest: { ...image.manifest, bytes, digest: sha256(bytes), size: bytes.length },
    };
    const e = await rejection(
      openImageSource(
        layoutDir([{ image: { ...artifact, blobs: [artifact.manifest, image.config, ...image.layers] } }]),
        { want: all },
      ),
    );
    expect(e.message).toMatch(/not a container image config/);
  });
});

describe("openImageSource: integrity", () => {
  /** A layout whose blob `digest` is stored with other bytes. */
  function tampered(image: BuiltImage, digest: string, bytes: Uint8Array): string {
    const files = layoutFiles([{ image }]);
    files.set(`blobs/sha256/${digest.slice(7)}`, bytes);
    return writeTree(fresh(), files);
  }

  it("refuses a layer whose bytes do not match its digest (INPUT_INVALID, reason digest-mismatch)", async () => {
    const image = buildImage({ layers: [gzip(layers.l0)] });
    const layer = image.layers[0]!;
    // Same length, one byte changed inside the compressed data: gzip may or may not notice, the digest does.
    const bad = layer.bytes.slice();
    bad[bad.length - 20] = bad[bad.length - 20]! ^ 0xff;
    const e = await rejection(openImageSource(tampered(image, layer.digest, bad), { want: all }));
    expect(e.code).toBe("INPUT_INVALID");
    expect(e.details).toMatchObject({ reason: "digest-mismatch", expected: layer.digest });
    expect(e.message).toMatch(/does not match its digest/);
  });

  it("names a digest mismatch, not the gzip error, when tampering broke the compression", async () => {
    // Incompressible, so the blob spans several read chunks and zlib fails before the digest is known.
    const noise = new Uint8Array(randomBytes(3 * 1024 * 1024));
    const image = buildImage({ layers: [gzip(await tarOf([{ path: "noise", content: noise }]))] });
    const bad = image.layers[0]!.bytes.slice();
    bad[3] = 0xff; // gzip FLG with reserved bits: zlib fails on the first chunk
    const e = await rejection(openImageSource(tampered(image, image.layers[0]!.digest, bad), { want: all }));
    expect(e.details).toMatchObject({ reason: "digest-mismatch" });
    expect((e.cause as BulwarkError).message).toMatch(/corrupt gzip data/);
  });

  it("reports corrupt compression in a layer whose digest is right", async () => {
    const bad = gzip(layers.l0);
    bad[3] = 0xff;
    const e = await rejection(
      openImageSource(layoutDir([{ image: buildImage({ layers: [bad] }) }]), { want: all }),
    );
    expect(e.code).toBe("INPUT_INVALID");
    expect(e.message).toMatch(/corrupt gzip data/);
    const cut = layers.l1zst.subarray(0, layers.l1zst.length - 10);
    const z = await rejection(
      openImageSource(layoutDir([{ image: buildImage({ layers: [cut] }) }]), { want: all }),
    );
    expect(z.code).toBe("INPUT_INVALID");
    expect(z.message).toMatch(/zstd/);
  });

  it("refuses a plain layer that is longer than its descriptor says", async () => {
    const image = buildImage({ layers: [layers.l2] });
    const e = await rejection(
      openImageSource(tampered(image, image.layers[0]!.digest, new Uint8Array([...layers.l2, 0])), {
        want: all,
      }),
    );
    expect(e.details).toMatchObject({ reason: "digest-mismatch" });
  });

  it("refuses a tampered config and a tampered manifest", async () => {
    const image = buildImage({ layers: [gzip(layers.l0)] });
    const config = image.config.bytes.slice();
    config[config.length - 2] = 0x20;
    expect(
      (await rejection(openImageSource(tampered(image, image.config.digest, config), { want: all }))).details,
    ).toMatchObject({ reason: "digest-mismatch" });
    const manifest = image.manifest.bytes.slice();
    manifest[manifest.length - 2] = 0x20;
    expect(
      (await rejection(openImageSource(tampered(image, image.manifest.digest, manifest), { want: all })))
        .details,
    ).toMatchObject({ reason: "digest-mismatch" });
  });

  it("refuses a tampered layer in an OCI archive and in a docker save archive", async () => {
    const image = buildImage({ layers: [gzip(layers.l0)] });
    const files = layoutFiles([{ image }]);
    const bad = image.layers[0]!.bytes.slice();
    bad[100] = bad[100]! ^ 1;
    files.set(`blobs/sha256/${image.layers[0]!.digest.slice(7)}`, bad);
    const oci = join(fresh(), "oci.tar");
    writeFileSync(oci, await archiveOf(files));
    expect((await rejection(openImageSource(oci, { want: all }))).details).toMatchObject({
      reason: "digest-mismatch",
    });

    const saved = dockerSaveFiles([{ layers: [layers.l0], repoTags: [] }]);
    const hex = sha256(layers.l0).slice(7);
    const changed = layers.l0.slice();
    changed[600] = changed[600]! ^ 1; // inside the first file's data: still a valid tar
    saved.files.set(`${hex}.tar`, changed);
    const docker = join(fresh(), "docker.tar");
    writeFileSync(docker, await archiveOf(saved.files, saved.links));
    expect((await rejection(openImageSource(docker, { want: all }))).details).toMatchObject({
      reason: "digest-mismatch",
    });
  });

  it("refuses a missing blob", async () => {
    const image = buildImage({ layers: [gzip(layers.l0)] });
    const files = layoutFiles([{ image }]);
    files.delete(`blobs/sha256/${image.layers[0]!.digest.slice(7)}`);
    const e = await rejection(openImageSource(writeTree(fresh(), files), { want: all }));
    expect(e.code).toBe("INPUT_INVALID");
    expect(e.message).toMatch(/missing/);
  });

  it("refuses layers compressed with formats images do not use", async () => {
    const xz = new Uint8Array([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1, 2, 3]);
    const e = await rejection(
      openImageSource(layoutDir([{ image: buildImage({ layers: [xz] }) }]), { want: all }),
    );
    expect(e.code).toBe("INPUT_INVALID");
    expect(e.message).toMatch(/xz-compressed/);
  });
});

describe("openImageSource: limits", () => {
  let bomb: BuiltImage;
  beforeAll(async () => {
    const tarBytes = await tarOf([{ path: "zeros", content: new Uint8Array(16 * 1024 * 1024) }]);
    bomb = buildImage({ layers: [gzip(tarBytes)], diffs: [tarBytes] });
  });

  it("stops a decompression bomb at the ratio guard (INPUT_TOO_LARGE)", async () => {
    const e = await rejection(
      openImageSource(layoutDir([{ image: bomb }]), {
        want: all,
        limits: { ratioFloorBytes: 1024 * 1024, maxCompressionRatio: 50 },
      }),
    );
    expect(e.code).toBe("INPUT_TOO_LARGE");
    expect(e.message).toMatch(/decompression bomb/);
  });

  it("stops at the total uncompressed size", async () => {
    const e = await rejection(
      openImageSource(layoutDir([{ image: bomb }]), {
        want: all,
        limits: { maxImageBytes: 4 * 1024 * 1024 },
      }),
    );
    expect(e.code).toBe("INPUT_TOO_LARGE");
    expect(e.message).toMatch(/inflate to more than 4194304 bytes/);
  });

  it("stops at the entry count", async () => {
    const e = await rejection(
      openImageSource(layoutDir([{ image: semantic }]), { want: all, limits: { maxEntries: 5 } }),
    );
    expect(e.code).toBe("INPUT_TOO_LARGE");
  });

  it("lists a file over the per-file limit but refuses to read it", async () => {
    const src = await openImageSource(layoutDir([{ image: semantic }]), {
      want: all,
      limits: { maxFileBytes: 6 },
    });
    expect(src.files().map((f) => f.path)).toContain("app/keep.txt");
    expect((await rejection(src.read("app/keep.txt"))).code).toBe("INPUT_TOO_LARGE");
    expect(await text(src, "same/g")).toBe("g\n");
  });

  it("stops holding wanted files once their memory budget is spent, and says so", async () => {
    const src = await openImageSource(layoutDir([{ image: semantic }]), {
      want: all,
      limits: { maxBufferedBytes: 40 },
    });
    expect(src.files().map((f) => f.path)).toEqual(EXPECTED_FILES);
    expect(await text(src, "usr/lib/os-release")).toBe("ID=testos\nVERSION_ID=1\n"); // first in, within budget
    const e = await rejection(src.read("opq/new.txt"));
    expect(e.code).toBe("INPUT_TOO_LARGE");
    expect(e.message).toMatch(/memory budget/);
    expect(src.issues.some((i) => i.path === "opq/new.txt" && /memory budget/.test(i.message))).toBe(true);
  });

  it("refuses a zstd frame asking for a huge window before decoding it", async () => {
    // Frame header: magic, descriptor 0 (window descriptor follows), window exponent 31 (2 TiB).
    const frame = new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xf8, 0x01, 0x00, 0x00]);
    const e = await rejection(
      openImageSource(layoutDir([{ image: buildImage({ layers: [frame] }) }]), { want: all }),
    );
    expect(e.code).toBe("INPUT_TOO_LARGE");
    expect(e.message).toMatch(/zstd frame window/);
  });

  it("refuses limits that make no sense", async () => {
    expect(
      (
        await rejection(
          openImageSource(layoutDir([{ image: semantic }]), { want: all, limits: { maxEntries: -1 } }),
        )
      ).code,
    ).toBe("CONFIG_INVALID");
  });

  it("honours an aborted signal", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      openImageSource(layoutDir([{ image: semantic }]), {
        want: all,
        signal: controller.signal,
      } satisfies OpenImageOptions),
    ).rejects.toThrow(/abort/i);
  });
});
