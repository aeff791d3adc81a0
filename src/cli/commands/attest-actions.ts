import { existsSync } from "node:fs";
import { resolve } from "node:path";
import {
  FileSigner,
  KEY_PASSWORD_VAR,
  loadPublicKey,
  type PublicKeyInfo,
  type SigstoreVerification,
  signKeyBundle,
  verifySigstoreBundle,
} from "../../attest/index.js";
import { BulwarkError, EXIT, type ExitCode, type SourceLocation, sha256Hex } from "../../core/index.js";
import {
  buildStatement,
  encodeStatement,
  IN_TOTO_PAYLOAD_TYPE,
  PREDICATE_TYPES,
  validatePredicate,
} from "../../formats/index.js";
import { loadPolicySet, PolicyEngine, parseInput } from "../../policy/index.js";
import { humanLine } from "../render/common.js";
import { readArg } from "../shared.js";
import { verifyWithKeys } from "./key-bundles.js";
import type { Runtime } from "../runtime.js";

export interface SignOptions {
  key: string;
  log?: boolean;
}

export interface AttestOptions {
  subject: string[];
  type: string;
  predicate: string;
  key: string;
  log?: boolean;
}

/**
 * `--log`: the bundle exactly as written goes to the transparency log (so a later `log append`
 * of the same file de-duplicates), with its tlog-proof beside `-o FILE` as `FILE.tlog-proof`.
 */
async function logBundle(rt: Runtime, text: string): Promise<void> {
  const { recordInLog } = await import("./log-actions.js");
  const output = rt.output ? resolve(rt.io.cwd, rt.output) : undefined;
  await recordInLog(rt, [
    {
      file: output ?? "<stdout>",
      bytes: new TextEncoder().encode(text),
      ...(output ? { proofFile: `${output}.tlog-proof` } : {}),
    },
  ]);
}

const SHORT_TYPES: Readonly<Record<string, string>> = {
  "slsa-provenance": PREDICATE_TYPES.slsaProvenanceV1,
  vsa: PREDICATE_TYPES.slsaVsaV1,
  "test-result": PREDICATE_TYPES.testResultV01,
  vulns: PREDICATE_TYPES.vulnsV02,
  release: PREDICATE_TYPES.releaseV01,
  cyclonedx: PREDICATE_TYPES.cyclonedx,
  spdx: PREDICATE_TYPES.spdx,
  "policy-decision": PREDICATE_TYPES.policyDecisionV1,
};

/** `name@sha256:<64 hex>` names a subject by digest; anything else is a file to hash. */
function subjectOf(rt: Runtime, spec: string): { name: string; digest: { sha256: string } } {
  const m = /^(.+)@sha256:([0-9a-f]{64})$/.exec(spec);
  if (m) return { name: m[1]!, digest: { sha256: m[2]! } };
  if (/@sha256:/.test(spec))
    throw new BulwarkError(
      "USAGE",
      `--subject ${spec}: a digest must be sha256: followed by 64 lowercase hex digits`,
    );
  return { name: spec, digest: { sha256: sha256Hex(readArg(rt, spec, "the subject")) } };
}

export async function attest(rt: Runtime, opts: AttestOptions): Promise<ExitCode> {
  const predicateType = SHORT_TYPES[opts.type] ?? opts.type;
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(predicateType))
    throw new BulwarkError(
      "USAGE",
      `--type must be a predicate type URI or one of ${Object.keys(SHORT_TYPES).join(", ")}, got ${JSON.stringify(opts.type)}`,
    );
  const subjects = opts.subject.map((s) => subjectOf(rt, s));
  let predicate: unknown;
  try {
    predicate = JSON.parse(readArg(rt, opts.predicate, "the predicate").toString("utf8"));
  } catch (e) {
    if (e instanceof BulwarkError) throw e;
    throw new BulwarkError("INPUT_INVALID", `${opts.predicate} is not JSON: ${(e as Error).message}`, {
      location: { file: opts.predicate },
      cause: e,
    });
  }
  try {
    validatePredicate(predicateType, predicate, opts.predicate);
  } catch (e) {
    const loc = (e as { location?: SourceLocation }).location;
    throw new BulwarkError("INPUT_INVALID", `${(e as Error).message}`, {
      ...(loc ? { location: loc } : {}),
      cause: e,
    });
  }
  const statement = buildStatement({
    subject: subjects,
    predicateType,
    predicate,
  });
  const signer = FileSigner.open(resolve(rt.io.cwd, opts.key), rt.io.env[KEY_PASSWORD_VAR]);
  const bundle = await signKeyBundle(signer, {
    kind: "dsse",
    payloadType: IN_TOTO_PAYLOAD_TYPE,
    payload: Buffer.from(encodeStatement(statement)),
  });
  const text = `${JSON.stringify(bundle, null, 2)}\n`;
  rt.emit(text);
  if (opts.log) await logBundle(rt, text);
  rt.note(
    `attested ${predicateType} about ${statement.subject.map((s) => `${s.name}@sha256:${s.digest.sha256}`).join(", ")} with key ${signer.publicKey.keyid}`,
  );
  return EXIT.ok;
}

