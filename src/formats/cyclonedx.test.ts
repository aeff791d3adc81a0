import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import ajvModule from "ajv";
import ajvFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import {
  BABEL,
  FSEVENTS,
  fixture,
  LAYER_APP,
  LAYER_BASE,
  LEFTPAD,
  LIBC,
  LODASH,
  shuffled,
} from "../../test/support/sbom-fixture.js";
import { requireShared } from "../../test/support/shared.js";
import {
  classifyLicense,
  CYCLONEDX_UNLISTED_LICENSE_IDS,
  CYCLONEDX_VERSIONS,
  type CycloneDxVersion,
  decodeSbom,
  ecosystemFromPurl,
  encodeCycloneDx,
  type SbomComponent,
  type SbomDocument,
} from "./index.js";

type Bom = Record<string, unknown> & {
  metadata: Record<string, unknown> & { component: Record<string, unknown> };
  components: (Record<string, unknown> & { "bom-ref": string })[];
  dependencies: { ref: string; dependsOn: string[] }[];
};

function encoded(version: CycloneDxVersion = "1.7", doc: SbomDocument = fixture): Bom {
  return JSON.parse(encodeCycloneDx(doc, version)) as Bom;
}

function byRef(bom: Bom, ref: string): Record<string, unknown> {
  const found = bom.components.find((c) => c["bom-ref"] === ref);
  if (!found) throw new Error(`no component ${ref}`);
  return found;
}

