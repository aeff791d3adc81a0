import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeSbom, detectSbomFormat, SbomDecodeError } from "./index.js";
import { jsonSyntaxError } from "./sbom-decode.js";

const json = (value: unknown) => JSON.stringify(value, null, 2);

function decodeError(text: string, file = "sbom.json"): SbomDecodeError {
  try {
    decodeSbom(text, file);
  } catch (e) {
    if (e instanceof SbomDecodeError) return e;
    throw e;
  }
  throw new Error("decoded without an error");
}

describe("decodeSbom: CycloneDX", () => {
  it("reads a minimal CycloneDX 1.4 BOM with legacy tools, nested components and a group", () => {
    const doc = decodeSbom(
      json({
        bomFormat: "CycloneDX",
        specVersion: "1.4",
        serialNumber: "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
        version: 1,
        metadata: {
          timestamp: "2023-01-02T03:04:05Z",
          tools: [{ vendor: "CycloneDX", name: "cyclonedx-npm", version: "1.9.0" }],
          component: { type: "application", name: "shop", version: "1.0.0", "bom-ref": "shop" },
        },
        components: [
          {
            type: "library",
            "bom-ref": "a",
            group: "org.apache.logging.log4j",
            name: "log4j-core",
            version: "2.17.1",
            purl: "pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1",
            licenses: [{ license: { id: "Apache-2.0" } }],
            hashes: [
              { alg: "SHA-256", content: "A".repeat(64) },
              { alg: "SHA3-256", content: "b".repeat(64) },
            ],
            scope: "required",
            components: [
              {
                type: "library",
                "bom-ref": "b",
                group: "@types",
                name: "node",
                version: "20.0.0",
                purl: "pkg:npm/%40types/node@20.0.0",
                scope: "excluded",
                licenses: [{ expression: "MIT OR Apache-2.0" }],
              },
            ],
          },
        ],
        dependencies: [
          { ref: "a", dependsOn: ["b", "missing"] },
          { ref: "b", dependsOn: [] },
        ],
      }),
    );
    expect(doc.serialNumber).toBe("urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79");
    expect(doc.timestamp).toBe("2023-01-02T03:04:05Z");
    expect(doc.tool).toEqual({ name: "cyclonedx-npm", version: "1.9.0" });
    expect(doc.subject).toEqual({ type: "directory", name: "shop" });
    expect(doc.components).toEqual([
      {
        bomRef: "pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1",
        type: "library",
        name: "org.apache.logging.log4j:log4j-core",
        version: "2.17.1",
        purl: "pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1",
        ecosystem: "Maven",
        licenses: ["Apache-2.0"],
        hashes: [{ alg: "SHA-256", content: "a".repeat(64) }],
        scope: "required",
        locations: [],
        foundBy: [],
        properties: {},
      },
      {
        bomRef: "pkg:npm/%40types/node@20.0.0",
        type: "library",
        name: "@types/node",
        version: "20.0.0",
        purl: "pkg:npm/%40types/node@20.0.0",
        ecosystem: "npm",
        licenses: ["MIT OR Apache-2.0"],
        hashes: [],
        scope: "dev",
        locations: [],
        foundBy: [],
        properties: {},
      },
    ]);
    expect(doc.dependencies).toEqual([
      {
        ref: "pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1",
        dependsOn: ["pkg:npm/%40types/node@20.0.0"],
      },
    ]);
  });

  it("reads CycloneDX 1.5: tools as components, evidence occurrences, an image subject, the distro", () => {
    const doc = decodeSbom(
      json({
        bomFormat: "CycloneDX",
        specVersion: "1.5",
        metadata: {
          tools: { components: [{ type: "application", name: "syft", version: "1.0.0" }] },
          component: {
            type: "container",
            name: "alpine:3.19",
            hashes: [{ alg: "SHA-256", content: "f".repeat(64) }],
          },
        },
        components: [
          { type: "operating-system", name: "alpine", version: "3.19.1", description: "Alpine Linux v3.19" },
          {
            type: "library",
            name: "musl",
            version: "1.2.4-r2",
            purl: "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.19.1",
            evidence: { occurrences: [{ location: "/lib/apk/db/installed" }] },
            properties: [{ name: "syft:package:foundBy", value: "apk-db-cataloger" }],
          },
        ],
      }),
    );
    expect(doc.tool).toEqual({ name: "syft", version: "1.0.0" });
    expect(doc.subject).toEqual({
      type: "image",
      name: "alpine:3.19",
      digest: `sha256:${"f".repeat(64)}`,
      distro: { id: "alpine", versionId: "3.19.1", prettyName: "Alpine Linux v3.19" },
    });
    expect(doc.components).toHaveLength(1);
    expect(doc.components[0]).toMatchObject({
      name: "musl",
      ecosystem: "Alpine",
      locations: [{ path: "/lib/apk/db/installed" }],
      properties: {},
    });
  });

  it("reads CycloneDX 1.6 and 1.7 (mixed licenses, layer context, optional scope)", () => {
    for (const specVersion of ["1.6", "1.7"]) {
      const doc = decodeSbom(
        json({
          bomFormat: "CycloneDX",
          specVersion,
          components: [
            {
              type: "library",
              name: "requests",
              version: "2.31.0",
              purl: "pkg:pypi/requests@2.31.0",
              scope: "optional",
              licenses: [{ license: { name: "Bespoke" } }, { expression: "MIT AND BSD-3-Clause" }],
              evidence: {
                occurrences: [
                  { location: "requirements.txt", line: 3, additionalContext: "layer=sha256:ab" },
                ],
              },
            },
          ],
        }),
        "sbom.cdx.json",
      );
      expect(doc.subject).toEqual({ type: "file", name: "sbom.cdx.json" });
      expect(doc.components[0]).toMatchObject({
        ecosystem: "PyPI",
        scope: "optional",
        licenses: ["Bespoke", "MIT AND BSD-3-Clause"],
        locations: [{ path: "requirements.txt", layer: "sha256:ab" }],
      });
    }
  });

  it("keeps components without a purl, with unique bomRefs for repeated purls", () => {
    const doc = decodeSbom(
      json({
        bomFormat: "CycloneDX",
        specVersion: "1.6",
        components: [
          { type: "library", name: "a", version: "1", purl: "pkg:npm/a@1", "bom-ref": "x" },
          { type: "library", name: "a", version: "1", purl: "pkg:npm/a@1", "bom-ref": "y" },
          { type: "file", name: "blob.bin", "bom-ref": "file-1" },
          { type: "firmware", name: "fw" },
        ],
        dependencies: [{ ref: "x", dependsOn: ["y", "file-1"] }],
      }),
    );
    expect(doc.components.map((c) => [c.bomRef, c.type, c.ecosystem])).toEqual([
      ["file-1", "file", ""],
      ["fw@", "file", ""],
      ["pkg:npm/a@1", "library", "npm"],
      ["pkg:npm/a@1#2", "library", "npm"],
    ]);
    expect(doc.dependencies).toEqual([{ ref: "pkg:npm/a@1", dependsOn: ["file-1", "pkg:npm/a@1#2"] }]);
  });
});

