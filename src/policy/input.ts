import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import {
  BulwarkError,
  DEFAULT_LIMITS,
  type Limits,
  parseYamlDocuments,
  type SourceLocation,
  type YamlDocument,
} from "../core/index.js";
import {
  isNamespacedKind,
  type KubeFacts,
  resourceOf,
  splitApiVersion,
  stringMap,
} from "./load/kubernetes.js";
import type { ResourceRef } from "./types.js";

/** Input kinds Bulwark knows besides Kubernetes kinds (which are used as-is: `Pod`, `Deployment`, …). */
export const INPUT_KINDS = [
  "sbom",
  "vulnerability-report",
  "attestation",
  "dockerfile",
  "terraform-plan",
  "workflow",
  "image-config",
  "generic",
] as const;

/** One document to evaluate, with everything matching and reporting need. */
export interface InputDocument {
  readonly file: string;
  /** 0-based document index in its file (items of a Kubernetes List count as their own documents). */
  readonly index: number;
  readonly kind: string;
  /** Parsed value; integers are BigInt so CEL sees `int`. */
  readonly value: unknown;
  readonly resource: ResourceRef;
  readonly location: SourceLocation;
  readonly kube?: KubeFacts;
  readonly doc?: YamlDocument;
  /** Path of this document inside `doc` (`["items", 3]` for an item of a List). */
  readonly path?: readonly (string | number)[];
}

export interface ReadInputOptions {
  readonly limits?: Limits;
  /** Force the kind of every document (`--kind`). */
  readonly kind?: string;
  /** Admission operation to present to Kubernetes policies (default CREATE). */
  readonly operation?: string;
  /** Leave out documents whose kind cannot be detected instead of failing (directory scans). */
  readonly skipUnknown?: boolean;
}

const INPUT_FILE = /\.(ya?ml|json)$/i;

/** Reads a YAML/JSON input file (`-` for stdin), or every such file under a directory, into documents. */
export async function readInputFile(path: string, options: ReadInputOptions = {}): Promise<InputDocument[]> {
  if (path !== "-" && (await stat(path).catch(() => undefined))?.isDirectory()) {
    const files = (await readdir(path, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile() && INPUT_FILE.test(e.name))
      .map((e) => join(e.parentPath, e.name))
      .sort();
    const out: InputDocument[] = [];
    for (const f of files) out.push(...(await readInputFile(f, options)));
    return out;
  }
  let text: string;
  try {
    text = path === "-" ? await readStdin() : await readFile(path, "utf8");
  } catch (e) {
    throw new BulwarkError(
      "FILE_NOT_FOUND",
      `cannot read input ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      { cause: e },
    );
  }
  return parseInput(text, path === "-" ? "<stdin>" : path, options);
}

export function parseInput(text: string, file: string, options: ReadInputOptions = {}): InputDocument[] {
  const docs = parseYamlDocuments(text, {
    file,
    limits: options.limits ?? DEFAULT_LIMITS,
    intAsBigInt: true,
  });
  const out: InputDocument[] = [];
  let index = 0;
  for (const doc of docs) {
    const v = doc.value;
    const items = isKubeList(v) ? (v as { items: unknown[] }).items : undefined;
    if (items) {
      items.forEach((item, i) => {
        const d = makeDocument(item, file, index++, doc.locate(["items", i]), options, doc);
        if (d) out.push({ ...d, path: ["items", i] });
      });
      continue;
    }
    const d = makeDocument(v, file, index++, doc.location, options, doc);
    if (d) out.push(d);
  }
  return out;
}

function isKubeList(v: unknown): boolean {
  if (!v || typeof v !== "object") return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o["kind"] === "string" &&
    (o["kind"] as string).endsWith("List") &&
    typeof o["apiVersion"] === "string" &&
    Array.isArray(o["items"])
  );
}

function makeDocument(
  value: unknown,
  file: string,
  index: number,
  location: SourceLocation,
  options: ReadInputOptions,
  doc?: YamlDocument,
): InputDocument | undefined {
  const kind = options.kind ?? detectKind(value);
  if (!kind) {
    if (options.skipUnknown) return undefined;
    throw new BulwarkError(
      "INPUT_KIND_UNKNOWN",
      "cannot tell what kind of document this is (no apiVersion/kind, not an SBOM, report, plan or workflow); pass --kind",
      {
        location,
      },
    );
  }
  const o = (value && typeof value === "object" ? value : {}) as Record<string, unknown>;
  const isKube = typeof o["apiVersion"] === "string" && typeof o["kind"] === "string" && kind === o["kind"];
  if (!isKube) {
    return { file, index, kind, value, resource: { kind }, location, ...(doc ? { doc } : {}) };
  }
  const apiVersion = o["apiVersion"] as string;
  const meta = (o["metadata"] && typeof o["metadata"] === "object" ? o["metadata"] : {}) as Record<
    string,
    unknown
  >;
  const name =
    typeof meta["name"] === "string"
      ? meta["name"]
      : typeof meta["generateName"] === "string"
        ? meta["generateName"]
        : undefined;
  const namespaced = isNamespacedKind(kind);
  const namespace =
    typeof meta["namespace"] === "string" ? meta["namespace"] : namespaced ? "default" : undefined;
  const { group, version } = splitApiVersion(apiVersion);
  const kube: KubeFacts = {
    group,
    version,
    kind,
    resource: resourceOf(kind),
    namespaced,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(name !== undefined ? { name } : {}),
    labels: stringMap(meta["labels"]),
    annotations: stringMap(meta["annotations"]),
    // Filled by the engine from the Namespace objects it is given (inputs, params, policy set).
    namespaceLabels: {},
    operation: options.operation ?? "CREATE",
  };
  return {
    file,
    index,
    kind,
    value,
    resource: {
      apiVersion,
      kind,
      ...(namespace !== undefined ? { namespace } : {}),
      ...(name !== undefined ? { name } : {}),
    },
    location,
    kube,
    ...(doc ? { doc } : {}),
  };
}

/** Detects the input kind from a document's shape. Returns undefined when it cannot tell. */
export function detectKind(value: unknown): string | undefined {
  if (!value || typeof value !== "object" || Array.isArray(value)) return undefined;
  const o = value as Record<string, unknown>;
  if (
    o["bomFormat"] === "CycloneDX" ||
    typeof o["spdxVersion"] === "string" ||
    (typeof o["@context"] === "string" && String(o["@context"]).includes("spdx"))
  )
    return "sbom";
  if (typeof o["_type"] === "string" && String(o["_type"]).startsWith("https://in-toto.io/Statement"))
    return "attestation";
  if (o["payloadType"] !== undefined && o["payload"] !== undefined) return "attestation";
  if (
    typeof o["terraform_version"] === "string" &&
    (o["planned_values"] !== undefined || o["resource_changes"] !== undefined)
  )
    return "terraform-plan";
  if (o["jobs"] !== undefined && (o["on"] !== undefined || o[true as unknown as string] !== undefined))
    return "workflow";
  if (Array.isArray(o["matches"]) && o["summary"] !== undefined) return "vulnerability-report";
  if (typeof o["apiVersion"] === "string" && typeof o["kind"] === "string") return o["kind"] as string;
  return undefined;
}

/** All of standard input as UTF-8 text. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
