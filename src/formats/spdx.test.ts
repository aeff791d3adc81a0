import { readFileSync } from "node:fs";
import { join } from "node:path";
import ajvModule from "ajv";
import ajv2020Module from "ajv/dist/2020.js";
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
import { decodeSbom, encodeSpdx23, encodeSpdx3, type SbomComponent, type SbomDocument } from "./index.js";

type Json = Record<string, unknown>;
interface Spdx2 extends Json {
  packages: (Json & { SPDXID: string; name: string })[];
  relationships: { spdxElementId: string; relationshipType: string; relatedSpdxElement: string }[];
}
interface Spdx3 extends Json {
  "@graph": (Json & { type: string; spdxId?: string })[];
}

const spdx2 = (doc: SbomDocument = fixture) => JSON.parse(encodeSpdx23(doc)) as Spdx2;
const spdx3 = (doc: SbomDocument = fixture) => JSON.parse(encodeSpdx3(doc)) as Spdx3;

function pkg2(doc: Spdx2, name: string): Json & { SPDXID: string } {
  const found = doc.packages.find((p) => p.name === name);
  if (!found) throw new Error(`no package ${name}`);
  return found;
}

function rels2(doc: Spdx2, type: string): [string, string][] {
  const name = new Map(doc.packages.map((p) => [p.SPDXID, p.name]));
  name.set("SPDXRef-DOCUMENT", "DOCUMENT");
  return doc.relationships
    .filter((r) => r.relationshipType === type)
    .map((r) => [name.get(r.spdxElementId)!, name.get(r.relatedSpdxElement)!]);
}

/** Licenses as the SPDX encoders write them: one AND-joined expression, free text as its LicenseRef. */
const SPDX_LICENSES: Record<string, string[]> = {
  [LIBC]: ["GPL-2.0-or-later AND LGPL-2.1-or-later"],
  [BABEL]: ["MIT"],
  [LODASH]: ["LicenseRef-Custom-see-LICENSE.txt AND MIT"],
  [LEFTPAD]: ["(MIT OR Apache-2.0)"],
  [FSEVENTS]: ["MIT"],
};