describe("decodeSbom: SPDX", () => {
  it("reads a minimal SPDX 2.2 document (documentDescribes, PACKAGE_MANAGER, DEPENDENCY_OF)", () => {
    const doc = decodeSbom(
      json({
        spdxVersion: "SPDX-2.2",
        dataLicense: "CC0-1.0",
        SPDXID: "SPDXRef-DOCUMENT",
        name: "hello",
        documentNamespace: "https://example.com/hello-7c6a33ab-bd76-4b06-b291-a850e0815b07",
        creationInfo: {
          created: "2022-11-03T07:10:10Z",
          creators: ["Organization: Example", "Tool: spdx-sbom-generator-v0.0.15"],
        },
        documentDescribes: ["SPDXRef-Package-hello"],
        packages: [
          { SPDXID: "SPDXRef-Package-hello", name: "hello", downloadLocation: "NOASSERTION" },
          {
            SPDXID: "SPDXRef-Package-yaml",
            name: "gopkg.in/yaml.v3",
            versionInfo: "v3.0.1",
            downloadLocation: "NOASSERTION",
            licenseDeclared: "NOASSERTION",
            licenseConcluded: "MIT AND Apache-2.0",
            checksums: [
              { algorithm: "SHA1", checksumValue: "D".repeat(40) },
              { algorithm: "MD2", checksumValue: "00" },
            ],
            externalRefs: [
              {
                referenceCategory: "PACKAGE_MANAGER",
                referenceType: "purl",
                referenceLocator: "pkg:golang/gopkg.in/yaml.v3@v3.0.1",
              },
            ],
          },
          {
            SPDXID: "SPDXRef-Package-check",
            name: "gopkg.in/check.v1",
            versionInfo: "v1.0.0",
            downloadLocation: "NOASSERTION",
            externalRefs: [
              {
                referenceCategory: "PACKAGE_MANAGER",
                referenceType: "purl",
                referenceLocator: "pkg:golang/gopkg.in/check.v1@v1.0.0",
              },
            ],
          },
        ],
        relationships: [
          {
            spdxElementId: "SPDXRef-Package-check",
            relationshipType: "DEV_DEPENDENCY_OF",
            relatedSpdxElement: "SPDXRef-Package-yaml",
          },
          {
            spdxElementId: "SPDXRef-Package-hello",
            relationshipType: "CONTAINS",
            relatedSpdxElement: "SPDXRef-Package-yaml",
          },
        ],
      }),
    );
    expect(doc.serialNumber).toBe("urn:uuid:7c6a33ab-bd76-4b06-b291-a850e0815b07");
    expect(doc.timestamp).toBe("2022-11-03T07:10:10Z");
    expect(doc.tool).toEqual({ name: "spdx-sbom-generator", version: "v0.0.15" });
    expect(doc.subject).toEqual({ type: "directory", name: "hello" });
    expect(
      doc.components.map((c) => [c.name, c.version, c.ecosystem, c.licenses, c.scope, c.hashes]),
    ).toEqual([
      ["gopkg.in/check.v1", "v1.0.0", "Go", [], "dev", []],
      [
        "gopkg.in/yaml.v3",
        "v3.0.1",
        "Go",
        ["MIT AND Apache-2.0"],
        undefined,
        [{ alg: "SHA-1", content: "d".repeat(40) }],
      ],
    ]);
    expect(doc.dependencies).toEqual([
      { ref: "pkg:golang/gopkg.in/yaml.v3@v3.0.1", dependsOn: ["pkg:golang/gopkg.in/check.v1@v1.0.0"] },
    ]);
  });

  it("reads a minimal SPDX 2.3 document (DESCRIBES, DEPENDS_ON, an Ubuntu package)", () => {
    const doc = decodeSbom(
      json({
        spdxVersion: "SPDX-2.3",
        dataLicense: "CC0-1.0",
        SPDXID: "SPDXRef-DOCUMENT",
        name: "ubuntu-image",
        documentNamespace: "https://example.com/ubuntu",
        creationInfo: { created: "2024-01-01T00:00:00Z", creators: ["Tool: syft-1.2.0"] },
        packages: [
          {
            SPDXID: "SPDXRef-img",
            name: "ubuntu:22.04",
            downloadLocation: "NONE",
            primaryPackagePurpose: "CONTAINER",
          },
          {
            SPDXID: "SPDXRef-libssl",
            name: "libssl3",
            versionInfo: "3.0.2-0ubuntu1.15",
            downloadLocation: "NOASSERTION",
            licenseDeclared: "Apache-2.0",
            externalRefs: [
              {
                referenceCategory: "PACKAGE-MANAGER",
                referenceType: "purl",
                referenceLocator: "pkg:deb/ubuntu/libssl3@3.0.2-0ubuntu1.15?arch=amd64&distro=ubuntu-22.04",
              },
            ],
            primaryPackagePurpose: "LIBRARY",
          },
          {
            SPDXID: "SPDXRef-libc",
            name: "libc6",
            versionInfo: "2.35-0ubuntu3.6",
            downloadLocation: "NOASSERTION",
            externalRefs: [
              {
                referenceCategory: "PACKAGE-MANAGER",
                referenceType: "purl",
                referenceLocator: "pkg:deb/ubuntu/libc6@2.35-0ubuntu3.6?arch=amd64&distro=ubuntu-22.04",
              },
            ],
          },
        ],
        relationships: [
          {
            spdxElementId: "SPDXRef-DOCUMENT",
            relationshipType: "DESCRIBES",
            relatedSpdxElement: "SPDXRef-img",
          },
          {
            spdxElementId: "SPDXRef-libssl",
            relationshipType: "DEPENDS_ON",
            relatedSpdxElement: "SPDXRef-libc",
          },
        ],
      }),
    );
    expect(doc.subject).toEqual({ type: "image", name: "ubuntu:22.04" });
    expect(doc.tool).toEqual({ name: "syft", version: "1.2.0" });
    expect(doc.serialNumber).toBe("");
    expect(doc.components.map((c) => [c.name, c.ecosystem, c.licenses])).toEqual([
      ["libc6", "Ubuntu", []],
      ["libssl3", "Ubuntu", ["Apache-2.0"]],
    ]);
    expect(doc.dependencies).toHaveLength(1);
  });

  it("reads a minimal SPDX 3.0.1 document (external identifier purl, listed license IRI, dependsOn)", () => {
    const base = "https://example.com/spdx/doc";
    const doc = decodeSbom(
      json({
        "@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld",
        "@graph": [
          {
            "@id": "_:ci",
            type: "CreationInfo",
            specVersion: "3.0.1",
            created: "2024-06-01T00:00:00Z",
            createdBy: [`${base}#org`],
            createdUsing: [`${base}#tool`],
          },
          { type: "Organization", spdxId: `${base}#org`, creationInfo: "_:ci", name: "Example" },
          { type: "Tool", spdxId: `${base}#tool`, creationInfo: "_:ci", name: "example-tool-2.0.0" },
          {
            type: "SpdxDocument",
            spdxId: `${base}#doc`,
            creationInfo: "_:ci",
            rootElement: [`${base}#sbom`],
          },
          {
            type: "software_Sbom",
            spdxId: `${base}#sbom`,
            creationInfo: "_:ci",
            rootElement: [`${base}#app`],
          },
          {
            type: "software_Package",
            spdxId: `${base}#app`,
            creationInfo: "_:ci",
            name: "app",
            software_primaryPurpose: "application",
          },
          {
            type: "software_Package",
            spdxId: `${base}#serde`,
            creationInfo: "_:ci",
            name: "serde",
            software_packageVersion: "1.0.197",
            externalIdentifier: [
              {
                type: "ExternalIdentifier",
                externalIdentifierType: "packageUrl",
                identifier: "pkg:cargo/serde@1.0.197",
              },
            ],
            verifiedUsing: [{ type: "Hash", algorithm: "sha256", hashValue: "E".repeat(64) }],
          },
          {
            type: "software_Package",
            spdxId: `${base}#rhel-openssl`,
            creationInfo: "_:ci",
            name: "openssl",
            software_packageVersion: "3.0.7-25.el9",
            software_packageUrl: "pkg:rpm/redhat/openssl@3.0.7-25.el9?distro=rhel-9.3",
          },
          {
            type: "Relationship",
            spdxId: `${base}#r1`,
            creationInfo: "_:ci",
            from: `${base}#serde`,
            relationshipType: "hasDeclaredLicense",
            to: ["https://spdx.org/licenses/MIT"],
          },
          {
            type: "Relationship",
            spdxId: `${base}#r2`,
            creationInfo: "_:ci",
            from: `${base}#serde`,
            relationshipType: "dependsOn",
            to: [`${base}#rhel-openssl`],
          },
        ],
      }),
    );
    expect(doc.timestamp).toBe("2024-06-01T00:00:00Z");
    expect(doc.tool).toEqual({ name: "example-tool", version: "2.0.0" });
    expect(doc.subject).toEqual({ type: "directory", name: "app" });
    expect(doc.components.map((c) => [c.name, c.version, c.purl, c.ecosystem, c.licenses, c.hashes])).toEqual(
      [
        [
          "serde",
          "1.0.197",
          "pkg:cargo/serde@1.0.197",
          "crates.io",
          ["MIT"],
          [{ alg: "SHA-256", content: "e".repeat(64) }],
        ],
        ["openssl", "3.0.7-25.el9", "pkg:rpm/redhat/openssl@3.0.7-25.el9?distro=rhel-9.3", "Red Hat", [], []],
      ],
    );
    expect(doc.dependencies).toEqual([
      { ref: "pkg:cargo/serde@1.0.197", dependsOn: ["pkg:rpm/redhat/openssl@3.0.7-25.el9?distro=rhel-9.3"] },
    ]);
  });

  it("detects the format from marker fields", () => {
    expect(detectSbomFormat({ bomFormat: "CycloneDX", specVersion: "1.6" })).toEqual({
      format: "cyclonedx",
      specVersion: "1.6",
    });
    expect(detectSbomFormat({ spdxVersion: "SPDX-2.3" })).toEqual({ format: "spdx", specVersion: "2.3" });
    expect(detectSbomFormat({ "@context": "https://spdx.org/rdf/3.0.0/spdx-context.jsonld" })).toEqual({
      format: "spdx",
      specVersion: "3.0.0",
    });
    expect(detectSbomFormat({ hello: 1 })).toBeUndefined();
    expect(detectSbomFormat([])).toBeUndefined();
  });
});

