import { CelOpaque } from "./values.js";

/**
 * URLs as Go's `net/url` parses them, which is what Kubernetes' URL library uses: `url()` accepts
 * what `url.ParseRequestURI` accepts (absolute URIs and absolute paths) and keeps the result of
 * `url.Parse`. Go works on bytes, so the parser runs over a "byte string" (one char per UTF-8
 * byte) and converts back to text at the edges.
 */

/** A parse failure, worded as Go's `*url.Error`. */
export class UrlError extends Error {}

type Mode = "path" | "pathSegment" | "host" | "zone" | "userPassword" | "queryComponent" | "fragment";

const toBytes = (s: string): string => Buffer.from(s, "utf8").toString("latin1");
const fromBytes = (b: string): string => Buffer.from(b, "latin1").toString("utf8");
/** Go's `%q` for the ASCII texts that appear in these messages. */
const quoteGo = (b: string): string => JSON.stringify(fromBytes(b));

const isAlnum = (c: string): boolean => /^[A-Za-z0-9]$/.test(c);
const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9A-Fa-f]$/.test(c);

function shouldEscape(c: string, mode: Mode): boolean {
  if (isAlnum(c)) return false;
  if ((mode === "host" || mode === "zone") && "!$&'()*+,;=:[]<>\"".includes(c)) return false;
  if ("-_.~".includes(c)) return false;
  if ("$&+,/:;=?@".includes(c)) {
    switch (mode) {
      case "path":
        return c === "?";
      case "pathSegment":
        return c === "/" || c === ";" || c === "," || c === "?";
      case "userPassword":
        return c === "@" || c === "/" || c === "?" || c === ":";
      case "queryComponent":
        return true;
      case "fragment":
        return false;
      default:
        break;
    }
  }
  if (mode === "fragment" && "!()*".includes(c)) return false;
  return true;
}

function urlUnescape(s: string, mode: Mode): string {
  let hasPercent = false;
  let hasPlus = false;
  for (let i = 0; i < s.length;) {
    const c = s[i]!;
    if (c === "%") {
      hasPercent = true;
      if (i + 2 >= s.length || !isHex(s[i + 1]) || !isHex(s[i + 2])) {
        throw new UrlError(`invalid URL escape ${quoteGo(s.slice(i, i + 3))}`);
      }
      const v = Number.parseInt(s.slice(i + 1, i + 3), 16);
      // In a host, %-escapes are for non-ASCII bytes only, except %25 (RFC 6874 zones).
      if (mode === "host" && v < 0x80 && s.slice(i, i + 3) !== "%25")
        throw new UrlError(`invalid URL escape ${quoteGo(s.slice(i, i + 3))}`);
      if (
        mode === "zone" &&
        s.slice(i, i + 3) !== "%25" &&
        v !== 0x20 &&
        shouldEscape(String.fromCharCode(v), "host")
      ) {
        throw new UrlError(`invalid URL escape ${quoteGo(s.slice(i, i + 3))}`);
      }
      i += 3;
    } else if (c === "+") {
      hasPlus = mode === "queryComponent";
      i++;
    } else {
      if ((mode === "host" || mode === "zone") && c.charCodeAt(0) < 0x80 && shouldEscape(c, mode)) {
        throw new UrlError(`invalid character ${quoteGo(c)} in host name`);
      }
      i++;
    }
  }
  if (!hasPercent && !hasPlus) return s;
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "%") {
      out += String.fromCharCode(Number.parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c === "+" && mode === "queryComponent") {
      out += " ";
    } else {
      out += c;
    }
  }
  return out;
}

function urlEscape(s: string, mode: Mode): string {
  let out = "";
  for (const c of s) {
    if (c === " " && mode === "queryComponent") out += "+";
    else if (shouldEscape(c, mode)) out += `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`;
    else out += c;
  }
  return out;
}

function validEncoded(s: string, mode: Mode): boolean {
  for (const c of s) {
    if ("!$&'()*+,;=:@[]%".includes(c)) continue;
    if (shouldEscape(c, mode)) return false;
  }
  return true;
}

function validOptionalPort(port: string): boolean {
  return port === "" || /^:\d*$/.test(port);
}

function validUserinfo(s: string): boolean {
  return /^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(s);
}

export interface UrlParts {
  scheme: string;
  opaque: string;
  user: { username: string; password?: string } | undefined;
  /** host or host:port, unescaped, as bytes. */
  host: string;
  path: string;
  rawPath: string;
  forceQuery: boolean;
  rawQuery: string;
  fragment: string;
  rawFragment: string;
}