describe("encodeSpdx23", () => {
  it("writes the document header and creation info", () => {
    const doc = spdx2();
    expect(Object.keys(doc).slice(0, 6)).toEqual([
      "spdxVersion",
      "dataLicense",
      "SPDXID",
      "name",
      "documentNamespace",
      "creationInfo",
    ]);
    expect(doc.spdxVersion).toBe("SPDX-2.3");
    expect(doc.dataLicense).toBe("CC0-1.0");
    expect(doc.SPDXID).toBe("SPDXRef-DOCUMENT");
    expect(doc.name).toBe("registry.example/shop/app:1.4.2");
    expect(doc.documentNamespace).toBe(
      "https://bulwark.dev/spdx/registry.example-shop-app-1.4.2-0f6d3c4e-8a1b-8c2d-9e3f-4a5b6c7d8e9f",
    );
    expect(doc.creationInfo).toEqual({
      created: "2024-05-01T12:00:00Z",
      creators: ["Tool: bulwark-0.1.0"],
      comment: "catalogers: javascript/package-lock@2, os/dpkg@1",
    });
  });

  it("describes the subject, which contains every component and the distro", () => {
    const doc = spdx2();
    expect(rels2(doc, "DESCRIBES")).toEqual([["DOCUMENT", "registry.example/shop/app:1.4.2"]]);
    expect(
      rels2(doc, "CONTAINS")
        .map(([, to]) => to)
        .sort(),
    ).toEqual(["@babel/core", "debian", "fsevents", "left-pad", "libc6", "lodash"].sort());
    const subject = pkg2(doc, "registry.example/shop/app:1.4.2");
    expect(subject.primaryPackagePurpose).toBe("CONTAINER");
    expect(subject.checksums).toEqual([{ algorithm: "SHA256", checksumValue: "a".repeat(64) }]);
    expect(pkg2(doc, "debian")).toMatchObject({
      versionInfo: "12",
      primaryPackagePurpose: "OPERATING_SYSTEM",
      description: "Debian GNU/Linux 12 (bookworm)",
    });
  });

  it("writes each component as a package with purl, checksums, licenses and source info", () => {
    const libc = pkg2(spdx2(), "libc6");
    expect(libc).toEqual({
      name: "libc6",
      SPDXID: libc.SPDXID,
      versionInfo: "2.36-9+deb12u4",
      downloadLocation: "NOASSERTION",
      filesAnalyzed: false,
      checksums: [{ algorithm: "MD5", checksumValue: "0123456789abcdef0123456789abcdef" }],
      sourceInfo: `found by os/dpkg at: var/lib/dpkg/status (layer ${LAYER_BASE}); source package: glibc 2.36-9+deb12u4`,
      licenseConcluded: "NOASSERTION",
      licenseDeclared: "GPL-2.0-or-later AND LGPL-2.1-or-later",
      copyrightText: "NOASSERTION",
      externalRefs: [{ referenceCategory: "PACKAGE-MANAGER", referenceType: "purl", referenceLocator: LIBC }],
      primaryPackagePurpose: "LIBRARY",
    });
    expect(libc.SPDXID).toMatch(/^SPDXRef-Package-libc6-[0-9a-f]{16}$/);
    expect(pkg2(spdx2(), "@babel/core").SPDXID).toMatch(/^SPDXRef-Package-babel-core-[0-9a-f]{16}$/);
  });

  it("AND-joins several declared licenses; free text becomes an extracted LicenseRef", () => {
    const doc = spdx2();
    expect(pkg2(doc, "lodash").licenseDeclared).toBe("LicenseRef-Custom-see-LICENSE.txt AND MIT");
    expect(doc.hasExtractedLicensingInfos).toEqual([
      {
        licenseId: "LicenseRef-Custom-see-LICENSE.txt",
        extractedText: "Custom: see LICENSE.txt",
        name: "Custom: see LICENSE.txt",
      },
    ]);
    expect(pkg2(doc, "left-pad").licenseDeclared).toBe("(MIT OR Apache-2.0)");
    const none = spdx2({ ...fixture, components: [{ ...fixture.components[1]!, licenses: [] }] });
    expect(pkg2(none, "@babel/core").licenseDeclared).toBe("NOASSERTION");
    expect(none.hasExtractedLicensingInfos).toBeUndefined();
  });

  it("writes dependencies and dev/optional scope as relationships", () => {
    const doc = spdx2();
    expect(rels2(doc, "DEPENDS_ON").sort()).toEqual([
      ["@babel/core", "left-pad"],
      ["@babel/core", "lodash"],
      ["lodash", "fsevents"],
    ]);
    expect(rels2(doc, "DEV_DEPENDENCY_OF")).toEqual([["left-pad", "registry.example/shop/app:1.4.2"]]);
    expect(rels2(doc, "OPTIONAL_DEPENDENCY_OF")).toEqual([["fsevents", "registry.example/shop/app:1.4.2"]]);
  });

  it("writes issues as document annotations", () => {
    expect(spdx2().annotations).toEqual([
      {
        annotationDate: "2024-05-01T12:00:00Z",
        annotationType: "OTHER",
        annotator: "Tool: bulwark-0.1.0",
        comment: `bulwark:issue ${JSON.stringify({
          cataloger: "javascript/package-lock",
          message: "unsupported lockfileVersion 9",
          file: "app/other/package-lock.json",
          line: 3,
          column: 22,
          layer: LAYER_APP,
        })}`,
      },
    ]);
  });

  it("gives unique, valid SPDX ids even to packages with the same or an unusable name", () => {
    const same: SbomDocument = {
      ...fixture,
      subject: { type: "directory", name: "/" },
      components: [
        { ...fixture.components[1]!, bomRef: "pkg:npm/x@1", purl: "pkg:npm/x@1", name: "x" },
        { ...fixture.components[1]!, bomRef: "pkg:npm/x@2", purl: "pkg:npm/x@2", name: "x" },
        { ...fixture.components[1]!, bomRef: "pkg:npm/%40%40@1", purl: "pkg:npm/%40%40@1", name: "@@ / @@" },
      ],
      dependencies: [],
    };
    const ids = [...spdx2(same).packages.map((p) => p.SPDXID)];
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^SPDXRef-[A-Za-z0-9.-]+$/);
    expect(spdx2(same).documentNamespace).toBe(
      "https://bulwark.dev/spdx/0f6d3c4e-8a1b-8c2d-9e3f-4a5b6c7d8e9f",
    );
  });
});

