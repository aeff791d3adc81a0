import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { BulwarkError, isLogLevel, type LogLevel, parseYamlDocuments } from "../core/index.js";

/** Settings that can come from `bulwark.yaml`, `BULWARK_*` variables or flags (in rising precedence). */
export interface Settings {
  format?: string;
  logLevel?: LogLevel;
  color?: boolean;
  quiet?: boolean;
  policy?: string[];
  env?: string;
}

const KEYS = ["format", "logLevel", "color", "quiet", "policy", "env"] as const;

/** Reads `bulwark.yaml` (or the file named by `--config`/`BULWARK_CONFIG`); missing default file = empty. */
export function readConfigFile(path: string | undefined, cwd = process.cwd()): Settings {
  const explicit = path !== undefined;
  const file = resolve(cwd, path ?? "bulwark.yaml");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    if (!explicit && (e as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new BulwarkError("CONFIG_INVALID", `cannot read config file ${file}`, { cause: e });
  }
  let docs: ReturnType<typeof parseYamlDocuments>;
  try {
    docs = parseYamlDocuments(text, { file });
  } catch (e) {
    throw new BulwarkError("CONFIG_INVALID", `config file is not valid YAML: ${(e as Error).message}`, {
      cause: e,
      ...((e as BulwarkError).location ? { location: (e as BulwarkError).location! } : {}),
    });
  }
  const doc = docs[0];
  if (!doc) return {};
  const v = doc.value;
  if (!v || typeof v !== "object" || Array.isArray(v))
    throw new BulwarkError("CONFIG_INVALID", "config file must be a map", { location: doc.location });
  const out: Settings = {};
  for (const [key, value] of Object.entries(v)) {
    const where = doc.locate([key]);
    if (!(KEYS as readonly string[]).includes(key)) {
      throw new BulwarkError(
        "CONFIG_INVALID",
        `unknown setting ${JSON.stringify(key)} (known: ${KEYS.join(", ")})`,
        { location: where },
      );
    }
    assign(out, key as (typeof KEYS)[number], value, () => where);
  }
  return out;
}

/** `BULWARK_FORMAT`, `BULWARK_LOG_LEVEL`, `BULWARK_COLOR`, `BULWARK_QUIET`, `BULWARK_POLICY` (comma-separated), `BULWARK_ENV`; `NO_COLOR` is honoured too. */
export function readEnv(env: NodeJS.ProcessEnv = process.env): Settings {
  const out: Settings = {};
  const map: Record<string, (typeof KEYS)[number]> = {
    BULWARK_FORMAT: "format",
    BULWARK_LOG_LEVEL: "logLevel",
    BULWARK_COLOR: "color",
    BULWARK_QUIET: "quiet",
    BULWARK_POLICY: "policy",
    BULWARK_ENV: "env",
  };
  for (const [name, key] of Object.entries(map)) {
    const raw = env[name];
    if (raw === undefined || raw === "") continue;
    let value: unknown = raw;
    if (key === "color" || key === "quiet") value = parseBool(raw, name);
    if (key === "policy")
      value = raw
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
    assign(out, key, value, () => ({ file: `$${name}` }));
  }
  if (env["NO_COLOR"] !== undefined && env["NO_COLOR"] !== "" && out.color === undefined) out.color = false;
  return out;
}

function parseBool(raw: string, name: string): boolean {
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new BulwarkError("CONFIG_INVALID", `${name} must be true or false, got ${JSON.stringify(raw)}`);
}

function assign(
  out: Settings,
  key: (typeof KEYS)[number],
  value: unknown,
  where: () => { file?: string; line?: number; column?: number },
): void {
  const bad = (want: string) =>
    new BulwarkError("CONFIG_INVALID", `setting ${key} must be ${want}`, { location: where() });
  switch (key) {
    case "format":
    case "env":
      if (typeof value !== "string") throw bad("a string");
      out[key] = value;
      return;
    case "logLevel":
      if (typeof value !== "string" || !isLogLevel(value))
        throw bad("one of debug, info, warn, error, silent");
      out.logLevel = value;
      return;
    case "color":
    case "quiet":
      if (typeof value !== "boolean") throw bad("true or false");
      out[key] = value;
      return;
    case "policy":
      if (typeof value === "string") out.policy = [value];
      else if (Array.isArray(value) && value.every((x) => typeof x === "string"))
        out.policy = value as string[];
      else throw bad("a path or a list of paths");
      return;
    default: {
      const never: never = key;
      throw new Error(`unhandled setting ${String(never)}`);
    }
  }
}

/** Merges settings; later sources win, `undefined` never overrides. */
export function mergeSettings(...sources: Settings[]): Settings {
  const out: Settings = {};
  for (const s of sources) {
    for (const [k, v] of Object.entries(s)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  }
  return out;
}
