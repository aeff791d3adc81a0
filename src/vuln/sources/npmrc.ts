/**
 * Which registry `npm audit` would ask for a project, and the token npm would send to it. Read
 * the way npm's own config loader reads it, for the two settings that matter here: `registry`
 * and `//host/path/:_authToken`.
 */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { BulwarkError } from "../../core/index.js";

export const NPM_DEFAULT_REGISTRY = "https://registry.npmjs.org/";

/** A registry root (always ending in `/`) and the bearer token configured for it, if any. */
export interface NpmRegistry {
  readonly registry: string;
  /** Secret: send only to {@link NpmRegistry.registry}; never log it or put it in a message. */
  readonly token?: string;
}

/**
 * `${NAME}` (or `${NAME?}`, empty when unset) replaced from `env`, with backslash escapes, as
 * npm's config loader does it; an unset `${NAME}` stays as written.
 */
export function npmEnvReplace(text: string, env: NodeJS.ProcessEnv): string {
  return text.replace(/(?<!\\)(\\*)\$\{([^${}?]+)(\?)?\}/g, (whole, esc: string, name: string, optional) => {
    const value = env[name] ?? (optional ? "" : `\${${name}}`);
    if (esc.length % 2 === 1) return whole.slice((esc.length + 1) / 2);
    return esc.slice(esc.length / 2) + value;
  });
}

/** An ini value: quoted, or up to the first unescaped `;` or `#` (as the `ini` package reads it). */
function iniValue(raw: string): string {
  const v = raw.trim();
  if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v.at(-1) === v[0]) {
    if (v[0] === '"') {
      try {
        return JSON.parse(v) as string;
      } catch {
        // not JSON: fall through to plain unquoting
      }
    }
    return v.slice(1, -1);
  }
  let out = "";
  for (let i = 0; i < v.length; i++) {
    const ch = v[i]!;
    if (ch === "\\" && i + 1 < v.length && "\\;#".includes(v[i + 1]!)) {
      out += v[++i];
      continue;
    }
    if (ch === ";" || ch === "#") break;
    out += ch;
  }
  return out.trim();
}

/** The top-level `key = value` pairs of an `.npmrc`, keys and values with `${ENV}` replaced. */
export function parseNpmrc(text: string, env: NodeJS.ProcessEnv): Map<string, string> {
  const out = new Map<string, string>();
  let inSection = false;
  for (const line of text.split(/\r?\n/)) {
    const t = line.trim();
    if (t === "" || t.startsWith(";") || t.startsWith("#")) continue;
    if (t.startsWith("[")) {
      inSection = true;
      continue;
    }
    const eq = t.indexOf("=");
    if (inSection || eq <= 0) continue;
    const key = npmEnvReplace(t.slice(0, eq).trim(), env);
    if (key.endsWith("[]")) continue;
    out.set(key, npmEnvReplace(iniValue(t.slice(eq + 1)), env));
  }
  return out;
}

function readNpmrc(path: string, env: NodeJS.ProcessEnv): Map<string, string> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return new Map();
  }
  return parseNpmrc(text, env);
}

/** npm reads `npm_config_*` variables case-insensitively; an empty one counts as unset. */
function npmEnv(env: NodeJS.ProcessEnv, key: string): string | undefined {
  for (const [k, v] of Object.entries(env)) if (k.toLowerCase() === key && v) return v;
  return undefined;
}

function normalRegistry(value: string, from: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch (e) {
    throw new BulwarkError("CONFIG_INVALID", `registry ${JSON.stringify(value)} from ${from} is not a URL`, {
      cause: e,
    });
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new BulwarkError(
      "CONFIG_INVALID",
      `registry from ${from} must be an http(s) URL, got ${url.protocol}`,
    );
  url.search = "";
  url.hash = "";
  const s = url.toString();
  return s.endsWith("/") ? s : `${s}/`;
}

/**
 * The token configured for `registry`: the longest `//host[:port]/path/:_authToken` key that
 * prefixes it, walking up one path segment (or one trailing slash) at a time as npm-registry-fetch
 * does, so a token for `//host/` also covers `https://host/npm/`. Unresolved `${VAR}` placeholders
 * never count as a token.
 */
export function npmTokenFor(registry: string, config: ReadonlyMap<string, string>): string | undefined {
  const url = new URL(registry);
  let key = `//${url.host}${url.pathname}`;
  while (key.length > 2) {
    const token = config.get(`${key}:_authToken`);
    if (token) return /\$\{[^}]*\}/.test(token) ? undefined : token;
    key = key.replace(/([^/]+|\/)$/, "");
  }
  return undefined;
}

/**
 * The registry npm would use for `projectDir`: `npm_config_registry` from the environment, else
 * `registry` in `<projectDir>/.npmrc`, else in the user config (`npm_config_userconfig`, or
 * `$HOME/.npmrc`), else {@link NPM_DEFAULT_REGISTRY}. The token comes from `_authToken` keys of the
 * same two files (project before user) that match that registry's URL.
 *
 * Scoped registries (`@scope:registry`) are deliberately not read: npm sends the bulk advisory
 * request for every package, scoped or not, to the default registry. The global and built-in
 * npmrc files, `_auth`/username-password and client certificates are not supported.
 */
export function npmRegistryFor(projectDir: string, env: NodeJS.ProcessEnv = process.env): NpmRegistry {
  const projectFile = join(projectDir, ".npmrc");
  const userFile = resolve(npmEnv(env, "npm_config_userconfig") ?? join(env["HOME"] || homedir(), ".npmrc"));
  const project = readNpmrc(projectFile, env);
  const user = readNpmrc(userFile, env);
  const fromEnv = npmEnv(env, "npm_config_registry");
  const [value, from] = fromEnv
    ? [fromEnv, "npm_config_registry"]
    : project.has("registry")
      ? [project.get("registry")!, projectFile]
      : user.has("registry")
        ? [user.get("registry")!, userFile]
        : [NPM_DEFAULT_REGISTRY, "the default"];
  const registry = normalRegistry(value, from);
  const token = npmTokenFor(registry, new Map([...user, ...project]));
  return token === undefined ? { registry } : { registry, token };
}
