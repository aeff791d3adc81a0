/**
 * Validation of the JSON documents of an image (index, manifest, config, `docker save`
 * manifest.json). Parse, don't trust: everything read from an image passes through here, and a
 * document of the wrong shape is an `INPUT_INVALID` error naming the document and field.
 */
import { BulwarkError, type Digest, isDigest } from "../../core/index.js";
import type { Descriptor, ImageConfig, ImageIndex, ImageManifest, Platform } from "./types.js";

export const MEDIA_TYPES = {
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  dockerLayerTar: "application/vnd.docker.image.rootfs.diff.tar",
} as const;

export const INDEX_TYPES: ReadonlySet<string> = new Set([MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerList]);
export const MANIFEST_TYPES: ReadonlySet<string> = new Set([
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.dockerManifest,
]);
export const CONFIG_TYPES: ReadonlySet<string> = new Set([MEDIA_TYPES.ociConfig, MEDIA_TYPES.dockerConfig]);

/** Layers that may legitimately be absent from a store (Windows base layers fetched from `urls`). */
export function isForeignLayer(mediaType: string): boolean {
  return mediaType.includes("foreign") || mediaType.includes("nondistributable");
}

type Json = Record<string, unknown>;

function fail(doc: string, message: string): BulwarkError {
  return new BulwarkError("INPUT_INVALID", `${doc}: ${message}`, { location: { file: doc } });
}

export function parseJson(bytes: Uint8Array, doc: string): Json {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (e) {
    throw new BulwarkError("INPUT_INVALID", `${doc}: not valid JSON: ${(e as Error).message}`, {
      cause: e,
      location: { file: doc },
    });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw fail(doc, "expected a JSON object");
  return value as Json;
}

function str(o: Json, key: string, doc: string, path: string): string | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw fail(doc, `${path}${key} must be a string`);
  return v;
}

function reqStr(o: Json, key: string, doc: string, path: string): string {
  const v = str(o, key, doc, path);
  if (v === undefined) throw fail(doc, `${path}${key} is missing`);
  return v;
}

function obj(v: unknown, doc: string, path: string): Json {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw fail(doc, `${path} must be an object`);
  return v as Json;
}

function arr(v: unknown, doc: string, path: string): unknown[] {
  if (!Array.isArray(v)) throw fail(doc, `${path} must be an array`);
  return v;
}

export function digestOf(v: string, doc: string, path: string): Digest {
  if (isDigest(v)) return v;
  if (/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(v)) {
    throw fail(doc, `${path} uses digest algorithm ${v.split(":")[0]}; Bulwark reads sha256 images only`);
  }
  throw fail(doc, `${path} is not a digest: ${JSON.stringify(v.slice(0, 80))}`);
}

function annotations(v: unknown, doc: string, path: string): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  const o = obj(v, doc, path);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(o)) {
    if (typeof val !== "string") throw fail(doc, `${path}.${k} must be a string`);
    out[k] = val;
  }
  return out;
}

function platform(v: unknown, doc: string, path: string): Platform | undefined {
  if (v === undefined || v === null) return undefined;
  const o = obj(v, doc, path);
  const variant = str(o, "variant", doc, `${path}.`);
  return {
    os: reqStr(o, "os", doc, `${path}.`),
    architecture: reqStr(o, "architecture", doc, `${path}.`),
    ...(variant ? { variant } : {}),
  };
}

export function parseDescriptor(v: unknown, doc: string, path: string): Descriptor {
  const o = obj(v, doc, path);
  const size = o.size;
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) {
    throw fail(doc, `${path}.size must be a non-negative integer`);
  }
  const p = platform(o.platform, doc, `${path}.platform`);
  const a = annotations(o.annotations, doc, `${path}.annotations`);
  const urls =
    o.urls === undefined || o.urls === null ? undefined : arr(o.urls, doc, `${path}.urls`).map(String);
  return {
    mediaType: reqStr(o, "mediaType", doc, `${path}.`),
    digest: digestOf(reqStr(o, "digest", doc, `${path}.`), doc, `${path}.digest`),
    size,
    ...(p ? { platform: p } : {}),
    ...(a ? { annotations: a } : {}),
    ...(urls ? { urls } : {}),
  };
}

