import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ERROR_CODES } from "../src/core/index.js";

const ROOT = new URL("../", import.meta.url).pathname;

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = join(dir, e.name);
    if (e.isDirectory()) return e.name === "node_modules" ? [] : testFiles(full);
    return e.name.endsWith(".test.ts") && e.name !== "error-codes.test.ts" ? [full] : [];
  });
}

describe("every error code has a negative test", () => {
  // A code is covered when some test (other than the docs/table sync) expects it by name.
  const texts = [...testFiles(join(ROOT, "src")), ...testFiles(join(ROOT, "test"))]
    .filter((f) => !f.endsWith("core.test.ts"))
    .map((f) => readFileSync(f, "utf8"));

  it.each(Object.keys(ERROR_CODES).filter((c) => c !== "INTERNAL"))("%s", (code) => {
    expect(
      texts.some((t) => t.includes(`"${code}"`) || t.includes(`\\[${code}\\]`) || t.includes(`/${code}/`)),
    ).toBe(true);
  });
});
