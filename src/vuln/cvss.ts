/**
 * CVSS v3.0/v3.1 base scores computed from the vector (FIRST CVSS v3.1 specification, §7 and
 * Appendix A "Roundup"). Vectors are parsed strictly: the `CVSS:3.x/` prefix, every base metric
 * exactly once with a defined value; temporal and environmental metrics are accepted and do not
 * change the base score. CVSS v4.0 scoring (a lookup over macro-vectors) is not implemented yet:
 * for v4 vectors the database's own rating is used.
 */
export type CvssSeverity = "NONE" | "LOW" | "MEDIUM" | "HIGH" | "CRITICAL";

export interface CvssScore {
  readonly version: "3.0" | "3.1";
  readonly vector: string;
  readonly baseScore: number;
  readonly severity: CvssSeverity;
}

const WEIGHTS = {
  AV: { N: 0.85, A: 0.62, L: 0.55, P: 0.2 },
  AC: { L: 0.77, H: 0.44 },
  PR: { N: 0.85, L: 0.62, H: 0.27 },
  UI: { N: 0.85, R: 0.62 },
  S: { U: 0, C: 1 },
  C: { H: 0.56, L: 0.22, N: 0 },
  I: { H: 0.56, L: 0.22, N: 0 },
  A: { H: 0.56, L: 0.22, N: 0 },
} as const;
type BaseMetric = keyof typeof WEIGHTS;
const BASE = Object.keys(WEIGHTS) as BaseMetric[];
const OTHER = new Set([
  "E",
  "RL",
  "RC",
  "CR",
  "IR",
  "AR",
  "MAV",
  "MAC",
  "MPR",
  "MUI",
  "MS",
  "MC",
  "MI",
  "MA",
]);

/** Parses and scores a CVSS v3.0/v3.1 vector; undefined when it is not a valid v3 vector. */
export function cvss3(vector: string): CvssScore | undefined {
  const m = /^CVSS:(3\.[01])\/(.+)$/.exec(vector.trim());
  if (!m) return undefined;
  const version = m[1] as "3.0" | "3.1";
  const values = new Map<string, string>();
  for (const part of m[2]!.split("/")) {
    const [k, v, extra] = part.split(":");
    if (!k || !v || extra !== undefined || values.has(k)) return undefined;
    if (!(k in WEIGHTS) && !OTHER.has(k)) return undefined;
    if (k in WEIGHTS && !(v in WEIGHTS[k as BaseMetric])) return undefined;
    values.set(k, v);
  }
  if (!BASE.every((k) => values.has(k))) return undefined;
  const w = (k: BaseMetric) => (WEIGHTS[k] as Record<string, number>)[values.get(k)!]!;
  const changed = values.get("S") === "C";
  let pr = w("PR");
  if (changed && values.get("PR") === "L") pr = 0.68;
  if (changed && values.get("PR") === "H") pr = 0.5;
  const iss = 1 - (1 - w("C")) * (1 - w("I")) * (1 - w("A"));
  const impact = changed ? 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 : 6.42 * iss;
  const exploitability = 8.22 * w("AV") * w("AC") * pr * w("UI");
  const roundup = version === "3.1" ? roundup31 : (x: number) => Math.ceil(x * 10) / 10;
  const baseScore =
    impact <= 0
      ? 0
      : changed
        ? roundup(Math.min(1.08 * (impact + exploitability), 10))
        : roundup(Math.min(impact + exploitability, 10));
  return { version, vector: vector.trim(), baseScore, severity: severityOf(baseScore) };
}

/** CVSS v3.1 Appendix A: round up to one decimal, robust to floating-point error. */
function roundup31(x: number): number {
  const i = Math.round(x * 100000);
  return i % 10000 === 0 ? i / 100000 : (Math.floor(i / 10000) + 1) / 10;
}

/** The qualitative rating scale (CVSS v3.1 §5). */
export function severityOf(score: number): CvssSeverity {
  if (score === 0) return "NONE";
  if (score < 4) return "LOW";
  if (score < 7) return "MEDIUM";
  if (score < 9) return "HIGH";
  return "CRITICAL";
}
