import { resolve } from "node:path";
import { BulwarkError, EXIT, type ExitCode } from "../../core/index.js";
import {
  defaultKeyStore,
  effectiveRevocations,
  generateKeyPair,
  isKeyAlgorithm,
  isKeyid,
  KEY_ALGORITHMS,
  KEY_PASSWORD_VAR,
  KeyStore,
  parseRfc3339,
  revokedSince,
  type StoredKey,
} from "../../attest/index.js";
import { printable } from "../render/common.js";
import type { Runtime } from "../runtime.js";
import { formatOf } from "../shared.js";
import { KEYS_FORMATS } from "./keys.js";

export interface KeysGenerateOptions {
  type?: string;
  unencrypted?: boolean;
  out?: string;
  expires?: string;
}

export interface KeysRevokeOptions {
  since?: string;
  reason?: string;
}

function storeOf(rt: Runtime): KeyStore {
  return defaultKeyStore(rt.io.env, rt.io.cwd);
}

// ------------------------------------------------------------------------------------------------
// bulwark keys generate

export async function keysGenerate(rt: Runtime, opts: KeysGenerateOptions): Promise<ExitCode> {
  const format = formatOf(rt, KEYS_FORMATS, "keys generate", "table");
  const algorithm = opts.type ?? "ecdsa-p256";
  if (!isKeyAlgorithm(algorithm))
    throw new BulwarkError("USAGE", `--type must be one of ${KEY_ALGORITHMS.join(", ")}, got ${algorithm}`);
  const password = rt.io.env[KEY_PASSWORD_VAR] || undefined;
  if (!opts.unencrypted && password === undefined)
    throw new BulwarkError(
      "USAGE",
      `set ${KEY_PASSWORD_VAR} to encrypt the private key, or pass --unencrypted to write it without a password`,
    );
  if (opts.unencrypted && password !== undefined)
    rt.note(`${KEY_PASSWORD_VAR} is set but --unencrypted was given: the private key is NOT encrypted`);

  const created = rt.clock.now();
  let expires: Date | undefined;
  if (opts.expires !== undefined) {
    const days = /^(\d+)d$/.exec(opts.expires);
    expires = days ? new Date(created.getTime() + Number(days[1]) * 86_400_000) : parseRfc3339(opts.expires);
    if (!expires || expires.getTime() <= created.getTime())
      throw new BulwarkError(
        "USAGE",
        `--expires must be a future RFC 3339 time (with seconds and an offset) or a number of days such as 365d, got ${JSON.stringify(opts.expires)}`,
      );
  }
  const pair = generateKeyPair(opts.unencrypted ? { algorithm, unencrypted: true } : { algorithm, password });
  const store = opts.out ? new KeyStore(resolve(rt.io.cwd, opts.out)) : storeOf(rt);
  const written = store.write(pair, created);
  if (expires) store.setExpiry(pair.publicKey.keyid, expires);

  if (format === "json") {
    rt.emit(
      `${JSON.stringify(
        {
          keyid: pair.publicKey.keyid,
          algorithm,
          encrypted: pair.encrypted,
          created: created.toISOString(),
          ...(expires ? { expires: expires.toISOString() } : {}),
          publicKey: written.publicKeyPath,
          privateKey: written.privateKeyPath,
        },
        null,
        2,
      )}\n`,
    );
  } else {
    rt.emit(
      [
        `keyid      ${pair.publicKey.keyid}`,
        `algorithm  ${algorithm}`,
        `encrypted  ${pair.encrypted ? "yes" : "NO"}`,
        ...(expires ? [`expires    ${expires.toISOString()}`] : []),
        `public     ${written.publicKeyPath}`,
        `private    ${written.privateKeyPath}`,
        "",
      ].join("\n"),
    );
  }
  await logKeyEvent(rt, {
    event: "created",
    keyid: pair.publicKey.keyid,
    algorithm,
    publicKey: pair.publicKey.pem,
    ...(expires ? { expires: expires.toISOString() } : {}),
  });
  rt.note(
    pair.encrypted
      ? `Keep ${KEY_PASSWORD_VAR}: the private key cannot be used without it.`
      : "The private key is not encrypted: protect the file, or regenerate with a password.",
  );
  return EXIT.ok;
}

