import { describe, expect, it } from "vitest";
import { goCatalogers } from "../go/index.js";
import { contextFor, memorySource } from "../../../../test/support/file-source.js";
import { pythonCatalogers } from "./index.js";

/** Registry contract (ARCHITECTURE §4) for the Python and Go cataloger lists. */
describe.each([
  ["python", pythonCatalogers, "PyPI"],
  ["go", goCatalogers, "Go"],
] as const)("%s catalogers", (folder, catalogers, ecosystem) => {
  it("have stable unique names under the folder, integer versions, the ecosystem and targets", () => {
    expect(new Set(catalogers.map((c) => c.name)).size).toBe(catalogers.length);
    for (const c of catalogers) {
      expect(c.name).toMatch(new RegExp(`^${folder}/[a-z0-9-]+$`));
      expect(Number.isInteger(c.version) && c.version >= 1).toBe(true);
      expect(c.ecosystem).toBe(ecosystem);
      expect(c.targets.length).toBeGreaterThan(0);
    }
  });

  it("answer applies() for odd paths without throwing", () => {
    for (const c of catalogers)
      for (const path of ["", "a", "/", "go.mod/", "x.dist-info/", "METADATA", "requirements.txt/x"])
        expect(typeof c.applies({ path, size: 0 })).toBe("boolean");
  });

  it("return issues, not throws, for empty and binary files", async () => {
    const files = { "empty/go.mod": "", "bin/go.mod": new Uint8Array([0, 255, 254, 1, 2]) };
    const ctx = contextFor(memorySource(files));
    for (const c of catalogers)
      for (const [path, content] of Object.entries(files)) {
        const r = await c.catalog({ path, size: content.length, executable: true }, ctx);
        expect(Array.isArray(r.packages)).toBe(true);
      }
  });
});
