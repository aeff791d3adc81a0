import type { Cataloger } from "../../cataloger.js";
import type { CatalogIssue, CatalogResult, FoundPackage } from "../../model.js";
import type { FileEntry } from "../../source.js";
import { readBuildInfo } from "./buildinfo.js";
import { type GoModule, parseModInfo } from "./modinfo.js";
import { basename, errorMessage, issueFactory, locationOf } from "../shared/index.js";
import { DEVEL, finish, GO, golangPurl, isLocalPath } from "./shared.js";

const NAME = "go/binary";

/** Smaller executables are not Go programs: the runtime alone is larger. */
export const MIN_GO_BINARY_BYTES = 100 * 1024;

/**
 * Go executables in root filesystems and images, read from the build information the linker
 * embeds (see `buildinfo.ts`). Packages: the main module (an application; `(devel)` when built
 * from a source tree, marked `go:devel`), every module dependency (after `=>` replacements,
 * as for go.mod), and the toolchain's standard library as `pkg:golang/stdlib@<version>` with the
 * `go` prefix removed (`go1.22.4` → `1.22.4`, the form the Go vulnerability database uses).
 * Build settings become `go:build:<key>` properties of the main module. Files without build info
 * (other executables, stripped or packed Go binaries) give nothing and no issue.
 */
export const goBinaryCataloger: Cataloger = {
  name: NAME,
  version: 1,
  ecosystem: GO,
  targets: ["rootfs", "image"],
  applies: (entry) =>
    isCandidatePath(entry.path) && entry.executable === true && entry.size >= MIN_GO_BINARY_BYTES,
  async catalog(entry, ctx) {
    let data: Uint8Array;
    try {
      data = await ctx.source.read(entry.path);
    } catch (err) {
      return { packages: [], issues: [issueFactory(NAME, entry)(`cannot read: ${errorMessage(err)}`)] };
    }
    return catalogGoBinary(data, entry);
  },
};

/** Directories of text, headers and configuration never hold Go programs. */
const SKIP_DIRS = /^(?:usr\/(?:local\/)?(?:share|include|src)|etc|proc|sys|dev|var\/lib\/(?:dpkg|rpm|apk))\//;
/** Extensions of files that are not Go executables (Go programs rarely have one; `.exe` does). */
const SKIP_EXT =
  /\.(?:a|o|so|dll|dylib|la|pc|py[cdo]?|sh|bash|pl|pm|rb|js|mjs|cjs|ts|json|ya?ml|toml|txt|md|rst|html?|css|xml|conf|cfg|ini|h|hpp|c|cc|cpp|go|java|class|jar|war|png|jpe?g|gif|svg|ico|gz|bz2|xz|zst|zip|tar|tgz|pem|crt|key|mo|po|db|sqlite)$/i;

/** Path-only part of `applies`: it runs first, so sources need not stat files it rejects. */
export function isCandidatePath(path: string): boolean {
  if (SKIP_DIRS.test(path)) return false;
  if (/\.so(?:\.\d+)+$/.test(path)) return false;
  return !SKIP_EXT.test(basename(path));
}

export function catalogGoBinary(data: Uint8Array, entry: FileEntry): CatalogResult {
  const issue = issueFactory(NAME, entry);
  const info = readBuildInfo(data);
  if (info.kind === "none") return { packages: [] };
  if (info.kind === "error") return { packages: [], issues: [issue(`Go build info: ${info.message}`)] };

  const issues: CatalogIssue[] = [];
  const mod = parseModInfo(info.modinfo);
  for (const p of mod.problems.slice(0, 10))
    issues.push(issue(`Go module info line ${p.line}: ${p.message}`));
  const location = locationOf(entry);
  const packages: FoundPackage[] = [];
  const refs = new Set<string>();

  const add = (pkg: Omit<FoundPackage, "locations" | "ecosystem">): void => {
    if (refs.has(pkg.ref)) return;
    refs.add(pkg.ref);
    packages.push(finish({ ...pkg, ecosystem: GO, locations: [location] }));
  };

  const deps: string[] = [];
  for (const dep of mod.deps) {
    const m = effectiveModule(dep);
    const purl = golangPurl(m.path, m.version);
    if (!purl) {
      issues.push(issue(`cannot build a package URL for ${m.path}@${m.version}`));
      continue;
    }
    const ref = `${m.path}@${m.version}`;
    deps.push(ref);
    add({ ref, name: m.path, version: m.version, purl, type: "library", properties: m.properties });
  }

  const stdlib = stdlibVersion(info.goVersion);
  if (stdlib) {
    const purl = golangPurl("stdlib", stdlib);
    if (purl) {
      deps.push("stdlib");
      add({
        ref: "stdlib",
        name: "stdlib",
        version: stdlib,
        purl,
        type: "library",
        properties: { "go:toolchain": info.goVersion },
      });
    }
  } else {
    issues.push(issue(`Go version ${JSON.stringify(info.goVersion)} names no release; no stdlib package`));
  }

  if (mod.main) {
    const m = effectiveModule(mod.main);
    const purl = golangPurl(m.path, m.version);
    if (!purl) issues.push(issue(`cannot build a package URL for the main module ${m.path}@${m.version}`));
    else {
      const properties: Record<string, string> = {
        "go:main": "true",
        "go:toolchain": info.goVersion,
        ...m.properties,
      };
      if (m.version === DEVEL) properties["go:devel"] = "true";
      if (mod.path !== undefined) properties["go:path"] = mod.path;
      for (const [k, v] of mod.settings) properties[`go:build:${k}`] = v;
      packages.unshift(
        finish({
          ref: `main:${m.path}`,
          name: m.path,
          version: m.version,
          purl,
          ecosystem: GO,
          type: "application",
          locations: [location],
          dependsOn: deps,
          properties,
        }),
      );
    }
  }
  return issues.length > 0 ? { packages, issues } : { packages };
}

/** The module used: a module replacement wins; a directory replacement keeps the original, noted. */
function effectiveModule(m: GoModule): { path: string; version: string; properties: Record<string, string> } {
  const properties: Record<string, string> = {};
  const r = m.replace;
  if (r && (isLocalPath(r.path) || r.version === DEVEL)) {
    // The code built in is the directory's: no sum describes it.
    properties["go:replace-path"] = r.path;
    return { path: m.path, version: m.version, properties };
  }
  if (r) {
    properties["go:replaces"] = `${m.path}@${m.version}`;
    if (r.sum) properties["go:h1"] = r.sum;
    return { path: r.path, version: r.version, properties };
  }
  if (m.sum) properties["go:h1"] = m.sum;
  return { path: m.path, version: m.version, properties };
}

/** `go1.22.4` → `1.22.4`, `go1.21rc2` → `1.21rc2`, `go1.20 X:boringcrypto` → `1.20`; `devel …` → none. */
export function stdlibVersion(goVersion: string): string | undefined {
  return /^go(\d+(?:\.\d+){0,2}(?:(?:rc|beta)\d+)?)(?:\s|$)/.exec(goVersion)?.[1];
}
