/**
 * From an image store's entry point to one image: which manifest (by reference, then platform),
 * its config, its layers, and which of them came from the base image.
 */
import { BulwarkError, type Digest, isDigest } from "../../core/index.js";
import type { SourceIssue, SourceLimits } from "../source/index.js";
import {
  bestMatch,
  DEFAULT_PLATFORM,
  formatPlatform,
  normalizePlatform,
  parsePlatform,
  platformMatches,
} from "./platform.js";
import { readBlob } from "./read.js";
import { CONFIG_TYPES, INDEX_TYPES, parseConfig, parseIndex, parseJson, parseManifest } from "./schema.js";
import type {
  Descriptor,
  DockerSaveImage,
  ImageBlobSource,
  ImageConfig,
  ImageIndex,
  ImageInfo,
  ImageLayerInfo,
  ImageManifest,
  Platform,
} from "./types.js";

export interface ResolveOptions {
  readonly platform?: string;
  readonly reference?: string;
  readonly limits: SourceLimits;
  readonly signal?: AbortSignal;
  readonly issues: SourceIssue[];
}

export interface ResolvedImage {
  readonly info: ImageInfo;
  /** The layer descriptors to read, bottom first. */
  readonly layers: readonly Descriptor[];
}

const REF_NAME = "org.opencontainers.image.ref.name";
const CONTAINERD_NAME = "io.containerd.image.name";
const BASE_DIGEST = "org.opencontainers.image.base.digest";
/** Nested indexes followed at most (an index of indexes of manifests is already unusual). */
const MAX_INDEX_DEPTH = 4;

export async function resolveImage(blobs: ImageBlobSource, options: ResolveOptions): Promise<ResolvedImage> {
  const root = await blobs.manifest();
  switch (root.kind) {
    case "docker-save":
      return resolveDockerSave(blobs, root.images, options);
    case "index":
      return resolveFromIndex(blobs, root.index, options);
    default: {
      const never: never = root;
      throw new Error(`unknown image root ${String(never)}`);
    }
  }
}

function wantedPlatform(options: ResolveOptions): Platform {
  return options.platform ? parsePlatform(options.platform) : DEFAULT_PLATFORM;
}

function referenceMatches(names: readonly string[], ref: string): boolean {
  return names.some((n) => n === ref || n.endsWith(`/${ref}`) || n === `docker.io/library/${ref}`);
}

function namesOf(d: Descriptor): string[] {
  const a = d.annotations ?? {};
  return [a[REF_NAME], a[CONTAINERD_NAME]].filter((n): n is string => n !== undefined);
}

async function resolveFromIndex(
  blobs: ImageBlobSource,
  top: ImageIndex,
  options: ResolveOptions,
): Promise<ResolvedImage> {
  const wanted = wantedPlatform(options);
  let index = top;
  let reference = options.reference;
  let name: string | undefined;
  let fromIndex: Descriptor | undefined;
  for (let depth = 0; ; depth++) {
    if (depth > MAX_INDEX_DEPTH)
      throw new BulwarkError(
        "INPUT_INVALID",
        `${blobs.name}: image indexes nest deeper than ${MAX_INDEX_DEPTH}`,
      );
    const chosen = chooseFromIndex(blobs.name, index, wanted, reference, options.platform !== undefined);
    name ??= namesOf(chosen)[0];
    reference = undefined; // names are only looked up at the top
    const bytes = await readBlob(blobs, chosen, options.limits.maxManifestBytes, options.signal);
    if (INDEX_TYPES.has(chosen.mediaType)) {
      index = parseIndex(bytes, `index ${chosen.digest}`);
      continue;
    }
    fromIndex = chosen;
    const manifest = parseManifest(bytes, `manifest ${chosen.digest}`);
    return resolveManifest(blobs, chosen.digest, manifest, fromIndex, name, options);
  }
}

