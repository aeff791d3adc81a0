import { createHash } from "node:crypto";
import type { UnzipFileInfo } from "fflate";
import { PackageURL } from "packageurl-js";
import { DEFAULT_LIMITS, lazyRequire, type Logger, silentLogger } from "../../../core/index.js";
import type { Cataloger } from "../../cataloger.js";
import type { CatalogIssue, CatalogResult, FoundPackage } from "../../model.js";
import type { FileEntry } from "../../source.js";
import { parseManifest, parseProperties } from "./metadata.js";

const fflate = lazyRequire<typeof import("fflate")>("fflate");
const unzipSync: typeof import("fflate").unzipSync = (data, opts) => fflate().unzipSync(data, opts);

const NAME = "java/archive";

/** Java archives: plain jars, web apps, enterprise apps, and Jenkins plugins (`.jpi`, `.hpi`). */
const ARCHIVE = /\.(?:jar|war|ear|jpi|hpi)$/i;

/**
 * Java archives anywhere: in source trees (built artifacts, vendored jars), root filesystems and
 * images (application servers, fat jars). Reads `META-INF/maven/<g>/<a>/pom.properties`, falls back
 * to `META-INF/MANIFEST.MF`, and recurses into bundled jars (`BOOT-INF/lib/`, `WEB-INF/lib/`,
 * `lib/`, and an EAR's modules).
 */
