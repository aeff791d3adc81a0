import { readFileSync } from "node:fs";
import { zipSync } from "fflate";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CatalogResult, FoundPackage } from "../../model.js";
import { catalogJavaArchive, javaArchiveCataloger, javaCatalogers } from "./index.js";
import { contextFor, memorySource } from "../../../../test/support/file-source.js";

const JARS = new URL("../../../../test/fixtures/sbom/java/jars/", import.meta.url);
const jar = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(name, JARS)));

/** SHA-1 of the committed fixtures, as `sha1sum` prints them. */
const SHA1 = {
  app: "871a9a146be1334e8eff863ef5d95d4593ab97ff",
  greeter: "db2c70cd76753db2039fa4be13a9f117a2f1c2e8",
  mathutil: "fcb97fc3576966b028e9754a6b50ba52eba4446d",
  web: "2ddf00a75557ee781415b5a4d48eb9ece7f3e144",
};

const summary = (r: CatalogResult): string[] =>
  r.packages.map((p) => `${p.locations[0]!.path} ${p.name}@${p.version}`).sort();
const find = (r: CatalogResult, path: string): FoundPackage =>
  r.packages.find((p) => p.locations[0]!.path === path)!;

/** A zip built in memory, for hostile and broken archives the JDK's jar tool would never write. */
function zip(files: Record<string, string | Uint8Array>, level: 0 | 9 = 9): Uint8Array {
  return zipSync(
    Object.fromEntries(
      Object.entries(files).map(([k, v]) => [
        k,
        [typeof v === "string" ? new TextEncoder().encode(v) : v, { level }],
      ]),
    ),
  );
}

