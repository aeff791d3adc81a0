/** Platform strings (`os/arch[/variant]`) and how index entries are matched against them. */
import { BulwarkError } from "../../core/index.js";
import type { Platform } from "./types.js";

export const DEFAULT_PLATFORM: Platform = { os: "linux", architecture: "amd64" };

const ARCH_ALIASES: Readonly<Record<string, Platform["architecture"]>> = {
  x86_64: "amd64",
  "x86-64": "amd64",
  aarch64: "arm64",
  i386: "386",
  i686: "386",
  armhf: "arm",
  armel: "arm",
};

/** Default variants, as containerd's platform matcher assumes them. */
const DEFAULT_VARIANT: Readonly<Record<string, string>> = { arm64: "v8", arm: "v7" };

/** Parses `os/arch[/variant]` (`linux/arm64/v8`, `linux/amd64`); `USAGE` when malformed. */
export function parsePlatform(s: string): Platform {
  const parts = s.trim().toLowerCase().split("/");
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9._-]+$/.test(p))) {
    throw new BulwarkError(
      "USAGE",
      `platform ${JSON.stringify(s)} is not os/arch[/variant] (e.g. linux/arm64)`,
    );
  }
  return normalizePlatform({
    os: parts[0]!,
    architecture: parts[1]!,
    ...(parts[2] ? { variant: parts[2] } : {}),
  });
}

export function normalizePlatform(p: Platform): Platform {
  const os = p.os.toLowerCase();
  const raw = p.architecture.toLowerCase();
  const architecture = ARCH_ALIASES[raw] ?? raw;
  let variant = p.variant?.toLowerCase();
  if (raw === "armel" && !variant) variant = "v6";
  if (raw === "armhf" && !variant) variant = "v7";
  if (raw === "aarch64" && variant === "8") variant = "v8";
  return { os, architecture, ...(variant ? { variant } : {}) };
}

export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ""}`;
}

/** Whether `candidate` runs as `wanted`. A missing variant is the architecture's default variant. */
export function platformMatches(wanted: Platform, candidate: Platform): boolean {
  const w = normalizePlatform(wanted);
  const c = normalizePlatform(candidate);
  if (w.os !== c.os || w.architecture !== c.architecture) return false;
  if (!w.variant) return true;
  const def = DEFAULT_VARIANT[c.architecture];
  return (c.variant ?? def) === w.variant;
}

/**
 * Among several matches, the one to take: an exact variant match, else the architecture's
 * default variant, else the first listed.
 */
export function bestMatch<T extends { readonly platform?: Platform }>(
  wanted: Platform,
  candidates: readonly T[],
): T | undefined {
  const matches = candidates.filter((c) => c.platform && platformMatches(wanted, c.platform));
  if (matches.length <= 1) return matches[0];
  const def = DEFAULT_VARIANT[normalizePlatform(wanted).architecture];
  return (
    matches.find((m) => normalizePlatform(m.platform!).variant === (wanted.variant ?? def)) ??
    matches.find((m) => !m.platform!.variant) ??
    matches[0]
  );
}
