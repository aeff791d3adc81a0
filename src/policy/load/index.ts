import { existsSync, readdirSync } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { join, relative, resolve, sep } from "node:path";
import {
  BulwarkError,
  canonicalDigest,
  DEFAULT_LIMITS,
  type Digest,
  type Limits,
  parseYamlDocuments,
  sha256Hex,
  toBulwarkError,
  type YamlDocument,
} from "../../core/index.js";
import type { RuleSpec } from "../model.js";
import { Fields } from "./fields.js";
import {
  KYVERNO_POLICY_API_VERSIONS,
  KYVERNO_VP_API_VERSIONS,
  loadKyvernoPolicy,
  loadKyvernoValidatingPolicy,
} from "./kyverno.js";
import { loadNativePolicy, NATIVE_API_VERSION } from "./native.js";
import {
  combineVap,
  loadVap,
  loadVapBinding,
  VAP_API_VERSIONS,
  type VapBinding,
  type VapPolicy,
} from "./vap.js";

/** A document that is not a policy: VAP/Kyverno params objects, namespaces, context objects. */
export interface ObjectDocument {
  readonly file: string;
  readonly doc: YamlDocument;
  readonly apiVersion: string;
  readonly kind: string;
  readonly value: Record<string, unknown>;
}

export interface PolicyTestDocument {
  readonly file: string;
  /** Where the file is on disk (test inputs are relative to it). */
  readonly absolutePath?: string;
  readonly doc: YamlDocument;
}

export interface PolicyFile {
  /** Path relative to the policy root, with forward slashes (stable across machines). */
  readonly path: string;
  readonly absolutePath: string;
  readonly sha256: string;
  readonly content: string;
  /** Set when the file comes from a built-in set (`builtin:NAME[@vMAJOR.MINOR]`). */
  readonly library?: LibraryRef;
}

/** Which built-in set a policy came from, and the version it was asked for. */
export interface LibraryRef {
  readonly name: string;
  /** `v1.30`, or `latest` when no version was given. */
  readonly version: string;
  /** The Kubernetes minor version the set is evaluated as (`latest` = {@link LATEST_KUBERNETES_MINOR}). */
  readonly minor: number;
}

/** The newest Kubernetes minor version whose Pod Security Standards the library implements. */
export const LATEST_KUBERNETES_MINOR = 34;

/** Everything loaded from `--policy` paths. */
export interface PolicySet {
  readonly rules: readonly RuleSpec[];
  readonly objects: readonly ObjectDocument[];
  readonly tests: readonly PolicyTestDocument[];
  readonly files: readonly PolicyFile[];
  /** SHA-256 over the canonical list of `{path, sha256}` of every file (see docs/policies.md). */
  readonly digest: Digest;
}

export interface LoadOptions {
  readonly limits?: Limits;
  /** Collect per-document errors instead of throwing at the first (for `policy lint`). */
  readonly collectErrors?: BulwarkError[];
}

const POLICY_FILE = /\.(ya?ml|json)$/i;

/** Lists policy files under each path (files as given, directories recursively, sorted). */
/** Built-in policies ship as YAML in `src/library/<name>/` (same depth from `src/` and `dist/`). */
const LIBRARY = fileURLToPath(new URL("../../../src/library/", import.meta.url));

/** Directories of test inputs inside policy sets: never loaded as policies or objects. */
const FIXTURE_DIRS = new Set(["fixtures", "testdata"]);

/** Built-in sets that include others (`pss-restricted` is `pss-baseline` plus its own controls). */
const LIBRARY_INCLUDES: Readonly<Record<string, readonly string[]>> = {
  "pss-restricted": ["pss-baseline"],
};

/** The built-in sets `name` includes. */
export function libraryIncludes(name: string): readonly string[] {
  return LIBRARY_INCLUDES[name] ?? [];
}

/** Sets not in `builtin:default` (they are included by another or need a choice). */
const NOT_IN_DEFAULT = new Set(["pss-baseline"]);

/** The built-in set names (directories of `src/library/`). */
export function librarySets(): string[] {
  return existsSync(LIBRARY)
    ? readdirSync(LIBRARY, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name)
        .sort()
    : [];
}

/**
 * `builtin:<name>[@vMAJOR.MINOR]` → the library directories to load (the set and what it
 * includes) and the version asked for; `builtin:default` is every set. Anything else unchanged.
 */
