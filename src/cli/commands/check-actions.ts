import { BulwarkError, type ExitCode } from "../../core/index.js";
import { applyWaivers, collectInputs } from "../../iac/index.js";
import {
  loadPolicySet,
  type ObjectDocument,
  PolicyEngine,
  readInputFile,
  readStdin,
} from "../../policy/index.js";
import { RENDER_FORMATS, type RenderFormat, render } from "../render/index.js";
import { exitFor, type Runtime } from "../runtime.js";
import { formatOf } from "../shared.js";

export interface CheckOptions {
  policy?: string[];
  env?: string;
  type?: string;
  params?: string[];
  exclude?: string[];
  platform: string;
}

export async function check(rt: Runtime, paths: string[], opts: CheckOptions): Promise<ExitCode> {
  const format: RenderFormat = formatOf(rt, RENDER_FORMATS, "check", "table");
  const started = performance.now();
  const policies = opts.policy?.length ? opts.policy : (rt.settings.policy ?? ["builtin:default"]);
  const set = await loadPolicySet(policies);
  const objects: ObjectDocument[] = [];
  for (const file of opts.params ?? []) {
    for (const d of await readInputFile(file, { kind: "generic" })) {
      const v = d.value as Record<string, unknown>;
      if (typeof v?.["apiVersion"] !== "string" || typeof v["kind"] !== "string")
        throw new BulwarkError("INPUT_INVALID", "a params object needs apiVersion and kind", {
          location: d.location,
        });
      objects.push({ file, doc: d.doc!, apiVersion: v["apiVersion"], kind: v["kind"], value: v });
    }
  }
  const collected = await collectInputs(paths.length ? paths : ["."], {
    ...(opts.type ? { type: opts.type } : {}),
    platform: opts.platform,
    ...(opts.exclude?.length ? { exclude: opts.exclude } : {}),
    stdin: readStdin,
  });
  if (!collected.documents.length) {
    rt.note(
      `nothing to check: no Dockerfile, Kubernetes manifest, Terraform plan or workflow under ${paths.join(", ") || "."}`,
    );
  }
  const engine = new PolicyEngine(set, { clock: rt.clock, logger: rt.logger });
  const env = opts.env ?? rt.settings.env;
  const report = applyWaivers(
    engine.evaluate(collected.documents, { ...(env !== undefined ? { environment: env } : {}), objects }),
    collected.waivers,
  );
  for (const w of collected.waivers.filter((x) => !x.used))
    rt.logger.warn(
      `${w.file}:${w.line}: bulwark:ignore ${w.policyId} waived nothing (no such finding there)`,
    );
  rt.emit(
    render(format, report, {
      color: rt.color,
      toolVersion: rt.version,
      remediation: true,
      ...(rt.quiet ? { quiet: true } : {}),
    }),
  );
  const byParser = new Map<string, number>();
  for (const f of collected.files) byParser.set(f.parser, (byParser.get(f.parser) ?? 0) + 1);
  rt.note(
    `${collected.files.length} files (${[...byParser].map(([k, n]) => `${n} ${k}`).join(", ") || "none"}), ${collected.documents.length} documents, ${set.rules.length} policies, ${collected.waivers.length} inline waivers (${Math.round(performance.now() - started)} ms)`,
  );
  return exitFor(report.decision);
}