describe("encodeCycloneDx", () => {
  it("writes the BOM header, the tool with its catalogers and the subject", () => {
    const bom = encoded();
    expect(Object.keys(bom).slice(0, 5)).toEqual([
      "$schema",
      "bomFormat",
      "specVersion",
      "serialNumber",
      "version",
    ]);
    expect(bom.specVersion).toBe("1.7");
    expect(bom.serialNumber).toBe(fixture.serialNumber);
    expect(bom.version).toBe(1);
    expect(bom.metadata.timestamp).toBe("2024-05-01T12:00:00Z");
    expect(bom.metadata.tools).toEqual({
      components: [
        {
          type: "application",
          name: "bulwark",
          version: "0.1.0",
          properties: [
            { name: "bulwark:cataloger", value: "javascript/package-lock@2" },
            { name: "bulwark:cataloger", value: "os/dpkg@1" },
          ],
        },
      ],
    });
    expect(bom.metadata.component).toEqual({
      type: "container",
      "bom-ref": fixture.subject.digest,
      name: "registry.example/shop/app:1.4.2",
      hashes: [{ alg: "SHA-256", content: "a".repeat(64) }],
      properties: [
        { name: "bulwark:image:architecture", value: "amd64" },
        { name: "bulwark:image:baseLayer", value: LAYER_BASE },
        { name: "bulwark:image:configDigest", value: fixture.subject.configDigest },
        { name: "bulwark:image:digest", value: fixture.subject.digest },
        { name: "bulwark:image:layer", value: LAYER_BASE },
        { name: "bulwark:image:layer", value: LAYER_APP },
        { name: "bulwark:image:os", value: "linux" },
        { name: "bulwark:subject:type", value: "image" },
      ],
    });
  });

  it("writes a directory subject as an application with no hash", () => {
    const bom = encoded("1.7", { ...fixture, subject: { type: "directory", name: "." } });
    expect(bom.metadata.component).toEqual({
      type: "application",
      "bom-ref": "bulwark:subject",
      name: ".",
      properties: [{ name: "bulwark:subject:type", value: "directory" }],
    });
    expect(bom.components.some((c) => c.type === "operating-system")).toBe(false);
  });

  it("writes the distro as an operating-system component", () => {
    expect(encoded().components[0]).toEqual({
      type: "operating-system",
      "bom-ref": "os:debian@12",
      name: "debian",
      version: "12",
      description: "Debian GNU/Linux 12 (bookworm)",
    });
  });

  it("writes a component with purl, hashes, evidence, scope and sorted properties", () => {
    expect(byRef(encoded(), LIBC)).toEqual({
      type: "library",
      "bom-ref": LIBC,
      name: "libc6",
      version: "2.36-9+deb12u4",
      hashes: [{ alg: "MD5", content: "0123456789abcdef0123456789abcdef" }],
      licenses: [{ expression: "GPL-2.0-or-later AND LGPL-2.1-or-later" }],
      purl: LIBC,
      evidence: {
        occurrences: [{ location: "var/lib/dpkg/status", additionalContext: `layer=${LAYER_BASE}` }],
      },
      properties: [
        { name: "bulwark:deb:arch", value: "amd64" },
        { name: "bulwark:foundBy", value: "os/dpkg" },
        { name: "bulwark:layer", value: LAYER_BASE },
        { name: "bulwark:sourcePackage", value: "glibc" },
        { name: "bulwark:sourcePackageVersion", value: "2.36-9+deb12u4" },
      ],
    });
  });

  it("maps scopes: dev is excluded plus bulwark:scope=dev, optional stays optional", () => {
    const bom = encoded();
    expect(byRef(bom, LEFTPAD).scope).toBe("excluded");
    expect(byRef(bom, LEFTPAD).properties).toContainEqual({ name: "bulwark:scope", value: "dev" });
    expect(byRef(bom, FSEVENTS).scope).toBe("optional");
    expect(byRef(bom, BABEL).scope).toBeUndefined();
  });

  it("writes licenses as id, name or expression; 1.5/1.6 join a mix into one expression", () => {
    const v17 = encoded("1.7");
    expect(byRef(v17, BABEL).licenses).toEqual([{ license: { id: "MIT" } }]);
    expect(byRef(v17, LEFTPAD).licenses).toEqual([{ expression: "(MIT OR Apache-2.0)" }]);
    expect(byRef(v17, LODASH).licenses).toEqual([
      { license: { name: "Custom: see LICENSE.txt" } },
      { license: { id: "MIT" } },
    ]);
    const mixed: SbomDocument = {
      ...fixture,
      components: [
        {
          ...fixture.components[1]!,
          licenses: ["MIT", "GPL-2.0-only WITH Classpath-exception-2.0", "Bespoke"],
        },
      ],
    };
    expect(encoded("1.7", mixed).components[1]!.licenses).toEqual([
      { license: { name: "Bespoke" } },
      { expression: "GPL-2.0-only WITH Classpath-exception-2.0" },
      { license: { id: "MIT" } },
    ]);
    for (const v of ["1.6", "1.5"] as const) {
      expect(encoded(v, mixed).components[1]!.licenses).toEqual([
        { expression: "LicenseRef-Bespoke AND (GPL-2.0-only WITH Classpath-exception-2.0) AND MIT" },
      ]);
      expect(byRef(encoded(v), LODASH).licenses).toEqual([
        { license: { name: "Custom: see LICENSE.txt" } },
        { license: { id: "MIT" } },
      ]);
    }
  });

  it("writes only 1.5's occurrence fields in 1.5", () => {
    const occurrences = (byRef(encoded("1.5"), LODASH).evidence as { occurrences: unknown[] }).occurrences;
    expect(occurrences).toEqual([
      { location: "app/node_modules/lodash/package.json" },
      { location: "app/package-lock.json" },
    ]);
  });

  it("writes dependencies and issues, sorted", () => {
    const bom = encoded();
    expect(bom.dependencies).toEqual([
      { ref: BABEL, dependsOn: [LEFTPAD, LODASH] },
      { ref: LODASH, dependsOn: [FSEVENTS] },
    ]);
    expect(bom.metadata.properties).toEqual([
      {
        name: "bulwark:issue",
        value: JSON.stringify({
          cataloger: "javascript/package-lock",
          message: "unsupported lockfileVersion 9",
          file: "app/other/package-lock.json",
          line: 3,
          column: 22,
          layer: LAYER_APP,
        }),
      },
    ]);
  });

  it("drops dangling dependency refs and hashes that are not hex of the right length", () => {
    const doc: SbomDocument = {
      ...fixture,
      components: [
        {
          ...fixture.components[1]!,
          hashes: [
            { alg: "SHA-256", content: "not-hex" },
            { alg: "SHA-1", content: "E".repeat(40) },
          ],
        },
      ],
      dependencies: [{ ref: BABEL, dependsOn: ["pkg:npm/ghost@1.0.0"] }],
    };
    const bom = encoded("1.7", doc);
    expect(bom.dependencies).toEqual([]);
    expect(bom.components[1]!.hashes).toEqual([{ alg: "SHA-1", content: "e".repeat(40) }]);
  });

  it("records the ecosystem only when the purl does not imply it", () => {
    const doc: SbomDocument = {
      ...fixture,
      components: [{ ...fixture.components[1]!, ecosystem: "Bitnami" }],
    };
    expect(encoded("1.7", doc).components[1]!.properties).toContainEqual({
      name: "bulwark:ecosystem",
      value: "Bitnami",
    });
    expect(byRef(encoded(), BABEL).properties).not.toContainEqual(
      expect.objectContaining({ name: "bulwark:ecosystem" }),
    );
  });

  it("is byte-identical for the same content, whatever the input order", () => {
    const reordered: SbomDocument = {
      ...fixture,
      catalogers: [...fixture.catalogers].reverse(),
      components: shuffled(
        fixture.components.map((c) => ({
          ...c,
          properties: Object.fromEntries(Object.entries(c.properties).reverse()),
        })),
        7,
      ),
      dependencies: shuffled(
        fixture.dependencies.map((d) => ({ ...d, dependsOn: [...d.dependsOn].reverse() })),
        3,
      ),
    };
    for (const v of CYCLONEDX_VERSIONS) {
      const once = encodeCycloneDx(fixture, v);
      expect(encodeCycloneDx(fixture, v)).toBe(once);
      expect(encodeCycloneDx(reordered, v)).toBe(once);
      expect(once.endsWith("}\n")).toBe(true);
      expect(once.split("\n")[1]).toMatch(/^ {2}"\$schema"/);
    }
  });

  it("normalises the timestamp to whole seconds in UTC and rejects bad serials and times", () => {
    const bom = encoded("1.7", { ...fixture, timestamp: "2024-05-01T14:00:00.123+02:00" });
    expect(bom.metadata.timestamp).toBe("2024-05-01T12:00:00Z");
    expect(() => encodeCycloneDx({ ...fixture, serialNumber: "1234" }, "1.7")).toThrow(RangeError);
    expect(() => encodeCycloneDx({ ...fixture, timestamp: "yesterday" }, "1.7")).toThrow(RangeError);
    expect(() =>
      encodeCycloneDx({ ...fixture, components: [fixture.components[0]!, fixture.components[0]!] }, "1.7"),
    ).toThrow(/given twice/);
  });

  it("round-trips through the decoder for every version", () => {
    for (const v of CYCLONEDX_VERSIONS) {
      const back = decodeSbom(encodeCycloneDx(fixture, v), `bom-${v}.json`);
      expect(back.serialNumber).toBe(fixture.serialNumber);
      expect(back.timestamp).toBe(fixture.timestamp);
      expect(back.tool).toEqual(fixture.tool);
      expect(back.catalogers).toEqual([...fixture.catalogers].sort((a, b) => (a.name < b.name ? -1 : 1)));
      expect(back.subject).toEqual(fixture.subject);
      expect(back.dependencies).toEqual([
        { ref: BABEL, dependsOn: [LEFTPAD, LODASH] },
        { ref: LODASH, dependsOn: [FSEVENTS] },
      ]);
      expect(back.issues).toEqual(fixture.issues);
      const want = [...fixture.components].sort((a, b) => (a.purl < b.purl ? -1 : 1));
      if (v === "1.7") {
        const sortedLocations = (c: SbomComponent) =>
          [...c.locations].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
        expect(back.components).toEqual(
          want.map((c) => ({ ...c, licenses: [...c.licenses].sort(), locations: sortedLocations(c) })),
        );
      } else {
        // 1.5/1.6 joined no licenses here (no component mixes names with expressions).
        expect(
          back.components.map((c) => [
            c.bomRef,
            c.name,
            c.version,
            c.purl,
            c.ecosystem,
            c.licenses,
            c.hashes,
          ]),
        ).toEqual(
          want.map((c) => [
            c.bomRef,
            c.name,
            c.version,
            c.purl,
            c.ecosystem,
            [...c.licenses].sort(),
            c.hashes,
          ]),
        );
      }
    }
  });
});

