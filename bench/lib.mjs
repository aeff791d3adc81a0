// Small timing helpers for the benchmarks: medians and percentiles over repeated runs.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
const OUT = mkdtempSync(join(tmpdir(), "bulwark-bench-"));

/** Whole-command wall times with hyperfine: median, mean, min in ms per named command. */
export function hyperfine(commands, { runs = 10, warmup = 2, cwd = ROOT } = {}) {
  const json = join(OUT, `hf-${Date.now()}.json`);
  const args = [
    "--style",
    "none",
    "--ignore-failure",
    "--runs",
    String(runs),
    "--warmup",
    String(warmup),
    "--export-json",
    json,
  ];
  for (const [name, cmd] of commands) args.push("-n", name, cmd);
  execFileSync("hyperfine", args, {
    cwd,
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, SOURCE_DATE_EPOCH: "1795000000" },
  });
  return JSON.parse(readFileSync(json, "utf8")).results.map((r) => ({
    name: r.command,
    median: r.median * 1000,
    mean: r.mean * 1000,
    min: r.min * 1000,
  }));
}

/** Peak resident memory of a shell command (/usr/bin/time -v), MiB. */
export function peakMemoryMiB(cmd, cwd = ROOT) {
  const r = spawnSync("/usr/bin/time", ["-v", "sh", "-c", cmd], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, SOURCE_DATE_EPOCH: "1795000000" },
  });
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  return m ? Number(m[1]) / 1024 : undefined;
}

export function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, median: q(0.5), p99: q(0.99), min: s[0], max: s.at(-1) };
}

/** Times `fn` `runs` times after `warmup` untimed runs; returns per-run milliseconds. */
export function time(fn, { runs = 200, warmup = 20 } = {}) {
  for (let i = 0; i < warmup; i++) fn();
  const out = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    out.push(performance.now() - t);
  }
  return stats(out);
}

export function fmt(ms) {
  if (ms < 0.001) return `${(ms * 1e6).toFixed(0)} ns`;
  if (ms < 1) return `${(ms * 1e3).toFixed(2)} µs`;
  return `${ms.toFixed(2)} ms`;
}
