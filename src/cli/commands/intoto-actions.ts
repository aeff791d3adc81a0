import { statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import {
  type Artifacts,
  type InTotoVerification,
  inTotoLinkDirectory,
  parseInTotoPublicKey,
  verifyInTotoLayout,
} from "../../attest/index.js";
import { BulwarkError, EXIT, type ExitCode } from "../../core/index.js";
import { readArg } from "../shared.js";
import type { Runtime } from "../runtime.js";

/** `bulwark verify --layout FILE --layout-key KEY… [--links DIR]`. */
export interface VerifyLayoutOptions {
  layout: string;
  layoutKey: string[];
  /** Where the link files are; default: the layout's directory. */
  links?: string;
}

function artifactsJson(a: Artifacts): Record<string, Record<string, string>> {
  return Object.fromEntries([...a].map(([path, hashes]) => [path, { ...hashes }]));
}

function render(rt: Runtime, layout: string, linkDir: string, r: InTotoVerification): string {
  if ((rt.settings.format ?? "table") === "json")
    return `${JSON.stringify(
      {
        layout,
        links: linkDir,
        verified: true,
        layoutKeyids: r.layoutKeyids,
        expires: r.expires,
        steps: r.steps,
        warnings: r.warnings,
        materials: artifactsJson(r.materials),
        products: artifactsJson(r.products),
      },
      null,
      2,
    )}\n`;
  const lines = [
    `Verified: ${layout} — ${r.steps.length} step${r.steps.length === 1 ? "" : "s"}, signed by layout key${r.layoutKeyids.length === 1 ? "" : "s"} ${r.layoutKeyids.join(", ")}, expires ${r.expires}`,
    ...r.steps.map(
      (s) =>
        `  ${s.name}: ${s.links.length} link${s.links.length === 1 ? "" : "s"} (threshold ${s.threshold}): ${s.links.map((l) => l.file).join(", ")}`,
    ),
  ];
  const last = r.steps.at(-1);
  if (last && r.products.size) {
    lines.push(`  products of ${last.name}:`);
    for (const [path, hashes] of [...r.products].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      lines.push(
        `    ${path} ${Object.entries(hashes)
          .map(([alg, hex]) => `${alg}:${hex}`)
          .join(" ")}`,
      );
  }
  return `${lines.join("\n")}\n`;
}

/**
 * Verifies a supply chain against a legacy in-toto layout, as `in-toto-verify --layout FILE
 * --layout-keys KEY… --link-dir DIR` does (without running inspections: see
 * docs/intoto-layouts.md). Exit 0 verified, 3 verification failed, 4 malformed metadata.
 */
export async function verifyLayoutCommand(rt: Runtime, opts: VerifyLayoutOptions): Promise<ExitCode> {
  if (!opts.layoutKey?.length)
    throw new BulwarkError(
      "USAGE",
      "--layout needs at least one --layout-key (the project owner's public key: securesystemslib JSON or RSA PEM, as in-toto-keygen writes it)",
    );
  const layoutPath = resolve(rt.io.cwd, opts.layout);
  const layout = readArg(rt, opts.layout, "the layout");
  const layoutKeys = opts.layoutKey.map((k) => parseInTotoPublicKey(readArg(rt, k, "the layout key"), k));
  const linkDir = opts.links !== undefined ? resolve(rt.io.cwd, opts.links) : dirname(layoutPath);
  let isDir = false;
  try {
    isDir = statSync(linkDir).isDirectory();
  } catch {
    // reported below
  }
  if (!isDir)
    throw new BulwarkError("FILE_NOT_FOUND", `the link directory ${opts.links ?? linkDir} does not exist`);
  const result = verifyInTotoLayout({
    layout: new Uint8Array(layout),
    layoutFile: opts.layout,
    layoutKeys,
    links: inTotoLinkDirectory(linkDir),
    clock: rt.clock,
  });
  for (const w of result.warnings) rt.logger.warn(w);
  rt.emit(render(rt, opts.layout, opts.links ?? dirname(opts.layout), result));
  return EXIT.ok;
}