describe("decodeSbom: malformed input", () => {
  it("locates a JSON syntax error by line and column", () => {
    const e = decodeError('{\n  "bomFormat": "CycloneDX",\n  "specVersion": tru\n}');
    expect(e.message).toMatch(/^not valid JSON: unexpected character "t"/);
    expect(e.location).toMatchObject({ file: "sbom.json", line: 3, column: 18, path: "" });
    expect(e.code).toBe("INPUT_INVALID");
    expect(String(e)).toMatch(/^sbom\.json:3:18: not valid JSON: .* \[INPUT_INVALID\]$/);
    expect(decodeError("").location).toMatchObject({ line: 1, column: 1 });
    expect(decodeError('{"a": [1, 2}').message).toMatch(/expected ',' or '\]'/);
    expect(decodeError('{"a": 1,}').message).toMatch(/property name/);
    expect(decodeError('"unterminated').message).toMatch(/unterminated string/);
    expect(decodeError("{} {}").message).toMatch(/after the JSON value/);
  });

  it("says what is wrong and where, for values of the wrong type", () => {
    const bom = (components: unknown) => json({ bomFormat: "CycloneDX", specVersion: "1.5", components });
    const missingName = decodeError(bom([{ type: "library", name: "ok" }, { type: "library" }]));
    expect(missingName.message).toBe("components[1].name: is required");
    // A missing value has no position of its own: the error points at the object that lacks it.
    expect(missingName.location).toMatchObject({ path: "components[1].name", line: 9, column: 5 });

    const badHash = decodeError(
      bom([{ type: "library", name: "x", hashes: [{ alg: "SHA-1", content: 42 }] }]),
    );
    expect(badHash.message).toBe("components[0].hashes[0].content: expected a string, got a number");
    expect(badHash.location).toMatchObject({ line: 11, column: 22 });

    expect(decodeError(bom({})).message).toBe("components: expected an array, got an object");
    expect(decodeError(bom([null])).message).toBe("components[0]: expected an object, got null");
    expect(decodeError(bom([{ type: "library", name: "x", licenses: "MIT" }])).message).toMatch(
      /licenses: expected an array/,
    );
  });

  it("rejects documents that are not a supported SBOM", () => {
    expect(decodeError(json({ bomFormat: "SPDX", specVersion: "1.5" })).message).toBe(
      'bomFormat: must be "CycloneDX", got "SPDX"',
    );
    expect(decodeError(json({ bomFormat: "CycloneDX", specVersion: "1.3" })).message).toMatch(
      /specVersion: CycloneDX 1.3 is not supported/,
    );
    expect(decodeError(json({ bomFormat: "CycloneDX" })).message).toBe("specVersion: is required");
    expect(decodeError(json({ spdxVersion: "SPDX-2.1" })).message).toMatch(
      /spdxVersion: SPDX-2.1 is not supported/,
    );
    expect(decodeError(json({ spdxVersion: "SPDX-2.3", packages: [{ SPDXID: "SPDXRef-a" }] })).message).toBe(
      "packages[0].name: is required",
    );
    expect(decodeError(json({ "@context": "https://example.com/ctx" })).message).toMatch(
      /@context: must be the SPDX 3.0 context/,
    );
    expect(
      decodeError(
        json({ "@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "@graph": [{ spdxId: "x" }] }),
      ).message,
    ).toBe("@graph[0].type: is required");
    expect(decodeError(json({ name: "not an sbom" })).message).toMatch(/not a CycloneDX or SPDX document/);
    expect(decodeError("[]").message).toBe("an SBOM must be a JSON object, got an array");
    expect(decodeError('<?xml version="1.0"?><bom/>').message).toMatch(/XML SBOMs are not supported/);
  });

  it("ignores an inherited key: a hostile `__proto__` or `constructor` is just data", () => {
    const doc = decodeSbom(
      '{"bomFormat":"CycloneDX","specVersion":"1.6","__proto__":{"components":[{}]},"components":[{"type":"library","name":"x","constructor":1}]}',
    );
    expect(doc.components.map((c) => c.name)).toEqual(["x"]);
    expect(() =>
      decodeSbom('{"bomFormat":"CycloneDX","specVersion":"1.6","metadata":{"constructor":{}}}'),
    ).not.toThrow();
  });

  it("survives deep nesting without a stack overflow", () => {
    const depth = 20_000;
    const open = Array.from(
      { length: depth },
      (_, i) => `{"type":"library","name":"n${i}","components":[`,
    ).join("");
    const leaf = '{"type":"library","name":"leaf","purl":"pkg:npm/leaf@1"}';
    const text = `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[${open}${leaf}${"]}".repeat(depth)}]}`;
    expect(decodeSbom(text).components).toHaveLength(depth + 1);
    const bad = text.replace('"name":"leaf"', '"name":7');
    expect(decodeError(bad).location.path).toMatch(/^components\[0\](\.components\[0\]){20000}\.name$/);
    const deep = `${"[".repeat(100_000)}${"]".repeat(99_999)}`;
    expect(decodeError(deep).message).toMatch(/not valid JSON: unexpected end of input/);
  });

  it("finds the first syntax error (or none) like JSON.parse does", () => {
    fc.assert(
      fc.property(fc.oneof(fc.json(), fc.string()), (text) => {
        let valid = true;
        try {
          JSON.parse(text);
        } catch {
          valid = false;
        }
        expect(jsonSyntaxError(text) === undefined).toBe(valid);
      }),
      { numRuns: 500 },
    );
  });
});

describe("decodeSbom: hostile input never throws anything but SbomDecodeError", () => {
  const value = fc.jsonValue({ maxDepth: 3 });
  const maybe = <T>(arb: fc.Arbitrary<T>) => fc.oneof(arb, value);
  const str = fc.oneof(
    fc.string(),
    fc.constantFrom(
      "pkg:npm/a@1",
      "pkg:deb/ubuntu/x@1?distro=ubuntu-22.04",
      "pkg:",
      "sha256:" + "a".repeat(64),
      "MIT OR",
    ),
  );
  const property = fc.record(
    {
      name: maybe(
        fc.constantFrom("bulwark:layer", "bulwark:scope", "bulwark:issue", "bulwark:cataloger", "bulwark:x"),
      ),
      value: maybe(str),
    },
    { requiredKeys: [] },
  );
  const cdxComponent = fc.letrec<{ component: Record<string, unknown> }>((tie) => ({
    component: fc.record(
      {
        type: maybe(fc.constantFrom("library", "operating-system", "container", "file")),
        name: maybe(str),
        version: maybe(str),
        group: maybe(str),
        purl: maybe(str),
        "bom-ref": maybe(str),
        scope: maybe(fc.constantFrom("required", "optional", "excluded")),
        licenses: maybe(
          fc.array(
            maybe(
              fc.oneof(
                fc.record({ expression: maybe(str) }),
                fc.record({
                  license: maybe(fc.record({ id: maybe(str), name: maybe(str) }, { requiredKeys: [] })),
                }),
              ),
            ),
            { maxLength: 3 },
          ),
        ),
        hashes: maybe(
          fc.array(maybe(fc.record({ alg: maybe(fc.constantFrom("SHA-256", "MD5")), content: maybe(str) })), {
            maxLength: 2,
          }),
        ),
        evidence: maybe(
          fc.record({
            occurrences: maybe(
              fc.array(maybe(fc.record({ location: maybe(str), additionalContext: maybe(str) }))),
            ),
          }),
        ),
        properties: maybe(fc.array(maybe(property), { maxLength: 3 })),
        components: maybe(fc.array(tie("component"), { maxLength: 2 })),
      },
      { requiredKeys: [] },
    ),
  })).component;
  const cyclonedx = fc.record(
    {
      bomFormat: maybe(fc.constant("CycloneDX")),
      specVersion: maybe(fc.constantFrom("1.4", "1.5", "1.6", "1.7")),
      serialNumber: maybe(str),
      metadata: maybe(
        fc.record(
          {
            timestamp: maybe(str),
            tools: maybe(
              fc.oneof(
                fc.array(maybe(fc.record({ name: maybe(str) }))),
                fc.record({ components: maybe(fc.array(cdxComponent)) }),
              ),
            ),
            component: maybe(cdxComponent),
            properties: maybe(fc.array(maybe(property))),
          },
          { requiredKeys: [] },
        ),
      ),
      components: maybe(fc.array(cdxComponent, { maxLength: 4 })),
      dependencies: maybe(
        fc.array(maybe(fc.record({ ref: maybe(str), dependsOn: maybe(fc.array(maybe(str))) }))),
      ),
    },
    { requiredKeys: ["bomFormat"] },
  );
  const spdx2 = fc.record(
    {
      spdxVersion: maybe(fc.constantFrom("SPDX-2.2", "SPDX-2.3")),
      creationInfo: maybe(
        fc.record(
          { created: maybe(str), creators: maybe(fc.array(maybe(str))), comment: maybe(str) },
          { requiredKeys: [] },
        ),
      ),
      documentNamespace: maybe(str),
      documentDescribes: maybe(fc.array(maybe(fc.constantFrom("SPDXRef-a", "SPDXRef-b")))),
      hasExtractedLicensingInfos: maybe(
        fc.array(maybe(fc.record({ licenseId: maybe(str), name: maybe(str) }))),
      ),
      packages: maybe(
        fc.array(
          maybe(
            fc.record(
              {
                SPDXID: maybe(fc.constantFrom("SPDXRef-a", "SPDXRef-b", "SPDXRef-c")),
                name: maybe(str),
                versionInfo: maybe(str),
                licenseDeclared: maybe(str),
                primaryPackagePurpose: maybe(fc.constantFrom("OPERATING_SYSTEM", "CONTAINER", "LIBRARY")),
                comment: maybe(str),
                sourceInfo: maybe(str),
                checksums: maybe(
                  fc.array(
                    maybe(
                      fc.record({
                        algorithm: maybe(fc.constantFrom("SHA256", "SHA1")),
                        checksumValue: maybe(str),
                      }),
                    ),
                  ),
                ),
                externalRefs: maybe(
                  fc.array(
                    maybe(
                      fc.record({
                        referenceCategory: maybe(fc.constant("PACKAGE-MANAGER")),
                        referenceType: maybe(fc.constant("purl")),
                        referenceLocator: maybe(str),
                      }),
                    ),
                  ),
                ),
              },
              { requiredKeys: [] },
            ),
          ),
          { maxLength: 4 },
        ),
      ),
      relationships: maybe(
        fc.array(
          maybe(
            fc.record({
              spdxElementId: maybe(fc.constantFrom("SPDXRef-DOCUMENT", "SPDXRef-a", "SPDXRef-b")),
              relationshipType: maybe(
                fc.constantFrom("DESCRIBES", "DEPENDS_ON", "DEV_DEPENDENCY_OF", "CONTAINS"),
              ),
              relatedSpdxElement: maybe(fc.constantFrom("SPDXRef-a", "SPDXRef-b", "SPDXRef-c")),
            }),
          ),
        ),
      ),
      annotations: maybe(fc.array(maybe(fc.record({ comment: maybe(str) })))),
    },
    { requiredKeys: ["spdxVersion"] },
  );
  const ids = fc.constantFrom("urn:a", "urn:b", "urn:c", "_:ci");
  const spdx3 = fc.record({
    "@context": maybe(fc.constant("https://spdx.org/rdf/3.0.1/spdx-context.jsonld")),
    "@graph": maybe(
      fc.array(
        maybe(
          fc.record(
            {
              type: maybe(
                fc.constantFrom(
                  "software_Package",
                  "Relationship",
                  "LifecycleScopedRelationship",
                  "simplelicensing_LicenseExpression",
                  "software_Sbom",
                  "CreationInfo",
                  "Tool",
                  "Annotation",
                ),
              ),
              spdxId: maybe(ids),
              name: maybe(str),
              from: maybe(ids),
              to: maybe(fc.array(maybe(ids))),
              relationshipType: maybe(
                fc.constantFrom("dependsOn", "hasDeclaredLicense", "describes", "hasOptionalDependency"),
              ),
              scope: maybe(fc.constantFrom("development", "runtime")),
              rootElement: maybe(fc.array(maybe(ids))),
              createdUsing: maybe(fc.array(maybe(ids))),
              software_packageUrl: maybe(str),
              software_primaryPurpose: maybe(fc.constantFrom("operatingSystem", "container", "library")),
              simplelicensing_licenseExpression: maybe(str),
              simplelicensing_customIdToUri: maybe(
                fc.array(maybe(fc.record({ key: maybe(str), value: maybe(ids) }))),
              ),
              verifiedUsing: maybe(
                fc.array(
                  maybe(
                    fc.record({
                      type: maybe(fc.constant("Hash")),
                      algorithm: maybe(fc.constant("sha256")),
                      hashValue: maybe(str),
                    }),
                  ),
                ),
              ),
              externalIdentifier: maybe(
                fc.array(
                  maybe(
                    fc.record({
                      externalIdentifierType: maybe(fc.constant("packageUrl")),
                      identifier: maybe(str),
                    }),
                  ),
                ),
              ),
              statement: maybe(str),
            },
            { requiredKeys: [] },
          ),
        ),
        { maxLength: 6 },
      ),
    ),
  });

  const onlyDecodeErrors = (text: string) => {
    try {
      decodeSbom(text, "fuzz.json");
    } catch (e) {
      if (!(e instanceof SbomDecodeError)) throw e;
      expect(typeof e.location.path).toBe("string");
    }
  };

  it("random text", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 200 }), onlyDecodeErrors), { numRuns: 300 });
  });

  it("random JSON", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => onlyDecodeErrors(JSON.stringify(v))),
      { numRuns: 500 },
    );
  });

  it("documents shaped like CycloneDX, SPDX 2 and SPDX 3", () => {
    fc.assert(
      fc.property(fc.oneof(cyclonedx, spdx2, spdx3), (v) => onlyDecodeErrors(JSON.stringify(v))),
      { numRuns: 1500 },
    );
  });
});
