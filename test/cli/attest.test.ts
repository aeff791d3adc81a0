// bulwark keys / sign / attest / verify end to end through the CLI (in-process), key-based and
// keyless (a real sigstore-conformance bundle verified offline against its trusted root).
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli } from "../support/cli.js";
import { requireShared } from "../support/shared.js";

const shared = requireShared();
const home = mkdtempSync(join(tmpdir(), "bulwark-attest-"));
const env = { BULWARK_HOME: join(home, ".bulwark"), BULWARK_KEY_PASSWORD: "correct horse" };
const run = (args: string[]) => cli(args, { cwd: home, env });
let key = "";
let pub = "";

beforeAll(async () => {
  const g = await run(["keys", "generate"]);
  expect(g.code).toBe(0);
  const files = readdirSync(join(home, ".bulwark/keys"));
  key = join(
    home,
    ".bulwark/keys",
    files.find((f) => f.endsWith(".key.pem"))!,
  );
  pub = join(
    home,
    ".bulwark/keys",
    files.find((f) => f.endsWith(".pub.pem"))!,
  );
  writeFileSync(join(home, "app.txt"), "the artifact\n");
  writeFileSync(join(home, "other.txt"), "another artifact\n");
  writeFileSync(
    join(home, "prov.json"),
    JSON.stringify({
      buildDefinition: {
        buildType: "https://bulwark.dev/build/v1",
        externalParameters: { workflow: { ref: "refs/heads/main" } },
      },
      runDetails: { builder: { id: "https://bulwark.dev/runner/bwrap@v1" } },
    }),
  );
  writeFileSync(
    join(home, "main-only.yaml"),
    "apiVersion: bulwark.dev/v1\nkind: Policy\nmetadata: {id: PROV-001, title: Builds come from main}\nspec:\n  kinds: [attestation]\n  validations:\n    - expression: \"resource.predicate.buildDefinition.externalParameters.workflow.ref == 'refs/heads/main'\"\n      message: not built from main\n",
  );
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

/** A fresh key store under `home/<name>`: `run` uses it, `key`/`pub` are its new key's files. */
async function keyHome(name: string) {
  const e = { ...env, BULWARK_HOME: join(home, name, ".bulwark") };
  const run = (args: string[]) => cli(args, { cwd: home, env: e });
  const g = await run(["keys", "generate", "--format", "json"]);
  expect(g.code, g.stderr).toBe(0);
  const { privateKey, publicKey } = JSON.parse(g.stdout) as { privateKey: string; publicKey: string };
  return { run, env: e, key: privateKey, pub: publicKey };
}

describe("sign and verify (key-based Sigstore bundles)", () => {
  it("a signature verifies for its artifact and key, and for nothing else", async () => {
    expect((await run(["sign", "app.txt", "--key", key, "-o", "app.sigstore.json"])).code).toBe(0);
    const ok = await run(["verify", "app.txt", "--bundle", "app.sigstore.json", "--key", pub]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^Verified: app\.sigstore\.json — message-signature over app\.txt/);
    const tampered = await run(["verify", "other.txt", "--bundle", "app.sigstore.json", "--key", pub]);
    expect(tampered.code).toBe(3);
    expect(tampered.stderr).toMatch(/digest does not match.*\[VERIFICATION_FAILED\]/);
    const other = await cli(["keys", "generate"], {
      cwd: home,
      env: { ...env, BULWARK_HOME: join(home, "other-home") },
    });
    expect(other.code).toBe(0);
    const otherPub = join(
      home,
      "other-home/keys",
      readdirSync(join(home, "other-home/keys")).find((f) => f.endsWith(".pub.pem"))!,
    );
    const untrusted = await run(["verify", "app.txt", "--bundle", "app.sigstore.json", "--key", otherPub]);
    expect(untrusted.code).toBe(3);
  });

  it("usage errors: nothing to trust, or keyless flags without an issuer", async () => {
    expect((await run(["verify", "app.txt", "--bundle", "app.sigstore.json"])).code).toBe(2);
    expect(
      (await run(["verify", "app.txt", "--bundle", "app.sigstore.json", "--certificate-identity", "x"])).code,
    ).toBe(2);
    expect((await run(["verify", "app.txt", "--bundle", "missing.json", "--key", pub])).code).toBe(2);
    writeFileSync(join(home, "junk.json"), "{not json");
    expect((await run(["verify", "app.txt", "--bundle", "junk.json", "--key", pub])).code).toBe(4);
  });
});

describe("attest and verify with policies", () => {
  it("an SLSA provenance attestation verifies, its type is required, and CEL policies judge its contents", async () => {
    const a = await run([
      "attest",
      "--subject",
      "app.txt",
      "--type",
      "slsa-provenance",
      "--predicate",
      "prov.json",
      "--key",
      key,
      "-o",
      "prov.sigstore.json",
    ]);
    expect(a.code, a.stderr).toBe(0);
    const ok = await run([
      "verify",
      "app.txt",
      "--bundle",
      "prov.sigstore.json",
      "--key",
      pub,
      "--type",
      "https://slsa.dev/provenance/v1",
      "--policy",
      "main-only.yaml",
      "--format",
      "json",
    ]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({
      verified: [{ kind: "dsse", predicateType: "https://slsa.dev/provenance/v1" }],
      decision: "allow",
    });
    const wrongType = await run([
      "verify",
      "app.txt",
      "--bundle",
      "prov.sigstore.json",
      "--key",
      pub,
      "--type",
      "https://slsa.dev/verification_summary/v1",
    ]);
    expect(wrongType.code).toBe(3);
    const wrongSubject = await run(["verify", "other.txt", "--bundle", "prov.sigstore.json", "--key", pub]);
    expect(wrongSubject.code).toBe(3);
    expect(wrongSubject.stderr).toContain("matches no subject");

    writeFileSync(
      join(home, "dev.json"),
      JSON.stringify({
        buildDefinition: {
          buildType: "https://bulwark.dev/build/v1",
          externalParameters: { workflow: { ref: "refs/heads/dev" } },
        },
        runDetails: { builder: { id: "https://bulwark.dev/runner/bwrap@v1" } },
      }),
    );
    expect(
      (
        await run([
          "attest",
          "--subject",
          "app.txt",
          "--type",
          "slsa-provenance",
          "--predicate",
          "dev.json",
          "--key",
          key,
          "-o",
          "dev.sigstore.json",
        ])
      ).code,
    ).toBe(0);
    const denied = await run([
      "verify",
      "app.txt",
      "--bundle",
      "dev.sigstore.json",
      "--key",
      pub,
      "--policy",
      "main-only.yaml",
    ]);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain(
      "violates Security Policy PROV-001 (Builds come from main): not built from main",
    );
  });

  it("rejects an invalid predicate and a bad subject digest before signing", async () => {
    writeFileSync(join(home, "bad.json"), JSON.stringify({ runDetails: {} }));
    expect(
      (
        await run([
          "attest",
          "--subject",
          "app.txt",
          "--type",
          "slsa-provenance",
          "--predicate",
          "bad.json",
          "--key",
          key,
        ])
      ).code,
    ).toBe(4);
    expect(
      (
        await run([
          "attest",
          "--subject",
          "x@sha256:abc",
          "--type",
          "vulns",
          "--predicate",
          "prov.json",
          "--key",
          key,
        ])
      ).code,
    ).toBe(2);
    expect(
      (
        await run([
          "attest",
          "--subject",
          "app.txt",
          "--type",
          "not a type",
          "--predicate",
          "prov.json",
          "--key",
          key,
        ])
      ).code,
    ).toBe(2);
  });

  it("a revoked key's bundles no longer verify (no trusted signing time: any revocation applies)", async () => {
    const keyid = pub.split("/").pop()!.replace(".pub.pem", "");
    expect((await run(["keys", "revoke", keyid, "--reason", "laptop stolen"])).code).toBe(0);
    const r = await run(["verify", "app.txt", "--bundle", "app.sigstore.json", "--key", pub]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/is revoked since .*laptop stolen/);
  });
});

describe.skipIf(!shared)("keyless: a real Sigstore bundle, offline", () => {
  const dir = join(shared ?? "", "test-vectors/sigstore");
  const identity =
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
  const issuer = "https://token.actions.githubusercontent.com";
  const args = (bundle: string, extra: string[]) => [
    "verify",
    join(dir, "conformance/a.txt"),
    "--bundle",
    join(dir, "conformance", bundle, "bundle.sigstore.json"),
    "--trusted-root",
    join(dir, "trusted_root.production.json"),
    "--certificate-oidc-issuer",
    issuer,
    ...extra,
  ];

  it("verifies with the right identity and issuer, and fails with another", async () => {
    const ok = await run(args("happy-path-intoto-in-dsse-v3", ["--certificate-identity", identity]));
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`signed by ${identity} (issuer ${issuer})`);
    const re = await run(
      args("happy-path-v0.1", [
        "--certificate-identity-regexp",
        "^https://github\\.com/sigstore-conformance/.*@refs/heads/main$",
      ]),
    );
    expect(re.code, re.stderr).toBe(0);
    const wrong = await run(
      args("happy-path-v0.1", [
        "--certificate-identity",
        "https://github.com/someone/else/.github/workflows/x.yml@refs/heads/main",
      ]),
    );
    expect(wrong.code).toBe(3);
  });
});

describe("signed policy bundles", () => {
  const policies = join(process.cwd(), "examples/shop/policies");
  const fixed = join(process.cwd(), "examples/shop/k8s-fixed");

  it("build → sign → verify → evaluate with the signed set only; tampering and wrong keys fail", async () => {
    const { run: r, key: k, pub: p } = await keyHome("pb");
    expect((await r(["policy", "bundle", "build", policies, "-o", "shop.bundle.json"])).code).toBe(0);
    expect(
      (await r(["policy", "bundle", "sign", "shop.bundle.json", "--key", k, "-o", "shop.signed.json"])).code,
    ).toBe(0);
    const v = await r(["policy", "bundle", "verify", "shop.signed.json", "--key", p]);
    expect(v.code).toBe(0);
    expect(JSON.parse(v.stdout).mediaType).toBe("application/vnd.bulwark.policy-bundle.v1+json");
    const ev = await r([
      "policy",
      "eval",
      "--policy-bundle",
      "shop.signed.json",
      "--bundle-key",
      p,
      "--input",
      fixed,
      "--env",
      "production",
    ]);
    expect(ev.code, ev.stderr).toBe(0);
    // Another key does not vouch for it; no key at all is a usage error.
    expect(
      (
        await r([
          "policy",
          "eval",
          "--policy-bundle",
          "shop.signed.json",
          "--bundle-key",
          pub,
          "--input",
          fixed,
        ])
      ).code,
    ).toBe(3);
    expect((await r(["policy", "eval", "--policy-bundle", "shop.signed.json", "--input", fixed])).code).toBe(
      2,
    );
    // A tampered signature.
    const { readFileSync } = await import("node:fs");
    const signed = JSON.parse(readFileSync(join(home, "shop.signed.json"), "utf8"));
    const sig = Buffer.from(signed.dsseEnvelope.signatures[0].sig, "base64");
    sig[sig.length - 2] = sig[sig.length - 2]! ^ 1;
    signed.dsseEnvelope.signatures[0].sig = sig.toString("base64");
    writeFileSync(join(home, "shop.tampered.json"), JSON.stringify(signed));
    const t = await r(["policy", "bundle", "verify", "shop.tampered.json", "--key", p]);
    expect(t.code).toBe(3);
    expect(t.stderr).toContain("[VERIFICATION_FAILED]");
  });

  it("an unsigned bundle edited after it was built is caught by its own hashes", async () => {
    const { readPolicyBundle } = await import("../../src/policy/index.js");
    const { readFileSync } = await import("node:fs");
    const bundle = JSON.parse(readFileSync(join(home, "shop.bundle.json"), "utf8"));
    expect(readPolicyBundle(JSON.stringify(bundle), "b.json").files.length).toBe(bundle.files.length);
    bundle.files[0].content += "\n# edited\n";
    expect(() => readPolicyBundle(JSON.stringify(bundle), "b.json")).toThrow(/does not match its sha256/);
    expect(() => readPolicyBundle("{}", "b.json")).toThrow(/not a Bulwark policy bundle/);
  });
});

describe("SLSA Build levels (--slsa-level, --builder-id)", () => {
  it("derives the level a verified provenance supports and requires it", async () => {
    const builder = "https://bulwark.dev/runner/bwrap@v1";
    const base = ["verify", "app.txt", "--bundle", "prov.sigstore.json", "--key", pub, "--format", "json"];
    // A fresh key: the first one is revoked by an earlier test.
    const { run: r, key: k, pub: p } = await keyHome("slsa");
    expect(
      (
        await r([
          "attest",
          "--subject",
          "app.txt",
          "--type",
          "slsa-provenance",
          "--predicate",
          "prov.json",
          "--key",
          k,
          "-o",
          "slsa.sigstore.json",
        ])
      ).code,
    ).toBe(0);
    const args = base.map((a) => (a === "prov.sigstore.json" ? "slsa.sigstore.json" : a === pub ? p : a));
    const l3 = await r([...args, "--slsa-level", "3", "--builder-id", builder]);
    expect(l3.code, l3.stderr).toBe(0);
    expect(JSON.parse(l3.stdout).verified[0].slsaBuildLevel).toBe(3);
    const untrusted = await r([
      ...args,
      "--slsa-level",
      "2",
      "--builder-id",
      "https://other.example/builder",
    ]);
    expect(untrusted.code).toBe(3);
    expect(untrusted.stderr).toContain("not by a trusted builder");
    expect((await r([...args, "--slsa-level", "4", "--builder-id", builder])).code).toBe(2);
    expect((await r([...args, "--slsa-level", "2"])).code).toBe(2);
    expect(
      (
        await r([
          "verify",
          "app.txt",
          "--bundle",
          "app.sigstore.json",
          "--key",
          p,
          "--slsa-level",
          "1",
          "--builder-id",
          builder,
        ])
      ).code,
    ).toBe(3);
  });

  it("level logic: L0 without the required fields, L1 unsigned, L2 signed, L3 only for trusted builders", async () => {
    const { slsaLevelOf } = await import("../../src/cli/commands/attest-actions.js");
    const prov = {
      predicateType: "https://slsa.dev/provenance/v1",
      predicate: {
        buildDefinition: { buildType: "t", externalParameters: {} },
        runDetails: { builder: { id: "b" } },
      },
    };
    expect(
      slsaLevelOf({ predicateType: "https://slsa.dev/provenance/v1", predicate: {} }, true, ["b"]).level,
    ).toBe(0);
    expect(slsaLevelOf(prov, false, ["b"]).level).toBe(1);
    expect(slsaLevelOf(prov, true, []).level).toBe(2);
    expect(slsaLevelOf(prov, true, ["b"]).level).toBe(3);
    expect(
      slsaLevelOf({ ...prov, predicateType: "https://slsa.dev/verification_summary/v1" }, true, ["b"]).level,
    ).toBe(0);
    // A trusted builder that records an unisolated build (bulwark run --sandbox none) stays at L2.
    const unisolated = {
      ...prov,
      predicate: {
        ...prov.predicate,
        buildDefinition: {
          ...prov.predicate.buildDefinition,
          internalParameters: { sandbox: { isolated: false } },
        },
      },
    };
    const capped = slsaLevelOf(unisolated, true, ["b"]);
    expect(capped.level).toBe(2);
    expect(capped.reasons.join(" ")).toContain("not isolated");
  });
});

describe("key expiry (--expires)", () => {
  it("a key is not valid after its expiry: bundles it signed stop verifying then", async () => {
    const h = join(home, "exp");
    // The CLI clock is SOURCE_DATE_EPOCH (1795000000 = 2026-11-18T…); the key lives 10 days.
    const e = { ...env, BULWARK_HOME: join(h, ".bulwark") };
    const at = (days: number) => ({ ...e, SOURCE_DATE_EPOCH: String(1795000000 + days * 86400) });
    const g = await cli(["keys", "generate", "--expires", "10d", "--format", "json"], { cwd: home, env: e });
    expect(g.code, g.stderr).toBe(0);
    const { keyid, expires, publicKey, privateKey } = JSON.parse(g.stdout);
    expect(expires).toBe(new Date((1795000000 + 10 * 86400) * 1000).toISOString());
    expect(
      (await cli(["sign", "app.txt", "--key", privateKey, "-o", "exp.sigstore.json"], { cwd: home, env: e }))
        .code,
    ).toBe(0);
    const before = await cli(["verify", "app.txt", "--bundle", "exp.sigstore.json", "--key", publicKey], {
      cwd: home,
      env: at(9),
    });
    expect(before.code, before.stderr).toBe(0);
    const after = await cli(["verify", "app.txt", "--bundle", "exp.sigstore.json", "--key", publicKey], {
      cwd: home,
      env: at(11),
    });
    expect(after.code).toBe(3);
    expect(after.stderr).toContain(`key ${keyid} expired ${expires}`);
    const list = await cli(["keys", "list", "--format", "json"], { cwd: home, env: at(11) });
    expect(JSON.stringify(JSON.parse(list.stdout))).toContain(expires);
    expect(
      (await cli(["keys", "generate", "--expires", "2020-01-01T00:00:00Z"], { cwd: home, env: e })).code,
    ).toBe(2);
    expect((await cli(["keys", "generate", "--expires", "soon"], { cwd: home, env: e })).code).toBe(2);
  });

  it("TrustedKeys rejects signatures dated after a key's expiry (expired-key)", async () => {
    const { generateKeyPair, TrustedKeys } = await import("../../src/attest/index.js");
    const { createPrivateKey, sign } = await import("node:crypto");
    const pair = generateKeyPair({ unencrypted: true });
    const data = Buffer.from("payload");
    const sig = sign("sha256", data, createPrivateKey(pair.privateKeyPem));
    const expiry = new Date("2026-12-01T00:00:00Z");
    const trusted = new TrustedKeys([pair.publicKey], [], new Map([[pair.publicKey.keyid, expiry]]));
    expect(trusted.verify(data, sig, pair.publicKey.keyid, new Date("2026-11-30T00:00:00Z")).keyid).toBe(
      pair.publicKey.keyid,
    );
    expect(() => trusted.verify(data, sig, pair.publicKey.keyid, new Date("2026-12-02T00:00:00Z"))).toThrow(
      /expired key .* not valid after 2026-12-01T00:00:00.000Z/,
    );
  });
});

describe("verify by digest", () => {
  it("an attestation verifies against the artifact's digest alone; a plain signature needs the file", async () => {
    const { run: r, key: privateKey, pub: publicKey } = await keyHome("dig");
    const { createHash } = await import("node:crypto");
    const { readFileSync } = await import("node:fs");
    const digest = createHash("sha256")
      .update(readFileSync(join(home, "app.txt")))
      .digest("hex");
    expect(
      (
        await r([
          "attest",
          "--subject",
          "app.txt",
          "--type",
          "slsa-provenance",
          "--predicate",
          "prov.json",
          "--key",
          privateKey,
          "-o",
          "dig.sigstore.json",
        ])
      ).code,
    ).toBe(0);
    const ok = await r([
      "verify",
      `registry.example/app@sha256:${digest}`,
      "--bundle",
      "dig.sigstore.json",
      "--key",
      publicKey,
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    const other = await r([
      "verify",
      `sha256:${"0".repeat(64)}`,
      "--bundle",
      "dig.sigstore.json",
      "--key",
      publicKey,
    ]);
    expect(other.code).toBe(3);
    expect(other.stderr).toContain("is not a subject of the attestation");
    expect((await r(["sign", "app.txt", "--key", privateKey, "-o", "dig-sig.sigstore.json"])).code).toBe(0);
    expect(
      (await r(["verify", `sha256:${digest}`, "--bundle", "dig-sig.sigstore.json", "--key", publicKey])).code,
    ).toBe(2);
  });
});
