/**
 * Rebuild from provenance: re-run a recorded `sandboxed-run` in a fresh sandbox from the recorded
 * inputs and compare the products' digests with the provenance's subjects. The source must be the
 * recorded one (its tree digest is checked first); a mismatch in a product is explained down to
 * the first differing entries when the product is an archive (tar, tar.gz/tgz, zip).
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { gunzipSync } from "node:zlib";
import { unzipSync } from "fflate";
import tar from "tar-stream";
import { BulwarkError } from "../core/index.js";
import {
  decodeEnvelope,
  decodeStatement,
  envelopePayload,
  PREDICATE_TYPES,
  type SlsaProvenanceV1,
  type Statement,
} from "../formats/index.js";
import { sourceIdentity } from "./inputs.js";
import { RUN_BUILD_TYPE } from "./provenance.js";
import type { Limits, Mount, NetworkSpec } from "./types.js";

/** The recorded run, as far as a rebuild needs it. */
export interface RecordedRun {
  readonly statement: Statement<SlsaProvenanceV1>;
  readonly command: string[];
  /** A `bulwark build` job: its name and steps (then `command` is empty). */
  readonly job?: {
    name: string;
    steps: { name: string; command: string[]; env: Record<string, string>; secrets: string[] }[];
  };
  readonly products: string[];
  readonly network: NetworkSpec;
  readonly env: Record<string, string>;
  readonly passEnv: string[];
  readonly secrets: string[];
  readonly readOnlyMounts: Mount[];
  readonly backend: string;
  readonly seccompProfile: string;
  readonly limits: Limits;
  readonly sourceDigest: string;
  readonly subjects: { name: string; sha256: string }[];
}

