// Small timing helpers for the benchmarks: medians and percentiles over repeated runs.
import { performance } from "node:perf_hooks";

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
