import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BulwarkError,
  canonicalDigest,
  canonicalize,
  clockFromEnv,
  createLogger,
  digestEquals,
  ERROR_CODES,
  errorDocsAnchor,
  fixedClock,
  isDigest,
  parseYamlDocuments,
  sha256Digest,
  toBulwarkError,
} from "./index.js";

describe("canonical JSON (RFC 8785)", () => {
  it("sorts members by UTF-16 code units, as the RFC's §3.2.3 example", () => {
    // RFC 8785 §3.2.3: the sort order of these property names.
    const input = {
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis",
    };
    // Read the keys from the text: JS objects would reorder the integer-like key "1".
    const keys = [...canonicalize(input).matchAll(/"((?:[^"\\]|\\.)*)":/g)].map((m) =>
      JSON.parse(`"${m[1]}"`),
    );
    expect(keys).toEqual(["\r", "1", "\u0080", "\u00f6", "\u20ac", "\ud83d\ude00", "\ufb33"]);
  });

  it("serialises numbers in ECMAScript shortest form (RFC 8785 appendix B samples)", () => {
    // eslint-disable-next-line no-loss-of-precision -- the RFC sample is this literal, rounded on purpose
    expect(canonicalize([333333333.33333329, 1e30, 4.5, 0.002, 1e-27, -0, 9007199254740991])).toBe(
      "[333333333.3333333,1e+30,4.5,0.002,1e-27,0,9007199254740991]",
    );
  });

  it("matches the RFC's §3.2.2 example output", () => {
    const input = {
      // eslint-disable-next-line no-loss-of-precision -- the RFC sample is this literal, rounded on purpose
      numbers: [333333333.33333329, 1e30, 4.5, 2e-3, 0.000000000000000000000000001],
      string: "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"/",
      literals: [null, true, false],
    };
    expect(canonicalize(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it("rejects values JSON cannot carry", () => {
    expect(() => canonicalize(Number.NaN)).toThrow(/cannot encode/);
    expect(() => canonicalize({ a: () => 1 })).toThrow(/cannot encode/);
    const cyclic: Record<string, unknown> = {};
    cyclic["self"] = cyclic;
    expect(() => canonicalize(cyclic)).toThrow(/cyclic/);
    expect(() => canonicalize(2n ** 64n + 1n)).toThrow(/exactly/);
  });

  it("is insensitive to key order and round-trips through JSON.parse", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const c = canonicalize(v);
        expect(canonicalize(JSON.parse(c))).toBe(c);
      }),
    );
  });
});

