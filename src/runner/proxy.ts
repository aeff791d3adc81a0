/**
 * The egress proxy of `network: { mode: "egress", allow }` (issue 8). The job has no network of its
 * own; an HTTP(S) proxy on a Unix socket (bound into the sandbox and reached through the forwarder)
 * lets it CONNECT to, or send absolute-form HTTP requests to, allowlisted hosts only, and records
 * every attempt. The log is one of the provenance byproducts.
 *
 * A name on the allowlist is not trusted to stay public: every address it resolves to must be
 * public unicast (a DNS-rebinding / SSRF guard). Only an allowlist entry that is itself an IP
 * literal may reach a loopback or private address.
 */
import { lookup } from "node:dns/promises";
import { chmod, lstat, unlink } from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import type { Duplex } from "node:stream";
import ipaddr from "ipaddr.js";
import { BulwarkError } from "../core/index.js";

/** One attempt to reach the network through the proxy. */
export interface EgressLogEntry {
  /** When the request arrived (ISO 8601). */
  readonly time: string;
  /** `CONNECT`, the HTTP method of a plain proxy request, or `""` when the request did not parse. */
  readonly method: "CONNECT" | string;
  /** The requested host, normalised (lower case, no trailing dot, bare IPv6); `""` when unknown. */
  readonly host: string;
  /** The requested port; 0 when unknown. */
  readonly port: number;
  /**
   * Whether the proxy tried to connect upstream: the allowlist matched, the name resolved and the
   * address guard passed. The connection itself may still fail (status 502).
   */
  readonly allowed: boolean;
  /** Why the attempt was refused or failed. */
  readonly reason?: string;
  /** Bytes sent to the upstream host on the wire (for plain HTTP including the request head). */
  readonly bytesUp: number;
  /** Bytes received from the upstream host on the wire (for plain HTTP including the response head). */
  readonly bytesDown: number;
  /** The status the client got: 200 for an established tunnel, the upstream's for plain HTTP. */
  readonly status?: number;
}

/** One parsed allowlist entry. A `wildcard` matches one or more labels in front of `host`. */
export interface EgressRule {
  readonly kind: "name" | "wildcard" | "ip";
  /** The entry as written. */
  readonly entry: string;
  /** Lower-case name without a trailing dot; the suffix after `*.`; or the canonical bare address. */
  readonly host: string;
  readonly ports: readonly number[];
}

export interface EgressProxyOptions {
  /**
   * Where to listen. The socket is made 0600 once it exists, so its directory SHOULD be private to
   * the runner. A stale socket at this path is removed; any other file there is an error.
   */
  readonly socketPath: string;
  /** Allowlist entries (see {@link parseEgressAllowlist}). */
  readonly allow: readonly string[];
  /** Name resolution (tests). Default: `dns.lookup` with `all: true`. */
  readonly resolve?: (host: string) => Promise<readonly string[]>;
  readonly now?: () => Date;
  /** Time allowed for resolving and connecting upstream. Default 10 s. */
  readonly connectTimeoutMs?: number;
  /** An upstream connection silent for this long is closed. Default 10 min. */
  readonly idleTimeoutMs?: number;
}

