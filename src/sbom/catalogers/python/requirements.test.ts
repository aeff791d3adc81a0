import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  catalogAll,
  contextFor,
  fixtureDir,
  fixtureSource,
  memorySource,
} from "../../../../test/support/file-source.js";
import { isRequirementsPath, parseRequirements, requirementsCataloger } from "./requirements.js";

const entry = { path: "requirements.txt", size: 0 };

describe("python/requirements", () => {
  it("applies to requirements files only", () => {
    for (const p of [
      "requirements.txt",
      "a/requirements-dev.txt",
      "dev-requirements.txt",
      "requirements/base.txt",
    ])
      expect(isRequirementsPath(p), p).toBe(true);
    for (const p of ["requirements.in", "notes.txt", "a/requirementsfoo/x.md", "myrequirements.txt"])
      expect(isRequirementsPath(p), p).toBe(false);
  });

  it("catalogs exactly the pinned requirements of the fixture", async () => {
    const results = await catalogAll(
      requirementsCataloger,
      fixtureSource(fixtureDir("python", "requirements")),
    );
    expect(results.map((r) => r.path)).toEqual([
      "dev-requirements.txt",
      "requirements.txt",
      "requirements/base.txt",
    ]);
    const main = results.find((r) => r.path === "requirements.txt")!;
    expect(main.packages.map((p) => `${p.name}@${p.version}`)).toEqual([
      "certifi@2024.2.2",
      "requests@2.31.0",
      "charset-normalizer@3.3.2",
      "zope-interface@6.2",
      "typing-extensions@4.9.0",
      "pytest@8.0.0",
      "badhash@1.0", // kept: the pin is fine, only its hash is reported
    ]);
    const byName = new Map(main.packages.map((p) => [p.name, p]));
    expect(byName.get("certifi")!.hashes).toEqual([
      { alg: "SHA-256", content: "0569859f95fc761b18b45ef421b1290a0f65f147e92a1e5eb3e635f9a5e4e66f" },
      { alg: "SHA-256", content: "dc383c07b76109f368f6106eee2b593b04a011ea4d55f652c6ca24a754d1cdd1" },
    ]);
    const requests = byName.get("requests")!;
    expect(requests.purl).toBe("pkg:pypi/requests@2.31.0");
    expect(requests.properties).toEqual({
      "python:markers": 'python_version >= "3.7"',
      "python:extras": "socks,security",
    });
    expect(requests.hashes).toHaveLength(1);
    expect(requests.locations).toEqual([{ path: "requirements.txt" }]);
    expect(byName.get("zope-interface")!.purl).toBe("pkg:pypi/zope-interface@6.2");
    expect(byName.get("typing-extensions")!.properties).toEqual({
      "python:markers": 'python_version < "3.11"',
    });
    for (const p of main.packages) {
      expect(p.ecosystem).toBe("PyPI");
      expect(p.scope).toBeUndefined();
    }
  });

  it("reports includes, malformed lines and duplicates with their lines", async () => {
    const [main] = (
      await catalogAll(requirementsCataloger, fixtureSource(fixtureDir("python", "requirements")))
    ).filter((r) => r.path === "requirements.txt");
    expect(main!.issues!.map((i) => [i.location.line, i.message])).toEqual([
      [6, 'requirements file "requirements/base.txt" is included; it is not followed'],
      [7, 'constraints file "constraints.txt" is included; it is not followed'],
      [26, 'malformed version specifier "==" for six'],
      [27, "duplicate requirement CERTIFI (first on line 9); ignored"],
      [28, 'malformed hash "sha256:nothex" for badhash'],
      [29, 'cannot parse requirement "!!! not a requirement"'],
    ]);
    expect(
      main!.issues!.every(
        (i) => i.cataloger === "python/requirements" && i.location.file === "requirements.txt",
      ),
    ).toBe(true);
  });

  it("joins continuation lines and ends them at a comment, as pip does", () => {
    const text = "a==1.0 \\\n  --hash=sha256:" + "a".repeat(64) + " \\\n  # via b\nb==2.0\n";
    const r = parseRequirements(text, entry);
    expect(r.packages.map((p) => [p.name, p.hashes?.length])).toEqual([
      ["a", 1],
      ["b", undefined],
    ]);
    expect(r.issues).toBeUndefined();
  });

  it("accepts attached and spaced include options and --hash with a space", () => {
    const r = parseRequirements(
      "-rbase.txt\n--requirement=x.txt\nz==1 --hash sha512:" + "b".repeat(128) + "\n",
      entry,
    );
    expect(r.issues!.map((i) => i.message)).toEqual([
      'requirements file "base.txt" is included; it is not followed',
      'requirements file "x.txt" is included; it is not followed',
    ]);
    expect(r.packages[0]!.hashes).toEqual([{ alg: "SHA-512", content: "b".repeat(128) }]);
  });

  it("reports an unreadable file instead of throwing", async () => {
    const source = memorySource({});
    const r = await requirementsCataloger.catalog({ path: "requirements.txt", size: 1 }, contextFor(source));
    expect(r.packages).toEqual([]);
    expect(r.issues![0]!.message).toMatch(/^cannot read/);
  });

  it("never throws on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 400 }), (text) => {
        const r = parseRequirements(text, entry);
        expect(Array.isArray(r.packages)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
