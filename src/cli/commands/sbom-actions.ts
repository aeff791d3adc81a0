import { BulwarkError, EXIT, type ExitCode } from "../../core/index.js";
import { encodeCycloneDx, encodeSpdx23, encodeSpdx3, type SbomDocument } from "../../formats/index.js";
import { generateSbom, type TargetKind } from "../../sbom/index.js";
import type { Runtime } from "../runtime.js";

import { SBOM_FORMATS } from "./sbom.js";

type SbomFormat = (typeof SBOM_FORMATS)[number];

export interface SbomOptions {
  rootfs?: boolean;
  image?: boolean;
  platform: string;
  catalogers?: string;
  randomSerial?: boolean;
}

export async function sbom(rt: Runtime, target: string, opts: SbomOptions): Promise<ExitCode> {
  // `json` (e.g. a project-wide `format: json`) means the default SBOM JSON.
  const format = (
    rt.settings.format === undefined || rt.settings.format === "json" ? "cyclonedx-json" : rt.settings.format
  ) as SbomFormat;
  if (!(SBOM_FORMATS as readonly string[]).includes(format)) {
    throw new BulwarkError(
      "USAGE",
      `--format must be one of ${SBOM_FORMATS.join(", ")} for sbom, got ${format}`,
    );
  }
  if (opts.rootfs && opts.image)
    throw new BulwarkError("USAGE", "--rootfs and --image are mutually exclusive");
  const kind: TargetKind | undefined = opts.rootfs ? "rootfs" : opts.image ? "image" : undefined;
  const started = performance.now();
  const doc = await generateSbom({
    target,
    ...(kind ? { kind } : {}),
    platform: opts.platform,
    ...(opts.catalogers
      ? {
          only: opts.catalogers
            .split(",")
            .map((s) => s.trim())
            .filter(Boolean),
        }
      : {}),
    toolVersion: rt.version,
    context: { logger: rt.logger, clock: rt.clock },
    ...(opts.randomSerial ? { randomSerial: true } : {}),
  });
  rt.emit(encode(doc, format));
  rt.note(
    `${doc.components.length} components, ${doc.dependencies.length} with dependencies, ${doc.issues.length} issues (${Math.round(performance.now() - started)} ms)`,
  );
  return EXIT.ok;
}

function encode(doc: SbomDocument, format: SbomFormat): string {
  switch (format) {
    case "cyclonedx-json":
    case "cyclonedx-json@1.7":
      return encodeCycloneDx(doc, "1.7");
    case "cyclonedx-json@1.6":
      return encodeCycloneDx(doc, "1.6");
    case "cyclonedx-json@1.5":
      return encodeCycloneDx(doc, "1.5");
    case "spdx-json":
      return encodeSpdx23(doc);
    case "spdx3-json":
      return encodeSpdx3(doc);
    default: {
      const never: never = format;
      throw new Error(`unknown format ${String(never)}`);
    }
  }
}
