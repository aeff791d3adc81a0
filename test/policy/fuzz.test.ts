import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { BulwarkError } from "../../src/core/index.js";
import { PolicyEngine, parseInput } from "../../src/policy/index.js";
import { clock, policySet } from "./helpers.js";

const VALID = {
  apiVersion: "bulwark.dev/v1",
  kind: "Policy",
  metadata: { id: "FUZZ-1", title: "fuzz" },
  spec: {
    kinds: ["*"],
    variables: [{ name: "v", expression: "resource" }],
    validations: [
      { expression: "has(resource.spec) ? size(resource.spec) >= 0 : true", messageExpression: "'x'" },
    ],
    exceptions: [{ match: "false", expires: "2030-01-01", reason: "r" }],
  },
};

/** Either a BulwarkError or nothing: the only acceptable outcomes for hostile input. */
function onlyBulwarkErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof BulwarkError)) throw e;
    expect(e.code).not.toBe("INTERNAL");
  }
}

// Replace one random subtree of a valid policy with random JSON.
const mutated = fc
  .tuple(
    fc.jsonValue(),
    fc.array(
      fc.oneof(
        fc.constantFrom(
          "apiVersion",
          "kind",
          "metadata",
          "spec",
          "id",
          "title",
          "kinds",
          "variables",
          "validations",
          "exceptions",
          "expression",
          "match",
          "expires",
          "reason",
          "name",
        ),
        fc.nat(3),
      ),
      { minLength: 1, maxLength: 4 },
    ),
  )
  .map(([value, path]) => {
    const doc = structuredClone(VALID) as Record<string | number, unknown>;
    let node: Record<string | number, unknown> = doc;
    for (const p of path.slice(0, -1)) {
      const next = node[p];
      if (!next || typeof next !== "object") break;
      node = next as Record<string | number, unknown>;
    }
    node[path.at(-1)!] = value;
    return doc;
  });

const celish = fc.stringMatching(/^[a-z0-9_.()[\]{}<>=!&|+\-*/%?:,'" ]{0,60}$/);

describe("fuzz: the loader and evaluator never throw anything but located Bulwark errors", () => {
  it("random text as a policy file", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (t) => onlyBulwarkErrors(() => policySet({ "p.yaml": t }))),
      { numRuns: 300 },
    );
  });

  it("mutated policies load or fail with POLICY_INVALID-class errors", () => {
    fc.assert(
      fc.property(mutated, (doc) =>
        onlyBulwarkErrors(() => {
          const set = policySet({ "p.yaml": stringify(doc) });
          new PolicyEngine(set, { clock }).evaluate(
            parseInput("apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec: {}\n", "i.yaml"),
          );
        }),
      ),
      { numRuns: 300 },
    );
  });

  it("random CEL expressions compile or fail with CEL_SYNTAX/CEL_TYPE; compiled ones evaluate without throwing", () => {
    fc.assert(
      fc.property(celish, fc.jsonValue(), (expr, input) => {
        const doc = structuredClone(VALID);
        doc.spec.validations[0]!.expression = expr;
        let engine: PolicyEngine;
        try {
          engine = new PolicyEngine(policySet({ "p.yaml": stringify(doc) }), { clock });
        } catch (e) {
          if (!(e instanceof BulwarkError)) throw e;
          expect(["CEL_SYNTAX", "CEL_TYPE", "POLICY_INVALID", "INPUT_TOO_LARGE"]).toContain(e.code);
          return;
        }
        const docs = parseInput(JSON.stringify(input), "i.json", { kind: "generic" });
        const report = engine.evaluate(docs);
        expect(["allow", "warn", "deny"]).toContain(report.decision);
      }),
      { numRuns: 500 },
    );
  });

  it("random input documents never crash evaluation of a real policy set", () => {
    const set = policySet({
      "p.yaml": `apiVersion: bulwark.dev/v1
kind: Policy
metadata: {id: P-1, title: t}
spec:
  kinds: ["*"]
  variables:
    - name: cs
      expression: "resource.spec.containers.map(c, c.image)"
  validations:
    - expression: "variables.cs.all(i, i.contains('@sha256:'))"
    - expression: "resource.metadata.name.size() < 64"
`,
    });
    const engine = new PolicyEngine(set, { clock });
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => {
        const docs = parseInput(
          JSON.stringify({
            apiVersion: "v1",
            kind: "Pod",
            ...(typeof v === "object" && v && !Array.isArray(v) ? v : { spec: v }),
          }),
          "i.json",
        );
        const report = engine.evaluate(docs);
        // Missing fields are runtime errors, which fail closed.
        expect(["allow", "deny"]).toContain(report.decision);
      }),
      { numRuns: 500 },
    );
  });

  it("deeply nested and huge inputs are refused with limits, not stack overflows", () => {
    const deep = `${"[".repeat(5000)}${"]".repeat(5000)}`;
    expect(() => parseInput(deep, "deep.json", { kind: "generic" })).toThrow(
      expect.objectContaining({ code: "INPUT_TOO_DEEP" }),
    );
    const longExpr = structuredClone(VALID);
    longExpr.spec.validations[0]!.expression = `true${" && true".repeat(4000)}`;
    const e = (() => {
      try {
        new PolicyEngine(policySet({ "p.yaml": stringify(longExpr) }), { clock });
      } catch (err) {
        return err as BulwarkError;
      }
      return undefined;
    })();
    expect(e?.code).toBe("INPUT_TOO_LARGE");
  });
});
