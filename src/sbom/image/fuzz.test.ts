import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { afterAll, beforeAll, describe, it } from "vitest";
import { BulwarkError, type Digest } from "../../core/index.js";
import { sourceLimits } from "../source/index.js";
import {
  buildImage,
  layoutFiles,
  sha256,
  tarOf,
  writeTree,
} from "../../../test/fixtures/sbom/image/build-image.js";
import { openImageSource } from "./index.js";
import { MergedTree } from "./merge.js";
import { readLayer } from "./read.js";
import type { Descriptor, ImageBlobSource } from "./types.js";

const FIXTURES = new URL("../../../test/fixtures/sbom/image/", import.meta.url).pathname;
const zstdLayer = new Uint8Array(readFileSync(join(FIXTURES, "layer-whiteouts.tar.zst")));
let validTar: Uint8Array;
let tmp: string;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "bulwark-image-fuzz-"));
  validTar = await tarOf([
    { path: "etc/os-release", content: "ID=fuzz\n" },
    { path: "etc/.wh.gone" },
    { path: "l", type: "symlink", linkname: "../../x" },
    { path: "h", type: "link", linkname: "etc/os-release" },
    { path: `${"p".repeat(120)}/f`, content: "pax path" },
  ]);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function mutate(base: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc
    .array(fc.tuple(fc.nat({ max: base.length - 1 }), fc.integer({ min: 0, max: 255 })), {
      minLength: 1,
      maxLength: 8,
    })
    .chain((edits) =>
      fc.nat({ max: base.length }).map((cut) => {
        const b = base.slice(0, Math.max(cut, 1));
        for (const [at, v] of edits) if (at < b.length) b[at] = v;
        return b;
      }),
    );
}

/** Layer-like bytes: random, with a compression magic, valid compression of junk, damaged real layers. */
const layerBytes = (): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    fc.uint8Array({ maxLength: 3000 }),
    fc.uint8Array({ maxLength: 3000 }).map((b) => new Uint8Array([0x1f, 0x8b, ...b])),
    fc.uint8Array({ maxLength: 3000 }).map((b) => new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, ...b])),
    fc.uint8Array({ maxLength: 3000 }).map((b) => new Uint8Array(gzipSync(b))),
    fc.constant(null).chain(() => mutate(validTar)),
    fc.constant(null).chain(() => mutate(new Uint8Array(gzipSync(validTar)))),
    fc.constant(null).chain(() => mutate(zstdLayer)),
  );

/** One blob held in memory. */
function memoryBlobs(bytes: Uint8Array): { blobs: ImageBlobSource; descriptor: Descriptor } {
  const digest: Digest = sha256(bytes);
  const descriptor: Descriptor = {
    mediaType: "application/vnd.oci.image.layer.v1.tar",
    digest,
    size: bytes.length,
  };
  return {
    descriptor,
    blobs: {
      format: "oci-layout",
      name: "memory",
      manifest: () => Promise.reject(new Error("unused")),
      blob: async () => Readable.from([Buffer.from(bytes)]),
      size: async () => bytes.length,
      close: async () => {},
    },
  };
}

describe("hostile layers never crash the reader", () => {
  const limits = sourceLimits({ maxImageBytes: 32 * 1024 * 1024, maxFileBytes: 1024 * 1024 });

  it("readLayer throws nothing but BulwarkError (property)", async () => {
    await fc.assert(
      fc.asyncProperty(layerBytes(), async (bytes) => {
        const { blobs, descriptor } = memoryBlobs(bytes);
        const tree = new MergedTree(() => true, limits, []);
        try {
          await readLayer(
            blobs,
            descriptor,
            tree.layerSink(descriptor.digest),
            limits,
            { inflated: 0 },
            undefined,
          );
          tree.files();
          tree.symlinks();
        } catch (e) {
          if (!(e instanceof BulwarkError)) throw e;
        }
      }),
      { numRuns: 600 },
    );
  });

  it("openImageSource throws nothing but BulwarkError for an image with a random layer (property)", async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(layerBytes(), async (bytes) => {
        const dir = writeTree(
          join(tmp, `i${n++}`),
          layoutFiles([{ image: buildImage({ layers: [bytes] }) }]),
        );
        try {
          const src = await openImageSource(dir, { want: () => true, limits });
          for (const f of src.files()) await src.read(f.path);
        } catch (e) {
          if (!(e instanceof BulwarkError)) throw e;
        }
      }),
      { numRuns: 120 },
    );
  });
});