export interface VerifyOptions {
  bundle: string[];
  key?: string[];
  trustedRoot?: string;
  certificateIdentity?: string;
  certificateIdentityRegexp?: string;
  certificateOidcIssuer?: string;
  type?: string;
  policy?: string[];
  env?: string;
  slsaLevel?: string;
  builderId?: string[];
}

/**
 * The SLSA Build level (SLSA 1.2, Build track) a verified provenance supports, and why not more:
 * L1 — provenance exists and says how the artifact was built (buildType, builder.id, external
 * parameters); L2 — it is signed and the signature verified (a hosted builder's key or keyless
 * identity, checked above); L3 — the builder is one the verifier trusts to be hardened (isolated
 * builds, signing material out of reach of the build steps), named with --builder-id. The level
 * of the builder itself cannot be read from the provenance: trusting it is the verifier's call.
 */
export function slsaLevelOf(
  statement: { predicateType?: string; predicate?: unknown },
  signed: boolean,
  trustedBuilders: readonly string[],
): { level: 0 | 1 | 2 | 3; reasons: string[] } {
  const reasons: string[] = [];
  if (statement.predicateType !== "https://slsa.dev/provenance/v1")
    return {
      level: 0,
      reasons: [`not an SLSA Provenance v1 attestation (${statement.predicateType ?? "no predicate type"})`],
    };
  const p = statement.predicate as {
    buildDefinition?: {
      buildType?: unknown;
      externalParameters?: unknown;
      internalParameters?: { sandbox?: { isolated?: unknown } };
    };
    runDetails?: { builder?: { id?: unknown } };
  };
  const builder = p?.runDetails?.builder?.id;
  if (
    typeof p?.buildDefinition?.buildType !== "string" ||
    typeof builder !== "string" ||
    !p.buildDefinition.externalParameters
  )
    return {
      level: 0,
      reasons: ["provenance lacks buildType, builder.id or externalParameters (needed for L1)"],
    };
  if (!signed) return { level: 1, reasons: ["provenance is not signed (L2 needs a verified signature)"] };
  if (!trustedBuilders.includes(builder)) {
    reasons.push(`builder ${builder} is not among the trusted builders (--builder-id) needed for L3`);
    return { level: 2, reasons };
  }
  // A builder's own record that it did not isolate this build (Bulwark's `--sandbox none`) rules out L3.
  if (p.buildDefinition.internalParameters?.sandbox?.isolated === false) {
    reasons.push("the provenance says the build was not isolated (sandbox none): L3 needs isolated builds");
    return { level: 2, reasons };
  }
  return { level: 3, reasons };
}

export async function sign(rt: Runtime, file: string, opts: SignOptions): Promise<ExitCode> {
  const artifact = readArg(rt, file, "the artifact");
  const signer = FileSigner.open(resolve(rt.io.cwd, opts.key), rt.io.env[KEY_PASSWORD_VAR]);
  const bundle = await signKeyBundle(signer, { kind: "message-signature", artifact });
  const text = `${JSON.stringify(bundle, null, 2)}\n`;
  rt.emit(text);
  if (opts.log) await logBundle(rt, text);
  rt.note(`signed ${file} (sha256:${sha256Hex(artifact)}) with key ${signer.publicKey.keyid}`);
  return EXIT.ok;
}