export function resolvePolicyPath(p: string): { dirs: string[]; library?: LibraryRef } {
  if (!p.startsWith("builtin:")) return { dirs: [p] };
  const m = /^builtin:([a-z0-9-]+)(?:@v(\d+)\.(\d+))?$/.exec(p);
  const available = librarySets();
  const list = [...available.map((a) => `builtin:${a}`), "builtin:default"].join(", ");
  if (!m)
    throw new BulwarkError(
      "POLICY_NOT_FOUND",
      `${JSON.stringify(p)} is not builtin:NAME or builtin:NAME@vMAJOR.MINOR (available: ${list})`,
    );
  const name = m[1]!;
  const minor = m[3] === undefined ? LATEST_KUBERNETES_MINOR : Number(m[3]);
  if (m[2] !== undefined && (m[2] !== "1" || minor > LATEST_KUBERNETES_MINOR || minor < 0))
    throw new BulwarkError(
      "POLICY_NOT_FOUND",
      `${p}: the library knows Kubernetes v1.0 to v1.${LATEST_KUBERNETES_MINOR}`,
    );
  const version = m[2] === undefined ? "latest" : `v1.${minor}`;
  if (name === "default")
    return {
      dirs: available
        .filter((a) => !NOT_IN_DEFAULT.has(a))
        .flatMap((a) => [...(LIBRARY_INCLUDES[a] ?? []), a])
        .map((a) => join(LIBRARY, a)),
      library: { name, version, minor },
    };
  if (!available.includes(name))
    throw new BulwarkError(
      "POLICY_NOT_FOUND",
      `no built-in policy set ${JSON.stringify(name)} (available: ${list})`,
    );
  return {
    dirs: [...(LIBRARY_INCLUDES[name] ?? []), name].map((a) => join(LIBRARY, a)),
    library: { name, version, minor },
  };
}

export async function listPolicyFiles(
  paths: readonly string[],
): Promise<{ root: string; file: string; library?: LibraryRef }[]> {
  const out: { root: string; file: string; library?: LibraryRef }[] = [];
  const seen = new Set<string>();
  for (const p of paths) {
    const { dirs, library } = resolvePolicyPath(p);
    for (const dir of dirs) {
      const abs = resolve(dir);
      const push = (root: string, file: string) => {
        // A set named twice (builtin:default with builtin:pss-restricted) loads once.
        if (seen.has(file)) return;
        seen.add(file);
        out.push({ root, file, ...(library ? { library } : {}) });
      };
      const st = await stat(abs).catch((e: unknown) => {
        throw new BulwarkError("FILE_NOT_FOUND", `policy path not found: ${p}`, { cause: e });
      });
      if (st.isFile()) {
        push(resolve(abs, ".."), abs);
        continue;
      }
      const walk = async (d: string): Promise<void> => {
        const entries = (await readdir(d, { withFileTypes: true })).sort((a, b) =>
          a.name < b.name ? -1 : 1,
        );
        for (const e of entries) {
          if (e.name.startsWith(".") || e.name === "node_modules") continue;
          const full = join(d, e.name);
          // Test inputs live beside the tests; they are not policies or policy objects.
          if (e.isDirectory() && FIXTURE_DIRS.has(e.name)) continue;
          if (e.isDirectory()) await walk(full);
          else if (e.isFile() && POLICY_FILE.test(e.name)) push(library ? LIBRARY : abs, full);
        }
      };
      await walk(abs);
    }
  }
  return out;
}

export async function loadPolicySet(paths: readonly string[], options: LoadOptions = {}): Promise<PolicySet> {
  const listed = await listPolicyFiles(paths);
  if (listed.length === 0)
    throw new BulwarkError(
      "POLICY_NOT_FOUND",
      `no policy files (*.yaml, *.yml, *.json) under ${paths.join(", ")}`,
    );
  const files: PolicyFile[] = [];
  for (const { root, file, library } of listed) {
    const content = await readFile(file, "utf8");
    const rel = relative(root, file).split(sep).join("/") || file;
    files.push({
      path: library ? `builtin:${rel}` : rel,
      absolutePath: file,
      sha256: sha256Hex(content),
      content,
      ...(library ? { library } : {}),
    });
  }
  return policySetFromFiles(files, options);
}

