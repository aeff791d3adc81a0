/**
 * The egress proxy and its in-sandbox forwarder over real sockets: an upstream HTTP server and a
 * TCP echo server on 127.0.0.1, the proxy on a Unix socket, the forwarder as a child process and
 * curl as the client; once more inside `bwrap --unshare-net`, the real deployment.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { isBulwarkError } from "../../src/core/index.js";
import { FORWARDER_SOURCE, writeForwarder } from "../../src/runner/forwarder.js";
import {
  EgressProxy,
  type EgressProxyOptions,
  matchEgressRule,
  nonPublicRange,
  parseEgressAllowlist,
  proxyEnvironment,
} from "../../src/runner/proxy.js";

const NOW = new Date("2026-01-02T03:04:05.000Z");

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as net.AddressInfo).port;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  const port = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startForwarder(
  script: string,
  socketPath: string,
): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, [script, socketPath, String(port)], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  let out = "";
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out === "ready\n") resolve();
    });
    child.once("exit", (code) => reject(new Error(`forwarder exited with ${code}: ${out}`)));
  });
  return { port, child };
}

interface CurlResult {
  readonly exitCode: number;
  readonly body: string;
  /** `%{http_code}`: the final response (0 when none). */
  readonly status: number;
  /** `%{http_connect}`: the proxy's answer to CONNECT (0 when none). */
  readonly connect: number;
  readonly stderr: string;
}

async function curl(args: readonly string[]): Promise<CurlResult> {
  return new Promise((resolve) => {
    execFile(
      "curl",
      ["-sS", "--max-time", "10", "-w", "\n%{http_code} %{http_connect}", ...args],
      { env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } },
      (error, stdout, stderr) => {
        const cut = stdout.lastIndexOf("\n");
        const [status, connect] = stdout
          .slice(cut + 1)
          .split(" ")
          .map(Number);
        resolve({
          exitCode: error ? Number(error.code ?? 1) : 0,
          body: stdout.slice(0, cut),
          status: status ?? 0,
          connect: connect ?? 0,
          stderr,
        });
      },
    );
  });
}

/** Sends `request`, half-closes, and returns everything the peer sent until it hung up. */
async function exchange(port: number, request: string | Buffer): Promise<string> {
  const socket = net.connect({ port, host: "127.0.0.1", allowHalfOpen: true });
  const chunks: Buffer[] = [];
  socket.on("data", (chunk: Buffer) => chunks.push(chunk));
  socket.end(request);
  await once(socket, "close");
  return Buffer.concat(chunks).toString("latin1");
}

