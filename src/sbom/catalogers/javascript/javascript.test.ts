import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { catalogText } from "../../../../test/support/javascript-fixtures.js";
import * as javascript from "./index.js";

const { javascriptCatalogers } = javascript;

/** A file name each cataloger applies to. */
const TARGET_FILE: Record<string, string> = {
  "javascript/package-lock": "package-lock.json",
  "javascript/yarn-lock": "yarn.lock",
  "javascript/pnpm-lock": "pnpm-lock.yaml",
  "javascript/node-modules": "node_modules/x/package.json",
};

describe("javascript catalogers (plugin contract)", () => {
  it("exports the registry list and each cataloger by name", () => {
    expect(javascriptCatalogers.map((c) => c.name)).toEqual(Object.keys(TARGET_FILE));
    expect(Object.keys(javascript).sort()).toEqual([
      "installedFolderName",
      "javascriptCatalogers",
      "nodeModulesCataloger",
      "packageLockCataloger",
      "pnpmLockCataloger",
      "yarnLockCataloger",
    ]);
  });

  it.each(javascriptCatalogers.map((c) => [c.name, c] as const))("%s keeps the contract", (_, c) => {
    expect(c.name).toMatch(/^javascript\/[a-z-]+$/);
    expect(Number.isInteger(c.version) && c.version >= 1).toBe(true);
    expect(c.ecosystem).toBe("npm");
    expect(c.targets.length).toBeGreaterThan(0);
    expect(c.applies({ path: TARGET_FILE[c.name]!, size: 1 })).toBe(true);
  });

  it("lockfile catalogers read source trees, the installed-package cataloger reads filesystems", () => {
    for (const c of javascriptCatalogers) {
      expect(c.targets).toEqual(
        c.name === "javascript/node-modules" ? ["rootfs", "image"] : ["directory", "file"],
      );
    }
  });

  it("no lockfile cataloger applies to anything inside node_modules (property)", () => {
    const segment = fc.stringMatching(/^[a-z@._-]{1,8}$/);
    fc.assert(
      fc.property(
        fc.array(segment, { maxLength: 3 }),
        fc.array(segment, { maxLength: 3 }),
        fc.constantFrom("package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml"),
        (before, after, file) => {
          const path = [...before, "node_modules", ...after, file].join("/");
          for (const c of javascriptCatalogers) {
            if (c.name !== "javascript/node-modules")
              expect(c.applies({ path, size: 1 }), `${c.name} ${path}`).toBe(false);
          }
        },
      ),
    );
  });

  it("every cataloger returns located issues and never throws, whatever the bytes (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...javascriptCatalogers),
        fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.json()),
        async (c, text) => {
          const path = TARGET_FILE[c.name]!;
          const r = await catalogText(c, path, text);
          expect(Array.isArray(r.packages)).toBe(true);
          for (const i of r.issues ?? []) {
            expect(i.cataloger).toBe(c.name);
            expect(i.location.file).toBe(path);
          }
          for (const p of r.packages) {
            expect(p.ecosystem).toBe("npm");
            expect(p.purl.startsWith("pkg:npm/")).toBe(true);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it.each(javascriptCatalogers.map((c) => [c.name, c] as const))(
    "%s reports hostile nesting as an issue instead of overflowing the stack",
    async (_, c) => {
      const path = TARGET_FILE[c.name]!;
      for (const text of ["[".repeat(200_000), "a:\n" + "  - [".repeat(20_000), "{".repeat(200_000)]) {
        const r = await catalogText(c, path, text);
        expect(r.packages).toEqual([]);
        expect(r.issues?.length, text.slice(0, 10)).toBeGreaterThan(0);
      }
    },
  );
});
