/**
 * SLSA Provenance v1 for a sandboxed run: the products as the statement's subjects; the build
 * type `https://bulwark.dev/buildtypes/sandboxed-run/v1` (docs/runner.md defines its parameters);
 * what the user asked for (`externalParameters`: command, source, products, network, explicit
 * environment, secret names), how the runner ran it (`internalParameters`: backend, isolation,
 * seccomp profile, limits, hermeticity), what went in (`resolvedDependencies`: source, lockfiles,
 * toolchain binaries, base rootfs — each by digest), who ran it (`builder.id` and version), when,
 * and the byproducts (the log's digest, the egress log).
 */
import { createHash } from "node:crypto";
import { canonicalize } from "../core/index.js";
import {
  buildSlsaProvenanceV1,
  buildStatement,
  PREDICATE_TYPES,
  type ResourceDescriptor,
  type SlsaProvenanceV1,
  type Statement,
} from "../formats/index.js";
import type { SourceIdentity } from "./inputs.js";
import type { Limits, NetworkSpec, Product, SeccompProfile } from "./types.js";

export const RUN_BUILD_TYPE = "https://bulwark.dev/buildtypes/sandboxed-run/v1";

export interface RecordedStep {
  readonly name: string;
  readonly command: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly secrets: readonly string[];
}

export interface RunRecord {
  /** The single command of `bulwark run` (or the job's steps, below). */
  readonly command: readonly string[];
  /** `bulwark build`: the job's name and steps, run in order, each in a fresh sandbox. */
  readonly job?: { readonly name: string; readonly steps: readonly RecordedStep[] };
  readonly source: SourceIdentity;
  readonly products: readonly string[];
  readonly network: NetworkSpec;
  /** Environment set explicitly (names and values; never secrets). */
  readonly env: Readonly<Record<string, string>>;
  /** Host variables passed through by name (values are not recorded). */
  readonly passEnv: readonly string[];
  readonly secretNames: readonly string[];
  readonly readOnlyMounts: readonly { host: string; sandbox: string }[];
  readonly backend: { readonly name: string; readonly version: number; readonly isolated: boolean };
  readonly seccomp: SeccompProfile;
  readonly limits: Limits;
  readonly dependencies: readonly ResourceDescriptor[];
  readonly builderId: string;
  readonly bulwarkVersion: string;
  readonly invocationId: string;
  /** The job token the steps received (never the token itself). */
  readonly jobToken?: {
    readonly issuer: string;
    readonly audience: string;
    readonly keyId: string;
    readonly expires: string;
  };
  readonly startedOn: Date;
  readonly finishedOn: Date;
  readonly log: Uint8Array;
  /** The egress proxy's log (network: egress), recorded whole. */
  readonly egressLog?: readonly unknown[];
  readonly outputs: readonly Product[];
}

const seconds = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");

/** Hermetic: no network at all, in an isolating sandbox (so every input is one recorded above). */
export function isHermetic(r: Pick<RunRecord, "network" | "backend">): boolean {
  return r.network.mode === "none" && r.backend.isolated;
}

export function sourceDescriptor(source: SourceIdentity): ResourceDescriptor {
  const g = source.git;
  return {
    name: "source",
    ...(g?.remote ? { uri: `git+${g.remote}${g.ref ? `@${g.ref}` : ""}` } : {}),
    digest: { sha256: source.treeDigest, ...(g && !g.dirty ? { gitCommit: g.commit } : {}) },
    ...(g ? { annotations: { gitCommit: g.commit, dirty: g.dirty, ...(g.ref ? { ref: g.ref } : {}) } } : {}),
  };
}

export function buildRunProvenance(r: RunRecord): Statement<SlsaProvenanceV1> {
  const g = r.source.git;
  const predicate = buildSlsaProvenanceV1({
    buildDefinition: {
      buildType: RUN_BUILD_TYPE,
      externalParameters: {
        ...(r.job
          ? {
              job: r.job.name,
              steps: r.job.steps.map((st) => ({
                name: st.name,
                command: [...st.command],
                env: { ...st.env },
                secrets: [...st.secrets],
              })),
            }
          : { command: [...r.command] }),
        source: {
          digest: { sha256: r.source.treeDigest },
          ...(g
            ? {
                commit: g.commit,
                dirty: g.dirty,
                ...(g.ref ? { ref: g.ref } : {}),
                ...(g.remote ? { repository: g.remote } : {}),
              }
            : {}),
        },
        products: [...r.products],
        network:
          r.network.mode === "none" ? { mode: "none" } : { mode: "egress", allow: [...r.network.allow] },
        env: { ...r.env },
        passEnv: [...r.passEnv],
        secrets: [...r.secretNames],
        readOnlyMounts: r.readOnlyMounts.map((m) => ({ ...m })),
      },
      internalParameters: {
        sandbox: { backend: r.backend.name, version: r.backend.version, isolated: r.backend.isolated },
        seccomp: {
          profile: r.seccomp.name,
          digest: `sha256:${createHash("sha256").update(canonicalize(r.seccomp)).digest("hex")}`,
        },
        limits: { ...r.limits },
        hermetic: isHermetic(r),
        ...(r.jobToken ? { jobToken: { ...r.jobToken, id: r.invocationId } } : {}),
      },
      resolvedDependencies: [...r.dependencies],
    },
    runDetails: {
      builder: { id: r.builderId, version: { bulwark: r.bulwarkVersion } },
      metadata: {
        invocationId: r.invocationId,
        startedOn: seconds(r.startedOn),
        finishedOn: seconds(r.finishedOn),
      },
      byproducts: [
        {
          name: "log",
          digest: { sha256: createHash("sha256").update(r.log).digest("hex") },
          mediaType: "text/plain",
        },
        ...(r.egressLog
          ? [
              {
                name: "network-log",
                mediaType: "application/json",
                content: Buffer.from(canonicalize(r.egressLog)).toString("base64"),
              },
            ]
          : []),
      ],
    },
  } as SlsaProvenanceV1);
  return buildStatement({
    subject: r.outputs.map((p) => ({ name: p.path, digest: { sha256: p.sha256 } })),
    predicateType: PREDICATE_TYPES.slsaProvenanceV1,
    predicate,
  });
}