describe("java/archive", () => {
  it("exports the Java catalogers and applies to every archive kind", () => {
    expect(javaCatalogers.map((c) => c.name)).toEqual(["java/archive", "java/gradle-lockfile"]);
    expect(javaArchiveCataloger).toMatchObject({
      version: 1,
      ecosystem: "Maven",
      targets: ["directory", "rootfs", "image", "file"],
    });
    for (const path of ["a.jar", "opt/app/B.JAR", "x.war", "x.ear", "plugins/git.jpi", "plugins/git.hpi"])
      expect(javaArchiveCataloger.applies({ path, size: 1 })).toBe(true);
    for (const path of ["a.jar.sha1", "a.zip", "jar", "pom.xml"])
      expect(javaArchiveCataloger.applies({ path, size: 1 })).toBe(false);
  });

  it("reads a jar's pom.properties and hashes the archive with SHA-1", async () => {
    const ctx = contextFor(memorySource({ "libs/greeter-1.0.0.jar": jar("greeter-1.0.0.jar") }, "image"));
    const r = await javaArchiveCataloger.catalog(
      { path: "libs/greeter-1.0.0.jar", size: 1904, layer: "sha256:aa" },
      ctx,
    );
    expect(r).toEqual({
      packages: [
        {
          ref: "libs/greeter-1.0.0.jar#com.example:greeter:1.0.0",
          name: "com.example:greeter",
          version: "1.0.0",
          purl: "pkg:maven/com.example/greeter@1.0.0",
          ecosystem: "Maven",
          type: "library",
          hashes: [{ alg: "SHA-1", content: SHA1.greeter }],
          locations: [{ path: "libs/greeter-1.0.0.jar", layer: "sha256:aa" }],
        },
      ],
    });
  });

  it("falls back to the manifest, and skips an archive with no version anywhere", () => {
    const r = catalogJavaArchive(jar("mathutil-2.1.0.jar"), { path: "mathutil-2.1.0.jar" });
    expect(r.issues).toBeUndefined();
    expect(r.packages).toEqual([
      expect.objectContaining({
        name: "org.example.mathutil:org.example.mathutil",
        version: "2.1.0",
        purl: "pkg:maven/org.example.mathutil/org.example.mathutil@2.1.0",
        hashes: [{ alg: "SHA-1", content: SHA1.mathutil }],
        properties: { "java:fromManifest": "true" },
      }),
    ]);
    expect(catalogJavaArchive(jar("legacy.jar"), { path: "legacy.jar" })).toEqual({ packages: [] });
  });

  it("recurses into a fat jar's BOOT-INF/lib and records nested locations and edges", () => {
    const r = catalogJavaArchive(jar("app-0.1.0.jar"), { path: "app-0.1.0.jar" });
    expect(r.issues).toBeUndefined();
    expect(summary(r)).toEqual([
      "app-0.1.0.jar com.example:app@0.1.0",
      "app-0.1.0.jar!/BOOT-INF/lib/greeter-1.0.0.jar com.example:greeter@1.0.0",
      "app-0.1.0.jar!/BOOT-INF/lib/mathutil-2.1.0.jar org.example.mathutil:org.example.mathutil@2.1.0",
    ]);
    const app = find(r, "app-0.1.0.jar");
    expect(app.hashes).toEqual([{ alg: "SHA-1", content: SHA1.app }]);
    expect(app.dependsOn).toEqual([
      "app-0.1.0.jar!/BOOT-INF/lib/greeter-1.0.0.jar#com.example:greeter:1.0.0",
      "app-0.1.0.jar!/BOOT-INF/lib/mathutil-2.1.0.jar#org.example.mathutil:org.example.mathutil:2.1.0",
    ]);
    // The bundled jar is byte-identical to the standalone one, so it has the same SHA-1.
    expect(find(r, "app-0.1.0.jar!/BOOT-INF/lib/greeter-1.0.0.jar").hashes).toEqual([
      { alg: "SHA-1", content: SHA1.greeter },
    ]);
  });

  it("reads WEB-INF/lib of a war and an ear's modules and lib/, three levels deep", () => {
    const war = catalogJavaArchive(jar("web-1.0.war"), { path: "web-1.0.war" });
    expect(war.issues).toBeUndefined();
    expect(summary(war)).toEqual([
      "web-1.0.war com.example:web@1.0",
      "web-1.0.war!/WEB-INF/lib/greeter-1.0.0.jar com.example:greeter@1.0.0",
    ]);
    expect(find(war, "web-1.0.war").hashes).toEqual([{ alg: "SHA-1", content: SHA1.web }]);

    const ear = catalogJavaArchive(jar("bundle-1.0.ear"), { path: "deploy/bundle-1.0.ear" });
    expect(ear.issues).toBeUndefined();
    expect(summary(ear)).toEqual([
      "deploy/bundle-1.0.ear!/lib/app-0.1.0.jar com.example:app@0.1.0",
      "deploy/bundle-1.0.ear!/lib/app-0.1.0.jar!/BOOT-INF/lib/greeter-1.0.0.jar com.example:greeter@1.0.0",
      "deploy/bundle-1.0.ear!/lib/app-0.1.0.jar!/BOOT-INF/lib/mathutil-2.1.0.jar org.example.mathutil:org.example.mathutil@2.1.0",
      "deploy/bundle-1.0.ear!/web-1.0.war com.example:web@1.0",
      "deploy/bundle-1.0.ear!/web-1.0.war!/WEB-INF/lib/greeter-1.0.0.jar com.example:greeter@1.0.0",
    ]);
    const refs = new Set(ear.packages.map((p) => p.ref));
    for (const p of ear.packages) for (const d of p.dependsOn ?? []) expect(refs).toContain(d);
  });

  it("stops at the nesting limit with an issue", () => {
    const r = catalogJavaArchive(jar("bundle-1.0.ear"), { path: "bundle-1.0.ear" }, { maxDepth: 2 });
    expect(summary(r)).toEqual([
      "bundle-1.0.ear!/lib/app-0.1.0.jar com.example:app@0.1.0",
      "bundle-1.0.ear!/web-1.0.war com.example:web@1.0",
    ]);
    expect(r.issues).toEqual([
      {
        cataloger: "java/archive",
        message: "bundled archives nested deeper than 2 levels were not read",
        location: { file: "bundle-1.0.ear!/lib/app-0.1.0.jar" },
      },
      {
        cataloger: "java/archive",
        message: "bundled archives nested deeper than 2 levels were not read",
        location: { file: "bundle-1.0.ear!/web-1.0.war" },
      },
    ]);
  });

  it("stops when the byte budget is used up, reporting it once", () => {
    const r = catalogJavaArchive(jar("app-0.1.0.jar"), { path: "app.jar" }, { maxTotalBytes: 2500 });
    // The app's pom.properties and manifest (about 300 bytes) and greeter (1904) fit; mathutil does not.
    expect(summary(r)).toEqual([
      "app.jar com.example:app@0.1.0",
      "app.jar!/BOOT-INF/lib/greeter-1.0.0.jar com.example:greeter@1.0.0",
    ]);
    expect(r.issues?.map((i) => [i.location.file, i.message])).toEqual([
      [
        "app.jar!/BOOT-INF/lib/legacy.jar",
        "the byte budget for nested archives is used up: this and later entries were not read",
      ],
    ]);
  });

  it("refuses to inflate zip bombs and oversized metadata", () => {
    const zeros = new Uint8Array(8 * 1024 * 1024);
    const bomb = zip({
      "META-INF/maven/g/a/pom.properties": "groupId=g\nartifactId=a\nversion=1\n",
      "BOOT-INF/lib/bomb.jar": zeros,
      "META-INF/MANIFEST.MF": zeros,
    });
    const r = catalogJavaArchive(bomb, { path: "a-1.jar" });
    expect(summary(r)).toEqual(["a-1.jar g:a@1"]);
    expect(r.issues?.map((i) => [i.location.file, i.message])).toEqual([
      [
        "a-1.jar!/BOOT-INF/lib/bomb.jar",
        expect.stringMatching(/^compression ratio above 200:1 \(\d+ → 8388608 bytes\): possible zip bomb/),
      ],
      ["a-1.jar!/META-INF/MANIFEST.MF", "metadata file of 8388608 bytes is larger than 1048576"],
    ]);
  });

  it("never reads past a size the central directory understates", () => {
    const honest = zip({
      "META-INF/maven/g/a/pom.properties": `groupId=g\nartifactId=a\nversion=1\n#${"x".repeat(5000)}\n`,
    });
    // Shrink the declared uncompressed size in the central directory (offset 24 of its header).
    const forged = honest.slice();
    const cd = findSignature(forged, 0x02014b50);
    new DataView(forged.buffer).setUint32(cd + 24, 20, true);
    const r = catalogJavaArchive(forged, { path: "a.jar" });
    expect(r.packages).toEqual([]);
    expect(r.issues?.map((i) => i.message)).toEqual(["pom.properties lacks artifactId, version"]);
  });

  it("turns corrupt, truncated and forged archives into issues", () => {
    const greeter = jar("greeter-1.0.0.jar");
    const truncated = catalogJavaArchive(greeter.slice(0, 1000), { path: "t.jar" });
    expect(truncated.packages).toEqual([]);
    expect(truncated.issues).toEqual([
      {
        cataloger: "java/archive",
        message: expect.stringMatching(/^not a readable zip archive: /),
        location: { file: "t.jar" },
      },
    ]);

    // An end-of-central-directory record claiming 65535 entries in a few hundred bytes.
    const forged = zip({ "a.txt": "a" });
    const eocd = findSignature(forged, 0x06054b50);
    new DataView(forged.buffer).setUint16(eocd + 8, 0xffff, true);
    new DataView(forged.buffer).setUint16(eocd + 10, 0xffff, true);
    expect(catalogJavaArchive(forged, { path: "f.jar" }).issues?.[0]?.message).toMatch(
      /^not a readable zip archive: .*central directory lists more entries/,
    );

    // A corrupt deflate stream in pom.properties costs that entry only: the manifest is still read.
    const broken = zip({
      "META-INF/maven/g/a/pom.properties": "groupId=g\nartifactId=a\nversion=1\n".repeat(20),
      "META-INF/MANIFEST.MF": "Implementation-Title: a\nImplementation-Version: 2\n",
    });
    const local = findSignature(broken, 0x04034b50);
    const dataStart =
      local +
      30 +
      new DataView(broken.buffer).getUint16(local + 26, true) +
      new DataView(broken.buffer).getUint16(local + 28, true);
    broken.fill(0xff, dataStart, dataStart + 8);
    const r = catalogJavaArchive(broken, { path: "b.jar" });
    expect(summary(r)).toEqual(["b.jar a:a@2"]);
    expect(r.issues?.map((i) => [i.location.file, i.message])).toEqual([
      ["b.jar!/META-INF/maven/g/a/pom.properties", expect.stringMatching(/^cannot inflate entry: /)],
    ]);
  });

  it("reports incomplete pom.properties and bad manifest lines with their position", () => {
    const r = catalogJavaArchive(
      zip({
        "META-INF/maven/g/a/pom.properties": "groupId=g\nartifactId=a\n",
        "META-INF/MANIFEST.MF":
          "Manifest-Version: 1.0\nbroken line\nBundle-SymbolicName: x.y;singleton:=true\nBundle-Version: 3\n",
      }),
      { path: "x.jar" },
    );
    expect(r.packages.map((p) => p.purl)).toEqual(["pkg:maven/x.y/x.y@3"]);
    expect(r.issues).toEqual([
      {
        cataloger: "java/archive",
        message: "pom.properties lacks version",
        location: { file: "x.jar!/META-INF/maven/g/a/pom.properties", line: 1, column: 1 },
      },
      {
        cataloger: "java/archive",
        message: "not a manifest header: broken line",
        location: { file: "x.jar!/META-INF/MANIFEST.MF", line: 2, column: 1 },
      },
    ]);
  });

  it("attaches the archive hash to its own pom.properties only when several are bundled (shaded jars)", () => {
    const shaded = zip({
      "META-INF/maven/org.shade/inner/pom.properties": "groupId=org.shade\nartifactId=inner\nversion=0.1\n",
      "META-INF/maven/com.acme/outer/pom.properties": "groupId=com.acme\nartifactId=outer\nversion=2.0\n",
    });
    const r = catalogJavaArchive(shaded, { path: "lib/outer-2.0.jar" });
    const outer = r.packages.find((p) => p.name === "com.acme:outer")!;
    const inner = r.packages.find((p) => p.name === "org.shade:inner")!;
    expect(outer.hashes).toHaveLength(1);
    expect(outer.dependsOn).toEqual([inner.ref]);
    expect(inner.hashes).toBeUndefined();
    expect(inner.locations).toEqual([{ path: "lib/outer-2.0.jar" }]);
    // Named after neither: no package can claim the archive's digest.
    expect(
      catalogJavaArchive(shaded, { path: "renamed.jar" }).packages.every((p) => p.hashes === undefined),
    ).toBe(true);
  });

  it("does not take the identity of a lone bundled pom.properties the file name contradicts", () => {
    const files = {
      "META-INF/maven/org.jctools/jctools-core/pom.properties":
        "groupId=org.jctools\nartifactId=jctools-core\nversion=4.0.1\n",
      "META-INF/MANIFEST.MF":
        "Implementation-Title: sdk-trace\nImplementation-Version: 1.55.0\nImplementation-Vendor-Id: io.example\n",
    };
    const r = catalogJavaArchive(zip(files), { path: "sdk-trace-1.55.0.jar" });
    expect(r.packages.map((p) => [p.purl, p.hashes?.length ?? 0, p.properties ?? {}])).toEqual([
      ["pkg:maven/org.jctools/jctools-core@4.0.1", 0, {}],
      ["pkg:maven/io.example/sdk-trace@1.55.0", 1, { "java:fromManifest": "true" }],
    ]);
    expect(r.packages[1]?.dependsOn).toEqual([r.packages[0]?.ref]);
    // Renamed without a version (COPY target/*.jar app.jar), a lone pom.properties is the archive's own.
    const renamed = catalogJavaArchive(zip(files), { path: "app.jar" });
    expect(renamed.packages.map((p) => [p.purl, p.hashes?.length ?? 0])).toEqual([
      ["pkg:maven/org.jctools/jctools-core@4.0.1", 1],
    ]);
  });

  it("reports an unreadable file as an issue", async () => {
    const ctx = contextFor(memorySource({}, "image"));
    const r = await javaArchiveCataloger.catalog({ path: "a.jar", size: 0 }, ctx);
    expect(r.issues?.[0]).toMatchObject({ cataloger: "java/archive", location: { file: "a.jar" } });
  });

  it("never throws on random bytes or on mutated real archives", () => {
    const app = jar("app-0.1.0.jar");
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
        catalogJavaArchive(bytes, { path: "r.jar" });
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: app.length - 1 }), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 8,
        }),
        (edits) => {
          const copy = app.slice();
          for (const [at, value] of edits) copy[at] = value;
          const r = catalogJavaArchive(copy, { path: "m.jar" });
          for (const p of r.packages) expect(p.purl.startsWith("pkg:maven/")).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

function findSignature(bytes: Uint8Array, signature: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i + 4 <= bytes.length; i++) if (view.getUint32(i, true) === signature) return i;
  throw new Error(`signature ${signature.toString(16)} not found`);
}