/** A parsed URL (`*url.URL`); the fields hold bytes, the methods return text. */
export class GoUrl extends CelOpaque {
  readonly celType = "kubernetes.URL";

  constructor(readonly parts: Readonly<UrlParts>) {
    super();
  }

  equals(other: unknown): boolean {
    return other instanceof GoUrl && other.toString() === this.toString();
  }

  get scheme(): string {
    return fromBytes(this.parts.scheme);
  }

  get host(): string {
    return fromBytes(this.parts.host);
  }

  /** `URL.Hostname`: the host without port, IPv6 brackets removed. */
  get hostname(): string {
    return fromBytes(splitHostPort(this.parts.host).host);
  }

  /** `URL.Port`: the numeric port, or ''. */
  get port(): string {
    return fromBytes(splitHostPort(this.parts.host).port);
  }

  /** `URL.EscapedPath`. */
  get escapedPath(): string {
    return fromBytes(escapedPathBytes(this.parts));
  }

  /** `URL.Query`: well-formed `key=value` pairs, unescaped, repeated keys collected in order. */
  query(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const pair of this.parts.rawQuery.split("&")) {
      if (pair === "" || pair.includes(";")) continue;
      const eq = pair.indexOf("=");
      let key: string;
      let value: string;
      try {
        key = fromBytes(urlUnescape(eq < 0 ? pair : pair.slice(0, eq), "queryComponent"));
        value = fromBytes(urlUnescape(eq < 0 ? "" : pair.slice(eq + 1), "queryComponent"));
      } catch {
        continue;
      }
      const list = out.get(key);
      if (list) list.push(value);
      else out.set(key, [value]);
    }
    return out;
  }

  /** `URL.String`. */
  override toString(): string {
    return fromBytes(urlString(this.parts));
  }
}

function splitHostPort(hostPort: string): { host: string; port: string } {
  let host = hostPort;
  let port = "";
  const colon = host.lastIndexOf(":");
  if (colon >= 0 && validOptionalPort(host.slice(colon))) {
    port = host.slice(colon + 1);
    host = host.slice(0, colon);
  }
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  return { host, port };
}

function escapedPathBytes(u: Readonly<UrlParts>): string {
  if (u.rawPath !== "" && validEncoded(u.rawPath, "path")) {
    try {
      if (urlUnescape(u.rawPath, "path") === u.path) return u.rawPath;
    } catch {
      // fall through to escaping Path
    }
  }
  if (u.path === "*") return "*";
  return urlEscape(u.path, "path");
}

function urlString(u: Readonly<UrlParts>): string {
  let out = u.scheme ? `${u.scheme}:` : "";
  if (u.opaque !== "") {
    out += u.opaque;
  } else {
    if (u.scheme !== "" || u.host !== "" || u.user) {
      if (u.host !== "" || u.path !== "" || u.user) out += "//";
      if (u.user) {
        out += urlEscape(u.user.username, "userPassword");
        if (u.user.password !== undefined) out += `:${urlEscape(u.user.password, "userPassword")}`;
        out += "@";
      }
      out += urlEscape(u.host, "host");
    }
    const path = escapedPathBytes(u);
    if (path !== "" && path[0] !== "/" && u.host !== "") out += "/";
    if (out === "" && (path.split("/")[0] ?? "").includes(":")) out += "./";
    out += path;
  }
  if (u.forceQuery || u.rawQuery !== "") out += `?${u.rawQuery}`;
  if (u.fragment !== "") {
    const raw = u.rawFragment;
    let frag = urlEscape(u.fragment, "fragment");
    if (raw !== "" && validEncoded(raw, "fragment")) {
      try {
        if (urlUnescape(raw, "fragment") === u.fragment) frag = raw;
      } catch {
        // keep the escaped form
      }
    }
    out += `#${frag}`;
  }
  return out;
}

function getScheme(raw: string): { scheme: string; rest: string } {
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (/[A-Za-z]/.test(c)) continue;
    if (/[0-9+\-.]/.test(c)) {
      if (i === 0) return { scheme: "", rest: raw };
      continue;
    }
    if (c === ":") {
      if (i === 0) throw new UrlError("missing protocol scheme");
      return { scheme: raw.slice(0, i), rest: raw.slice(i + 1) };
    }
    return { scheme: "", rest: raw };
  }
  return { scheme: "", rest: raw };
}

