import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CatalogResult } from "../../model.js";
import { gradleLockfileCataloger, parseGradleLockfile } from "./index.js";
import { contextFor, memorySource } from "../../../../test/support/file-source.js";

const FIXTURES = new URL("../../../../test/fixtures/sbom/java/gradle/", import.meta.url);
const fixture = (rel: string): string => readFileSync(new URL(rel, FIXTURES), "utf8");

async function catalog(path: string, text: string): Promise<CatalogResult> {
  const ctx = contextFor(memorySource({ [path]: text }));
  return gradleLockfileCataloger.catalog({ path, size: Buffer.byteLength(text) }, ctx);
}

const scopes = (r: CatalogResult): string[] =>
  r.packages.map((p) => `${p.name}@${p.version} ${p.scope}`).sort();

describe("java/gradle-lockfile", () => {
  it("applies to Gradle 7+ lockfiles and Gradle 6 per-configuration files", () => {
    expect(gradleLockfileCataloger).toMatchObject({
      name: "java/gradle-lockfile",
      version: 1,
      ecosystem: "Maven",
    });
    for (const path of [
      "gradle.lockfile",
      "sub/gradle.lockfile",
      "buildscript-gradle.lockfile",
      "settings-gradle.lockfile",
      "gradle/dependency-locks/compileClasspath.lockfile",
      "lib/gradle/dependency-locks/x.lockfile",
    ])
      expect(gradleLockfileCataloger.applies({ path, size: 1 })).toBe(true);
    for (const path of ["build.gradle", "my-gradle.lockfile", "dependency-locks/x.lockfile", "yarn.lock"])
      expect(gradleLockfileCataloger.applies({ path, size: 1 })).toBe(false);
  });

  it("reads coordinates with their configurations; test-only ones are dev", async () => {
    const r = await catalog("app/gradle.lockfile", fixture("app/gradle.lockfile"));
    expect(r.issues).toBeUndefined();
    expect(scopes(r)).toEqual([
      "com.fasterxml.jackson.core:jackson-annotations@2.17.0 required",
      "com.fasterxml.jackson.core:jackson-core@2.17.0 required",
      "com.fasterxml.jackson.core:jackson-databind@2.17.0 required",
      "com.google.errorprone:error_prone_annotations@2.26.1 required",
      "junit:junit@4.13.2 dev",
      "org.hamcrest:hamcrest-core@1.3 dev",
      "org.slf4j:slf4j-api@2.0.12 required",
      "org.testfixtures:fixture-helpers@0.9.1 dev",
    ]);
    expect(r.packages.find((p) => p.name === "junit:junit")).toEqual({
      ref: "junit:junit:4.13.2",
      name: "junit:junit",
      version: "4.13.2",
      purl: "pkg:maven/junit/junit@4.13.2",
      ecosystem: "Maven",
      type: "library",
      scope: "dev",
      locations: [{ path: "app/gradle.lockfile" }],
      properties: {
        "gradle:configurations": "integrationTestRuntimeClasspath,testCompileClasspath,testRuntimeClasspath",
      },
    });
    for (const p of r.packages) {
      expect(p.hashes).toBeUndefined();
      expect(p.dependsOn).toBeUndefined();
    }
    const buildscript = await catalog(
      "app/buildscript-gradle.lockfile",
      fixture("app/buildscript-gradle.lockfile"),
    );
    expect(scopes(buildscript)).toEqual(["com.diffplug.spotless:spotless-plugin-gradle@6.25.0 required"]);
  });

  it("reads Gradle 6 per-configuration files, the configuration being the file name", async () => {
    const path = "gradle/dependency-locks/testRuntimeClasspath.lockfile";
    const test = await catalog(path, fixture(`legacy/${path}`));
    expect(scopes(test)).toEqual(["com.google.guava:guava@33.0.0-jre dev", "junit:junit@4.13.2 dev"]);
    const compilePath = "gradle/dependency-locks/compileClasspath.lockfile";
    const compile = await catalog(compilePath, fixture(`legacy/${compilePath}`));
    expect(scopes(compile)).toEqual([
      "com.google.guava:failureaccess@1.0.2 required",
      "com.google.guava:guava@33.0.0-jre required",
    ]);
    expect(compile.packages[0]?.properties).toEqual({ "gradle:configurations": "compileClasspath" });
  });

  it("keeps good lines of a damaged lockfile, merges repeated coordinates and locates each problem", async () => {
    const r = await catalog("gradle.lockfile", fixture("malformed/gradle.lockfile"));
    // Locked for runtime on one line and for tests on another: required.
    expect(scopes(r)).toEqual(["org.ok:good@1.0 required"]);
    expect(r.packages[0]?.properties).toEqual({
      "gradle:configurations": "runtimeClasspath,testRuntimeClasspath",
    });
    expect(r.issues?.map((i) => [i.location.line, i.location.column, i.message])).toEqual([
      [3, 1, "expected group:artifact:version=configurations: just-a-line-without-equals"],
      [4, 1, "not a group:artifact:version coordinate: org.bad:two-parts"],
      [5, 3, "not a group:artifact:version coordinate: org.bad:x:1:extra"],
      [7, 1, "not a group:artifact:version coordinate: :empty-group:1.0"],
    ]);
    for (const i of r.issues ?? [])
      expect(i).toMatchObject({ cataloger: "java/gradle-lockfile", location: { file: "gradle.lockfile" } });
  });

  it("never throws on arbitrary text", () => {
    const pieces = fc.oneof(
      fc.string(),
      fc.constantFrom("a:b:1=testCompileClasspath\n", "a:b:1=\n", "empty=\n", "=\n", ":::\n", "#\n", "\n"),
    );
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 20 }), fc.boolean(), (parts, legacy) => {
        const path = legacy ? "gradle/dependency-locks/testCompileClasspath.lockfile" : "gradle.lockfile";
        const r = parseGradleLockfile(parts.join(""), { path });
        for (const p of r.packages) expect(p.purl.startsWith("pkg:maven/")).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
