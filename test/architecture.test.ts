import { readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = new URL("../src/", import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = join(dir, e.name);
    if (e.isDirectory()) return sources(full);
    return e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") ? [full] : [];
  });
}

function moduleOf(file: string): string {
  return relative(SRC, file).split(sep)[0]!;
}

/** Every relative import of every source file, resolved to the module it lands in. */
function imports(): { file: string; from: string; to: string; spec: string; target: string }[] {
  const out = [];
  for (const file of sources(SRC)) {
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/^(?:import|export)[^"']*?from\s+["']([^"']+)["']/gm)) {
      const spec = m[1]!;
      if (!spec.startsWith(".")) continue;
      const target = join(file, "..", spec);
      out.push({
        file: relative(SRC, file),
        from: moduleOf(file),
        to: moduleOf(target),
        spec,
        target: relative(SRC, target),
      });
    }
  }
  return out;
}

describe("architecture (ARCHITECTURE §4)", () => {
  const all = imports();

  it("finds the modules and their imports", () => {
    expect(all.length).toBeGreaterThan(20);
    expect(new Set(all.map((i) => i.from))).toContain("policy");
  });

  it("core and formats import no other module", () => {
    const bad = all.filter((i) => (i.from === "core" || i.from === "formats") && i.to !== i.from);
    expect(bad).toEqual([]);
  });

  it("modules import each other only through their index.ts (no deep imports)", () => {
    const bad = all.filter(
      (i) => i.from !== i.to && !/^[a-z-]+\/index\.js$/.test(i.target.split(sep).join("/")),
    );
    expect(bad).toEqual([]);
  });

  it("no module is imported from outside the tree via a bare 'src/' path", () => {
    for (const file of sources(SRC))
      expect(readFileSync(file, "utf8")).not.toMatch(/from\s+["'][^"']*\/src\//);
  });
});
