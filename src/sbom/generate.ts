import { readFile, stat } from "node:fs/promises";
import { basename, resolve } from "node:path";
import { BulwarkError, type Context, createContext } from "../core/index.js";
import {
  decodeSbom,
  detectSbomFormat,
  type SbomDocument,
  SbomDecodeError,
  type SbomIssue,
  type SbomSubject,
} from "../formats/index.js";
import type { CatalogContext, Cataloger } from "./cataloger.js";
import { CATALOGERS } from "./catalogers/index.js";
import { osReleasePaths, readOsRelease } from "./catalogers/os/index.js";
import { contentUuid, type FoundBatch, mergePackages } from "./merge.js";
import type { CatalogIssue, Distro } from "./model.js";
import type { FileEntry, FileSource } from "./source.js";
import { openDirectorySource, openFileSource } from "./source/index.js";

export type TargetKind = "directory" | "rootfs" | "image" | "file";

export interface GenerateOptions {
  /** A directory, a lockfile, a root filesystem directory or an image (layout dir, OCI archive, docker save). */
  readonly target: string;
  /** Force how the target is read; default: detected. */
  readonly kind?: TargetKind;
  /** `os/arch[/variant]` for multi-platform images (default linux/amd64). */
  readonly platform?: string;
  /** Only these catalogers (by name or ecosystem folder, e.g. `javascript`); default: all that apply. */
  readonly only?: readonly string[];
  readonly toolVersion: string;
  readonly context?: Partial<Context>;
  /** A random serial number instead of one derived from the content. */
  readonly randomSerial?: boolean;
}

/** Detects what kind of target a path is. */
export async function detectTarget(target: string): Promise<TargetKind> {
  const st = await stat(target).catch((e: unknown) => {
    throw new BulwarkError("FILE_NOT_FOUND", `SBOM target not found: ${target}`, { cause: e });
  });
  // The image reader (tar, gzip, zstd) is loaded only when the target may be an image.
  if (st.isDirectory() && !(await stat(`${target}/oci-layout`).catch(() => undefined))) return "directory";
  if (st.isFile() && /\.(json|lock|ya?ml|toml|txt|mod|sum|gradle|lockfile|jar|war|ear)$/i.test(target))
    return "file";
  const { detectImageTarget } = await import("./image/index.js");
  if (await detectImageTarget(target)) return "image";
  return st.isDirectory() ? "directory" : "file";
}

/**
 * Catalogues a target into Bulwark's neutral SBOM document: opens the right source, runs every
 * cataloger whose `targets` include the source kind on the files it `applies` to, and merges the
 * results. Cataloger problems become issues in the document (and are logged), never an abort.
 */
export async function generateSbom(options: GenerateOptions): Promise<SbomDocument> {
  const ctx = createContext(options.context);
  const kind = options.kind ?? (await detectTarget(options.target));
  if (kind === "file") {
    const existing = await readExistingSbom(options.target, ctx);
    if (existing) return existing;
  }
  const catalogers = selectCatalogers(kind, options.only);
  const wanted = (entry: FileEntry): boolean =>
    osReleasePaths.includes(entry.path) ||
    catalogers.some((c) => c.applies(entry) || c.reads?.(entry) === true);

  const opened = await openSource(options.target, kind, wanted, ctx, options.platform);
  const { source } = opened;
  const distro = await readDistro(source);
  const catalogContext: CatalogContext = { ...ctx, source, ...(distro ? { distro } : {}) };

  const batches: FoundBatch[] = [];
  const issues: CatalogIssue[] = [...opened.issues];
  for (const entry of source.files()) {
    ctx.signal?.throwIfAborted();
    for (const c of catalogers) {
      if (!c.applies(entry)) continue;
      try {
        const result = await c.catalog(entry, catalogContext);
        if (result.packages.length) batches.push({ cataloger: c.name, packages: result.packages });
        issues.push(...(result.issues ?? []));
      } catch (e) {
        // A cataloger bug must not lose the rest of the SBOM; it is reported like a parse problem.
        issues.push({
          cataloger: c.name,
          message: `cataloger failed: ${(e as Error).message}`,
          location: { file: entry.path, ...(entry.layer ? { layer: entry.layer } : {}) },
        });
      }
    }
  }
  for (const i of issues)
    ctx.logger.warn(i.message, {
      cataloger: i.cataloger,
      file: i.location.file,
      ...(i.location.line ? { line: i.location.line } : {}),
    });

  const { components, dependencies } = mergePackages(batches);
  const subject: SbomSubject = {
    type: kind,
    name: opened.name,
    ...(opened.image ?? {}),
    ...(distro
      ? {
          distro: {
            id: distro.id,
            ...(distro.versionId ? { versionId: distro.versionId } : {}),
            ...(distro.prettyName ? { prettyName: distro.prettyName } : {}),
          },
        }
      : {}),
  };
  const sbomIssues: SbomIssue[] = issues.map((i) => ({
    cataloger: i.cataloger,
    message: i.message,
    ...(i.location.file ? { file: i.location.file } : {}),
    ...(i.location.line ? { line: i.location.line } : {}),
    ...(i.location.column ? { column: i.location.column } : {}),
    ...(i.location.layer ? { layer: i.location.layer } : {}),
  }));
  const used = catalogers.map((c) => ({ name: c.name, version: c.version }));
  const body = { subject, components, dependencies, issues: sbomIssues, catalogers: used };
  return {
    serialNumber: `urn:uuid:${options.randomSerial ? crypto.randomUUID() : contentUuid(body)}`,
    timestamp: ctx.clock
      .now()
      .toISOString()
      .replace(/\.\d{3}Z$/, "Z"),
    tool: { name: "bulwark", version: options.toolVersion },
    catalogers: used,
    subject,
    components,
    dependencies,
    issues: sbomIssues,
  };
}

