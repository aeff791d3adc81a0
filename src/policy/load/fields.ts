import { BulwarkError, type ErrorCode, type YamlDocument } from "../../core/index.js";

export type Path = readonly (string | number)[];

/**
 * Strict field reader over one YAML document: every accessor validates the type at `path` and
 * fails with a located POLICY_INVALID; `object()` also rejects fields that are not listed, naming
 * them — a typo in a policy must never silently weaken it.
 */
export class Fields {
  constructor(
    readonly doc: YamlDocument,
    readonly code: ErrorCode = "POLICY_INVALID",
  ) {}

  fail(path: Path, message: string, code: ErrorCode = this.code): never {
    throw new BulwarkError(code, message, { location: this.doc.locate(path) });
  }

  get(path: Path): unknown {
    let v: unknown = this.doc.value;
    for (const p of path) {
      if (v === null || typeof v !== "object") return undefined;
      v = (v as Record<string | number, unknown>)[p];
    }
    return v;
  }

  object(
    path: Path,
    allowed: readonly string[],
    options: { required?: boolean; unsupported?: readonly string[] } = {},
  ): Record<string, unknown> | undefined {
    const v = this.get(path);
    if (v === undefined || v === null) {
      if (options.required) this.fail(path, `${name(path)} is required`);
      return undefined;
    }
    if (typeof v !== "object" || Array.isArray(v)) this.fail(path, `${name(path)} must be a map`);
    const obj = v as Record<string, unknown>;
    for (const key of Object.keys(obj)) {
      if (options.unsupported?.includes(key)) {
        this.fail(
          [...path, key],
          `${name([...path, key])} is not supported by Bulwark; remove it or evaluate this policy in a cluster`,
          "POLICY_UNSUPPORTED",
        );
      }
      if (!allowed.includes(key)) {
        this.fail([...path, key], `unknown field ${name([...path, key])} (allowed: ${allowed.join(", ")})`);
      }
    }
    return obj;
  }

  list(path: Path, options: { required?: boolean; nonEmpty?: boolean } = {}): unknown[] {
    const v = this.get(path);
    if (v === undefined || v === null) {
      if (options.required) this.fail(path, `${name(path)} is required`);
      return [];
    }
    if (!Array.isArray(v)) this.fail(path, `${name(path)} must be a list`);
    if (options.nonEmpty && v.length === 0) this.fail(path, `${name(path)} must not be empty`);
    return v;
  }

  string(path: Path, options: { required?: boolean; nonEmpty?: boolean } = {}): string | undefined {
    const v = this.get(path);
    if (v === undefined || v === null) {
      if (options.required) this.fail(path, `${name(path)} is required`);
      return undefined;
    }
    if (typeof v !== "string") this.fail(path, `${name(path)} must be a string, got ${describe(v)}`);
    if ((options.nonEmpty ?? options.required) && v.trim() === "")
      this.fail(path, `${name(path)} must not be empty`);
    return v;
  }

  requiredString(path: Path): string {
    return this.string(path, { required: true })!;
  }

  stringList(path: Path, options: { required?: boolean } = {}): string[] {
    return this.list(path, options).map((_, i) =>
      this.string([...path, i], { required: true, nonEmpty: false })!,
    );
  }

  enumValue<T extends string>(
    path: Path,
    values: readonly T[],
    fallback: T,
    options: { caseInsensitive?: boolean } = {},
  ): T {
    const v = this.string(path);
    if (v === undefined) return fallback;
    const found = values.find((x) =>
      options.caseInsensitive ? x.toLowerCase() === v.toLowerCase() : x === v,
    );
    if (!found)
      this.fail(path, `${name(path)} must be one of ${values.join(", ")}, got ${JSON.stringify(v)}`);
    return found;
  }

  boolean(path: Path): boolean | undefined {
    const v = this.get(path);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "boolean") this.fail(path, `${name(path)} must be true or false, got ${describe(v)}`);
    return v;
  }
}

export function name(path: Path): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out ? `.${p}` : p;
  return out || "document";
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return "a list";
  if (v === null) return "null";
  if (typeof v === "object") return "a map";
  return `${typeof v} ${JSON.stringify(typeof v === "bigint" ? v.toString() : v)}`;
}