function schemaVersion2(o: Json, doc: string): void {
  if (o.schemaVersion !== 2)
    throw fail(doc, `schemaVersion must be 2, got ${JSON.stringify(o.schemaVersion)}`);
}

export function parseIndex(bytes: Uint8Array, doc: string): ImageIndex {
  const o = parseJson(bytes, doc);
  schemaVersion2(o, doc);
  const mediaType = str(o, "mediaType", doc, "");
  if (mediaType !== undefined && !INDEX_TYPES.has(mediaType))
    throw fail(doc, `mediaType ${mediaType} is not an image index`);
  const a = annotations(o.annotations, doc, "annotations");
  return {
    ...(mediaType ? { mediaType } : {}),
    manifests: arr(o.manifests ?? [], doc, "manifests").map((m, i) =>
      parseDescriptor(m, doc, `manifests[${i}]`),
    ),
    ...(a ? { annotations: a } : {}),
  };
}

export function parseManifest(bytes: Uint8Array, doc: string): ImageManifest {
  const o = parseJson(bytes, doc);
  schemaVersion2(o, doc);
  const mediaType = str(o, "mediaType", doc, "");
  if (mediaType !== undefined && !MANIFEST_TYPES.has(mediaType))
    throw fail(doc, `mediaType ${mediaType} is not an image manifest`);
  if (o.config === undefined) throw fail(doc, "config is missing (is this an image index?)");
  const a = annotations(o.annotations, doc, "annotations");
  return {
    ...(mediaType ? { mediaType } : {}),
    config: parseDescriptor(o.config, doc, "config"),
    layers: arr(o.layers ?? [], doc, "layers").map((l, i) => parseDescriptor(l, doc, `layers[${i}]`)),
    ...(a ? { annotations: a } : {}),
  };
}

export function parseConfig(bytes: Uint8Array, doc: string): ImageConfig {
  const o = parseJson(bytes, doc);
  const rootfs = o.rootfs === undefined ? undefined : obj(o.rootfs, doc, "rootfs");
  const diffIds =
    rootfs?.diff_ids === undefined || rootfs.diff_ids === null
      ? []
      : arr(rootfs.diff_ids, doc, "rootfs.diff_ids");
  const variant = str(o, "variant", doc, "");
  const runtime = o.config;
  return {
    os: reqStr(o, "os", doc, ""),
    architecture: reqStr(o, "architecture", doc, ""),
    ...(variant ? { variant } : {}),
    ...(runtime && typeof runtime === "object" && !Array.isArray(runtime)
      ? { runtime: runtime as Record<string, unknown> }
      : {}),
    diffIds: diffIds.map((d, i) => digestOf(String(d), doc, `rootfs.diff_ids[${i}]`)),
  };
}

/** One entry of a legacy `docker save` manifest.json. */
export interface DockerSaveEntry {
  readonly config: string;
  readonly repoTags: readonly string[];
  readonly layers: readonly string[];
}

export function parseDockerSaveManifest(bytes: Uint8Array, doc: string): DockerSaveEntry[] {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (e) {
    throw new BulwarkError("INPUT_INVALID", `${doc}: not valid JSON: ${(e as Error).message}`, {
      cause: e,
      location: { file: doc },
    });
  }
  return arr(value, doc, "the top level").map((v, i) => {
    const o = obj(v, doc, `[${i}]`);
    const tags =
      o.RepoTags === undefined || o.RepoTags === null ? [] : arr(o.RepoTags, doc, `[${i}].RepoTags`);
    return {
      config: reqStr(o, "Config", doc, `[${i}].`),
      repoTags: tags.map((t, j) => {
        if (typeof t !== "string") throw fail(doc, `[${i}].RepoTags[${j}] must be a string`);
        return t;
      }),
      layers: arr(o.Layers ?? [], doc, `[${i}].Layers`).map((l, j) => {
        if (typeof l !== "string") throw fail(doc, `[${i}].Layers[${j}] must be a string`);
        return l;
      }),
    };
  });
}