describe("license and purl helpers", () => {
  it("classifies declared licenses", () => {
    expect(classifyLicense("MIT")).toEqual({ kind: "id", value: "MIT" });
    expect(classifyLicense(" Apache-2.0 ")).toEqual({ kind: "id", value: "Apache-2.0" });
    expect(classifyLicense("MIT OR Apache-2.0")).toEqual({ kind: "expression", value: "MIT OR Apache-2.0" });
    expect(classifyLicense("GPL-2.0+")).toEqual({ kind: "expression", value: "GPL-2.0+" });
    expect(classifyLicense("LicenseRef-acme")).toEqual({ kind: "expression", value: "LicenseRef-acme" });
    expect(classifyLicense("BSD-style")).toEqual({ kind: "name", value: "BSD-style" });
    expect(classifyLicense("mit")).toEqual({ kind: "name", value: "mit" });
    expect(classifyLicense("")).toBeUndefined();
    expect(classifyLicense("NOASSERTION")).toBeUndefined();
  });

  it("maps purl types to OSV ecosystems", () => {
    const cases: [string, string][] = [
      ["pkg:npm/%40babel/core@7.24.0", "npm"],
      ["pkg:pypi/requests@2.31.0", "PyPI"],
      ["pkg:golang/github.com/sirupsen/logrus@v1.9.3", "Go"],
      ["pkg:cargo/serde@1.0.0", "crates.io"],
      ["pkg:gem/rails@7.1.0", "RubyGems"],
      ["pkg:composer/laravel/framework@10.0.0", "Packagist"],
      ["pkg:nuget/Newtonsoft.Json@13.0.1", "NuGet"],
      ["pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1", "Maven"],
      ["pkg:deb/debian/libc6@2.36?distro=debian-12", "Debian"],
      ["pkg:deb/ubuntu/libc6@2.35?distro=ubuntu-22.04", "Ubuntu"],
      ["pkg:deb/debian/libc6@2.35?distro=ubuntu-22.04", "Ubuntu"],
      ["pkg:apk/alpine/musl@1.2.4?distro=alpine-3.19.1", "Alpine"],
      ["pkg:apk/wolfi/glibc@2.39", "Wolfi"],
      ["pkg:rpm/redhat/openssl@3.0.7?distro=rhel-9.3", "Red Hat"],
      ["pkg:rpm/rocky/openssl@3.0.7", "Rocky Linux"],
      ["pkg:rpm/almalinux/openssl@3.0.7", "AlmaLinux"],
      ["pkg:rpm/opensuse/openssl@3.0.7", "openSUSE"],
      ["pkg:rpm/fedora/openssl@3.0.7", ""],
      ["pkg:generic/thing@1", ""],
      ["not a purl", ""],
    ];
    for (const [purl, ecosystem] of cases) expect([purl, ecosystemFromPurl(purl)]).toEqual([purl, ecosystem]);
  });
});