export const javaArchiveCataloger: Cataloger = {
  name: NAME,
  version: 1,
  ecosystem: "Maven",
  targets: ["directory", "rootfs", "image", "file"],
  applies: (entry) => ARCHIVE.test(entry.path),
  async catalog(entry, ctx) {
    let bytes: Uint8Array;
    try {
      bytes = await ctx.source.read(entry.path);
    } catch (e) {
      return {
        packages: [],
        issues: [issueAt(entry, entry.path, `cannot read archive: ${(e as Error).message}`)],
      };
    }
    return catalogJavaArchive(bytes, entry, {
      // Nested jars are inflated in memory: allow a few times the single-file limit in total.
      maxTotalBytes: 4 * ctx.limits.maxFileBytes,
      logger: ctx.logger,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
  },
};

export interface JavaArchiveOptions {
  /** Deepest nesting read: 1 is the archive itself, 2 its bundled jars, … Default 4. */
  readonly maxDepth?: number;
  /** Most bytes inflated in total over every entry of every nested archive. */
  readonly maxTotalBytes?: number;
  /** Largest `pom.properties` / `MANIFEST.MF` read. Default 1 MiB. */
  readonly maxMetadataBytes?: number;
  /** Inflated/compressed ratio above which a large entry is treated as a zip bomb. Default 200. */
  readonly maxRatio?: number;
  readonly logger?: Logger;
  readonly signal?: AbortSignal;
}

interface State {
  readonly entry: Pick<FileEntry, "path" | "layer">;
  readonly maxDepth: number;
  readonly maxMetadataBytes: number;
  readonly maxRatio: number;
  readonly logger: Logger;
  readonly signal: AbortSignal | undefined;
  remaining: number;
  budgetReported: boolean;
  readonly packages: FoundPackage[];
  readonly issues: CatalogIssue[];
}

/**
 * Catalogues one archive's bytes. Never throws for bad content: corrupt or hostile zips (bombs,
 * impossible entry counts, nesting past `maxDepth`, the byte budget exhausted) become issues and
 * whatever was read before is kept.
 */
export function catalogJavaArchive(
  bytes: Uint8Array,
  entry: Pick<FileEntry, "path" | "layer">,
  options: JavaArchiveOptions = {},
): CatalogResult {
  const state: State = {
    entry,
    maxDepth: options.maxDepth ?? 4,
    maxMetadataBytes: options.maxMetadataBytes ?? 1024 * 1024,
    maxRatio: options.maxRatio ?? 200,
    logger: options.logger ?? silentLogger,
    signal: options.signal,
    remaining: options.maxTotalBytes ?? 4 * DEFAULT_LIMITS.maxFileBytes,
    budgetReported: false,
    packages: [],
    issues: [],
  };
  readArchive(bytes, entry.path, 1, state);
  return state.issues.length
    ? { packages: state.packages, issues: state.issues }
    : { packages: state.packages };
}

type EntryKind = "pom" | "manifest" | "nested";

const POM_PROPERTIES = /^(?:(?:BOOT-INF|WEB-INF)\/classes\/)?META-INF\/maven\/[^/]+\/[^/]+\/pom\.properties$/;
const NESTED = /^(?:BOOT-INF\/lib|WEB-INF\/lib|lib)\/[^/]+\.jar$/i;
const EAR_MODULE = /^[^/]+\.(?:jar|war)$/i;

function classify(name: string, isEar: boolean): EntryKind | undefined {
  if (name === "META-INF/MANIFEST.MF") return "manifest";
  if (POM_PROPERTIES.test(name)) return "pom";
  if (NESTED.test(name) || (isEar && EAR_MODULE.test(name))) return "nested";
  return undefined;
}

/** Reads one archive (and, recursively, those it bundles); returns the ref of its own package, if known. */
function readArchive(bytes: Uint8Array, location: string, depth: number, state: State): string | undefined {
  state.signal?.throwIfAborted();
  const wanted = listWanted(bytes, location, depth, state);
  if (!wanted) return undefined;
  const files = extract(bytes, location, wanted, state);

  const poms: { coords: Coordinates }[] = [];
  for (const name of [...files.keys()].filter((n) => wanted.get(n) === "pom").sort()) {
    const coords = readPom(files.get(name)!, `${location}!/${name}`, state);
    if (coords) poms.push({ coords });
  }

  const own: FoundPackage[] = [];
  const mine = ownPom(poms, location);
  let primary: string | undefined;
  for (const p of poms) {
    const pkg = toPackage(p.coords, location, p === mine ? sha1(bytes) : undefined, {}, state);
    if (!pkg) continue;
    own.push(pkg);
    if (p === mine) primary = pkg.ref;
  }
  if (!mine) {
    // No pom.properties describes the archive itself (none at all, or only those of classes it
    // bundles, as in shaded jars): its manifest may still name it.
    const manifest = files.get("META-INF/MANIFEST.MF");
    const coords = manifest ? fromManifest(manifest, `${location}!/META-INF/MANIFEST.MF`, state) : undefined;
    const pkg =
      coords && !poms.some((p) => p.coords.artifactId === coords.artifactId)
        ? toPackage(coords, location, sha1(bytes), { "java:fromManifest": "true" }, state)
        : undefined;
    if (pkg) {
      own.push(pkg);
      primary = pkg.ref;
    } else if (!poms.length) {
      state.logger.debug("java archive without Maven metadata or a version", { file: location });
    }
  }

  const bundled: string[] = own.filter((p) => p.ref !== primary).map((p) => p.ref);
  for (const name of [...files.keys()].filter((n) => wanted.get(n) === "nested").sort()) {
    const ref = readArchive(files.get(name)!, `${location}!/${name}`, depth + 1, state);
    if (ref) bundled.push(ref);
  }

  // The archive ships what it bundles, so its own package depends on it.
  for (const p of own) {
    state.packages.push(p.ref === primary && bundled.length ? { ...p, dependsOn: bundled } : p);
  }
  return primary;
}

/**
 * Which pom.properties is the archive's own: the one its file is named after
 * (`<artifactId>-<version>….jar`, or `<artifactId>.jar`); else a lone one, unless the file name
 * carries a version and so names something else (a jar that only bundles a shaded dependency's
 * pom.properties must not take that dependency's identity and digest).
 */
function ownPom<T extends { coords: Coordinates }>(poms: readonly T[], location: string): T | undefined {
  const stem = location.slice(location.lastIndexOf("/") + 1).replace(ARCHIVE, "");
  const named = poms.find(
    ({ coords: { artifactId: a } }) =>
      stem === a || (stem.startsWith(`${a}-`) && /^\d/.test(stem.slice(a.length + 1))),
  );
  if (named) return named;
  return poms.length === 1 && !/-\d/.test(stem) ? poms[0] : undefined;
}

/**
 * Lists the central directory and picks the entries to inflate, enforcing the limits on declared
 * sizes (fflate inflates into a buffer of the declared size, so a lying header cannot overrun it).
 */
function listWanted(
  bytes: Uint8Array,
  location: string,
  depth: number,
  state: State,
): Map<string, EntryKind> | undefined {
  const isEar = /\.ear$/i.test(location);
  // A central directory header is at least 46 bytes: a count beyond that is a forged header, and
  // fflate would otherwise walk it (up to 2^32 iterations for ZIP64).
  const maxEntries = Math.floor(bytes.length / 46) + 1;
  const infos: UnzipFileInfo[] = [];
  try {
    unzipSync(bytes, {
      filter: (info) => {
        if (infos.length >= maxEntries)
          throw new Error(`the central directory lists more entries than ${bytes.length} bytes can hold`);
        infos.push({ ...info });
        return false;
      },
    });
  } catch (e) {
    issue(state, location, `not a readable zip archive: ${zipError(e)}`);
    return undefined;
  }

  const wanted = new Map<string, EntryKind>();
  let tooDeep = false;
  for (const info of infos) {
    const kind = classify(info.name, isEar);
    if (!kind || wanted.has(info.name)) continue;
    const at = `${location}!/${info.name}`;
    if (info.compression !== 0 && info.compression !== 8) {
      issue(state, at, `unsupported compression method ${info.compression}`);
      continue;
    }
    if (kind === "nested" && depth >= state.maxDepth) {
      tooDeep = true;
      continue;
    }
    if (kind !== "nested" && info.originalSize > state.maxMetadataBytes) {
      issue(
        state,
        at,
        `metadata file of ${info.originalSize} bytes is larger than ${state.maxMetadataBytes}`,
      );
      continue;
    }
    if (
      info.compression === 8 &&
      info.originalSize > 1024 * 1024 &&
      info.originalSize > info.size * state.maxRatio
    ) {
      issue(
        state,
        at,
        `compression ratio above ${state.maxRatio}:1 (${info.size} → ${info.originalSize} bytes): possible zip bomb, not inflated`,
      );
      continue;
    }
    if (info.originalSize > state.remaining) {
      if (!state.budgetReported) {
        issue(
          state,
          at,
          "the byte budget for nested archives is used up: this and later entries were not read",
        );
        state.budgetReported = true;
      }
      continue;
    }
    state.remaining -= info.originalSize;
    wanted.set(info.name, kind);
  }
  if (tooDeep)
    issue(state, location, `bundled archives nested deeper than ${state.maxDepth} levels were not read`);
  return wanted;
}

/** Inflates the wanted entries; if one is corrupt, retries one by one so it costs only itself. */
function extract(
  bytes: Uint8Array,
  location: string,
  wanted: ReadonlyMap<string, EntryKind>,
  state: State,
): Map<string, Uint8Array> {
  if (wanted.size === 0) return new Map();
  try {
    return new Map(Object.entries(unzipSync(bytes, { filter: (info) => wanted.has(info.name) })));
  } catch {
    const files = new Map<string, Uint8Array>();
    for (const name of wanted.keys()) {
      try {
        const one = unzipSync(bytes, { filter: (info) => info.name === name })[name];
        if (one) files.set(name, one);
      } catch (e) {
        issue(state, `${location}!/${name}`, `cannot inflate entry: ${zipError(e)}`);
      }
    }
    return files;
  }
}

interface Coordinates {
  readonly groupId: string;
  readonly artifactId: string;
  readonly version: string;
}

function readPom(data: Uint8Array, path: string, state: State): Coordinates | undefined {
  // Properties files are ISO-8859-1 (non-Latin characters are \u-escaped).
  const props = parseProperties(new TextDecoder("latin1").decode(data));
  const missing = (["groupId", "artifactId", "version"] as const).filter((k) => !props.values.get(k));
  if (missing.length) {
    issue(state, path, `pom.properties lacks ${missing.join(", ")}`, { line: 1, column: 1 });
    return undefined;
  }
  return {
    groupId: props.values.get("groupId")!,
    artifactId: props.values.get("artifactId")!,
    version: props.values.get("version")!,
  };
}

/**
 * Coordinates from the manifest when there is no pom.properties. OSGi's `Bundle-SymbolicName` is an
 * identifier, so it is preferred to `Implementation-Title` (often prose); the version comes from
 * the same family first. The group is `Implementation-Vendor-Id` (Maven's archiver writes the
 * groupId there) or, as a Maven purl needs one, the name itself.
 */
function fromManifest(data: Uint8Array, path: string, state: State): Coordinates | undefined {
  const { main, issues } = parseManifest(new TextDecoder().decode(data));
  for (const i of issues) issue(state, path, i.message, { line: i.line, column: 1 });
  const symbolic = main.get("bundle-symbolicname")?.split(";")[0]?.trim();
  const title = main.get("implementation-title")?.trim();
  const name = symbolic || title;
  const version = (
    symbolic
      ? main.get("bundle-version") || main.get("implementation-version")
      : main.get("implementation-version") || main.get("bundle-version")
  )?.trim();
  if (!name || !version) return undefined;
  return { groupId: main.get("implementation-vendor-id")?.trim() || name, artifactId: name, version };
}

function toPackage(
  c: Coordinates,
  location: string,
  sha1Hex: string | undefined,
  properties: Record<string, string>,
  state: State,
): FoundPackage | undefined {
  let purl: string;
  try {
    purl = new PackageURL("maven", c.groupId, c.artifactId, c.version, undefined, undefined).toString();
  } catch (e) {
    issue(
      state,
      location,
      `cannot build a package URL for ${c.groupId}:${c.artifactId}: ${(e as Error).message}`,
    );
    return undefined;
  }
  return {
    ref: `${location}#${c.groupId}:${c.artifactId}:${c.version}`,
    name: `${c.groupId}:${c.artifactId}`,
    version: c.version,
    purl,
    ecosystem: "Maven",
    type: "library",
    // Maven Central identifies artifacts by SHA-1, so this is the one digest we compute ourselves.
    ...(sha1Hex ? { hashes: [{ alg: "SHA-1" as const, content: sha1Hex }] } : {}),
    locations: [{ path: location, ...(state.entry.layer ? { layer: state.entry.layer } : {}) }],
    ...(Object.keys(properties).length ? { properties } : {}),
  };
}

function sha1(bytes: Uint8Array): string {
  return createHash("sha1").update(bytes).digest("hex");
}

function zipError(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function issue(state: State, file: string, message: string, pos?: { line: number; column: number }): void {
  state.issues.push({
    cataloger: NAME,
    message,
    location: { file, ...(pos ?? {}), ...(state.entry.layer ? { layer: state.entry.layer } : {}) },
  });
}

function issueAt(entry: Pick<FileEntry, "path" | "layer">, file: string, message: string): CatalogIssue {
  return { cataloger: NAME, message, location: { file, ...(entry.layer ? { layer: entry.layer } : {}) } };
}
