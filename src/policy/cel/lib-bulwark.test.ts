import { describe, expect, it } from "vitest";
import { fixedClock } from "../../core/index.js";
import { createCelEnvironment } from "./index.js";

const env = createCelEnvironment({ clock: fixedClock("2025-01-15T12:00:00Z") });
const HEX64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

describe("glob", () => {
  it.each([
    ["src/*.ts", "src/a.ts", true],
    ["src/*.ts", "src/a/b.ts", false],
    ["src/**/*.ts", "src/a/b.ts", true],
    ["src/**/*.ts", "src/a.ts", true],
    ["**", "a/b/c", true],
    ["*.{yml,yaml}", "x.yaml", true],
    ["?.txt", "ab.txt", false],
    ["[abc].txt", "b.txt", true],
    ["**/*.yml", ".github/workflows/ci.yml", true],
    ["*", ".hidden", true],
    ["registry.example/*", "registry.example/team/app", false],
    ["registry.example/**", "registry.example/team/app", true],
  ])("glob(%j, %j)", (pattern, s, want) => {
    expect(env.evaluate(`glob(${JSON.stringify(pattern)}, ${JSON.stringify(s)})`)).toBe(want);
  });
});

describe("semverCompare and semverSatisfies", () => {
  it.each([
    ["semverCompare('1.2.3', '1.2.3')", 0n],
    ["semverCompare('v2.0.0', '1.9.9')", 1n],
    ["semverCompare('1.9.0', '1.10.0')", -1n],
    ["semverCompare('1.0.0-rc.1', '1.0.0')", -1n],
    ["semverCompare('=1.0.0', 'v1.0.0')", 0n],
    ["semverCompare('1.0.0+build.1', '1.0.0')", 0n],
    ["semverSatisfies('1.4.2', '^1.2')", true],
    ["semverSatisfies('2.0.0', '^1.2')", false],
    ["semverSatisfies('1.2.3-beta', '^1.2')", false],
    ["semverSatisfies('1.2.3-beta.2', '>=1.2.3-beta.1')", true],
    ["semverSatisfies('1.2.3', '>=1.0.0 <2')", true],
    ["semverSatisfies('3.1.0', '1.x || 3.x')", true],
    ["semverSatisfies('v1.2.3', '~1.2.0')", true],
    ["semverSatisfies('1.2.3', '*')", true],
  ])("%s", (expr, want) => {
    expect(env.evaluate(expr)).toBe(want);
  });

  it.each([
    ["semverCompare('abc', '1.0.0')", '"abc" is not a semantic version'],
    ["semverCompare('1.0.0', '1.2')", '"1.2" is not a semantic version'],
    ["semverSatisfies('x', '^1')", '"x" is not a semantic version'],
    ["semverSatisfies('1.0.0', '>>>1')", '">>>1" is not a version range'],
  ])("%s is an error", (expr, message) => {
    expect(() => env.evaluate(expr)).toThrow(message);
  });
});

describe("purl", () => {
  it("splits a package URL into its parts", () => {
    expect(env.evaluate("purl('pkg:deb/debian/curl@7.50.3-1?arch=i386&distro=jessie#sub/path')")).toEqual(
      new Map<string, unknown>([
        ["type", "deb"],
        ["namespace", "debian"],
        ["name", "curl"],
        ["version", "7.50.3-1"],
        [
          "qualifiers",
          new Map([
            ["arch", "i386"],
            ["distro", "jessie"],
          ]),
        ],
        ["subpath", "sub/path"],
      ]),
    );
  });

  it.each([
    ["purl('pkg:npm/%40angular/core@12.0.0').namespace", "@angular"],
    ["purl('pkg:npm/left-pad').version", ""],
    ["purl('pkg:npm/left-pad').qualifiers.size()", 0n],
    ["purl('pkg:NPM/Left-Pad@1.3.0').name", "left-pad"],
    ["purl('pkg:golang/github.com/gorilla/context@234fd47e07d1004f0aed9c').namespace", "github.com/gorilla"],
    [
      "purl('pkg:maven/org.apache.xmlgraphics/batik-anim@1.9.1?packaging=sources').qualifiers['packaging']",
      "sources",
    ],
    ["isPurl('pkg:pypi/django@1.11.1')", true],
    ["isPurl('npm/left-pad')", false],
    ["isPurl('pkg:npm/')", false],
  ])("%s", (expr, want) => {
    expect(env.evaluate(expr)).toEqual(want);
  });

  it("rejects strings that are no purl", () => {
    expect(() => env.evaluate("purl('not a purl')")).toThrow(/^purl: .*"pkg" scheme/);
  });
});