function parseHost(host: string): string {
  if (host.startsWith("[")) {
    const i = host.lastIndexOf("]");
    if (i < 0) throw new UrlError("missing ']' in host");
    const colonPort = host.slice(i + 1);
    if (!validOptionalPort(colonPort)) throw new UrlError(`invalid port ${quoteGo(colonPort)} after host`);
    const zone = host.slice(0, i).indexOf("%25");
    if (zone >= 0) {
      return (
        urlUnescape(host.slice(0, zone), "host") +
        urlUnescape(host.slice(zone, i), "zone") +
        urlUnescape(host.slice(i), "host")
      );
    }
  } else {
    const i = host.lastIndexOf(":");
    if (i >= 0 && !validOptionalPort(host.slice(i)))
      throw new UrlError(`invalid port ${quoteGo(host.slice(i))} after host`);
  }
  return urlUnescape(host, "host");
}

function parseAuthority(authority: string): Pick<UrlParts, "user" | "host"> {
  const at = authority.lastIndexOf("@");
  const host = parseHost(at < 0 ? authority : authority.slice(at + 1));
  if (at < 0) return { user: undefined, host };
  const userinfo = authority.slice(0, at);
  if (!validUserinfo(userinfo)) throw new UrlError("net/url: invalid userinfo");
  const colon = userinfo.indexOf(":");
  if (colon < 0) return { user: { username: urlUnescape(userinfo, "userPassword") }, host };
  return {
    user: {
      username: urlUnescape(userinfo.slice(0, colon), "userPassword"),
      password: urlUnescape(userinfo.slice(colon + 1), "userPassword"),
    },
    host,
  };
}

function setPath(p: string): Pick<UrlParts, "path" | "rawPath"> {
  const path = urlUnescape(p, "path");
  return { path, rawPath: urlEscape(path, "path") === p ? "" : p };
}

function hasControlByte(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const b = s.charCodeAt(i);
    if (b < 0x20 || b === 0x7f) return true;
  }
  return false;
}

function parse(rawUrl: string, viaRequest: boolean): UrlParts {
  if (hasControlByte(rawUrl)) throw new UrlError("net/url: invalid control character in URL");
  if (rawUrl === "" && viaRequest) throw new UrlError("empty url");
  const url: UrlParts = {
    scheme: "",
    opaque: "",
    user: undefined,
    host: "",
    path: "",
    rawPath: "",
    forceQuery: false,
    rawQuery: "",
    fragment: "",
    rawFragment: "",
  };
  if (rawUrl === "*") return { ...url, path: "*" };
  const { scheme, rest: afterScheme } = getScheme(rawUrl);
  url.scheme = scheme.toLowerCase();
  let rest = afterScheme;
  if (rest.endsWith("?") && rest.split("?").length === 2) {
    url.forceQuery = true;
    rest = rest.slice(0, -1);
  } else {
    const q = rest.indexOf("?");
    if (q >= 0) {
      url.rawQuery = rest.slice(q + 1);
      rest = rest.slice(0, q);
    }
  }
  if (!rest.startsWith("/")) {
    if (url.scheme !== "") return { ...url, opaque: rest };
    if (viaRequest) throw new UrlError("invalid URI for request");
    if ((rest.split("/")[0] ?? "").includes(":"))
      throw new UrlError("first path segment in URL cannot contain colon");
  }
  if ((url.scheme !== "" || (!viaRequest && !rest.startsWith("///"))) && rest.startsWith("//")) {
    let authority = rest.slice(2);
    rest = "";
    const slash = authority.indexOf("/");
    if (slash >= 0) {
      rest = authority.slice(slash);
      authority = authority.slice(0, slash);
    }
    Object.assign(url, parseAuthority(authority));
  }
  Object.assign(url, setPath(rest));
  return url;
}

function wrap<T>(op: () => T, shown: string): T {
  try {
    return op();
  } catch (e) {
    if (e instanceof UrlError) throw new UrlError(`parse ${quoteGo(shown)}: ${e.message}`);
    throw e;
  }
}

/** `url.ParseRequestURI`: an absolute URI or an absolute path; a `#` is part of the path. */
export function parseRequestUri(text: string): GoUrl {
  const raw = toBytes(text);
  return new GoUrl(wrap(() => parse(raw, true), raw));
}

/** `url.Parse`: any URI reference, with the fragment split off first. */
export function parseUrl(text: string): GoUrl {
  const raw = toBytes(text);
  const hash = raw.indexOf("#");
  const main = hash < 0 ? raw : raw.slice(0, hash);
  const parts = wrap(() => parse(main, false), main);
  if (hash < 0) return new GoUrl(parts);
  const frag = raw.slice(hash + 1);
  const fragment = wrap(() => urlUnescape(frag, "fragment"), raw);
  return new GoUrl({ ...parts, fragment, rawFragment: urlEscape(fragment, "fragment") === frag ? "" : frag });
}