describe("digests", () => {
  it("computes sha256 digests in OCI form", () => {
    expect(sha256Digest("")).toBe("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(isDigest(sha256Digest("x"))).toBe(true);
    expect(isDigest("sha256:ABC")).toBe(false);
    expect(canonicalDigest({ b: 1, a: 2 })).toBe(canonicalDigest({ a: 2, b: 1 }));
    expect(digestEquals("sha256:aa", "sha256:aa")).toBe(true);
    expect(digestEquals("sha256:aa", "sha256:ab")).toBe(false);
    expect(digestEquals("sha256:aa", "sha256:aaa")).toBe(false);
  });
});

describe("clock", () => {
  it("honours SOURCE_DATE_EPOCH and rejects garbage", () => {
    expect(clockFromEnv({ SOURCE_DATE_EPOCH: "1700000000" }).now().toISOString()).toBe(
      "2023-11-14T22:13:20.000Z",
    );
    expect(() => clockFromEnv({ SOURCE_DATE_EPOCH: "yesterday" })).toThrow(/whole seconds/);
    expect(fixedClock("2026-01-01T00:00:00Z").now().getUTCFullYear()).toBe(2026);
  });
});

describe("logger", () => {
  it("writes structured lines at or above its level only", () => {
    const lines: string[] = [];
    const log = createLogger({
      level: "info",
      format: "json",
      write: (l) => lines.push(l),
      clock: fixedClock(0),
    }).child({ cmd: "x" });
    log.debug("hidden");
    log.info("shown", { n: 1n });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toEqual({
      time: "1970-01-01T00:00:00.000Z",
      level: "info",
      msg: "shown",
      cmd: "x",
      n: "1",
    });
  });
});

describe("errors", () => {
  it("keeps the code table and docs/errors.md in sync (codes, exit codes, HTTP statuses)", () => {
    const doc = readFileSync(new URL("../../docs/errors.md", import.meta.url), "utf8");
    const sections = [...doc.matchAll(/^## ([A-Z_]+)\n\nExit code (\d+) · HTTP (\d+)$/gm)].map((m) => [
      m[1],
      Number(m[2]),
      Number(m[3]),
    ]);
    const table = Object.entries(ERROR_CODES).map(([code, info]) => [code, info.exit, info.http]);
    expect(sections).toEqual(table);
    for (const code of Object.keys(ERROR_CODES))
      expect(errorDocsAnchor(code as keyof typeof ERROR_CODES)).toBe(`docs/errors.md#${code.toLowerCase()}`);
  });

  it("formats located errors and wraps unknown ones as INTERNAL", () => {
    const e = new BulwarkError("INPUT_INVALID", "bad", { location: { file: "a.yaml", line: 3, column: 5 } });
    expect(e.toString()).toBe("a.yaml:3:5: bad [INPUT_INVALID]");
    expect(e.exitCode).toBe(4);
    const wrapped = toBulwarkError(new RangeError("boom"));
    expect(wrapped.code).toBe("INTERNAL");
    expect(wrapped.exitCode).toBe(70);
    expect(wrapped.cause).toBeInstanceOf(RangeError);
  });
});

describe("YAML documents", () => {
  it("keeps positions of documents, nodes and offsets inside scalars", () => {
    const text = "a: 1\n---\nspec:\n  expr: |\n    x +\n      y.z\n  plain: foo bar\n";
    const docs = parseYamlDocuments(text, { file: "f.yaml", intAsBigInt: true });
    expect(docs).toHaveLength(2);
    expect(docs[0]!.value).toEqual({ a: 1n });
    expect(docs[1]!.location).toMatchObject({ file: "f.yaml", line: 3, column: 1, document: 1 });
    expect(docs[1]!.locate(["spec", "plain"])).toMatchObject({ line: 7, column: 3 });
    // offset 6 of "x +\n  y.z\n" is the "y"
    expect(docs[1]!.locateInScalar(["spec", "expr"], 6)).toMatchObject({ line: 6, column: 7 });
    expect(docs[1]!.locateInScalar(["spec", "plain"], 4)).toMatchObject({ line: 7, column: 14 });
  });

  it("fails closed with a located INPUT_INVALID on syntax errors and duplicate keys", () => {
    const bad = (t: string) => {
      try {
        parseYamlDocuments(t, { file: "bad.yaml" });
      } catch (e) {
        return e as BulwarkError;
      }
      throw new Error("expected an error");
    };
    expect(bad("a: [1, 2\n")).toMatchObject({ code: "INPUT_INVALID", location: { file: "bad.yaml" } });
    const dup = bad("a: 1\na: 2\n");
    expect(dup.code).toBe("INPUT_INVALID");
    expect(dup.location?.line).toBe(2);
  });

  it("enforces size, document, depth and alias limits", () => {
    const limits = {
      maxFileBytes: 100,
      maxDocuments: 2,
      maxDepth: 5,
      maxAliasCount: 10,
      maxExpressionLength: 10,
      maxExpressionNodes: 10,
    };
    expect(() => parseYamlDocuments("x".repeat(200), { limits })).toThrow(
      expect.objectContaining({ code: "INPUT_TOO_LARGE" }),
    );
    expect(() => parseYamlDocuments("a: 1\n---\nb: 1\n---\nc: 1\n", { limits })).toThrow(
      expect.objectContaining({ code: "INPUT_TOO_LARGE" }),
    );
    expect(() => parseYamlDocuments("[[[[[[[[1]]]]]]]]", { limits })).toThrow(
      expect.objectContaining({ code: "INPUT_TOO_DEEP" }),
    );
    const laughs =
      "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n";
    expect(() => parseYamlDocuments(laughs, { limits: { ...limits, maxFileBytes: 10_000 } })).toThrow(
      expect.objectContaining({ code: "INPUT_TOO_LARGE" }),
    );
  });

  it("never throws anything but a BulwarkError on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (t) => {
        try {
          parseYamlDocuments(t);
        } catch (e) {
          expect(e).toBeInstanceOf(BulwarkError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