describe("digests and cidrContains", () => {
  it.each([
    [`isDigest('sha256:${HEX64}')`, true],
    [`isDigest('sha512:${HEX64}${HEX64}')`, true],
    [`isDigest('sha256:${HEX64.toUpperCase()}')`, false],
    [`isDigest('sha256:${HEX64}0')`, false],
    ["isDigest('sha256:abc')", false],
    [`isDigest('md5:${HEX64}')`, false],
    [`isDigest(' sha256:${HEX64}')`, false],
    ["digestAlgorithm('sha256:abc')", "sha256"],
    ["digestAlgorithm('sha384:AbC_-=')", "sha384"],
    [
      "digestAlgorithm('multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8')",
      "multihash+base58",
    ],
    ["cidrContains('10.0.0.0/8', '10.1.2.3')", true],
    ["cidrContains('10.0.0.0/8', '11.0.0.1')", false],
    ["cidrContains('2001:db8::/32', '2001:db8::1')", true],
    ["cidrContains('10.0.0.0/8', '::1')", false],
  ])("%s", (expr, want) => {
    expect(env.evaluate(expr)).toBe(want);
  });

  it.each([
    ["digestAlgorithm('nope')", "is not a digest"],
    ["digestAlgorithm('SHA256:abc')", "is not a digest"],
    ["cidrContains('10.0.0.0/8', '10.0.0.256')", "IPv4 field has value >255"],
    ["cidrContains('10.0.0.0', '10.0.0.1')", "no '/'"],
  ])("%s is an error", (expr, message) => {
    expect(() => env.evaluate(expr)).toThrow(message);
  });
});

describe("imageRef (Docker reference normalisation)", () => {
  const ref = (registry: string, repository: string, tag = "", digest = "") =>
    new Map<string, unknown>([
      ["registry", registry],
      ["repository", repository],
      ["tag", tag],
      ["digest", digest],
      ["pinned", digest !== ""],
    ]);

  it.each([
    ["nginx", ref("docker.io", "library/nginx")],
    ["nginx:1.25", ref("docker.io", "library/nginx", "1.25")],
    ["docker.io/nginx", ref("docker.io", "library/nginx")],
    ["index.docker.io/library/nginx:Latest", ref("docker.io", "library/nginx", "Latest")],
    ["bitnami/redis", ref("docker.io", "bitnami/redis")],
    ["localhost/foo", ref("localhost", "foo")],
    ["localhost:5000/foo/bar:tag", ref("localhost:5000", "foo/bar", "tag")],
    ["[::1]:5000/foo", ref("[::1]:5000", "foo")],
    ["Registry/app", ref("Registry", "app")],
    [`ghcr.io/org/app:1.0@sha256:${HEX64}`, ref("ghcr.io", "org/app", "1.0", `sha256:${HEX64}`)],
    [`ghcr.io/org/app@sha256:${HEX64}`, ref("ghcr.io", "org/app", "", `sha256:${HEX64}`)],
    ["registry.example.com:443/a/b/c", ref("registry.example.com:443", "a/b/c")],
  ])("imageRef(%j)", (s, want) => {
    expect(env.evaluate(`imageRef(${JSON.stringify(s)})`)).toEqual(want);
  });

  it.each([
    ["NGINX", "must be lowercase"],
    [HEX64, "cannot specify 64-byte hexadecimal strings"],
    ["nginx@sha256:abc", "invalid reference format"],
    [`nginx@md5:${HEX64}`, "unsupported digest algorithm"],
    [`nginx@sha256:${HEX64.slice(1)}A`, "invalid checksum digest format"],
    ["a:b:c", "invalid reference format"],
    ["", "invalid reference format"],
    ["nginx:", "invalid reference format"],
    [`${"a".repeat(256)}`, "must not be more than 255 characters"],
  ])("imageRef(%j) is an error", (s, message) => {
    expect(() => env.evaluate(`imageRef(${JSON.stringify(s)})`)).toThrow(message);
  });

  it("exposes the fields to policies", () => {
    expect(env.evaluate("imageRef('nginx').pinned || imageRef('nginx').tag != ''")).toBe(false);
  });
});

describe("time against the injected clock", () => {
  it.each([
    ["now() == timestamp('2025-01-15T12:00:00Z')", true],
    ["daysSince(timestamp('2025-01-01T00:00:00Z'))", 14n],
    ["daysSince(timestamp('2025-01-14T12:00:01Z'))", 0n],
    ["daysSince(timestamp('2025-01-16T00:00:00Z'))", -1n],
    ["expired(timestamp('2025-01-15T12:00:00Z'))", true],
    ["expired(timestamp('2025-01-15T12:00:01Z'))", false],
    ["expired('2025-01-15')", false],
    ["expired('2025-01-14')", true],
    ["expired('2025-01-15T11:59:59Z')", true],
    ["expired('2025-01-15T13:00:01+01:00')", false],
  ])("%s", (expr, want) => {
    expect(env.evaluate(expr)).toBe(want);
  });

  it.each(["expired('2025-02-30')", "expired('soon')", "expired('2025-01-15T12:00:00')"])(
    "%s is an error",
    (expr) => {
      expect(() => env.evaluate(expr)).toThrow(/neither a date/);
    },
  );

  it("reads the clock at evaluation time, never the system clock", () => {
    let at = new Date("2030-06-01T00:00:00Z");
    const moving = createCelEnvironment({ clock: { now: () => at } });
    expect(moving.evaluate("expired('2030-05-31')")).toBe(true);
    at = new Date("2030-05-31T23:00:00Z");
    expect(moving.evaluate("expired('2030-05-31')")).toBe(false);
    expect(moving.evaluate("now()")).toEqual(at);
  });
});

describe("sha256", () => {
  it.each([
    ["sha256('abc')", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"],
    ["sha256('')", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
    ["sha256(b'abc') == sha256('abc')", true],
    ["sha256('é') == sha256(b'\\xc3\\xa9')", true],
  ])("%s", (expr, want) => {
    expect(env.evaluate(expr)).toBe(want);
  });
});
