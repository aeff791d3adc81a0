import type { Cataloger } from "../../cataloger.js";
import type { CatalogIssue, CatalogResult, FoundPackage } from "../../model.js";
import type { FileEntry } from "../../source.js";
import { catalogIssue, locationOf, purlOrError, lockfileCataloger } from "../shared/index.js";

const NAME = "java/gradle-lockfile";
const issueAt = (entry: Pick<FileEntry, "path" | "layer">, message: string, line: number, column: number) =>
  catalogIssue(NAME, entry, message, { line, column });

/** Gradle 7+ writes one `gradle.lockfile` per project (plus `buildscript-` / `settings-` variants). */
const SINGLE_FILE = /(?:^|\/)(?:(?:buildscript|settings)-)?gradle\.lockfile$/;
/** Gradle 6 wrote one file per configuration: `gradle/dependency-locks/<configuration>.lockfile`. */
const PER_CONFIGURATION = /(?:^|\/)gradle\/dependency-locks\/([^/]+)\.lockfile$/;

/** Gradle dependency lock files. */
export const gradleLockfileCataloger: Cataloger = lockfileCataloger({
  name: NAME,
  ecosystem: "Maven",
  applies: (entry) => SINGLE_FILE.test(entry.path) || PER_CONFIGURATION.test(entry.path),
  what: () => "lockfile",
  parse: (text, entry) => parseGradleLockfile(text, entry),
});

/**
 * Configurations that only build and run tests: `test…` (testCompileClasspath,
 * testFixturesRuntimeClasspath) and `…Test…` (integrationTestRuntimeClasspath, androidTestUtil,
 * debugUnitTestCompileClasspath).
 */
const TEST_CONFIGURATION = /(?:^test|Test)(?=[A-Z]|$)/;

/**
 * Reads a Gradle lockfile: `group:artifact:version=conf1,conf2` lines (`empty=…` lists the
 * configurations that resolved nothing), or, in Gradle 6's per-configuration files, bare
 * `group:artifact:version` lines for the configuration the file is named after. A package is
 * `dev` when every configuration that locks it is a test configuration. Lockfiles state no
 * edges and no hashes.
 */
export function parseGradleLockfile(text: string, entry: Pick<FileEntry, "path" | "layer">): CatalogResult {
  const issues: CatalogIssue[] = [];
  const legacy = PER_CONFIGURATION.exec(entry.path)?.[1];
  const found = new Map<
    string,
    { group: string; artifact: string; version: string; configurations: Set<string>; line: number }
  >();

  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const lineNo = i + 1;
    const column = raw.indexOf(line) + 1;
    let coordinates = line;
    let configurations: string[] = legacy ? [legacy] : [];
    if (!legacy) {
      const eq = line.indexOf("=");
      if (eq < 0) {
        issues.push(
          issueAt(
            entry,
            `expected group:artifact:version=configurations: ${line.slice(0, 120)}`,
            lineNo,
            column,
          ),
        );
        return;
      }
      coordinates = line.slice(0, eq).trim();
      configurations = line
        .slice(eq + 1)
        .split(",")
        .map((c) => c.trim())
        .filter((c) => c !== "");
      if (coordinates === "empty") return;
    }
    const parts = coordinates.split(":");
    if (parts.length !== 3 || parts.some((p) => p === "" || /\s/.test(p))) {
      issues.push(
        issueAt(
          entry,
          `not a group:artifact:version coordinate: ${coordinates.slice(0, 120)}`,
          lineNo,
          column,
        ),
      );
      return;
    }
    const [group, artifact, version] = parts as [string, string, string];
    const existing = found.get(coordinates);
    if (existing) for (const c of configurations) existing.configurations.add(c);
    else
      found.set(coordinates, {
        group,
        artifact,
        version,
        configurations: new Set(configurations),
        line: lineNo,
      });
  });

  const packages: FoundPackage[] = [];
  for (const [coordinates, d] of found) {
    const built = purlOrError("maven", d.group, d.artifact, d.version, undefined, undefined);
    if ("error" in built) {
      issues.push(issueAt(entry, `${coordinates}: cannot build a package URL: ${built.error}`, d.line, 1));
      continue;
    }
    const { purl } = built;
    const configurations = [...d.configurations].sort();
    const testOnly = configurations.length > 0 && configurations.every((c) => TEST_CONFIGURATION.test(c));
    packages.push({
      ref: coordinates,
      name: `${d.group}:${d.artifact}`,
      version: d.version,
      purl,
      ecosystem: "Maven",
      type: "library",
      scope: testOnly ? "dev" : "required",
      locations: [locationOf(entry)],
      ...(configurations.length ? { properties: { "gradle:configurations": configurations.join(",") } } : {}),
    });
  }
  return issues.length ? { packages, issues } : { packages };
}