function chooseFromIndex(
  store: string,
  index: ImageIndex,
  wanted: Platform,
  reference: string | undefined,
  explicit: boolean,
): Descriptor {
  let candidates = index.manifests;
  if (reference !== undefined) {
    candidates = candidates.filter((d) => referenceMatches(namesOf(d), reference));
    if (candidates.length === 0) {
      const known = [...new Set(index.manifests.flatMap(namesOf))];
      throw new BulwarkError(
        "INPUT_INVALID",
        `${store} holds no image named ${reference}${known.length ? ` (it holds ${known.join(", ")})` : " (its images have no names)"}`,
      );
    }
  }
  if (candidates.length === 0)
    throw new BulwarkError("INPUT_INVALID", `${store}: the image index lists no manifests`);
  const withPlatform = candidates.filter((d) => d.platform);
  if (withPlatform.length > 0) {
    const match = bestMatch(wanted, withPlatform);
    if (match) return match;
    const unknown = candidates.filter((d) => !d.platform);
    if (unknown.length === 1 && !explicit) return unknown[0]!;
    const available = withPlatform
      .map((d) => formatPlatform(normalizePlatform(d.platform!)))
      .filter((p) => p !== "unknown/unknown");
    throw new BulwarkError(
      "INPUT_INVALID",
      `${store} has no image for ${formatPlatform(wanted)} (it has ${[...new Set(available)].join(", ") || "no runnable platform"}); choose one with --platform`,
      { details: { platform: formatPlatform(wanted), available } },
    );
  }
  const distinct = [...new Map(candidates.map((d) => [d.digest, d])).values()];
  if (distinct.length === 1) return distinct[0]!;
  // Docker's rule: an unqualified name means `latest`.
  const latest = distinct.filter((d) => namesOf(d).some((n) => n === "latest" || n.endsWith(":latest")));
  if (latest.length === 1) return latest[0]!;
  const names = distinct.map((d) => namesOf(d)[0] ?? d.digest);
  throw new BulwarkError(
    "INPUT_INVALID",
    `${store} holds ${distinct.length} images (${names.join(", ")}); name the one to read`,
    {
      details: { images: names },
    },
  );
}

async function readConfig(
  blobs: ImageBlobSource,
  d: Descriptor,
  options: ResolveOptions,
): Promise<ImageConfig> {
  if (!CONFIG_TYPES.has(d.mediaType)) {
    throw new BulwarkError(
      "INPUT_INVALID",
      `${blobs.name}: config media type ${d.mediaType} is not a container image config (an OCI artifact?)`,
    );
  }
  return parseConfig(
    await readBlob(blobs, d, options.limits.maxManifestBytes, options.signal),
    `config ${d.digest}`,
  );
}

function checkPlatform(store: string, config: ImageConfig, options: ResolveOptions): void {
  if (options.platform === undefined) return;
  const wanted = parsePlatform(options.platform);
  if (!platformMatches(wanted, config)) {
    throw new BulwarkError(
      "INPUT_INVALID",
      `${store} is a ${formatPlatform(normalizePlatform(config))} image, not ${formatPlatform(wanted)}`,
    );
  }
}

async function resolveManifest(
  blobs: ImageBlobSource,
  digest: Digest,
  manifest: ImageManifest,
  descriptor: Descriptor,
  reference: string | undefined,
  options: ResolveOptions,
): Promise<ResolvedImage> {
  const config = await readConfig(blobs, manifest.config, options);
  checkPlatform(blobs.name, config, options);
  const diffIds = config.diffIds.length === manifest.layers.length ? config.diffIds : undefined;
  if (!diffIds) {
    options.issues.push({
      message: `the config lists ${config.diffIds.length} diff_ids for ${manifest.layers.length} layers; diff IDs not reported`,
    });
  }
  const baseCount = await baseLayerCount(blobs, manifest, descriptor, config, options);
  const layers: ImageLayerInfo[] = manifest.layers.map((l, i) => ({
    digest: l.digest,
    ...(diffIds ? { diffId: diffIds[i]! } : {}),
    size: l.size,
    mediaType: l.mediaType,
    ...(baseCount !== undefined ? { base: i < baseCount } : {}),
  }));
  return {
    info: {
      format: blobs.format,
      digest,
      digestOf: "manifest",
      configDigest: manifest.config.digest,
      os: config.os,
      architecture: config.architecture,
      ...(config.variant ? { variant: config.variant } : {}),
      layers,
      ...(reference ? { reference } : {}),
      ...(config.runtime ? { runtime: config.runtime } : {}),
    },
    layers: manifest.layers,
  };
}