describe("encodeSpdx3", () => {
  const base = "https://bulwark.dev/spdx/0f6d3c4e-8a1b-8c2d-9e3f-4a5b6c7d8e9f#";
  const graph = (doc: SbomDocument = fixture) => spdx3(doc)["@graph"];
  const ofType = (type: string, doc?: SbomDocument) => graph(doc).filter((e) => e.type === type);
  const byId = (id: string) => graph().find((e) => e.spdxId === id)!;

  it("writes the context, the creation info, the tool, the document and the SBOM", () => {
    const doc = spdx3();
    expect(doc["@context"]).toBe("https://spdx.org/rdf/3.0.1/spdx-context.jsonld");
    expect(doc["@graph"][0]).toEqual({
      "@id": "_:creationinfo",
      type: "CreationInfo",
      specVersion: "3.0.1",
      created: "2024-05-01T12:00:00Z",
      createdBy: [`${base}SoftwareAgent-bulwark`],
      createdUsing: [`${base}Tool-bulwark`],
    });
    expect(byId(`${base}Tool-bulwark`)).toMatchObject({ type: "Tool", name: "bulwark-0.1.0" });
    const [document] = ofType("SpdxDocument");
    expect(document).toMatchObject({
      spdxId: `${base}SPDXRef-DOCUMENT`,
      name: "registry.example/shop/app:1.4.2",
      rootElement: [`${base}Sbom`],
      profileConformance: ["core", "simpleLicensing", "software"],
    });
    expect(byId(document!.dataLicense as string)).toMatchObject({
      simplelicensing_licenseExpression: "CC0-1.0",
    });
    const [sbom] = ofType("software_Sbom");
    expect(sbom).toMatchObject({ rootElement: [`${base}Subject`], software_sbomType: ["analyzed"] });
    // Every element but the creation info is in the document, and every id is under the base.
    const ids = graph().flatMap((e) => (e.spdxId ? [e.spdxId] : []));
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id.startsWith(base)).toBe(true);
    expect([...(document!.element as string[]), document!.spdxId].sort()).toEqual([...ids].sort());
    for (const e of graph().slice(1)) expect(e.creationInfo).toBe("_:creationinfo");
  });

  it("writes packages with version, purl, external identifier, hashes and purpose", () => {
    const libc = ofType("software_Package").find((p) => p.name === "libc6")!;
    expect(libc).toEqual({
      type: "software_Package",
      spdxId: libc.spdxId,
      creationInfo: "_:creationinfo",
      name: "libc6",
      verifiedUsing: [{ type: "Hash", algorithm: "md5", hashValue: "0123456789abcdef0123456789abcdef" }],
      externalIdentifier: [
        { type: "ExternalIdentifier", externalIdentifierType: "packageUrl", identifier: LIBC },
      ],
      software_packageUrl: LIBC,
      software_packageVersion: "2.36-9+deb12u4",
      software_primaryPurpose: "library",
      software_sourceInfo: `found by os/dpkg at: var/lib/dpkg/status (layer ${LAYER_BASE}); source package: glibc 2.36-9+deb12u4`,
    });
    expect(libc.spdxId).toMatch(/#SPDXRef-Package-libc6-[0-9a-f]{16}$/);
  });

  it("links declared licenses with hasDeclaredLicense, free text through a licensing text", () => {
    const relationships = ofType("Relationship");
    const declared = (name: string) => {
      const p = ofType("software_Package").find((x) => x.name === name)!;
      const rel = relationships.find(
        (r) => r.from === p.spdxId && r.relationshipType === "hasDeclaredLicense",
      )!;
      return byId((rel.to as string[])[0]!);
    };
    expect(declared("left-pad").simplelicensing_licenseExpression).toBe("(MIT OR Apache-2.0)");
    const lodash = declared("lodash");
    expect(lodash.simplelicensing_licenseExpression).toBe("LicenseRef-Custom-see-LICENSE.txt AND MIT");
    const [entry] = lodash.simplelicensing_customIdToUri as { key: string; value: string }[];
    expect(entry!.key).toBe("LicenseRef-Custom-see-LICENSE.txt");
    expect(byId(entry!.value)).toMatchObject({
      type: "simplelicensing_SimpleLicensingText",
      simplelicensing_licenseText: "Custom: see LICENSE.txt",
    });
    // One expression element per distinct expression.
    const mit = ofType("simplelicensing_LicenseExpression").filter(
      (e) => e.simplelicensing_licenseExpression === "MIT",
    );
    expect(mit).toHaveLength(1);
  });

  it("writes describes, contains, dependsOn and the scopes as relationships", () => {
    const name = new Map(graph().map((e) => [e.spdxId, (e.name as string) ?? e.type]));
    const rels = graph()
      .filter((e) => e.type.endsWith("Relationship") && e.relationshipType !== "hasDeclaredLicense")
      .map((r) => [
        r.type,
        name.get(r.from as string),
        r.relationshipType,
        (r.to as string[]).map((t) => name.get(t)),
        r.scope,
      ]);
    const app = "registry.example/shop/app:1.4.2";
    expect(rels).toEqual([
      ["Relationship", app, "describes", [app], undefined],
      [
        "Relationship",
        app,
        "contains",
        ["debian", "libc6", "@babel/core", "fsevents", "left-pad", "lodash"],
        undefined,
      ],
      ["Relationship", "@babel/core", "dependsOn", ["left-pad", "lodash"], undefined],
      ["Relationship", "lodash", "dependsOn", ["fsevents"], undefined],
      ["LifecycleScopedRelationship", app, "dependsOn", ["left-pad"], "development"],
      ["Relationship", app, "hasOptionalDependency", ["fsevents"], undefined],
    ]);
  });

  it("writes issues as annotations on the document", () => {
    const [annotation] = ofType("Annotation");
    expect(annotation).toMatchObject({
      annotationType: "other",
      subject: `${base}SPDXRef-DOCUMENT`,
      statement: expect.stringMatching(/^bulwark:issue \{"cataloger":"javascript\/package-lock"/),
    });
  });
});

describe("SPDX determinism and round trip", () => {
  const reordered: SbomDocument = {
    ...fixture,
    catalogers: [...fixture.catalogers].reverse(),
    components: shuffled(fixture.components, 11).map((c) => ({ ...c, licenses: [...c.licenses].reverse() })),
    dependencies: shuffled(fixture.dependencies, 5).map((d) => ({
      ...d,
      dependsOn: [...d.dependsOn].reverse(),
    })),
  };

  for (const [label, encode] of [
    ["SPDX 2.3", encodeSpdx23],
    ["SPDX 3.0.1", encodeSpdx3],
  ] as const) {
    it(`${label}: same content, same bytes (whatever the input order)`, () => {
      const once = encode(fixture);
      expect(encode(fixture)).toBe(once);
      expect(encode(reordered)).toBe(once);
      expect(once.endsWith("}\n")).toBe(true);
      expect(once.split("\n")[1]).toMatch(/^ {2}"/);
    });

    it(`${label}: decode(encode(doc)) keeps names, versions, purls, licenses, hashes, scopes, dependencies`, () => {
      const back = decodeSbom(encode(fixture), "sbom.spdx.json");
      expect(back.serialNumber).toBe(fixture.serialNumber);
      expect(back.timestamp).toBe(fixture.timestamp);
      expect(back.tool).toEqual(fixture.tool);
      expect(back.subject).toEqual(fixture.subject);
      expect(back.issues).toEqual(fixture.issues);
      const want = [...fixture.components].sort((a, b) => (a.purl < b.purl ? -1 : 1));
      const summary = (c: SbomComponent) => ({
        bomRef: c.bomRef,
        type: c.type,
        name: c.name,
        version: c.version,
        purl: c.purl,
        ecosystem: c.ecosystem,
        licenses: c.licenses,
        hashes: c.hashes,
        scope: c.scope,
        sourcePackage: c.sourcePackage,
      });
      expect(back.components.map(summary)).toEqual(
        want.map((c) => summary({ ...c, licenses: SPDX_LICENSES[c.purl]! })),
      );
      // Free text comes back as the text it was, not as its LicenseRef.
      expect(
        decodeSbom(encode({ ...fixture, components: [{ ...fixture.components[1]!, licenses: ["Bespoke"] }] }))
          .components[0]!.licenses,
      ).toEqual(["Bespoke"]);
      expect(back.dependencies).toEqual([
        { ref: BABEL, dependsOn: [LEFTPAD, LODASH] },
        { ref: LODASH, dependsOn: [FSEVENTS] },
      ]);
    });
  }
});

// CommonJS packages: under NodeNext the default import is `module.exports`, whose `default` is the export.
const Ajv = ajvModule.default;
const Ajv2020 = ajv2020Module.default;
const addFormats = ajvFormats.default;
const shared = requireShared();

describe.skipIf(!shared)("SPDX conformance (official schemas)", () => {
  const load = (name: string) =>
    JSON.parse(readFileSync(join(shared ?? "", "schemas/spdx", name), "utf8")) as Json;
  const docs: SbomDocument[] = [
    fixture,
    { ...fixture, subject: { type: "directory", name: "." }, issues: [] },
    {
      ...fixture,
      subject: { type: "rootfs", name: "/mnt/root" },
      components: [],
      dependencies: [],
      issues: [],
      catalogers: [],
    },
  ];

  it("SPDX 2.3 (draft-07): the documents we write are valid, and a broken one is not", () => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    const check = ajv.compile(load("spdx-schema-2.3.json"));
    for (const doc of docs) {
      const ok = check(spdx2(doc));
      expect(check.errors ?? []).toEqual([]);
      expect(ok).toBe(true);
    }
    const broken = spdx2();
    broken.packages[2]!.primaryPackagePurpose = "OPERATING-SYSTEM";
    expect(check(broken)).toBe(false);
  });

  it("SPDX 3.0.1 (draft 2020-12): the documents we write are valid, and a broken one is not", () => {
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats(ajv);
    const check = ajv.compile(load("spdx-json-schema-3.0.1.json"));
    for (const doc of docs) {
      const ok = check(spdx3(doc));
      expect(check.errors ?? []).toEqual([]);
      expect(ok).toBe(true);
    }
    const broken = spdx3();
    broken["@graph"][0]!.created = "2024-05-01T12:00:00.123Z";
    expect(check(broken)).toBe(false);
    const unknownKey = spdx3();
    unknownKey["@graph"][6]!.software_version = "1";
    expect(check(unknownKey)).toBe(false);
  });
});
