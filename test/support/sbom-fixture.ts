/**
 * The SBOM document the format tests (CycloneDX, SPDX) encode and decode, and a seeded shuffle for
 * order-independence checks.
 */
import type { SbomComponent, SbomDocument } from "../../src/formats/index.js";

// A realistic image SBOM: npm packages (one scoped, one dev, one optional), a Debian package with
// a distro qualifier and a source package, a compound and a free-text license, layers, an issue.
export const LAYER_BASE = `sha256:${"1".repeat(64)}`;
export const LAYER_APP = `sha256:${"2".repeat(64)}`;
export const LIBC = "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12";
export const BABEL = "pkg:npm/%40babel/core@7.24.0";
export const LODASH = "pkg:npm/lodash@4.17.21";
export const LEFTPAD = "pkg:npm/left-pad@1.3.0";
export const FSEVENTS = "pkg:npm/fsevents@2.3.3";

function component(
  over: Partial<SbomComponent> & Pick<SbomComponent, "purl" | "name" | "version">,
): SbomComponent {
  return {
    bomRef: over.purl,
    type: "library",
    ecosystem: "npm",
    licenses: [],
    hashes: [],
    locations: [],
    foundBy: ["javascript/package-lock"],
    properties: {},
    ...over,
  };
}

export const fixture: SbomDocument = {
  serialNumber: "urn:uuid:0f6d3c4e-8a1b-8c2d-9e3f-4a5b6c7d8e9f",
  timestamp: "2024-05-01T12:00:00Z",
  tool: { name: "bulwark", version: "0.1.0" },
  catalogers: [
    { name: "os/dpkg", version: 1 },
    { name: "javascript/package-lock", version: 2 },
  ],
  subject: {
    type: "image",
    name: "registry.example/shop/app:1.4.2",
    digest: `sha256:${"a".repeat(64)}`,
    configDigest: `sha256:${"b".repeat(64)}`,
    os: "linux",
    architecture: "amd64",
    layers: [{ digest: LAYER_BASE, base: true }, { digest: LAYER_APP }],
    distro: { id: "debian", versionId: "12", prettyName: "Debian GNU/Linux 12 (bookworm)" },
  },
  components: [
    component({
      purl: LIBC,
      name: "libc6",
      version: "2.36-9+deb12u4",
      ecosystem: "Debian",
      licenses: ["GPL-2.0-or-later AND LGPL-2.1-or-later"],
      hashes: [{ alg: "MD5", content: "0123456789abcdef0123456789abcdef" }],
      locations: [{ path: "var/lib/dpkg/status", layer: LAYER_BASE }],
      foundBy: ["os/dpkg"],
      sourcePackage: { name: "glibc", version: "2.36-9+deb12u4" },
      properties: { "deb:arch": "amd64" },
    }),
    component({
      purl: BABEL,
      name: "@babel/core",
      version: "7.24.0",
      licenses: ["MIT"],
      hashes: [{ alg: "SHA-512", content: "c".repeat(128) }],
      locations: [{ path: "app/package-lock.json", layer: LAYER_APP }],
    }),
    component({
      purl: LODASH,
      name: "lodash",
      version: "4.17.21",
      licenses: ["MIT", "Custom: see LICENSE.txt"],
      hashes: [{ alg: "SHA-1", content: "d".repeat(40) }],
      locations: [
        { path: "app/package-lock.json", layer: LAYER_APP },
        { path: "app/node_modules/lodash/package.json", layer: LAYER_APP },
      ],
    }),
    component({
      purl: LEFTPAD,
      name: "left-pad",
      version: "1.3.0",
      licenses: ["(MIT OR Apache-2.0)"],
      scope: "dev",
      locations: [{ path: "app/package-lock.json", layer: LAYER_APP }],
    }),
    component({
      purl: FSEVENTS,
      name: "fsevents",
      version: "2.3.3",
      licenses: ["MIT"],
      scope: "optional",
      locations: [{ path: "app/package-lock.json", layer: LAYER_APP }],
    }),
  ],
  dependencies: [
    { ref: BABEL, dependsOn: [LODASH, LEFTPAD] },
    { ref: LODASH, dependsOn: [FSEVENTS] },
  ],
  issues: [
    {
      cataloger: "javascript/package-lock",
      message: "unsupported lockfileVersion 9",
      file: "app/other/package-lock.json",
      line: 3,
      column: 22,
      layer: LAYER_APP,
    },
  ],
};

export function shuffled<T>(list: readonly T[], seed: number): T[] {
  const out = [...list];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