/**
 * An SBOM given as the target (CycloneDX 1.4–1.7, SPDX 2.2/2.3/3.0.x JSON) is read, not catalogued,
 * so `bulwark sbom in.spdx.json --format cyclonedx-json` converts, and later commands can take
 * other tools' SBOMs. Returns undefined when the file is not an SBOM.
 */
async function readExistingSbom(target: string, ctx: Context): Promise<SbomDocument | undefined> {
  if (!/\.json$/i.test(target)) return undefined;
  const st = await stat(target);
  if (st.size > ctx.limits.maxFileBytes) return undefined;
  const text = await readFile(target, "utf8");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!detectSbomFormat(json)) return undefined;
  let doc: SbomDocument;
  try {
    doc = decodeSbom(text, target);
  } catch (e) {
    if (e instanceof SbomDecodeError) {
      throw new BulwarkError("INPUT_INVALID", e.message, { location: e.location, cause: e });
    }
    throw e;
  }
  return {
    ...doc,
    serialNumber:
      doc.serialNumber ||
      `urn:uuid:${contentUuid({ components: doc.components, dependencies: doc.dependencies })}`,
    timestamp:
      doc.timestamp ||
      ctx.clock
        .now()
        .toISOString()
        .replace(/\.\d{3}Z$/, "Z"),
  };
}

function selectCatalogers(kind: TargetKind, only: readonly string[] | undefined): Cataloger[] {
  const list = CATALOGERS.filter((c) => c.targets.includes(kind));
  if (!only?.length) return list;
  const picked = list.filter((c) => only.some((o) => c.name === o || c.name.startsWith(`${o}/`)));
  if (!picked.length) {
    throw new BulwarkError(
      "USAGE",
      `no cataloger matches ${only.join(", ")} for a ${kind} (known: ${list.map((c) => c.name).join(", ")})`,
    );
  }
  return picked;
}

interface OpenedSource {
  source: FileSource;
  name: string;
  issues: CatalogIssue[];
  image?: Omit<SbomSubject, "type" | "name" | "distro">;
}

async function openSource(
  target: string,
  kind: TargetKind,
  want: (e: FileEntry) => boolean,
  ctx: Context,
  platform?: string,
): Promise<OpenedSource> {
  const common = { limits: ctx.limits, ...(ctx.signal ? { signal: ctx.signal } : {}) };
  switch (kind) {
    case "directory":
    case "rootfs": {
      const source = await openDirectorySource(resolve(target), { kind, want, ...common });
      return { source, name: target, issues: [] };
    }
    case "file": {
      const source = await openFileSource(resolve(target));
      return { source, name: basename(target), issues: [] };
    }
    case "image": {
      const { openImageSource } = await import("./image/index.js");
      const source = await openImageSource(resolve(target), {
        want,
        ...common,
        ...(platform ? { platform } : {}),
      });
      const info = source.image;
      return {
        source,
        name: info.reference ?? target,
        issues: (source.issues ?? []).map((i) => ({
          cataloger: "image",
          message: i.message,
          location: { file: i.path, ...(i.layer ? { layer: i.layer } : {}) },
        })),
        image: {
          digest: info.digest,
          configDigest: info.configDigest,
          os: info.os,
          architecture: info.architecture,
          layers: info.layers.map((l) => ({
            digest: l.digest,
            ...(l.base !== undefined ? { base: l.base } : {}),
          })),
        },
      };
    }
    default: {
      const never: never = kind;
      throw new Error(`unknown target kind ${String(never)}`);
    }
  }
}

async function readDistro(source: FileSource): Promise<Distro | undefined> {
  const listed = new Set(source.files().map((f) => f.path));
  for (const p of osReleasePaths) {
    if (!listed.has(p)) continue;
    const distro = readOsRelease(await source.readText(p));
    if (distro) return distro;
  }
  return undefined;
}
