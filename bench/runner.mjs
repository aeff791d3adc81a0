// bench/runner: per-step overhead of the sandbox backends against a plain spawn of the same
// command — `true` (pure set-up + tear-down) and a real `npm ci` + `npm pack` of a small project
// whose only network is the egress proxy, allowlisted to the npm registry. Issue #8 target:
// bwrap set-up + tear-down < 30 ms median.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { TextDecoder } from "node:util";
import { join } from "node:path";
import { ROOT, stats } from "./lib.mjs";

const runner = await import(join(ROOT, "dist/runner/index.js"));

function spec(source, command, extra = {}) {
  const outDir = mkdtempSync(join(tmpdir(), "bulwark-bench-out-"));
  return {
    command,
    source,
    env: { PATH: runner.SANDBOX_PATH, HOME: "/tmp", LANG: "C.UTF-8" },
    readOnlyMounts: [],
    secrets: [],
    products: [],
    outDir,
    limits: { ...runner.DEFAULT_LIMITS, timeoutMs: 300_000 },
    network: { mode: "none" },
    seccomp: runner.DEFAULT_PROFILE,
    ...extra,
  };
}

async function timeBackend(backend, make, runs) {
  const samples = [];
  for (let i = 0; i < runs + 2; i++) {
    const s = make();
    const t = performance.now();
    const r = await backend.run(s);
    const ms = performance.now() - t;
    rmSync(s.outDir, { recursive: true, force: true });
    if (r.exitCode !== 0 || r.limit)
      throw new Error(`${backend.name} run failed: ${new TextDecoder().decode(r.log).slice(-400)}`);
    if (i >= 2) samples.push(ms); // two warm-up runs
  }
  return stats(samples);
}

function timePlain(command, runs, options = {}) {
  const samples = [];
  for (let i = 0; i < runs + 2; i++) {
    const t = performance.now();
    const r = spawnSync(command[0], command.slice(1), { stdio: "ignore", ...options });
    const ms = performance.now() - t;
    if (r.status !== 0) throw new Error(`${command.join(" ")} failed`);
    if (i >= 2) samples.push(ms);
  }
  return stats(samples);
}

function tinyProject() {
  const dir = mkdtempSync(join(tmpdir(), "bulwark-bench-npm-"));
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({
      name: "tiny",
      version: "1.0.0",
      dependencies: { "is-number": "7.0.0", "is-odd": "3.0.1" },
    }),
  );
  execFileSync("npm", ["install", "--package-lock-only", "--ignore-scripts", "--no-audit", "--no-fund"], {
    cwd: dir,
    stdio: "ignore",
  });
  return dir;
}

export async function run() {
  const empty = mkdtempSync(join(tmpdir(), "bulwark-bench-src-"));
  const backends = runner.SANDBOX_BACKENDS.map((b) => b.create());
  const available = [];
  for (const b of backends) {
    const why = await b.unavailable();
    if (why) console.error(`bench/runner: ${b.name} unavailable: ${why}`);
    else available.push(b);
  }
  const out = { trueCommand: {}, npm: {} };
  const plainTrue = timePlain(["true"], 50);
  out.trueCommand.plain = plainTrue;
  for (const b of available) {
    out.trueCommand[b.name] = await timeBackend(b, () => spec(empty, ["true"]), b.name === "oci" ? 20 : 40);
  }

  // npm ci + npm pack, dependencies fetched through the egress proxy (fresh npm cache every run).
  const project = tinyProject();
  const npmRuns = 5;
  const plainNpm = [];
  for (let i = 0; i < npmRuns + 1; i++) {
    const cache = mkdtempSync(join(tmpdir(), "bulwark-bench-npmcache-"));
    const work = mkdtempSync(join(tmpdir(), "bulwark-bench-npmwork-"));
    execFileSync("cp", ["-a", `${project}/.`, work]);
    const t = performance.now();
    execFileSync(
      "sh",
      ["-c", "npm ci --ignore-scripts --no-audit --no-fund >/dev/null && npm pack >/dev/null 2>&1"],
      {
        cwd: work,
        env: { ...process.env, npm_config_cache: cache },
      },
    );
    if (i >= 1) plainNpm.push(performance.now() - t);
    rmSync(cache, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
  out.npm.plain = stats(plainNpm);
  for (const b of available.filter((x) => x.isolated)) {
    const { EgressProxy } = await import(join(ROOT, "dist/runner/proxy.js"));
    const samples = [];
    for (let i = 0; i < npmRuns + 1; i++) {
      const sockDir = mkdtempSync(join(tmpdir(), "bulwark-bench-proxy-"));
      const proxy = await EgressProxy.start({
        socketPath: join(sockDir, "proxy.sock"),
        allow: ["registry.npmjs.org"],
      });
      const s = spec(
        project,
        ["sh", "-c", "npm ci --ignore-scripts --no-audit --no-fund >/dev/null && npm pack >/dev/null 2>&1"],
        {
          network: { mode: "egress", allow: ["registry.npmjs.org"] },
          proxySocket: join(sockDir, "proxy.sock"),
          products: ["*.tgz"],
        },
      );
      const t = performance.now();
      const r = await b.run(s);
      const ms = performance.now() - t;
      await proxy.close();
      rmSync(sockDir, { recursive: true, force: true });
      rmSync(s.outDir, { recursive: true, force: true });
      if (r.exitCode !== 0 || r.limit)
        throw new Error(`${b.name} npm run failed: ${new TextDecoder().decode(r.log).slice(-600)}`);
      if (i >= 1) samples.push(ms);
    }
    out.npm[b.name] = stats(samples);
  }
  rmSync(project, { recursive: true, force: true });
  rmSync(empty, { recursive: true, force: true });
  return out;
}

export function print(r) {
  const t = r.trueCommand;
  console.log("\n== runner: `true` in a fresh sandbox (set-up + tear-down), median / p99 ==");
  console.log(`plain spawn             ${t.plain.median.toFixed(2)} ms / ${t.plain.p99.toFixed(2)} ms`);
  for (const [name, s] of Object.entries(t)) {
    if (name === "plain") continue;
    console.log(
      `${name.padEnd(23)} ${s.median.toFixed(2)} ms / ${s.p99.toFixed(2)} ms  (overhead ${(s.median - t.plain.median).toFixed(2)} ms, ${(s.median / t.plain.median).toFixed(1)}×)`,
    );
  }
  const n = r.npm;
  console.log(
    "\n== runner: npm ci + npm pack of a 2-dependency project, registry through the egress proxy (fresh cache) ==",
  );
  console.log(`plain                   ${n.plain.median.toFixed(0)} ms`);
  for (const [name, s] of Object.entries(n)) {
    if (name === "plain") continue;
    console.log(
      `${name.padEnd(23)} ${s.median.toFixed(0)} ms  (${(s.median / n.plain.median).toFixed(2)}× plain)`,
    );
  }
}