/** Ports an entry without one allows. */
const DEFAULT_PORTS: readonly number[] = [443, 80];
/** How long a refused client may keep its connection open after the answer before it is dropped. */
const LINGER_MS = 5_000;
const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;
const IPV4 = /^(?:0|[1-9][0-9]{0,2})(?:\.(?:0|[1-9][0-9]{0,2})){3}$/;
/** Hop-by-hop request/response headers a proxy must not forward (RFC 9110 §7.6.1), plus Host, which is rewritten. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
]);

type Host = { readonly kind: EgressRule["kind"]; readonly host: string };
type Target = { readonly kind: "name" | "ip"; readonly host: string; readonly port: number };
type Failure = { readonly error: string };

function parseHost(raw: string, wildcard: boolean): Host | Failure {
  if (raw.startsWith("[")) {
    const inner = raw.endsWith("]") ? raw.slice(1, -1) : "";
    if (inner.includes("%") || !ipaddr.IPv6.isValid(inner)) return { error: "not a valid IPv6 address" };
    return { kind: "ip", host: ipaddr.IPv6.parse(inner).toRFC5952String() };
  }
  if (/^[0-9.]+$/.test(raw)) {
    if (!IPV4.test(raw) || !ipaddr.IPv4.isValidFourPartDecimal(raw))
      return { error: "not a valid IPv4 address" };
    return { kind: "ip", host: raw };
  }
  let name = raw.toLowerCase();
  if (name.endsWith(".")) name = name.slice(0, -1);
  let kind: Host["kind"] = "name";
  if (name.startsWith("*.")) {
    if (!wildcard) return { error: "a wildcard is not a host" };
    kind = "wildcard";
    name = name.slice(2);
  }
  const labels = name.split(".");
  if (name.length > 253 || !labels.every((l) => LABEL.test(l))) return { error: "not a valid host name" };
  if (/^[0-9]+$/.test(labels.at(-1)!)) return { error: "not a valid host name (numeric last label)" };
  return { kind, host: name };
}

function parsePort(text: string): number | undefined {
  if (!/^[0-9]{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : undefined;
}

/** `host`, `host:port`, `[v6]`, `[v6]:port` → host and port text. */
function splitAuthority(text: string): { host: string; port: string | undefined } | Failure {
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0) return { error: "unterminated IPv6 literal" };
    const rest = text.slice(close + 1);
    if (rest !== "" && !rest.startsWith(":")) return { error: "junk after the IPv6 literal" };
    return { host: text.slice(0, close + 1), port: rest === "" ? undefined : rest.slice(1) };
  }
  const colon = text.indexOf(":");
  if (colon < 0) return { host: text, port: undefined };
  if (text.includes(":", colon + 1))
    return { error: "an IPv6 address needs brackets, e.g. [2001:db8::1]:443" };
  return { host: text.slice(0, colon), port: text.slice(colon + 1) };
}

function parseRule(entry: string): EgressRule | Failure {
  const parts = splitAuthority(entry);
  if ("error" in parts) return parts;
  const host = parseHost(parts.host, true);
  if ("error" in host) return host;
  if (parts.port === undefined) return { ...host, entry, ports: DEFAULT_PORTS };
  const port = parsePort(parts.port);
  return port === undefined ? { error: "the port must be 1-65535" } : { ...host, entry, ports: [port] };
}

/**
 * Parses `network.egress` entries: `host`, `host:port`, `*.suffix[:port]` (one or more labels),
 * IPv4 literals and `[v6]` / `[v6]:port`. An entry without a port allows 443 and 80. Throws
 * `INPUT_INVALID` naming the first bad entry.
 */
export function parseEgressAllowlist(list: readonly string[]): readonly EgressRule[] {
  return list.map((entry, index) => {
    const rule = typeof entry === "string" ? parseRule(entry) : { error: "not a string" };
    if (!("error" in rule)) return rule;
    throw new BulwarkError(
      "INPUT_INVALID",
      `invalid egress allowlist entry ${JSON.stringify(entry)}: ${rule.error}`,
      {
        location: { path: `network.egress[${index}]` },
        details: { entry, index },
      },
    );
  });
}

/** The first rule allowing `host:port` (host as sent by the client), if any. Exact, case-insensitive. */
export function matchEgressRule(
  rules: readonly EgressRule[],
  host: string,
  port: number,
): EgressRule | undefined {
  const target = parseHost(host.startsWith("[") || !host.includes(":") ? host : `[${host}]`, false);
  if ("error" in target) return undefined;
  return findRule(rules, { kind: target.kind === "ip" ? "ip" : "name", host: target.host, port });
}

function findRule(rules: readonly EgressRule[], target: Target): EgressRule | undefined {
  return rules.find((rule) => {
    if (!rule.ports.includes(target.port)) return false;
    switch (rule.kind) {
      case "ip":
        return target.kind === "ip" && target.host === rule.host;
      case "name":
        return target.kind === "name" && target.host === rule.host;
      case "wildcard":
        return target.kind === "name" && target.host.endsWith(`.${rule.host}`);
      default: {
        const never: never = rule.kind;
        return never;
      }
    }
  });
}

