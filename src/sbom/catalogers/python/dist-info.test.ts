import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CatalogResult } from "../../model.js";
import { installedPythonCataloger, parseInstalledDirectory, parseInstalledMetadata } from "./dist-info.js";
import {
  catalogAll,
  contextFor,
  fixtureDir,
  fixtureSource,
  memorySource,
} from "../../../../test/support/file-source.js";

const SITE = "usr/lib/python3.11/site-packages";
const rootfs = () => fixtureSource(fixtureDir("python", "rootfs"), "rootfs");
const all = async (): Promise<CatalogResult[]> => catalogAll(installedPythonCataloger, rootfs());
const packages = (rs: CatalogResult[]) => rs.flatMap((r) => r.packages);

describe("python/installed", () => {
  it("applies to dist-info METADATA and RECORD, egg-info PKG-INFO and egg-info files", () => {
    const yes = [
      `${SITE}/idna-3.13.dist-info/METADATA`,
      `${SITE}/idna-3.13.dist-info/RECORD`,
      `${SITE}/Legacy_Pkg-0.9-py3.11.egg-info/PKG-INFO`,
      "usr/lib/python3/dist-packages/distro_tool-1.2.egg-info",
    ];
    const no = [`${SITE}/idna-3.13.dist-info/WHEEL`, `${SITE}/idna/METADATA`, "src/foo.egg-info", "PKG-INFO"];
    for (const p of yes) expect(installedPythonCataloger.applies({ path: p, size: 1 }), p).toBe(true);
    for (const p of no) expect(installedPythonCataloger.applies({ path: p, size: 1 }), p).toBe(false);
    expect(installedPythonCataloger.targets).toEqual(["rootfs", "image"]);
  });

  it("catalogs every install directory once, in the call for its first metadata file", async () => {
    const rs = await catalogAll(installedPythonCataloger, rootfs());
    const nonEmpty = rs.filter((r) => r.packages.length > 0 || r.issues);
    expect(nonEmpty.map((r) => r.path)).toEqual([
      "opt/venv/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA",
      `${SITE}/Legacy_Pkg-0.9-py3.11.egg-info/PKG-INFO`,
      "usr/lib/python3/dist-packages/distro_tool-1.2.egg-info",
    ]);
    expect(packages(rs).map((p) => `${p.name}@${p.version}`)).toEqual([
      "requests@2.31.0",
      "legacy-pkg@0.9",
      "certifi@2026.5.20",
      "charset-normalizer@3.4.7",
      "idna@3.13",
      "requests@2.34.2",
      "six@1.17.0",
      "urllib3@2.7.0",
      "distro-tool@1.2",
    ]);
  });

  it("reads licenses: License-Expression, an SPDX License field, unambiguous classifiers", async () => {
    const byId = new Map(packages(await all()).map((p) => [`${p.name}@${p.version}`, p]));
    expect(byId.get("idna@3.13")!.licenses).toEqual(["BSD-3-Clause"]); // License-Expression
    expect(byId.get("urllib3@2.7.0")!.licenses).toEqual(["MIT"]);
    expect(byId.get("requests@2.34.2")!.licenses).toEqual(["Apache-2.0"]); // "Apache Software License" is not mapped
    expect(byId.get("certifi@2026.5.20")!.licenses).toEqual(["MPL-2.0"]); // License + classifier, once
    expect(byId.get("six@1.17.0")!.licenses).toEqual(["MIT"]);
    // A license text is not an expression: kept shortened; "BSD License" is ambiguous, GPLv3+ is not.
    const legacy = byId.get("legacy-pkg@0.9")!;
    expect(legacy.licenses).toEqual(["GPL-3.0-or-later"]);
    expect(legacy.properties!["python:license"]).toBe("Copyright (c) 2009, Nobody");
    expect(byId.get("distro-tool@1.2")!.licenses).toEqual(["PSF-2.0"]); // License: UNKNOWN ignored
    const venvRequests = byId.get("requests@2.31.0")!;
    expect(venvRequests.licenses).toBeUndefined();
    expect(venvRequests.properties!["python:license-expression"]).toBe("Apache 2.0");
  });

  it("links Requires-Dist to distributions installed in the same directory, skipping extras", async () => {
    const byId = new Map(packages(await all()).map((p) => [`${p.name}@${p.version}`, p]));
    const requests = byId.get("requests@2.34.2")!;
    expect(requests.ref).toBe("requests");
    expect(requests.dependsOn).toEqual(["certifi", "charset-normalizer", "idna", "urllib3"]);
    expect(byId.get("urllib3@2.7.0")!.dependsOn).toBeUndefined(); // every requirement is an extra's
    expect(byId.get("legacy-pkg@0.9")!.dependsOn).toEqual(["six"]);
    // The virtualenv has none of its requirements installed: no edges into the system site.
    expect(byId.get("requests@2.31.0")!.dependsOn).toBeUndefined();
  });

  it("counts RECORD files, gives no package hash, and sets purl, location and type", async () => {
    const byId = new Map(packages(await all()).map((p) => [`${p.name}@${p.version}`, p]));
    const idna = byId.get("idna@3.13")!;
    expect(idna).toMatchObject({
      purl: "pkg:pypi/idna@3.13",
      ecosystem: "PyPI",
      type: "library",
      locations: [{ path: `${SITE}/idna-3.13.dist-info/METADATA` }],
      properties: { "python:metadata-version": "2.4", "python:record-files": "22" },
    });
    expect(idna.hashes).toBeUndefined();
    expect(byId.get("charset-normalizer@3.4.7")!.purl).toBe("pkg:pypi/charset-normalizer@3.4.7");
    expect(byId.get("legacy-pkg@0.9")!.properties!["python:record-files"]).toBeUndefined();
  });

  it("reports metadata without Name and lines that are not headers", async () => {
    const issues = (await all()).flatMap((r) => r.issues ?? []);
    expect(issues.map((i) => [i.location.file, i.location.line, i.message])).toEqual([
      [
        "opt/venv/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA",
        undefined,
        'License-Expression "Apache 2.0" is not a valid SPDX expression',
      ],
      [`${SITE}/broken-1.0.dist-info/METADATA`, 2, 'not a metadata header: "this line is not a header"'],
      [`${SITE}/broken-1.0.dist-info/METADATA`, undefined, "metadata without Name; no package"],
    ]);
  });

  it("catalogs a metadata file given on its own (not listed by the source)", async () => {
    const source = memorySource(
      { "x/site-packages/a-1.dist-info/METADATA": "Name: a\nVersion: 1\n" },
      "rootfs",
    );
    const r = await installedPythonCataloger.catalog(
      { path: "y/site-packages/b-2.dist-info/METADATA", size: 1 },
      contextFor(
        memorySource({ "y/site-packages/b-2.dist-info/METADATA": "Name: b\nVersion: 2\n" }, "rootfs"),
      ),
    );
    expect(r.packages.map((p) => p.name)).toEqual(["b"]);
    const unreadable = await installedPythonCataloger.catalog(
      { path: "z/site-packages/c-1.dist-info/METADATA", size: 1 },
      contextFor(source),
    );
    expect(unreadable.issues![0]!.message).toMatch(/^cannot read/);
  });

  it("keeps both of two installs of one name, with distinct refs", () => {
    const doc = (path: string, v: string) => ({
      entry: { path, size: 1 },
      text: `Name: A_b\nVersion: ${v}\n`,
    });
    const r = parseInstalledDirectory([
      doc("s/a_b-1.dist-info/METADATA", "1"),
      doc("s/a_b-2.dist-info/METADATA", "2"),
    ]);
    expect(r.packages.map((p) => p.ref)).toEqual(["a-b", "a-b#2"]);
  });

  it("folds continuation lines, including lines of spaces, into their field", () => {
    const r = parseInstalledMetadata(
      "Name: x\nVersion: 1\nLicense: line one\n        \n        line two\nClassifier: License :: OSI Approved :: MIT License\n\nBody\nName: y\n",
      { path: "m", size: 1 },
    );
    expect(r.package!.licenses).toEqual(["MIT"]);
    expect(r.package!.name).toBe("x");
  });

  it("never throws on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 400 }), (text) => {
        parseInstalledDirectory([{ entry: { path: "s/x.dist-info/METADATA", size: 1 }, text }]);
      }),
      { numRuns: 300 },
    );
  });
});
