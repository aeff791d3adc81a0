/**
 * {@link ImageBlobSource}s over local stores: an OCI image layout (directory or archive, and the
 * OCI layout newer `docker save` archives embed) and the legacy `docker save` layout.
 */
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import { Readable } from "node:stream";
import { BulwarkError, type Digest } from "../../core/index.js";
import { normalizePath, type SourceLimits } from "../source/index.js";
import { MEDIA_TYPES, parseConfig, parseDockerSaveManifest, parseIndex, parseJson } from "./schema.js";
import { archiveStore, directoryStore, type FileStore } from "./store.js";
import type { Descriptor, DockerSaveImage, ImageBlobSource, ImageFormat, ImageRoot } from "./types.js";

/** Opens the image store at `path`: an OCI layout directory, an OCI archive or a `docker save` archive. */
export async function openImageBlobSource(
  path: string,
  limits: SourceLimits,
  signal?: AbortSignal,
): Promise<ImageBlobSource> {
  let st;
  try {
    st = await fs.stat(path);
  } catch (e) {
    throw new BulwarkError("FILE_NOT_FOUND", `image not found: ${path}`, { cause: e });
  }
  if (st.isDirectory()) {
    const store = directoryStore(path);
    if (!(await store.has("oci-layout"))) {
      throw new BulwarkError(
        "INPUT_INVALID",
        `${path} is a directory but not an OCI image layout (no oci-layout file)`,
      );
    }
    return layoutSource(store, "oci-layout", limits);
  }
  const store = await archiveStore(path, limits, signal);
  try {
    if (await store.has("oci-layout")) {
      // Docker ≥ 25 writes an OCI layout plus a manifest.json for older clients.
      return await layoutSource(
        store,
        (await store.has("manifest.json")) ? "docker-archive" : "oci-archive",
        limits,
      );
    }
    if (await store.has("manifest.json")) return await dockerSaveSource(store, limits);
  } catch (e) {
    await store.close();
    throw e;
  }
  await store.close();
  throw new BulwarkError(
    "INPUT_INVALID",
    `${path} is neither an OCI archive nor a docker save archive (no oci-layout or manifest.json)`,
  );
}

export function blobPath(digest: Digest): string {
  const [alg, hex] = digest.split(":");
  return `blobs/${alg}/${hex}`;
}

async function layoutSource(
  store: FileStore,
  format: ImageFormat,
  limits: SourceLimits,
): Promise<ImageBlobSource> {
  const layout = parseJson(await store.readAll("oci-layout", 64 * 1024), "oci-layout");
  const version = layout.imageLayoutVersion;
  if (typeof version !== "string" || !/^1\.\d+\.\d+$/.test(version)) {
    throw new BulwarkError(
      "INPUT_INVALID",
      `oci-layout: unsupported imageLayoutVersion ${JSON.stringify(version)}`,
    );
  }
  return {
    format,
    name: store.name,
    manifest: async (): Promise<ImageRoot> => ({
      kind: "index",
      index: parseIndex(await store.readAll("index.json", limits.maxManifestBytes), "index.json"),
    }),
    blob: async (d) => {
      const path = blobPath(d.digest);
      if ((await store.size(path)) === undefined) throw absent(store.name, d.digest);
      return store.open(path);
    },
    size: (digest) => store.size(blobPath(digest)),
    close: () => store.close(),
  };
}

function absent(name: string, digest: string): BulwarkError {
  return new BulwarkError("INPUT_INVALID", `${name}: blob ${digest} is missing`, { details: { digest } });
}

/**
 * The legacy `docker save` layout: `manifest.json` names each image's config (`<hex>.json`) and
 * its layers (plain tars, often `<id>/layer.tar`). There are no manifests, so images are
 * described by descriptors whose layer digests are the config's diff IDs; reading a layer
 * verifies it against its diff ID.
 */
async function dockerSaveSource(store: FileStore, limits: SourceLimits): Promise<ImageBlobSource> {
  const entries = parseDockerSaveManifest(
    await store.readAll("manifest.json", limits.maxManifestBytes),
    "manifest.json",
  );
  const paths = new Map<string, string>();
  const configs = new Map<string, Uint8Array>();
  const images: DockerSaveImage[] = [];
  for (const [i, entry] of entries.entries()) {
    const configPath = normalizePath(entry.config);
    if (!configPath)
      throw new BulwarkError("INPUT_INVALID", `manifest.json: [${i}].Config is not a safe path`);
    const bytes = await store.readAll(configPath, limits.maxManifestBytes);
    const configDigest: Digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
    // The name is the digest in every docker save format; a mismatch is a tampered archive.
    const named = /([0-9a-f]{64})(?:\.json)?$/.exec(configPath)?.[1];
    if (named !== undefined && `sha256:${named}` !== configDigest) {
      throw new BulwarkError(
        "INPUT_INVALID",
        `manifest.json: config ${configPath} does not match its digest (content is ${configDigest})`,
      );
    }
    configs.set(configDigest, bytes);
    const config = parseConfig(bytes, configPath);
    if (config.diffIds.length !== entry.layers.length) {
      throw new BulwarkError(
        "INPUT_INVALID",
        `manifest.json: [${i}] lists ${entry.layers.length} layers but its config has ${config.diffIds.length} diff_ids`,
      );
    }
    const layers: Descriptor[] = [];
    for (const [j, layer] of entry.layers.entries()) {
      const layerPath = normalizePath(layer);
      if (!layerPath)
        throw new BulwarkError("INPUT_INVALID", `manifest.json: [${i}].Layers[${j}] is not a safe path`);
      const size = await store.size(layerPath);
      if (size === undefined)
        throw new BulwarkError("INPUT_INVALID", `${store.name}: layer ${layerPath} is missing`);
      const digest = config.diffIds[j]!;
      paths.set(digest, layerPath);
      layers.push({ mediaType: MEDIA_TYPES.dockerLayerTar, digest, size });
    }
    images.push({
      config: { mediaType: MEDIA_TYPES.dockerConfig, digest: configDigest, size: bytes.length },
      layers,
      repoTags: entry.repoTags,
    });
  }
  return {
    format: "docker-archive",
    name: store.name,
    manifest: async () => ({ kind: "docker-save", images }),
    blob: async (d) => {
      const config = configs.get(d.digest);
      if (config) return Readable.from([config]);
      const path = paths.get(d.digest);
      if (!path) throw absent(store.name, d.digest);
      return store.open(path);
    },
    size: async (digest) => {
      const path = paths.get(digest);
      return configs.get(digest)?.length ?? (path === undefined ? undefined : store.size(path));
    },
    close: () => store.close(),
  };
}