// ------------------------------------------------------------------------------------------------
// bulwark keys list

export async function keysList(rt: Runtime): Promise<ExitCode> {
  const format = formatOf(rt, KEYS_FORMATS, "keys list", "table");
  const store = storeOf(rt);
  const keys = store.list();
  if (format === "json") {
    rt.emit(`${JSON.stringify(keys.map(listEntry), null, 2)}\n`);
    return EXIT.ok;
  }
  if (keys.length === 0) {
    rt.note(`no keys in ${store.dir} (create one with \`bulwark keys generate\`)`);
    return EXIT.ok;
  }
  const rows = [
    ["KEYID", "ALGORITHM", "CREATED", "PRIVATE", "STATUS"],
    ...keys.map((k) => [
      k.keyid,
      k.algorithm,
      k.created.toISOString(),
      k.privateKeyPath ? "yes" : "no",
      k.revocation
        ? `revoked since ${k.revocation.since}: ${printable(k.revocation.reason)}`
        : k.expires && k.expires.getTime() < rt.clock.now().getTime()
          ? `expired ${k.expires.toISOString()}`
          : k.expires
            ? `active until ${k.expires.toISOString()}`
            : "active",
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  rt.emit(
    rows
      .map((r) =>
        r
          .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!)))
          .join("  ")
          .trimEnd(),
      )
      .join("\n") + "\n",
  );
  return EXIT.ok;
}

function listEntry(k: StoredKey) {
  return {
    keyid: k.keyid,
    algorithm: k.algorithm,
    created: k.created.toISOString(),
    publicKey: k.publicKeyPath,
    privateKey: k.privateKeyPath ?? null,
    revoked: k.revocation
      ? { since: k.revocation.since, reason: k.revocation.reason, revokedAt: k.revocation.revokedAt }
      : null,
    expires: k.expires ? k.expires.toISOString() : null,
  };
}

// ------------------------------------------------------------------------------------------------
// bulwark keys revoke

export async function keysRevoke(rt: Runtime, keyid: string, opts: KeysRevokeOptions): Promise<ExitCode> {
  const format = formatOf(rt, KEYS_FORMATS, "keys revoke", "table");
  const id = keyid.toLowerCase();
  if (!isKeyid(id))
    throw new BulwarkError(
      "USAGE",
      `a key id is 64 hex characters (see \`bulwark keys list\`), got ${JSON.stringify(printable(keyid))}`,
    );
  const reason = opts.reason?.trim() ?? "";
  if (reason === "") throw new BulwarkError("USAGE", "--reason is required: say why the key is revoked");
  const now = rt.clock.now();
  let since = now;
  if (opts.since !== undefined) {
    const parsed = parseRfc3339(opts.since);
    if (!parsed)
      throw new BulwarkError(
        "USAGE",
        `--since must be an RFC 3339 time such as 2025-06-01T00:00:00Z, got ${JSON.stringify(printable(opts.since))}`,
      );
    since = parsed;
  }
  const store = storeOf(rt);
  const earlier = effectiveRevocations(store.revocations()).get(id);
  const entry = store.revoke({ keyid: id, since, reason }, now);
  if (format === "json") rt.emit(`${JSON.stringify(entry, null, 2)}\n`);
  else rt.emit(`revoked ${entry.keyid} since ${entry.since}: ${printable(entry.reason)}\n`);
  if (earlier && revokedSince(earlier) < revokedSince(entry))
    rt.note(`${id} was already revoked since ${earlier.since}; the earlier time stays in force`);
  await logKeyEvent(rt, { event: "revoked", keyid: id, reason, since: entry.since });
  return EXIT.ok;
}

/**
 * Key events go to the transparency log whenever this home has one (ARCHITECTURE §2, invariant 4).
 * The key store's own files are written first; a log that cannot be written fails the command.
 */
async function logKeyEvent(rt: Runtime, spec: Record<string, unknown>): Promise<void> {
  const { logConfigured, recordInLog } = await import("./log-actions.js");
  if (!logConfigured(rt)) return;
  const { encodeEntry, makeEntry } = await import("../../tlog/index.js");
  const bytes = encodeEntry(makeEntry("key-event", spec, rt.clock.now()));
  await recordInLog(rt, [{ file: `key-event:${String(spec.event)}`, bytes }]);
}