/**
 * Why `address` must not be reached through an allowlisted name: its ipaddr.js range (`loopback`,
 * `private`, `linkLocal`, `unspecified`, `multicast`, `uniqueLocal`, …), or undefined when it may
 * be reached. IPv4-mapped and NAT64 (64:ff9b::/96) addresses are judged by their IPv4 address.
 */
export function nonPublicRange(address: string): string | undefined {
  let ip: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    ip = ipaddr.process(address);
  } catch {
    return "invalid";
  }
  if (ip.kind() === "ipv6" && ip.match(ipaddr.IPv6.parse("64:ff9b::"), 96)) {
    const bytes = ip.toByteArray().slice(12);
    ip = ipaddr.fromByteArray(bytes);
  }
  const range = ip.range();
  return BLOCKED_RANGES.has(range) ? range : undefined;
}

/**
 * Ranges that reach this machine, its networks or nothing routable-by-design for an attacker to
 * aim at: loopback, RFC 1918 and unique-local, link-local (cloud metadata endpoints), CGNAT,
 * unspecified, multicast and broadcast. Documentation and other reserved ranges (TEST-NET, 240/4)
 * are not blocked: they are not internal, and some package mirrors live there.
 */
const BLOCKED_RANGES = new Set([
  "loopback",
  "private",
  "uniqueLocal",
  "linkLocal",
  "carrierGradeNat",
  "unspecified",
  "multicast",
  "broadcast",
  "siteLocal",
  "invalid",
]);

function proxyTarget(authority: string, defaultPort: number | undefined): Target | Failure {
  const parts = splitAuthority(authority);
  if ("error" in parts) return parts;
  const host = parseHost(parts.host, false);
  if ("error" in host) return host;
  const port = parts.port === undefined ? defaultPort : parsePort(parts.port);
  if (port === undefined) return { error: "missing or invalid port" };
  return { kind: host.kind === "ip" ? "ip" : "name", host: host.host, port };
}

/** An absolute-form `http://authority/path` → target and the origin-form path to send upstream. */
function absoluteTarget(url: string): (Target & { path: string }) | Failure {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url);
  if (!scheme) return { error: "not a proxy request (expected absolute-form http://host/… or CONNECT)" };
  if (scheme[1]!.toLowerCase() !== "http")
    return { error: "only http:// URLs are forwarded; use CONNECT for https" };
  const rest = url.slice(scheme[0].length);
  const end = rest.search(/[/?#]/);
  const authority = end < 0 ? rest : rest.slice(0, end);
  if (authority.includes("@")) return { error: "credentials in the URL are not forwarded" };
  let path = (end < 0 ? "" : rest.slice(end)).replace(/#.*$/s, "");
  if (!path.startsWith("/")) path = `/${path}`;
  const target = proxyTarget(authority, 80);
  return "error" in target ? target : { ...target, path };
}

function filterHeaders(raw: readonly string[]): string[] {
  const listed = new Set<string>();
  for (let i = 0; i < raw.length; i += 2)
    if (raw[i]!.toLowerCase() === "connection")
      for (const token of raw[i + 1]!.split(",")) listed.add(token.trim().toLowerCase());
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (HOP_BY_HOP.has(name) || name.startsWith("proxy-") || listed.has(name)) continue;
    out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}

function rawResponse(status: number, text: string): string {
  const body = `${text}\n`;
  return (
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ""}\r\n` +
    `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
    `Connection: close\r\n\r\n${body}`
  );
}

/** Answers and half-closes; a client that does not hang up in time is dropped. */
function endWith(socket: Duplex, response: string): void {
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once("close", () => clearTimeout(timer));
  socket.end(response);
}

function errorText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ? `${e.code}${e.message.includes(e.code) ? "" : `: ${e.message}`}` : String(e.message ?? e);
}