export async function verify(rt: Runtime, artifactPath: string, opts: VerifyOptions): Promise<ExitCode> {
  const keyless = Boolean(
    opts.certificateIdentity || opts.certificateIdentityRegexp || opts.certificateOidcIssuer,
  );
  if (keyless && opts.key?.length)
    throw new BulwarkError(
      "USAGE",
      "give either --key (key-based bundles) or certificate identity flags (keyless), not both",
    );
  if (!keyless && !opts.key?.length)
    throw new BulwarkError(
      "USAGE",
      "nothing to trust: give --key PUB for key-based bundles, or --trusted-root with --certificate-identity[-regexp] and --certificate-oidc-issuer for keyless ones",
    );
  if (
    keyless &&
    (!opts.trustedRoot ||
      !opts.certificateOidcIssuer ||
      !(opts.certificateIdentity || opts.certificateIdentityRegexp))
  )
    throw new BulwarkError(
      "USAGE",
      "keyless verification needs --trusted-root, --certificate-oidc-issuer and --certificate-identity or --certificate-identity-regexp",
    );
  // The artifact: a file, or only its digest (`sha256:<hex>` / `name@sha256:<hex>`) for attestations.
  const byDigest = /^(?:.+@)?sha256:([0-9a-f]{64})$/.exec(artifactPath);
  const artifact =
    byDigest && !existsSync(resolve(rt.io.cwd, artifactPath))
      ? undefined
      : readArg(rt, artifactPath, "the artifact");
  const artifactDigest: string = artifact ? sha256Hex(artifact) : byDigest![1]!;
  const trustedRoot = opts.trustedRoot
    ? readArg(rt, opts.trustedRoot, "the trusted root").toString("utf8")
    : undefined;
  const keys: PublicKeyInfo[] = (opts.key ?? []).map((k) =>
    loadPublicKey(readArg(rt, k, "the public key").toString("utf8")),
  );
  const at = rt.clock.now();
  const engine = opts.policy?.length
    ? new PolicyEngine(
        await loadPolicySet(opts.policy.map((p) => (p.startsWith("builtin:") ? p : resolve(rt.io.cwd, p)))),
        { clock: rt.clock, logger: rt.logger },
      )
    : undefined;
  const results: { bundle: string; verification: SigstoreVerification; predicateType?: string }[] = [];
  let denied = false;
  const slsaLevels = new Map<string, number>();
  for (const path of opts.bundle) {
    const bundle = readArg(rt, path, "the bundle");
    if (!artifact && /"messageSignature"\s*:/.test(bundle.toString("utf8")))
      throw new BulwarkError(
        "USAGE",
        `${path} is a plain signature: verify it against the artifact file, not a digest`,
      );
    let verification: SigstoreVerification;
    if (keyless) {
      verification = verifySigstoreBundle({
        bundle,
        ...(artifact ? { artifact } : {}),
        trustedRoot: trustedRoot!,
        identity: {
          ...(opts.certificateIdentity ? { subject: opts.certificateIdentity } : {}),
          ...(opts.certificateIdentityRegexp ? { subjectRegExp: opts.certificateIdentityRegexp } : {}),
          issuer: opts.certificateOidcIssuer!,
        },
        at,
      });
    } else {
      verification = verifyWithKeys(rt, {
        path,
        bundle,
        keys,
        ...(artifact ? { artifact } : {}),
        ...(trustedRoot ? { trustedRoot } : {}),
      });
    }
    let predicateType: string | undefined;
    let statement: unknown;
    if (!artifact && verification.kind !== "dsse")
      throw new BulwarkError(
        "USAGE",
        `${path} is a plain signature: verify it against the artifact file, not a digest`,
      );
    if (verification.kind === "dsse" && verification.payload) {
      if (verification.payloadType === "application/vnd.in-toto+json") {
        statement = JSON.parse(Buffer.from(verification.payload).toString("utf8"));
        predicateType = (statement as { predicateType?: string }).predicateType;
      }
    }
    if (!artifact) {
      // Digest mode: the statement must name the digest (with a file, the bundle check did this).
      const subjects =
        (statement as { subject?: { digest?: Record<string, string> }[] } | undefined)?.subject ?? [];
      if (!subjects.some((s) => s.digest?.sha256?.toLowerCase() === artifactDigest))
        throw new BulwarkError(
          "VERIFICATION_FAILED",
          `${path}: sha256:${artifactDigest} is not a subject of the attestation`,
        );
    }
    if (opts.type && predicateType !== opts.type)
      throw new BulwarkError(
        "VERIFICATION_FAILED",
        `${path}: predicate type ${predicateType ? JSON.stringify(predicateType) : "(none: not an attestation)"} is not the required ${opts.type}`,
      );
    if (opts.slsaLevel !== undefined) {
      const want = Number(opts.slsaLevel);
      if (![1, 2, 3].includes(want))
        throw new BulwarkError("USAGE", `--slsa-level must be 1, 2 or 3, got ${opts.slsaLevel}`);
      if (!opts.builderId?.length)
        throw new BulwarkError(
          "USAGE",
          "--slsa-level needs --builder-id: the builders you trust for this artifact",
        );
      if (statement === undefined)
        throw new BulwarkError(
          "VERIFICATION_FAILED",
          `${path}: --slsa-level needs an SLSA provenance attestation, the bundle holds a plain signature`,
        );
      const builder = (statement as { predicate?: { runDetails?: { builder?: { id?: string } } } }).predicate
        ?.runDetails?.builder?.id;
      if (
        predicateType === "https://slsa.dev/provenance/v1" &&
        (!builder || !opts.builderId.includes(builder))
      )
        throw new BulwarkError(
          "VERIFICATION_FAILED",
          `${path}: built by ${builder ?? "an unnamed builder"}, not by a trusted builder (${opts.builderId.join(", ")})`,
        );
      const got = slsaLevelOf(
        statement as { predicateType?: string; predicate?: unknown },
        true,
        opts.builderId,
      );
      if (got.level < want)
        throw new BulwarkError(
          "VERIFICATION_FAILED",
          `${path}: the provenance supports SLSA Build L${got.level}, L${want} is required (${got.reasons.join("; ")})`,
        );
      slsaLevels.set(path, got.level);
    }
    if (engine) {
      if (statement === undefined)
        throw new BulwarkError(
          "VERIFICATION_FAILED",
          `${path}: --policy needs an in-toto attestation, the bundle holds a plain signature`,
        );
      const env = opts.env ?? rt.settings.env;
      const report = engine.evaluate(parseInput(JSON.stringify(statement), path, { kind: "attestation" }), {
        ...(env !== undefined ? { environment: env } : {}),
        subject: { name: artifactPath, digest: { sha256: artifactDigest } },
      });
      for (const r of report.results) for (const v of r.violations) rt.io.stderr(`${humanLine(r, v)}\n`);
      if (report.decision === "deny") denied = true;
    }
    results.push({ bundle: path, verification, ...(predicateType ? { predicateType } : {}) });
  }
  const format = rt.settings.format ?? "table";
  if (format === "json") {
    rt.emit(
      `${JSON.stringify(
        {
          artifact: { name: artifactPath, digest: { sha256: artifactDigest } },
          verified: results.map((r) => ({
            bundle: r.bundle,
            kind: r.verification.kind,
            signer: r.verification.signer,
            ...(r.predicateType ? { predicateType: r.predicateType } : {}),
            ...(slsaLevels.has(r.bundle) ? { slsaBuildLevel: slsaLevels.get(r.bundle) } : {}),
            tlogEntries: r.verification.tlogEntries.length,
          })),
          decision: denied ? "deny" : "allow",
        },
        null,
        2,
      )}\n`,
    );
  } else {
    for (const r of results) {
      const s = r.verification.signer;
      const who = s.identity ? `${s.identity} (issuer ${s.issuer})` : `key ${s.keyid}`;
      rt.emit(
        `Verified: ${r.bundle} — ${r.verification.kind}${r.predicateType ? ` ${r.predicateType}` : ""}${slsaLevels.has(r.bundle) ? ` (SLSA Build L${slsaLevels.get(r.bundle)})` : ""} over ${artifactPath} (sha256:${artifactDigest}), signed by ${who}${r.verification.tlogEntries.length ? `, ${r.verification.tlogEntries.length} log entr${r.verification.tlogEntries.length === 1 ? "y" : "ies"}` : ""}\n`,
      );
    }
  }
  return denied ? EXIT.denied : EXIT.ok;
}
