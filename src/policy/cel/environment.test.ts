import { RE2_MATCHES } from "./matches.js";
import { readFileSync } from "node:fs";
import { Environment, EvaluationError } from "@marcbachmann/cel-js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fixedClock } from "../../core/index.js";
import { defineOverloads } from "./define.js";
import { CEL_VARIABLES, createCelEnvironment } from "./index.js";
import { celEquals } from "./values.js";

const CLOCK = "2025-01-15T12:00:00Z";
const env = createCelEnvironment({ clock: fixedClock(CLOCK) });
const DOCS = readFileSync(new URL("../../../docs/cel-functions.md", import.meta.url), "utf8");

/** The cells of a Markdown table row; `\|` is a literal pipe. */
function cells(line: string): string[] {
  return line
    .trim()
    .replace(/^\||\|$/g, "")
    .split(/(?<!\\)\|/)
    .map((c) => c.trim().replaceAll("\\|", "|"));
}

interface DocumentedFunction {
  readonly signature: string;
  readonly example: string;
}

/** Rows of every table whose first column is "Signature". */
function documentedFunctions(markdown: string): DocumentedFunction[] {
  const out: DocumentedFunction[] = [];
  let inSignatureTable = false;
  for (const line of markdown.split("\n")) {
    if (!line.startsWith("|")) {
      inSignatureTable = false;
      continue;
    }
    const row = cells(line);
    if (row[0] === "Signature") {
      inSignatureTable = true;
      continue;
    }
    if (!inSignatureTable || /^-+$/.test(row[0] ?? "")) continue;
    const signature = /^`(.+)`$/.exec(row[0] ?? "")?.[1];
    if (signature) out.push({ signature, example: row[2] ?? "" });
  }
  return out;
}

function documentedVariables(markdown: string): string[] {
  const section = markdown.split("## Variables")[1]?.split("\n## ")[0] ?? "";
  return section
    .split("\n")
    .map((line) => /^\|\s*`(\w+)`\s*\|/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined);
}

/** What this environment adds to the evaluator's built-ins, without internal helpers. */
function registeredSignatures(): string[] {
  const builtIn = new Set(new Environment().getDefinitions().functions.map((f) => f.signature));
  return env
    .getDefinitions()
    .functions.map((f) => f.signature)
    .filter(
      (s) =>
        !builtIn.has(s) &&
        !s.startsWith("type(") &&
        !s.startsWith("bulwark.internal.") &&
        !s.includes(RE2_MATCHES),
    );
}

describe("docs/cel-functions.md", () => {
  const documented = documentedFunctions(DOCS);

  it("every documented function is registered", () => {
    const registered = new Set(registeredSignatures());
    const missing = documented.map((d) => d.signature).filter((s) => !registered.has(s));
    expect(missing).toEqual([]);
    expect(documented.length).toBeGreaterThan(100);
  });

  it("every registered function is documented", () => {
    const listed = new Set(documented.map((d) => d.signature));
    expect(registeredSignatures().filter((s) => !listed.has(s))).toEqual([]);
  });

  it("every documented variable is declared, and only those", () => {
    const variables = documentedVariables(DOCS);
    for (const name of variables) expect(env.hasVariable(name), name).toBe(true);
    expect(new Set(variables)).toEqual(new Set([...CEL_VARIABLES.map(([name]) => name), "now"]));
  });

  describe("examples", () => {
    const examples = documented.map((d) => {
      const m = /^`(.+)` → (?:`(.+)`|(error))$/.exec(d.example);
      return { ...d, expr: m?.[1], want: m?.[2], error: m?.[3] !== undefined };
    });

    it("every documented function has an example", () => {
      expect(examples.filter((e) => e.expr === undefined).map((e) => e.signature)).toEqual([]);
    });

    it.each(examples.filter((e) => e.expr !== undefined).map((e) => [e.expr!, e] as const))(
      "%s",
      (expr, e) => {
        expect(env.check(expr), "type-checks").toMatchObject({ valid: true });
        if (e.error) {
          expect(() => env.evaluate(expr)).toThrow(EvaluationError);
          return;
        }
        const got: unknown = env.evaluate(expr);
        const want: unknown = env.evaluate(e.want!);
        expect(celEquals(got, want), `${String(got)} == ${String(want)}`).toBe(true);
      },
    );
  });
});