// CommonJS packages: under NodeNext the default import is `module.exports`, whose `default` is the export.
const Ajv = ajvModule.default;
const addFormats = ajvFormats.default;
const shared = requireShared();

describe.skipIf(!shared)("CycloneDX conformance (official schemas)", () => {
  const dir = join(shared ?? "", "schemas/cyclonedx");
  const load = (name: string) => JSON.parse(readFileSync(join(dir, name), "utf8")) as Record<string, unknown>;
  const validator = (version: CycloneDxVersion) => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    // Formats ajv-formats lacks; Bulwark writes no values of these kinds.
    for (const format of ["iri-reference", "idn-email"]) ajv.addFormat(format, true);
    ajv.addSchema(load("spdx.schema.json"));
    ajv.addSchema(load("jsf-0.82.schema.json"));
    if (version === "1.7") ajv.addSchema(load("cryptography-defs.schema.json"));
    return ajv.compile(load(`bom-${version}.schema.json`));
  };

  for (const version of CYCLONEDX_VERSIONS) {
    it(`CycloneDX ${version}: the fixture, a directory SBOM and an empty one are valid`, () => {
      const check = validator(version);
      const docs: SbomDocument[] = [
        fixture,
        { ...fixture, subject: { type: "directory", name: "." }, issues: [] },
        {
          ...fixture,
          subject: { type: "file", name: "go.mod" },
          components: [],
          dependencies: [],
          issues: [],
          catalogers: [],
        },
      ];
      for (const doc of docs) {
        const ok = check(JSON.parse(encodeCycloneDx(doc, version)));
        expect(check.errors ?? []).toEqual([]);
        expect(ok).toBe(true);
      }
    });

    it(`CycloneDX ${version}: the validator really checks (a bad scope is rejected)`, () => {
      const check = validator(version);
      const bom = encoded(version);
      bom.components[1]!.scope = "dev";
      expect(check(bom)).toBe(false);
    });

    it(`CycloneDX ${version}: what the encoder leaves out for this version really is forbidden`, () => {
      const check = validator(version);
      const bom = encoded(version);
      const lodash = bom.components.find((c) => c["bom-ref"] === LODASH)!;
      // 1.5 occurrences have no additionalContext; 1.5/1.6 cannot mix license objects and expressions.
      (lodash.evidence as { occurrences: Record<string, unknown>[] }).occurrences[0]!.additionalContext = "x";
      lodash.licenses = [{ license: { id: "MIT" } }, { expression: "MIT OR Apache-2.0" }];
      expect(check(bom)).toBe(version === "1.7");
    });
  }

  it("every SPDX id the parser knows is either in the CycloneDX enum or listed as unlisted", () => {
    const require = createRequire(import.meta.url);
    const parserIds = [
      ...(require("spdx-license-ids") as string[]),
      ...(require("spdx-license-ids/deprecated.json") as string[]),
    ];
    const cdxIds = new Set(load("spdx.schema.json").enum as string[]);
    const missing = parserIds.filter((id) => !cdxIds.has(id)).sort();
    expect(missing).toEqual([...CYCLONEDX_UNLISTED_LICENSE_IDS].sort());
    // And the unlisted ones are written as expressions, so the BOM stays valid.
    const doc: SbomDocument = { ...fixture, components: [{ ...fixture.components[1]!, licenses: missing }] };
    const check = validator("1.5");
    expect(check(JSON.parse(encodeCycloneDx(doc, "1.5")))).toBe(true);
  });
});