async function defaultResolve(host: string): Promise<readonly string[]> {
  return (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface Attempt {
  readonly entry: Mutable<EgressLogEntry>;
  /** The upstream connection while it is open; its counters are the byte counts. */
  upstream?: net.Socket;
}

type Decision = { readonly address: string } | { readonly status: number; readonly reason: string };

/**
 * The allowlisting proxy. `start` listens; `close` stops listening, ends every connection and
 * tunnel and finalises the byte counts. Socket errors never escape: they end one connection.
 */
export class EgressProxy {
  readonly socketPath: string;
  readonly #rules: readonly EgressRule[];
  readonly #resolve: (host: string) => Promise<readonly string[]>;
  readonly #now: () => Date;
  readonly #connectTimeoutMs: number;
  readonly #idleTimeoutMs: number;
  readonly #server: http.Server;
  readonly #log: Attempt[] = [];
  readonly #open = new Set<Attempt>();
  readonly #clients = new Set<Duplex>();
  #closed = false;

  private constructor(options: EgressProxyOptions, rules: readonly EgressRule[]) {
    this.socketPath = options.socketPath;
    this.#rules = rules;
    this.#resolve = options.resolve ?? defaultResolve;
    this.#now = options.now ?? (() => new Date());
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? 10 * 60_000;
    // No request timeout: a long upload is the job's own business, and the job's lifetime bounds it.
    this.#server = http.createServer({ requestTimeout: 0 });
    this.#server.on("connection", (socket: net.Socket) => {
      this.#clients.add(socket);
      socket.once("close", () => this.#clients.delete(socket));
    });
    // A bug in a handler must cost one connection, never the runner.
    this.#server.on("request", (req, res) => this.#onRequest(req, res).catch(() => res.destroy()));
    this.#server.on("connect", (req, socket: Duplex, head) =>
      this.#onConnect(req, socket, head).catch(() => socket.destroy()),
    );
    this.#server.on("upgrade", (req: http.IncomingMessage, socket: Duplex) => {
      socket.on("error", () => socket.destroy());
      const attempt = this.#record(req.method ?? "");
      this.#describe(attempt, absoluteTarget(req.url ?? ""));
      this.#refuse(attempt, 501, "protocol upgrades are not forwarded; use CONNECT");
      endWith(socket, rawResponse(501, "protocol upgrades are not forwarded; use CONNECT"));
    });
    this.#server.on("clientError", (err: NodeJS.ErrnoException, socket: Duplex) =>
      this.#onClientError(err, socket),
    );
  }

  /** Validates the allowlist (INPUT_INVALID), replaces a stale socket and listens. */
  static async start(options: EgressProxyOptions): Promise<EgressProxy> {
    const proxy = new EgressProxy(options, parseEgressAllowlist(options.allow));
    await removeStaleSocket(options.socketPath);
    await new Promise<void>((resolve, reject) => {
      proxy.#server.once("error", reject);
      proxy.#server.listen(options.socketPath, () => {
        proxy.#server.off("error", reject);
        proxy.#server.on("error", () => undefined);
        resolve();
      });
    }).catch((cause: unknown) => {
      throw new BulwarkError("INPUT_INVALID", `cannot listen on ${options.socketPath}: ${errorText(cause)}`, {
        cause,
      });
    });
    await chmod(options.socketPath, 0o600);
    return proxy;
  }

  /** Every attempt so far, in arrival order; counts of open connections are live. */
  entries(): readonly EgressLogEntry[] {
    return this.#log.map(({ entry, upstream }) =>
      Object.freeze(
        upstream ? { ...entry, bytesUp: upstream.bytesWritten, bytesDown: upstream.bytesRead } : { ...entry },
      ),
    );
  }

  /** Stops listening and ends every connection and tunnel; the byte counts are final afterwards. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const stopped = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const attempt of [...this.#open]) {
      attempt.upstream?.destroy();
      this.#finish(attempt);
    }
    for (const socket of this.#clients) socket.destroy();
    this.#server.closeAllConnections();
    await stopped;
  }

  #record(method: string): Attempt {
    const attempt: Attempt = {
      entry: {
        time: this.#now().toISOString(),
        method,
        host: "",
        port: 0,
        allowed: false,
        bytesUp: 0,
        bytesDown: 0,
      },
    };
    this.#log.push(attempt);
    return attempt;
  }

  #describe(attempt: Attempt, target: Target | Failure): void {
    if ("error" in target) return;
    attempt.entry.host = target.host;
    attempt.entry.port = target.port;
  }

  #refuse(attempt: Attempt, status: number, reason: string): void {
    attempt.entry.status = status;
    attempt.entry.reason = reason;
  }

  /** Freezes the byte counts of a finished upstream connection. */
  #finish(attempt: Attempt): void {
    const upstream = attempt.upstream;
    this.#open.delete(attempt);
    if (!upstream) return;
    attempt.entry.bytesUp = upstream.bytesWritten;
    attempt.entry.bytesDown = upstream.bytesRead;
    delete attempt.upstream;
  }

  /** The allowlist, then resolution and the address guard; the address to connect to or a refusal. */
  async #decide(target: Target): Promise<Decision> {
    const authority = target.host.includes(":")
      ? `[${target.host}]:${target.port}`
      : `${target.host}:${target.port}`;
    const rule = findRule(this.#rules, target);
    if (!rule) return { status: 403, reason: `${authority} is not in the egress allowlist` };
    if (rule.kind === "ip") return { address: target.host };
    let addresses: readonly string[];
    let timer: NodeJS.Timeout | undefined;
    try {
      addresses = await Promise.race([
        this.#resolve(target.host),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error("timed out")), this.#connectTimeoutMs);
        }),
      ]);
    } catch (err) {
      return { status: 502, reason: `cannot resolve ${target.host}: ${errorText(err)}` };
    } finally {
      clearTimeout(timer);
    }
    if (addresses.length === 0) return { status: 502, reason: `cannot resolve ${target.host}: no addresses` };
    for (const address of addresses) {
      const range = nonPublicRange(address);
      if (range)
        return {
          status: 403,
          reason: `${target.host} resolves to ${address} (${range}), which only an IP-literal allowlist entry may reach`,
        };
    }
    return { address: addresses[0]! };
  }

  /** Connects upstream with the connect timeout, switching to the idle timeout once connected. */
  #connectUpstream(attempt: Attempt, socket: net.Socket): void {
    attempt.upstream = socket;
    this.#open.add(attempt);
    let connected = false;
    socket.setTimeout(this.#connectTimeoutMs);
    socket.once("connect", () => {
      connected = true;
      socket.setTimeout(this.#idleTimeoutMs);
    });
    socket.on("timeout", () => socket.destroy(new Error(connected ? "idle timeout" : "connect timed out")));
    socket.once("close", () => this.#finish(attempt));
  }

  async #onConnect(req: http.IncomingMessage, client: Duplex, head: Buffer): Promise<void> {
    client.on("error", () => client.destroy());
    const attempt = this.#record("CONNECT");
    const target = proxyTarget(req.url ?? "", undefined);
    if ("error" in target) {
      this.#refuse(attempt, 400, `malformed CONNECT target: ${target.error}`);
      endWith(
        client,
        rawResponse(400, `malformed CONNECT target ${JSON.stringify(req.url)}: ${target.error}`),
      );
      return;
    }
    this.#describe(attempt, target);
    const decision = await this.#decide(target);
    if (this.#closed || client.destroyed) {
      attempt.entry.reason = "the client left before the upstream connection was made";
      client.destroy();
      return;
    }
    if ("status" in decision) {
      this.#refuse(attempt, decision.status, decision.reason);
      client.resume();
      endWith(client, rawResponse(decision.status, `egress denied: ${decision.reason}`));
      return;
    }
    attempt.entry.allowed = true;
    const upstream = net.connect({ host: decision.address, port: target.port, allowHalfOpen: true });
    this.#connectUpstream(attempt, upstream);
    let established = false;
    client.once("close", () => upstream.destroy());
    upstream.once("connect", () => {
      established = true;
      attempt.entry.status = 200;
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length > 0) upstream.write(head);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    upstream.on("error", (err) => {
      if (established) {
        attempt.entry.reason ??= `upstream: ${errorText(err)}`;
        client.destroy();
        return;
      }
      this.#refuse(attempt, 502, `cannot connect to ${decision.address}:${target.port}: ${errorText(err)}`);
      client.resume();
      endWith(client, rawResponse(502, `egress failed: ${attempt.entry.reason}`));
    });
  }

  async #onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const attempt = this.#record(req.method ?? "");
    const reply = (status: number, reason: string, body: string): void => {
      this.#refuse(attempt, status, reason);
      if (res.headersSent) return void res.destroy();
      res.writeHead(status, { "content-type": "text/plain; charset=utf-8", connection: "close" });
      res.end(`${body}\n`);
    };
    const target = absoluteTarget(req.url ?? "");
    if ("error" in target) return reply(400, target.error, `bad request: ${target.error}`);
    this.#describe(attempt, target);
    const decision = await this.#decide(target);
    if (this.#closed) return void res.destroy();
    if ("status" in decision)
      return reply(
        decision.status,
        decision.reason,
        `egress ${decision.status === 403 ? "denied" : "failed"}: ${decision.reason}`,
      );
    attempt.entry.allowed = true;
    const bracketed = target.host.includes(":") ? `[${target.host}]` : target.host;
    let upstream: http.ClientRequest;
    try {
      upstream = http.request({
        host: decision.address,
        port: target.port,
        method: req.method,
        path: target.path,
        headers: [
          "Host",
          target.port === 80 ? bracketed : `${bracketed}:${target.port}`,
          ...filterHeaders(req.rawHeaders),
          "Connection",
          "close",
        ],
        setHost: false,
        agent: false,
      });
    } catch (err) {
      return reply(400, `cannot forward: ${errorText(err)}`, `bad request: ${errorText(err)}`);
    }
    upstream.once("socket", (socket: net.Socket) => this.#connectUpstream(attempt, socket));
    upstream.on("error", (err) => {
      const where = `${decision.address}:${target.port}`;
      if (res.headersSent) {
        attempt.entry.reason ??= `upstream: ${errorText(err)}`;
        res.destroy();
      } else
        reply(
          502,
          `cannot reach ${where}: ${errorText(err)}`,
          `egress failed: cannot reach ${where}: ${errorText(err)}`,
        );
      this.#finish(attempt);
    });
    upstream.on("response", (answer) => {
      try {
        res.writeHead(answer.statusCode ?? 502, answer.statusMessage, filterHeaders(answer.rawHeaders));
      } catch (err) {
        upstream.destroy();
        return reply(
          502,
          `unforwardable response: ${errorText(err)}`,
          "egress failed: unforwardable response",
        );
      }
      attempt.entry.status = answer.statusCode;
      answer.pipe(res);
      answer.on("error", () => res.destroy());
    });
    res.once("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.on("error", () => upstream.destroy());
    req.pipe(upstream);
  }

  #onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
    const code = err.code ?? "";
    // Only a request that failed to parse (or to arrive) is an attempt worth an answer and a log
    // line; anything else (EPIPE, ECONNRESET, …) is a connection going away.
    if (!socket.writable || !(code.startsWith("HPE_") || code === "ERR_HTTP_REQUEST_TIMEOUT")) {
      socket.destroy();
      return;
    }
    const status = code === "HPE_HEADER_OVERFLOW" ? 431 : code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
    this.#refuse(this.#record(""), status, `malformed request: ${errorText(err)}`);
    endWith(socket, rawResponse(status, `bad request: ${err.code ?? "malformed"}`));
  }
}

async function removeStaleSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = (await lstat(path)).isSocket();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw new BulwarkError("INPUT_INVALID", `cannot inspect ${path}: ${errorText(err)}`, { cause: err });
  }
  if (!isSocket) throw new BulwarkError("INPUT_INVALID", `${path} exists and is not a socket`);
  await unlink(path);
}

/** The environment that sends a job's HTTP(S) traffic to the forwarder on `127.0.0.1:<port>`. */
export function proxyEnvironment(port: number): {
  readonly HTTP_PROXY: string;
  readonly HTTPS_PROXY: string;
  readonly http_proxy: string;
  readonly https_proxy: string;
  readonly NO_PROXY: string;
  readonly no_proxy: string;
} {
  const url = `http://127.0.0.1:${port}`;
  return { HTTP_PROXY: url, HTTPS_PROXY: url, http_proxy: url, https_proxy: url, NO_PROXY: "", no_proxy: "" };
}
