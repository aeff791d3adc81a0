import type { Environment } from "@marcbachmann/cel-js";
import { defineOverloads } from "./define.js";
import { celError } from "./errors.js";
import { GoUrl, parseRequestUri, parseUrl, UrlError } from "./go-url.js";

const URL_TYPE = "kubernetes.URL";

/** Kubernetes' URL library: `url(s)` and its component getters, with Go's `net/url` parsing. */
export function registerUrl(env: Environment): void {
  env.registerType(URL_TYPE, GoUrl);
  env.registerOperator(`${URL_TYPE} == ${URL_TYPE}`, (a: GoUrl, b: GoUrl) => a.equals(b));
  defineOverloads(env, [
    {
      signature: `url(string): ${URL_TYPE}`,
      description: "Parses an absolute URI or an absolute path; an error for anything else.",
      handler: toUrl,
    },
    {
      signature: "isURL(string): bool",
      description: "Whether url() would accept the string.",
      handler: isUrl,
    },
    {
      signature: `${URL_TYPE}.getScheme(): string`,
      description: "The scheme in lower case, or '' for a path.",
      handler: (u: GoUrl) => u.scheme,
    },
    {
      signature: `${URL_TYPE}.getHost(): string`,
      description: "host:port as written (IPv6 in brackets), or ''.",
      handler: (u: GoUrl) => u.host,
    },
    {
      signature: `${URL_TYPE}.getHostname(): string`,
      description: "The host without port or IPv6 brackets, or ''.",
      handler: (u: GoUrl) => u.hostname,
    },
    {
      signature: `${URL_TYPE}.getPort(): string`,
      description: "The port, or ''.",
      handler: (u: GoUrl) => u.port,
    },
    {
      signature: `${URL_TYPE}.getEscapedPath(): string`,
      description: "The path, URL-escaped ('with space' becomes 'with%20space'), or ''.",
      handler: (u: GoUrl) => u.escapedPath,
    },
    {
      signature: `${URL_TYPE}.getQuery(): map<string, list<string>>`,
      description: "The query parameters, unescaped, each key with all its values in order.",
      handler: (u: GoUrl) => u.query(),
    },
  ]);
}

function toUrl(s: string): GoUrl {
  try {
    // ParseRequestURI decides what is acceptable; Parse gives the components, because
    // ParseRequestURI would read a #fragment as part of the path or query.
    parseRequestUri(s);
    return parseUrl(s);
  } catch (e) {
    if (e instanceof UrlError)
      throw celError(`URL parse error during conversion from string: ${e.message}`, e);
    throw e;
  }
}

function isUrl(s: string): boolean {
  try {
    parseRequestUri(s);
    return true;
  } catch (e) {
    if (e instanceof UrlError) return false;
    throw e;
  }
}