function invalid(message: string): never {
  throw new BulwarkError("INPUT_INVALID", `provenance: ${message}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const strings = (v: unknown, what: string): string[] => {
  if (!Array.isArray(v) || v.some((s) => typeof s !== "string")) invalid(`${what} must be a list of strings`);
  return v as string[];
};

/** Reads provenance from a statement, a DSSE envelope or a Sigstore bundle (signatures are `bulwark verify`'s job). */
export function readRecordedRun(bytes: Uint8Array, file: string): RecordedRun {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    invalid(`${file} is not JSON: ${(e as Error).message}`);
  }
  if (isObject(json) && isObject(json.dsseEnvelope)) json = json.dsseEnvelope;
  let statement: Statement<SlsaProvenanceV1>;
  try {
    statement = (isObject(json) && typeof json.payloadType === "string"
      ? decodeStatement(envelopePayload(decodeEnvelope(json as never, file)), file)
      : decodeStatement(json as never, file)) as unknown as Statement<SlsaProvenanceV1>;
  } catch (e) {
    throw new BulwarkError("INPUT_INVALID", `${file}: ${(e as Error).message}`, { cause: e });
  }
  if (statement.predicateType !== PREDICATE_TYPES.slsaProvenanceV1)
    invalid(`${file} is ${statement.predicateType}, not SLSA Provenance v1`);
  const bd = statement.predicate.buildDefinition;
  if (bd.buildType !== RUN_BUILD_TYPE)
    invalid(`${file} has build type ${bd.buildType}; only ${RUN_BUILD_TYPE} runs can be rebuilt`);
  const ext = bd.externalParameters as Record<string, unknown>;
  const int = (bd.internalParameters ?? {}) as Record<string, unknown>;
  const src = isObject(ext.source) && isObject(ext.source.digest) ? ext.source.digest.sha256 : undefined;
  if (typeof src !== "string") invalid("externalParameters.source.digest.sha256 is missing");
  const net = ext.network;
  const network: NetworkSpec =
    isObject(net) && net.mode === "egress"
      ? { mode: "egress", allow: strings(net.allow, "network.allow") }
      : { mode: "none" };
  const sandbox = isObject(int.sandbox) ? int.sandbox : {};
  const seccomp = isObject(int.seccomp) ? int.seccomp : {};
  if (!isObject(int.limits)) invalid("internalParameters.limits is missing");
  let job: RecordedRun["job"];
  if (Array.isArray(ext.steps)) {
    job = {
      name: typeof ext.job === "string" ? ext.job : "job",
      steps: ext.steps.map((st, i) => {
        if (!isObject(st) || typeof st.name !== "string")
          invalid(`externalParameters.steps[${i}] is malformed`);
        return {
          name: st.name,
          command: strings(st.command, `steps[${i}].command`),
          env: isObject(st.env) ? (st.env as Record<string, string>) : {},
          secrets: st.secrets === undefined ? [] : strings(st.secrets, `steps[${i}].secrets`),
        };
      }),
    };
  }
  return {
    statement,
    command: job ? [] : strings(ext.command, "command"),
    ...(job ? { job } : {}),
    products: strings(ext.products, "products"),
    network,
    env: isObject(ext.env) ? (ext.env as Record<string, string>) : {},
    passEnv: ext.passEnv === undefined ? [] : strings(ext.passEnv, "passEnv"),
    secrets: ext.secrets === undefined ? [] : strings(ext.secrets, "secrets"),
    readOnlyMounts: Array.isArray(ext.readOnlyMounts) ? (ext.readOnlyMounts as Mount[]) : [],
    backend: typeof sandbox.backend === "string" ? sandbox.backend : "bwrap",
    seccompProfile: typeof seccomp.profile === "string" ? seccomp.profile : "bulwark-default",
    limits: int.limits as unknown as Limits,
    sourceDigest: src,
    subjects: statement.subject.map((s) => ({ name: s.name ?? "", sha256: s.digest.sha256 ?? "" })),
  };
}

/** Checks that `dir` is the recorded source; VERIFICATION_FAILED naming both digests otherwise. */
export async function checkSource(run: RecordedRun, dir: string) {
  const identity = await sourceIdentity(dir);
  if (identity.treeDigest !== run.sourceDigest)
    throw new BulwarkError(
      "VERIFICATION_FAILED",
      `the source in ${dir} is not the recorded one: tree sha256:${identity.treeDigest}, provenance sha256:${run.sourceDigest}`,
      { details: { reason: "source-mismatch" } },
    );
  return identity;
}

export interface ProductComparison {
  readonly path: string;
  readonly expected: string;
  readonly actual?: string;
  readonly reproducible: boolean;
  /** For archives: the first entries that differ (added, removed or changed). */
  readonly differences?: readonly string[];
}

export interface RebuildReport {
  readonly reproducible: boolean;
  readonly products: readonly ProductComparison[];
  /** Products the rebuild made that the provenance does not list. */
  readonly extra: readonly string[];
}

/** Compares rebuilt products (in `outDir`) with the recorded subjects. */
export async function compareProducts(
  run: RecordedRun,
  rebuilt: readonly { path: string; sha256: string }[],
  outDir: string,
  originalDir?: string,
): Promise<RebuildReport> {
  const byPath = new Map(rebuilt.map((p) => [p.path, p.sha256]));
  const products: ProductComparison[] = [];
  for (const s of run.subjects) {
    const actual = byPath.get(s.name);
    const same = actual === s.sha256;
    let differences: string[] | undefined;
    if (!same && actual !== undefined && originalDir) {
      const original = tryRead(join(originalDir, s.name));
      if (original && createHash("sha256").update(original).digest("hex") === s.sha256)
        differences = await archiveDifferences(s.name, original, readFileSync(join(outDir, s.name)));
    }
    products.push({
      path: s.name,
      expected: s.sha256,
      ...(actual ? { actual } : {}),
      reproducible: same,
      ...(differences ? { differences } : {}),
    });
  }
  const recorded = new Set(run.subjects.map((s) => s.name));
  const extra = rebuilt.map((p) => p.path).filter((p) => !recorded.has(p));
  return { reproducible: products.every((p) => p.reproducible), products, extra };
}

function tryRead(path: string): Uint8Array | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

type Listing = Map<string, string>;

async function tarListing(data: Uint8Array): Promise<Listing> {
  const out: Listing = new Map();
  const extract = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    extract.on("entry", (header, stream, next) => {
      const h = createHash("sha256");
      stream.on("data", (c: unknown) => h.update(c as Buffer));
      stream.on("end", () => {
        out.set(
          header.name,
          `${header.type} ${header.mode?.toString(8) ?? ""} ${header.mtime?.getTime() ?? ""} ${h.digest("hex")}`,
        );
        next();
      });
      stream.resume();
    });
    extract.on("finish", resolve);
    extract.on("error", reject);
  });
  Readable.from([Buffer.from(data)]).pipe(extract);
  await done;
  return out;
}

function zipListing(data: Uint8Array): Listing {
  const out: Listing = new Map();
  for (const [name, bytes] of Object.entries(unzipSync(data)))
    out.set(name, createHash("sha256").update(bytes).digest("hex"));
  return out;
}

async function listing(name: string, data: Uint8Array): Promise<Listing | undefined> {
  try {
    if (/\.(tgz|tar\.gz)$/.test(name)) return await tarListing(gunzipSync(data));
    if (/\.tar$/.test(name)) return await tarListing(data);
    if (/\.(zip|jar|whl|war)$/.test(name)) return zipListing(data);
  } catch {
    return undefined;
  }
  return undefined;
}

/** The first differing entries of two archives (up to `max`), or undefined for non-archives. */
export async function archiveDifferences(
  name: string,
  a: Uint8Array,
  b: Uint8Array,
  max = 10,
): Promise<string[] | undefined> {
  const [la, lb] = await Promise.all([listing(name, a), listing(name, b)]);
  if (!la || !lb) return undefined;
  const out: string[] = [];
  const names = [...new Set([...la.keys(), ...lb.keys()])].sort();
  for (const n of names) {
    if (out.length >= max) break;
    const x = la.get(n);
    const y = lb.get(n);
    if (x === y) continue;
    out.push(
      x === undefined
        ? `+ ${n} (only in the rebuild)`
        : y === undefined
          ? `- ${n} (only in the original)`
          : `~ ${n} (${x} → ${y})`,
    );
  }
  if (out.length === 0 && Buffer.compare(Buffer.from(a), Buffer.from(b)) !== 0)
    out.push("same entries and contents; the archive encoding differs (order, headers or compression)");
  return out;
}