/** Builds a policy set from file contents already in memory (used by bundles and tests). */
export function policySetFromFiles(files: readonly PolicyFile[], options: LoadOptions = {}): PolicySet {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const rules: RuleSpec[] = [];
  const objects: ObjectDocument[] = [];
  const tests: PolicyTestDocument[] = [];
  const vaps: VapPolicy[] = [];
  const bindings: VapBinding[] = [];
  const guard = <T>(fn: () => T): T | undefined => {
    if (!options.collectErrors) return fn();
    try {
      return fn();
    } catch (e) {
      options.collectErrors.push(toBulwarkError(e));
      return undefined;
    }
  };
  for (const pf of files) {
    const docs = guard(() =>
      parseYamlDocuments(pf.content, { file: displayPath(pf), limits, intAsBigInt: true }),
    );
    for (const doc of docs ?? []) {
      guard(() => {
        const f = new Fields(doc);
        if (!doc.value || typeof doc.value !== "object" || Array.isArray(doc.value)) {
          f.fail([], "a policy file document must be a map with apiVersion and kind");
        }
        const v = doc.value as Record<string, unknown>;
        const apiVersion = f.string(["apiVersion"]) ?? "";
        const kind = f.string(["kind"]) ?? "";
        if (!apiVersion || !kind)
          f.fail([], "document has no apiVersion/kind, so it is neither a policy nor a Kubernetes object");
        const file = displayPath(pf);
        if (apiVersion === NATIVE_API_VERSION) {
          if (kind === "Policy") rules.push(loadNativePolicy(doc, file, pf.library));
          else if (kind === "PolicyTest") tests.push({ file, absolutePath: pf.absolutePath, doc });
          else
            f.fail(
              ["kind"],
              `unknown ${NATIVE_API_VERSION} kind ${JSON.stringify(kind)} (expected Policy or PolicyTest)`,
            );
        } else if (VAP_API_VERSIONS.includes(apiVersion) && kind === "ValidatingAdmissionPolicy") {
          vaps.push(loadVap(doc, file));
        } else if (VAP_API_VERSIONS.includes(apiVersion) && kind === "ValidatingAdmissionPolicyBinding") {
          bindings.push(loadVapBinding(doc, file));
        } else if (VAP_API_VERSIONS.includes(apiVersion) && kind.startsWith("Mutating")) {
          f.fail(
            ["kind"],
            `${kind} mutates objects; Bulwark evaluates validating policies only`,
            "POLICY_UNSUPPORTED",
          );
        } else if (
          KYVERNO_POLICY_API_VERSIONS.includes(apiVersion) &&
          (kind === "ClusterPolicy" || kind === "Policy")
        ) {
          rules.push(...loadKyvernoPolicy(doc, file));
        } else if (KYVERNO_VP_API_VERSIONS.includes(apiVersion) && kind === "ValidatingPolicy") {
          rules.push(loadKyvernoValidatingPolicy(doc, file));
        } else if (apiVersion.startsWith("policies.kyverno.io/") || apiVersion.startsWith("kyverno.io/")) {
          f.fail(
            ["kind"],
            `Kyverno ${kind} is not supported; Bulwark evaluates ClusterPolicy/Policy validate.cel rules and ValidatingPolicy`,
            "POLICY_UNSUPPORTED",
          );
        } else {
          objects.push({ file, doc, apiVersion, kind, value: v });
        }
      });
    }
  }
  for (const b of bindings) {
    if (!vaps.some((p) => p.name === b.policyName)) {
      guard(() =>
        new Fields(b.doc).fail(
          ["spec", "policyName"],
          `binding ${b.name} refers to policy ${b.policyName}, which is not in the policy set`,
        ),
      );
    }
  }
  for (const p of vaps)
    rules.push(
      ...combineVap(
        p,
        bindings.filter((b) => b.policyName === p.name),
      ),
    );

  const seen = new Map<string, RuleSpec>();
  for (const r of rules) {
    const prev = seen.get(r.id);
    if (prev) {
      const err = new BulwarkError(
        "POLICY_DUPLICATE_ID",
        `policy id ${r.id} is defined twice (first at ${prev.file}:${prev.location.line ?? 1})`,
        { location: r.location },
      );
      if (!options.collectErrors) throw err;
      options.collectErrors.push(err);
    }
    seen.set(r.id, r);
  }
  const digest = canonicalDigest(
    files
      .map((f) => ({ path: f.path, sha256: f.sha256 }))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
  );
  return { rules, objects, tests, files, digest };
}

function displayPath(pf: PolicyFile): string {
  // Built-in policies are named by set (`builtin:pss-restricted/…`), the same on every machine.
  if (pf.library) return pf.path;
  const rel = relative(process.cwd(), pf.absolutePath);
  return rel && !rel.startsWith("..") ? rel.split(sep).join("/") : pf.absolutePath || pf.path;
}