/** Opens a CONNECT tunnel (optionally with early data) and returns the socket after the proxy's answer. */
async function openTunnel(
  port: number,
  target: string,
  early: Buffer = Buffer.alloc(0),
): Promise<{ socket: net.Socket; head: string; rest: Buffer }> {
  const socket = net.connect({ port, host: "127.0.0.1" });
  let buffered = Buffer.alloc(0);
  socket.write(Buffer.concat([Buffer.from(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`), early]));
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf("\r\n\r\n");
      if (end < 0) return;
      socket.off("data", onData);
      socket.pause();
      resolve({
        socket,
        head: buffered.subarray(0, end).toString("latin1"),
        rest: buffered.subarray(end + 4),
      });
    };
    socket.on("data", onData);
    socket.once("error", reject);
    socket.once("close", () => reject(new Error(`closed before an answer: ${buffered.toString("latin1")}`)));
  });
}

/** Reads exactly `length` bytes (after `already`) from a paused socket. */
async function readExactly(
  socket: net.Socket,
  length: number,
  already: Buffer = Buffer.alloc(0),
): Promise<Buffer> {
  const chunks = [already];
  let have = already.length;
  if (have >= length) return already;
  return new Promise((resolve, reject) => {
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      have += chunk.length;
      if (have >= length) resolve(Buffer.concat(chunks));
    });
    socket.once("close", () => reject(new Error(`closed after ${have} of ${length} bytes`)));
    socket.resume();
  });
}

function expectInvalid(fn: () => unknown, entry: string): void {
  try {
    fn();
  } catch (err) {
    expect(isBulwarkError(err) && err.code).toBe("INPUT_INVALID");
    expect((err as Error).message).toContain(JSON.stringify(entry));
    return;
  }
  expect.fail(`${JSON.stringify(entry)} was accepted`);
}

describe("parseEgressAllowlist", () => {
  it.each([
    ["example.com", "name", "example.com", [443, 80]],
    ["Example.COM.:8443", "name", "example.com", [8443]],
    ["*.example.com", "wildcard", "example.com", [443, 80]],
    ["*.Example.com:22", "wildcard", "example.com", [22]],
    ["10.0.0.1:5432", "ip", "10.0.0.1", [5432]],
    ["203.0.113.9", "ip", "203.0.113.9", [443, 80]],
    ["[2001:DB8:0::1]:443", "ip", "2001:db8::1", [443]],
    ["[::1]", "ip", "::1", [443, 80]],
  ])("parses %s", (entry, kind, host, ports) => {
    expect(parseEgressAllowlist([entry])).toEqual([{ kind, entry, host, ports }]);
  });

  it.each([
    "",
    "*",
    "*.",
    "a.*.example.com",
    "*example.com",
    "exa mple.com",
    "example.com:0",
    "example.com:65536",
    "example.com:https",
    "example.com:",
    "2001:db8::1",
    "[2001:db8::1",
    "[2001:db8::1]443",
    "[fe80::1%eth0]:443",
    "[10.0.0.1]:443",
    "010.0.0.1",
    "1.2.3",
    "256.1.1.1",
    "0x7f.1",
    "-a.example.com",
    "a..example.com",
    "http://example.com",
  ])("rejects %j with INPUT_INVALID naming the entry", (entry) => {
    expectInvalid(() => parseEgressAllowlist(["good.example", entry]), entry);
  });

  it("reports where the bad entry is", () => {
    try {
      parseEgressAllowlist(["ok.example", "bad entry"]);
      expect.fail("accepted");
    } catch (err) {
      expect(isBulwarkError(err) && err.location?.path).toBe("network.egress[1]");
    }
  });
});

describe("matchEgressRule", () => {
  const rules = parseEgressAllowlist(["*.example.com", "api.test:8443", "10.1.2.3", "[2001:db8::1]:443"]);
  it.each([
    ["a.example.com", 443, "*.example.com"],
    ["a.b.example.com", 80, "*.example.com"],
    ["A.Example.COM.", 443, "*.example.com"],
    ["example.com", 443, undefined],
    ["evil-example.com", 443, undefined],
    ["aexample.com", 443, undefined],
    ["a.example.com.evil.net", 443, undefined],
    ["a.example.com", 8443, undefined],
    ["api.test", 8443, "api.test:8443"],
    ["API.TEST.", 8443, "api.test:8443"],
    ["api.test", 443, undefined],
    ["xapi.test", 8443, undefined],
    ["sub.api.test", 8443, undefined],
    ["10.1.2.3", 80, "10.1.2.3"],
    ["10.1.2.3", 22, undefined],
    ["10.1.2.30", 80, undefined],
    ["2001:db8::1", 443, "[2001:db8::1]:443"],
    ["[2001:DB8:0:0::1]", 443, "[2001:db8::1]:443"],
    ["2001:db8::1", 80, undefined],
  ])("%s:%i → %s", (host, port, entry) => {
    expect(matchEgressRule(rules, host, port)?.entry).toBe(entry);
  });
});

describe("nonPublicRange", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["10.0.0.1", "private"],
    ["172.16.5.4", "private"],
    ["192.168.1.1", "private"],
    ["169.254.169.254", "linkLocal"],
    ["0.0.0.0", "unspecified"],
    ["224.0.0.1", "multicast"],
    ["255.255.255.255", "broadcast"],
    ["100.64.0.1", "carrierGradeNat"],
    ["::1", "loopback"],
    ["::", "unspecified"],
    ["fe80::1", "linkLocal"],
    ["fd00::1", "uniqueLocal"],
    ["ff02::1", "multicast"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:10.0.0.1", "private"],
    ["64:ff9b::7f00:1", "loopback"],
    ["not-an-ip", "invalid"],
    ["93.184.215.14", undefined],
    ["8.8.8.8", undefined],
    ["2606:4700:4700::1111", undefined],
    ["64:ff9b::808:808", undefined],
  ])("%s → %s", (address, range) => {
    expect(nonPublicRange(address)).toBe(range);
  });
});

describe("proxyEnvironment", () => {
  it("points every proxy variable at the forwarder and clears NO_PROXY", () => {
    expect(proxyEnvironment(3128)).toEqual({
      HTTP_PROXY: "http://127.0.0.1:3128",
      HTTPS_PROXY: "http://127.0.0.1:3128",
      http_proxy: "http://127.0.0.1:3128",
      https_proxy: "http://127.0.0.1:3128",
      NO_PROXY: "",
      no_proxy: "",
    });
  });
});

describe("forwarder script", () => {
  it("imports nothing but node:net", () => {
    const imports = [...FORWARDER_SOURCE.matchAll(/\bimport\b[^;]*?["']([^"']+)["']|\brequire\(/g)].map(
      (m) => m[1],
    );
    expect(imports).toEqual(["node:net"]);
  });

  it("is written read-only and can be rewritten", () => {
    const dir = mkdtempSync(join(tmpdir(), "bulwark-fwd-"));
    try {
      const path = writeForwarder(dir);
      expect(path).toBe(join(dir, "forwarder.mjs"));
      expect(statSync(path).mode & 0o777).toBe(0o444);
      expect(writeForwarder(dir)).toBe(path);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a bad command line with usage and exit 2", () => {
    const dir = mkdtempSync(join(tmpdir(), "bulwark-fwd-"));
    try {
      const run = spawnSync(process.execPath, [writeForwarder(dir), join(dir, "s.sock"), "http"], {
        encoding: "utf8",
      });
      expect(run.status).toBe(2);
      expect(run.stderr).toContain("usage:");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("exits on SIGTERM", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bulwark-fwd-"));
    try {
      const fwd = await startForwarder(writeForwarder(dir), join(dir, "s.sock"));
      const exited = once(fwd.child, "exit");
      fwd.child.kill("SIGTERM");
      expect(await exited).toEqual([0, null]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("exits when its stdin closes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bulwark-fwd-"));
    try {
      const fwd = await startForwarder(writeForwarder(dir), join(dir, "s.sock"));
      const exited = once(fwd.child, "exit");
      fwd.child.stdin!.end();
      expect(await exited).toEqual([0, null]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("EgressProxy (real sockets, forwarder, curl)", () => {
  let dir: string;
  let socketPath: string;
  let script: string;
  let fwd: { port: number; child: ChildProcess };
  let upstream: http.Server;
  let upstreamPort: number;
  let echo: net.Server;
  let echoPort: number;
  const echoConnections = new Set<net.Socket>();
  let closedPort: number;
  let proxy: EgressProxy | undefined;

  async function startProxy(
    allow: readonly string[],
    options: Partial<EgressProxyOptions> = {},
  ): Promise<EgressProxy> {
    proxy = await EgressProxy.start({ socketPath, allow, now: () => NOW, ...options });
    return proxy;
  }

  const via = (): string[] => ["--proxy", `http://127.0.0.1:${fwd.port}`];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "bulwark-proxy-test-"));
    socketPath = join(dir, "proxy.sock");
    upstream = http.createServer((req, res) => {
      const body = JSON.stringify({ url: req.url, headers: req.headers });
      res.writeHead(200, {
        "content-type": "application/json",
        "x-upstream": "yes",
        "keep-alive": "timeout=5",
      });
      res.end(body);
    });
    upstreamPort = await listen(upstream);
    echo = net.createServer((socket) => {
      echoConnections.add(socket);
      socket.once("close", () => echoConnections.delete(socket));
      socket.on("error", () => undefined);
      socket.pipe(socket);
    });
    echoPort = await listen(echo);
    closedPort = await freePort();
    script = writeForwarder(dir);
    fwd = await startForwarder(script, socketPath);
  });

  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
  });

  afterAll(async () => {
    if (fwd) {
      const exited = once(fwd.child, "exit");
      fwd.child.stdin!.end();
      await exited;
    }
    upstream?.closeAllConnections();
    await new Promise((resolve) => upstream?.close(resolve));
    for (const socket of echoConnections) socket.destroy();
    await new Promise((resolve) => echo?.close(resolve));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("listens on a 0600 socket, replacing a stale one", async () => {
    const killed = spawn(process.execPath, [
      "-e",
      `require("net").createServer().listen(${JSON.stringify(socketPath)}, () => console.log("up"))`,
    ]);
    await once(killed.stdout!, "data");
    killed.kill("SIGKILL");
    await once(killed, "exit");
    expect(statSync(socketPath).isSocket()).toBe(true);
    await startProxy([]);
    expect(statSync(socketPath).mode & 0o777).toBe(0o600);
    expect(
      (await exchange(fwd.port, "GET http://x.test/ HTTP/1.1\r\nHost: x.test\r\n\r\n")).split("\r\n")[0],
    ).toBe("HTTP/1.1 403 Forbidden");
  });

  it("refuses to replace a file that is not a socket, and a bad allowlist, with INPUT_INVALID", async () => {
    const file = join(dir, "not-a-socket");
    writeFileSync(file, "keep me");
    await expect(EgressProxy.start({ socketPath: file, allow: [] })).rejects.toMatchObject({
      code: "INPUT_INVALID",
    });
    expect(statSync(file).isFile()).toBe(true);
    await expect(
      EgressProxy.start({ socketPath: join(dir, "x.sock"), allow: ["ok.test", "*"] }),
    ).rejects.toMatchObject({ code: "INPUT_INVALID", message: expect.stringContaining('"*"') });
    expect(() => statSync(join(dir, "x.sock"))).toThrow();
  });

  it("forwards an absolute-form HTTP request to an allowlisted host, without hop-by-hop or Proxy-* headers", async () => {
    const p = await startProxy([`127.0.0.1:${upstreamPort}`]);
    const r = await curl([
      ...via(),
      "--proxy-user",
      "job:secret",
      "-H",
      "X-Kept: 1",
      "-H",
      "Connection: keep-alive, X-Listed",
      "-H",
      "X-Listed: drop me",
      `http://127.0.0.1:${upstreamPort}/hello?x=1`,
    ]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(200);
    const seen = JSON.parse(r.body) as { url: string; headers: Record<string, string> };
    expect(seen.url).toBe("/hello?x=1");
    expect(seen.headers.host).toBe(`127.0.0.1:${upstreamPort}`);
    expect(seen.headers["x-kept"]).toBe("1");
    expect(seen.headers).not.toHaveProperty("proxy-authorization");
    expect(seen.headers).not.toHaveProperty("proxy-connection");
    expect(seen.headers).not.toHaveProperty("x-listed");
    const [entry, ...more] = p.entries();
    expect(more).toEqual([]);
    expect(entry).toMatchObject({
      time: NOW.toISOString(),
      method: "GET",
      host: "127.0.0.1",
      port: upstreamPort,
      allowed: true,
      status: 200,
    });
    expect(entry!.reason).toBeUndefined();
    expect(entry!.bytesUp).toBeGreaterThan(0);
    expect(entry!.bytesDown).toBeGreaterThan(r.body.length);
  });

  it("tunnels CONNECT to an allowlisted host", async () => {
    const p = await startProxy([`127.0.0.1:${upstreamPort}`]);
    const r = await curl([...via(), "--proxytunnel", `http://127.0.0.1:${upstreamPort}/through-tunnel`]);
    expect(r.stderr).toBe("");
    expect(r.connect).toBe(200);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ url: "/through-tunnel" });
    await vi.waitFor(() => expect(p.entries()[0]?.bytesDown).toBeGreaterThan(r.body.length));
    expect(p.entries()).toEqual([
      expect.objectContaining({
        method: "CONNECT",
        host: "127.0.0.1",
        port: upstreamPort,
        allowed: true,
        status: 200,
        bytesUp: expect.any(Number),
      }),
    ]);
    expect(p.entries()[0]!.bytesUp).toBeGreaterThan(0);
  });

  it("denies hosts and ports not in the allowlist with 403, without resolving them", async () => {
    const resolve = vi.fn(async () => ["93.184.215.14"]);
    const p = await startProxy([`127.0.0.1:${upstreamPort}`], { resolve });
    const plain = await curl([...via(), "http://example.invalid/x"]);
    expect(plain.status).toBe(403);
    expect(plain.body).toContain("example.invalid:80 is not in the egress allowlist");
    const tunnel = await curl([...via(), "--proxytunnel", "https://example.invalid/"]);
    expect(tunnel.connect).toBe(403);
    expect(tunnel.exitCode).not.toBe(0);
    const otherPort = await curl([...via(), "--proxytunnel", `http://127.0.0.1:${echoPort}/`]);
    expect(otherPort.connect).toBe(403);
    expect(resolve).not.toHaveBeenCalled();
    expect(p.entries()).toEqual([
      expect.objectContaining({
        method: "GET",
        host: "example.invalid",
        port: 80,
        allowed: false,
        status: 403,
      }),
      expect.objectContaining({
        method: "CONNECT",
        host: "example.invalid",
        port: 443,
        allowed: false,
        status: 403,
      }),
      expect.objectContaining({
        method: "CONNECT",
        host: "127.0.0.1",
        port: echoPort,
        allowed: false,
        status: 403,
      }),
    ]);
    for (const entry of p.entries()) {
      expect(entry.reason).toMatch(/is not in the egress allowlist$/);
      expect([entry.bytesUp, entry.bytesDown]).toEqual([0, 0]);
    }
  });

  it("refuses an allowlisted name that resolves to a non-public address (DNS rebinding guard)", async () => {
    const answers: Record<string, string[]> = {
      "upstream.test": ["127.0.0.1"],
      "mixed.test": ["93.184.215.14", "10.0.0.1"],
    };
    const p = await startProxy([`upstream.test:${upstreamPort}`, "mixed.test"], {
      resolve: async (host) => answers[host] ?? [],
    });
    const viaName = await curl([...via(), `http://upstream.test:${upstreamPort}/`]);
    expect(viaName.status).toBe(403);
    expect(viaName.body).toContain("upstream.test resolves to 127.0.0.1 (loopback)");
    const tunnel = await curl([...via(), "--proxytunnel", `http://upstream.test:${upstreamPort}/`]);
    expect(tunnel.connect).toBe(403);
    const mixed = await curl([...via(), "--proxytunnel", "https://mixed.test/"]);
    expect(mixed.connect).toBe(403);
    expect(p.entries().map((e) => [e.method, e.host, e.allowed, e.status, e.reason])).toEqual([
      ["GET", "upstream.test", false, 403, expect.stringMatching(/resolves to 127\.0\.0\.1 \(loopback\)/)],
      [
        "CONNECT",
        "upstream.test",
        false,
        403,
        expect.stringMatching(/resolves to 127\.0\.0\.1 \(loopback\)/),
      ],
      ["CONNECT", "mixed.test", false, 403, expect.stringMatching(/resolves to 10\.0\.0\.1 \(private\)/)],
    ]);
  });

  it("matches wildcards exactly, by label, and by port", async () => {
    const resolved: string[] = [];
    const p = await startProxy(["*.example.com"], {
      // Loopback, so an allowlist match shows up as a guard refusal and nothing leaves the machine.
      resolve: async (host) => {
        resolved.push(host);
        return ["127.0.0.1"];
      },
    });
    const targets = [
      "a.example.com:443",
      "A.B.Example.COM.:80",
      "example.com:443",
      "evil-example.com:443",
      "a.example.com.evil.net:443",
      "a.example.com:8443",
    ];
    for (const target of targets) {
      const { socket, head } = await openTunnel(fwd.port, target);
      expect(head.split("\r\n")[0]).toBe("HTTP/1.1 403 Forbidden");
      socket.destroy();
    }
    expect(resolved).toEqual(["a.example.com", "a.b.example.com"]);
    expect(p.entries().map((e) => `${e.host}:${e.port} ${e.reason}`)).toEqual([
      expect.stringMatching(/^a\.example\.com:443 .*\(loopback\)/),
      expect.stringMatching(/^a\.b\.example\.com:80 .*\(loopback\)/),
      "example.com:443 example.com:443 is not in the egress allowlist",
      "evil-example.com:443 evil-example.com:443 is not in the egress allowlist",
      "a.example.com.evil.net:443 a.example.com.evil.net:443 is not in the egress allowlist",
      "a.example.com:8443 a.example.com:8443 is not in the egress allowlist",
    ]);
  });

  it("counts tunnel bytes exactly, including data sent along with CONNECT", async () => {
    const p = await startProxy([`127.0.0.1:${echoPort}`]);
    const payload = Buffer.alloc(200_000);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7919) % 251;
    const early = payload.subarray(0, 1000);
    const { socket, head, rest } = await openTunnel(fwd.port, `127.0.0.1:${echoPort}`, early);
    expect(head).toBe("HTTP/1.1 200 Connection Established");
    socket.write(payload.subarray(early.length));
    const back = await readExactly(socket, payload.length, rest);
    expect(back.equals(payload)).toBe(true);
    const closed = once(socket, "close");
    socket.end();
    await closed;
    await vi.waitFor(() => expect(echoConnections.size).toBe(0));
    await vi.waitFor(() => expect(p.entries()[0]).toMatchObject({ bytesUp: 200_000, bytesDown: 200_000 }));
    await p.close();
    expect(p.entries()).toEqual([
      {
        time: NOW.toISOString(),
        method: "CONNECT",
        host: "127.0.0.1",
        port: echoPort,
        allowed: true,
        status: 200,
        bytesUp: 200_000,
        bytesDown: 200_000,
      },
    ]);
  });

  it("answers malformed and non-proxy requests with 400 (431 for oversized headers) and logs them", async () => {
    const p = await startProxy([`127.0.0.1:${upstreamPort}`]);
    const first = async (request: string): Promise<string> =>
      (await exchange(fwd.port, request)).split("\r\n")[0]!;
    expect(await first("NONSENSE\r\n\r\n")).toBe("HTTP/1.1 400 Bad Request");
    expect(await first("CONNECT example.com HTTP/1.1\r\nHost: example.com\r\n\r\n")).toBe(
      "HTTP/1.1 400 Bad Request",
    );
    expect(await first("CONNECT [::1 HTTP/1.1\r\nHost: x\r\n\r\n")).toBe("HTTP/1.1 400 Bad Request");
    const origin = await exchange(fwd.port, "GET /path HTTP/1.1\r\nHost: example.com\r\n\r\n");
    expect(origin).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n[\s\S]*not a proxy request/);
    expect(await first("GET https://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n")).toBe(
      "HTTP/1.1 400 Bad Request",
    );
    expect(await first(`GET http://x.test/ HTTP/1.1\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`)).toBe(
      "HTTP/1.1 431 Request Header Fields Too Large",
    );
    expect(p.entries().map((e) => [e.method, e.allowed, e.status])).toEqual([
      ["", false, 400],
      ["CONNECT", false, 400],
      ["CONNECT", false, 400],
      ["GET", false, 400],
      ["GET", false, 400],
      ["", false, 431],
    ]);
    expect(p.entries().map((e) => e.reason)).toEqual([
      expect.stringMatching(/^malformed request: HPE_/),
      expect.stringMatching(/^malformed CONNECT target/),
      expect.stringMatching(/^malformed CONNECT target/),
      expect.stringMatching(/^not a proxy request/),
      expect.stringMatching(/use CONNECT for https/),
      expect.stringMatching(/HPE_HEADER_OVERFLOW/),
    ]);
  });

  it("answers protocol upgrades outside CONNECT with 501", async () => {
    const p = await startProxy([`127.0.0.1:${upstreamPort}`]);
    const answer = await exchange(
      fwd.port,
      `GET http://127.0.0.1:${upstreamPort}/ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`,
    );
    expect(answer.split("\r\n")[0]).toBe("HTTP/1.1 501 Not Implemented");
    expect(p.entries()).toEqual([
      expect.objectContaining({
        method: "GET",
        host: "127.0.0.1",
        port: upstreamPort,
        allowed: false,
        status: 501,
      }),
    ]);
  });

  it("answers 502 when the upstream refuses or the name does not resolve, and logs why", async () => {
    const p = await startProxy([`127.0.0.1:${closedPort}`, "nx.test"], {
      resolve: async () => {
        throw Object.assign(new Error("getaddrinfo ENOTFOUND nx.test"), { code: "ENOTFOUND" });
      },
    });
    const plain = await curl([...via(), `http://127.0.0.1:${closedPort}/`]);
    expect(plain.status).toBe(502);
    const tunnel = await curl([...via(), "--proxytunnel", `http://127.0.0.1:${closedPort}/`]);
    expect(tunnel.connect).toBe(502);
    const nx = await curl([...via(), "--proxytunnel", "https://nx.test/"]);
    expect(nx.connect).toBe(502);
    expect(p.entries().map((e) => [e.method, e.allowed, e.status])).toEqual([
      ["GET", true, 502],
      ["CONNECT", true, 502],
      ["CONNECT", false, 502],
    ]);
    expect(p.entries()[0]!.reason).toMatch(/ECONNREFUSED/);
    expect(p.entries()[1]!.reason).toMatch(/ECONNREFUSED/);
    expect(p.entries()[2]!.reason).toMatch(/cannot resolve nx\.test: ENOTFOUND/);
  });

  it("close() terminates open tunnels and finalises their byte counts", async () => {
    const p = await startProxy([`127.0.0.1:${echoPort}`]);
    const { socket, rest } = await openTunnel(fwd.port, `127.0.0.1:${echoPort}`);
    socket.write("ping");
    expect((await readExactly(socket, 4, rest)).toString()).toBe("ping");
    expect(echoConnections.size).toBe(1);
    const clientClosed = once(socket, "close");
    await p.close();
    await clientClosed;
    await vi.waitFor(() => expect(echoConnections.size).toBe(0));
    expect(p.entries()).toEqual([
      expect.objectContaining({ allowed: true, status: 200, bytesUp: 4, bytesDown: 4 }),
    ]);
    expect(() => statSync(socketPath)).toThrow();
  });

  const bwrap = spawnSync("bwrap", ["--version"]).status === 0;
  it.skipIf(!bwrap && !process.env.CI)(
    "serves a job inside bwrap --unshare-net through the forwarder, and only through it",
    async () => {
      const p = await startProxy([`127.0.0.1:${upstreamPort}`]);
      const ready = join(dir, "ready.txt");
      const inner = [
        "exec 3<&0",
        'node "$1" "$2" 18080 0<&3 3<&- >"$3" &',
        "i=0",
        'until grep -q ready "$3" 2>/dev/null; do i=$((i+1)); [ $i -gt 200 ] && exit 9; sleep 0.05; done',
        'curl -sS --max-time 10 --proxy http://127.0.0.1:18080 "$4"; echo',
        'curl -s --max-time 10 --proxy http://127.0.0.1:18080 -p -o /dev/null -w "%{http_connect}\\n" "$5"',
        'curl -s --max-time 5 -o /dev/null -w "%{http_code}\\n" "$4"',
        "kill $!",
      ].join("\n");
      const out = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        const child = execFile(
          "bwrap",
          [
            ...["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"],
            ...["--bind", dir, dir, "--unshare-net", "--unshare-pid", "--die-with-parent"],
            ...["--", "sh", "-c", inner, "sh", script, socketPath, ready],
            `http://127.0.0.1:${upstreamPort}/from-sandbox`,
            `http://127.0.0.1:${echoPort}/`,
          ],
          { env: { PATH: process.env.PATH ?? "/usr/bin:/bin" }, timeout: 25_000 },
          (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
        );
        child.stdin!.on("error", () => undefined);
      });
      expect(out.stderr).toBe("");
      const [body, denied, direct] = out.stdout.trim().split("\n");
      expect(JSON.parse(body!)).toMatchObject({ url: "/from-sandbox" });
      expect(denied).toBe("403");
      // No proxy: the sandbox's own loopback has nothing on the upstream's port.
      expect(direct).toBe("000");
      expect(p.entries().map((e) => [e.method, e.port, e.allowed, e.status])).toEqual([
        ["GET", upstreamPort, true, 200],
        ["CONNECT", echoPort, false, 403],
      ]);
    },
  );
});