/**
 * How many bottom layers came from the base image: known when the manifest (or its index entry)
 * carries `org.opencontainers.image.base.digest` and the store also holds that base manifest,
 * whose layers must then be a prefix of this image's. Otherwise unknown.
 */
async function baseLayerCount(
  blobs: ImageBlobSource,
  manifest: ImageManifest,
  descriptor: Descriptor,
  config: ImageConfig,
  options: ResolveOptions,
): Promise<number | undefined> {
  const named = manifest.annotations?.[BASE_DIGEST] ?? descriptor.annotations?.[BASE_DIGEST];
  if (named === undefined) return undefined;
  if (!isDigest(named)) {
    options.issues.push({
      message: `${BASE_DIGEST} annotation is not a sha256 digest: ${named.slice(0, 80)}`,
    });
    return undefined;
  }
  const size = await blobs.size(named);
  if (size === undefined) return undefined;
  let base: Descriptor = { mediaType: "", digest: named, size };
  for (let depth = 0; depth <= MAX_INDEX_DEPTH; depth++) {
    const bytes = await readBlob(blobs, base, options.limits.maxManifestBytes, options.signal);
    if (parseJson(bytes, `base manifest ${named}`).manifests === undefined) {
      const layers = parseManifest(bytes, `base manifest ${named}`).layers;
      const prefix =
        layers.length <= manifest.layers.length &&
        layers.every((l, i) => l.digest === manifest.layers[i]!.digest);
      if (!prefix) {
        options.issues.push({
          message: `the base image ${named} is not a prefix of this image's layers; base layers not marked`,
        });
        return undefined;
      }
      return layers.length;
    }
    const match = bestMatch(config, parseIndex(bytes, `base index ${named}`).manifests);
    if (!match) return undefined;
    base = match;
  }
  return undefined;
}

function resolveDockerSave(
  blobs: ImageBlobSource,
  images: readonly DockerSaveImage[],
  options: ResolveOptions,
): Promise<ResolvedImage> {
  let candidates = images;
  const ref = options.reference;
  if (ref !== undefined) {
    candidates = images.filter((i) => referenceMatches(i.repoTags, ref));
    if (candidates.length === 0) {
      throw new BulwarkError(
        "INPUT_INVALID",
        `${blobs.name} holds no image tagged ${ref} (it holds ${images.flatMap((i) => i.repoTags).join(", ") || "untagged images"})`,
      );
    }
  }
  if (candidates.length === 0)
    throw new BulwarkError("INPUT_INVALID", `${blobs.name}: manifest.json lists no images`);
  if (candidates.length > 1) {
    const latest = candidates.filter((i) => i.repoTags.some((t) => t.endsWith(":latest")));
    if (latest.length !== 1) {
      const names = candidates.map((i) => i.repoTags[0] ?? i.config.digest);
      throw new BulwarkError(
        "INPUT_INVALID",
        `${blobs.name} holds ${candidates.length} images (${names.join(", ")}); name the one to read`,
        {
          details: { images: names },
        },
      );
    }
    candidates = latest;
  }
  const image = candidates[0]!;
  return (async () => {
    const config = await readConfig(blobs, image.config, options);
    checkPlatform(blobs.name, config, options);
    const reference =
      ref !== undefined ? image.repoTags.find((t) => referenceMatches([t], ref)) : image.repoTags[0];
    return {
      info: {
        format: blobs.format,
        digest: image.config.digest,
        digestOf: "config",
        configDigest: image.config.digest,
        os: config.os,
        architecture: config.architecture,
        ...(config.variant ? { variant: config.variant } : {}),
        layers: image.layers.map((l) => ({
          digest: l.digest,
          diffId: l.digest,
          size: l.size,
          mediaType: l.mediaType,
        })),
        ...(reference ? { reference } : {}),
        ...(config.runtime ? { runtime: config.runtime } : {}),
      },
      layers: image.layers,
    };
  })();
}
