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
  readonly doc: YamlDocument;
}

export interface PolicyFile {
  /** Path relative to the policy root, with forward slashes (stable across machines). */
  readonly path: string;
  readonly absolutePath: string;
  readonly sha256: string;
  readonly content: string;
}

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

/** `builtin:<name>` → the library directory; anything else unchanged. */
export function resolvePolicyPath(p: string): string {
  if (!p.startsWith("builtin:")) return p;
  const name = p.slice("builtin:".length);
  const available = existsSync(LIBRARY)
    ? readdirSync(LIBRARY, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name)
        .sort()
    : [];
  if (!/^[a-z0-9-]+$/.test(name) || !available.includes(name))
    throw new BulwarkError(
      "POLICY_NOT_FOUND",
      `no built-in policy set ${JSON.stringify(name)} (available: ${available.map((a) => `builtin:${a}`).join(", ") || "none"})`,
    );
  return join(LIBRARY, name);
}

export async function listPolicyFiles(paths: readonly string[]): Promise<{ root: string; file: string }[]> {
  const out: { root: string; file: string }[] = [];
  for (const p of paths) {
    const abs = resolve(resolvePolicyPath(p));
    const st = await stat(abs).catch((e: unknown) => {
      throw new BulwarkError("FILE_NOT_FOUND", `policy path not found: ${p}`, { cause: e });
    });
    if (st.isFile()) {
      out.push({ root: resolve(abs, ".."), file: abs });
      continue;
    }
    const walk = async (dir: string): Promise<void> => {
      const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
        a.name < b.name ? -1 : 1,
      );
      for (const e of entries) {
        if (e.name.startsWith(".") || e.name === "node_modules") continue;
        const full = join(dir, e.name);
        if (e.isDirectory()) await walk(full);
        else if (e.isFile() && POLICY_FILE.test(e.name)) out.push({ root: abs, file: full });
      }
    };
    await walk(abs);
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
  for (const { root, file } of listed) {
    const content = await readFile(file, "utf8");
    files.push({
      path: relative(root, file).split(sep).join("/") || file,
      absolutePath: file,
      sha256: sha256Hex(content),
      content,
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
          if (kind === "Policy") rules.push(loadNativePolicy(doc, file));
          else if (kind === "PolicyTest") tests.push({ file, doc });
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
  const rel = relative(process.cwd(), pf.absolutePath);
  return rel && !rel.startsWith("..") ? rel.split(sep).join("/") : pf.absolutePath || pf.path;
}