describe("createCelEnvironment", () => {
  it("declares the policy variables as dyn and now as a timestamp", () => {
    for (const [name] of CEL_VARIABLES) expect(env.check(name).type, name).toBe("dyn");
    expect(env.check("now").type).toBe("google.protobuf.Timestamp");
    expect(env.check("undeclared").valid).toBe(false);
  });

  it("evaluates with the variables bound", () => {
    const ctx = {
      resource: { kind: "Deployment" },
      subject: { name: "app" },
      environment: "production",
      action: null,
      identity: null,
      evidence: [],
      variables: { open: [] },
      object: { spec: { replicas: 3n } },
      oldObject: null,
      request: { operation: "CREATE" },
      params: null,
      namespaceObject: null,
      authorizer: null,
      now: new Date(CLOCK),
    };
    expect(
      env.evaluate("object.spec.replicas <= 5 && environment == 'production' && now == now()", ctx),
    ).toBe(true);
  });

  it("enables optional types and heterogeneous literals", () => {
    expect(env.evaluate("resource.?spec.?replicas.orValue(1)", { resource: {} })).toBe(1n);
    expect(env.check("[1, 'a', true]").valid).toBe(true);
  });

  it("returns independent environments", () => {
    const a = createCelEnvironment({ clock: fixedClock("2000-01-01T00:00:00Z") });
    const b = createCelEnvironment({ clock: fixedClock("2030-01-01T00:00:00Z") });
    expect(a.evaluate("now()")).not.toEqual(b.evaluate("now()"));
  });
});

describe("errors", () => {
  it("surface as evaluation errors", () => {
    expect(() => env.evaluate("quantity('lots')")).toThrow(EvaluationError);
    expect(() => env.evaluate("ip('::ffff:1.2.3.4')")).toThrow(EvaluationError);
    expect(() => env.evaluate("url('relative')")).toThrow(EvaluationError);
  });

  it("are absorbed by || and && as CEL requires", () => {
    expect(env.evaluate("quantity('lots') == quantity('1') || true")).toBe(true);
    expect(env.evaluate("false && ip('bad').isLoopback()")).toBe(false);
  });

  it("turn an unexpected exception in a handler into an evaluation error", () => {
    const bare = new Environment();
    defineOverloads(bare, [
      {
        signature: "boom(): bool",
        description: "throws a plain error",
        handler: () => {
          throw new TypeError("not a CEL error");
        },
      },
    ]);
    expect(() => bare.evaluate("boom()")).toThrow(EvaluationError);
    expect(() => bare.evaluate("boom()")).toThrow("boom: not a CEL error");
  });
});

describe("parsers given arbitrary strings", () => {
  const functions = [
    "quantity",
    "isQuantity",
    "ip",
    "isIP",
    "ip.isCanonical",
    "cidr",
    "isCIDR",
    "url",
    "isURL",
    "semver",
    "isSemver",
    "purl",
    "isPurl",
    "imageRef",
    "digestAlgorithm",
    "expired",
    "strings.quote",
  ];
  const text = fc.oneof(
    fc.string({ unit: "grapheme", maxLength: 40 }),
    fc.string({ unit: fc.constantFrom(..."0123456789.+-eEinumkKMGTP:/[]%@#?&=abcf "), maxLength: 40 }),
    fc.stringMatching(/^[0-9a-f:.]{0,20}(\/\d{1,3})?$/),
  );

  it.each(functions)("%s throws nothing but a CEL evaluation error", (fn) => {
    fc.assert(
      fc.property(text, (s) => {
        try {
          env.evaluate(`${fn}(resource)`, { resource: s });
        } catch (e) {
          expect(e).toBeInstanceOf(EvaluationError);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("format and regex patterns throw nothing but a CEL evaluation error", () => {
    fc.assert(
      fc.property(text, (s) => {
        for (const expr of [
          "resource.format([1, 'a', 2.5])",
          "'abc'.findAll(resource)",
          "'abc'.find(resource)",
        ]) {
          try {
            env.evaluate(expr, { resource: s });
          } catch (e) {
            expect(e).toBeInstanceOf(EvaluationError);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
