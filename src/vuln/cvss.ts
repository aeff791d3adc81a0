/**
 * CVSS base scores computed from the vector string.
 *
 * - v3.0/v3.1 (FIRST CVSS v3.1 specification, §7 and Appendix A "Roundup"): the base score only.
 *   Temporal and environmental metrics are accepted and do not change it.
 * - v4.0 (FIRST CVSS v4.0 specification, §8): the MacroVector lookup with severity-distance
 *   interpolation, as the FIRST reference calculator computes it. Threat and environmental metrics
 *   present in the vector do take effect (see {@link cvss4}).
 *
 * Vectors are parsed strictly: the version prefix, every base metric exactly once with one of its
 * defined values, no unknown or repeated metric (v4 also checks the values of its threat,
 * environmental and supplemental metrics). Metrics may come in any order: published vectors do not
 * always follow the order the specifications list them in.
 */
import { MACROVECTOR_SCORES, MAX_SEVERITY, MAX_VECTORS, SEVERITY_LEVELS } from "./cvss4-data.js";

export type CvssSeverity = "NONE" | "LOW" | "MEDIUM" | "HIGH" | "CRITICAL";

export interface CvssScore {
  readonly version: "3.0" | "3.1" | "4.0";
  /** The vector as given, without surrounding white space. */
  readonly vector: string;
  /**
   * v3.x: the base score. v4.0: the score of the vector as given, which is the CVSS-B base score
   * when it carries only base (and supplemental) metrics, else CVSS-BT, CVSS-BE or CVSS-BTE.
   */
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
    const isBase = Object.hasOwn(WEIGHTS, k);
    if (!isBase && !OTHER.has(k)) return undefined;
    if (isBase && !Object.hasOwn(WEIGHTS[k as BaseMetric], v)) return undefined;
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

// ---------------------------------------------------------------------------------------------
// CVSS v4.0

/** Every v4.0 metric with its allowed values (specification §7, "Vector String"). */
const V4_METRICS: Readonly<Record<string, readonly string[]>> = {
  // Base
  AV: ["N", "A", "L", "P"],
  AC: ["L", "H"],
  AT: ["N", "P"],
  PR: ["N", "L", "H"],
  UI: ["N", "P", "A"],
  VC: ["H", "L", "N"],
  VI: ["H", "L", "N"],
  VA: ["H", "L", "N"],
  SC: ["H", "L", "N"],
  SI: ["H", "L", "N"],
  SA: ["H", "L", "N"],
  // Threat
  E: ["X", "A", "P", "U"],
  // Environmental
  CR: ["X", "H", "M", "L"],
  IR: ["X", "H", "M", "L"],
  AR: ["X", "H", "M", "L"],
  MAV: ["X", "N", "A", "L", "P"],
  MAC: ["X", "L", "H"],
  MAT: ["X", "N", "P"],
  MPR: ["X", "N", "L", "H"],
  MUI: ["X", "N", "P", "A"],
  MVC: ["X", "H", "L", "N"],
  MVI: ["X", "H", "L", "N"],
  MVA: ["X", "H", "L", "N"],
  MSC: ["X", "H", "L", "N"],
  MSI: ["X", "S", "H", "L", "N"],
  MSA: ["X", "S", "H", "L", "N"],
  // Supplemental: validated, never scored
  S: ["X", "N", "P"],
  AU: ["X", "N", "Y"],
  R: ["X", "A", "U", "I"],
  V: ["X", "D", "C"],
  RE: ["X", "L", "M", "H"],
  U: ["X", "Clear", "Green", "Amber", "Red"],
};
const V4_BASE = ["AV", "AC", "AT", "PR", "UI", "VC", "VI", "VA", "SC", "SI", "SA"] as const;
const V4_IMPACT = ["VC", "VI", "VA", "SC", "SI", "SA"] as const;

/** The metric values that enter the score: base values after threat/environmental overrides. */
type V4Effective = Readonly<Record<(typeof V4_BASE)[number] | "E" | "CR" | "IR" | "AR", string>>;

/**
 * Parses and scores a CVSS v4.0 vector; undefined when it is not a valid v4.0 vector.
 *
 * The score is that of the vector as given, computed as the FIRST reference calculator does
 * (specification §8): threat and environmental metrics, when present, take effect, so the result is
 * CVSS-B for a base-only vector and CVSS-BT, CVSS-BE or CVSS-BTE otherwise. Values not defined (`X`
 * or absent) take the specification's defaults: E:X is E:A (Attacked), CR/IR/AR:X are High, and a
 * modified metric M*:X keeps the base value. Supplemental metrics (S, AU, R, V, RE, U) are checked
 * but never change the score.
 *
 * Strict: the `CVSS:4.0/` prefix, all 11 base metrics, each metric at most once, only defined
 * metrics and values (case-sensitive). Metrics may come in any order.
 */
export function cvss4(vector: string): CvssScore | undefined {
  const trimmed = vector.trim();
  const prefix = "CVSS:4.0/";
  if (!trimmed.startsWith(prefix)) return undefined;
  const values = new Map<string, string>();
  for (const part of trimmed.slice(prefix.length).split("/")) {
    const [k, v, extra] = part.split(":");
    if (!k || !v || extra !== undefined || values.has(k)) return undefined;
    if (!Object.hasOwn(V4_METRICS, k) || !V4_METRICS[k]!.includes(v)) return undefined;
    values.set(k, v);
  }
  if (!V4_BASE.every((k) => values.has(k))) return undefined;
  const baseScore = score4(effectiveValues(values));
  return { version: "4.0", vector: trimmed, baseScore, severity: severityOf(baseScore) };
}

/** Scores a CVSS v3.0, v3.1 or v4.0 vector by its prefix; undefined for anything else or invalid. */
export function cvssScore(vector: string): CvssScore | undefined {
  const trimmed = vector.trim();
  if (trimmed.startsWith("CVSS:4.0/")) return cvss4(trimmed);
  if (trimmed.startsWith("CVSS:3.")) return cvss3(trimmed);
  return undefined;
}

function effectiveValues(values: ReadonlyMap<string, string>): V4Effective {
  const defined = (k: string): string | undefined => {
    const v = values.get(k);
    return v === undefined || v === "X" ? undefined : v;
  };
  const out: Record<string, string> = {};
  for (const k of V4_BASE) out[k] = defined(`M${k}`) ?? values.get(k)!;
  out.E = defined("E") ?? "A";
  for (const k of ["CR", "IR", "AR"]) out[k] = defined(k) ?? "H";
  return out as V4Effective;
}

/** The EQ1–EQ6 equivalence-set levels (specification §8), 0 being the most severe. */
function macroVector(m: V4Effective): [number, number, number, number, number, number] {
  const eq1 =
    m.AV === "N" && m.PR === "N" && m.UI === "N"
      ? 0
      : (m.AV === "N" || m.PR === "N" || m.UI === "N") && m.AV !== "P"
        ? 1
        : 2;
  const eq2 = m.AC === "L" && m.AT === "N" ? 0 : 1;
  const eq3 = m.VC === "H" && m.VI === "H" ? 0 : m.VC === "H" || m.VI === "H" || m.VA === "H" ? 1 : 2;
  // SI/SA are S (Safety) only through MSI:S/MSA:S.
  const eq4 = m.SI === "S" || m.SA === "S" ? 0 : m.SC === "H" || m.SI === "H" || m.SA === "H" ? 1 : 2;
  const eq5 = m.E === "A" ? 0 : m.E === "P" ? 1 : 2;
  const eq6 =
    (m.CR === "H" && m.VC === "H") || (m.IR === "H" && m.VI === "H") || (m.AR === "H" && m.VA === "H")
      ? 0
      : 1;
  return [eq1, eq2, eq3, eq4, eq5, eq6];
}

/** The score of a MacroVector given as its six levels; undefined when no such MacroVector exists. */
function macroScore(eq: readonly number[]): number | undefined {
  const row = MACROVECTOR_SCORES[`${eq[0]}${eq[1]}${eq[2]}`];
  const [eq4 = 0, eq5 = 0, eq6 = 0] = eq.slice(3);
  if (!row || eq4 > 2 || eq5 > 2 || eq6 > 1) return undefined;
  return row[6 * eq4 + 2 * eq5 + eq6] ?? undefined;
}

/**
 * Specification §8: the MacroVector's score, lowered by the mean over the EQs of how far the
 * vector lies from the MacroVector's highest-severity vector, as a proportion of the score gap to
 * the next lower MacroVector in that EQ. EQs without a lower MacroVector are left out of the mean.
 * The arithmetic follows the reference calculator step by step (same decimal levels, same order of
 * additions) so that scores falling near x.x5 round the same way.
 */
function score4(m: V4Effective): number {
  if (V4_IMPACT.every((k) => m[k] === "N")) return 0;
  const eq = macroVector(m);
  const [eq1, eq2, eq3, eq4, eq5, eq6] = eq;
  const value = macroScore(eq)!;
  const lowered = (i: number): number[] => eq.map((level, j) => (j === i ? level + 1 : level));

  // The next lower MacroVector of each EQ. EQ3 and EQ6 move together: 00 → 01 or 10 (the
  // higher-scoring one), 01 → 11, 10 → 11, 11 → 21, 21 → none.
  let lower36: number | undefined;
  if (eq3 === 0 && eq6 === 0) {
    const candidates = [macroScore(lowered(5)), macroScore(lowered(2))].filter((s) => s !== undefined);
    lower36 = candidates.length ? Math.max(...candidates) : undefined;
  } else if (eq3 === 1 && eq6 === 0) {
    lower36 = macroScore(lowered(5));
  } else if (eq3 !== 2) {
    lower36 = macroScore(lowered(2));
  }

  const d = distances(m, eq1, eq2, `${eq3}${eq6}`, eq4, eq5);
  const step = 0.1;
  const parts: [lower: number | undefined, distance: number, depth: number][] = [
    [macroScore(lowered(0)), d.AV! + d.PR! + d.UI!, MAX_SEVERITY.eq1[eq1]! * step],
    [macroScore(lowered(1)), d.AC! + d.AT!, MAX_SEVERITY.eq2[eq2]! * step],
    [lower36, d.VC! + d.VI! + d.VA! + d.CR! + d.IR! + d.AR!, MAX_SEVERITY.eq3eq6[`${eq3}${eq6}`]! * step],
    [macroScore(lowered(3)), d.SC! + d.SI! + d.SA!, MAX_SEVERITY.eq4[eq4]! * step],
    // Every vector of an EQ5 level has the same E, so its proportion is 0; it still counts.
    [macroScore(lowered(4)), 0, 1],
  ];
  let sum = 0;
  let count = 0;
  for (const [lower, distance, depth] of parts) {
    if (lower === undefined) continue;
    sum += (value - lower) * (distance / depth);
    count++;
  }
  const mean = count === 0 ? 0 : sum / count;
  return Math.round(Math.min(10, Math.max(0, value - mean)) * 10) / 10;
}

/**
 * Per-metric severity distances of the vector from the first highest-severity vector of its
 * MacroVector that it does not exceed in any metric (reference calculator order).
 */
function distances(
  m: V4Effective,
  eq1: number,
  eq2: number,
  eq3eq6: string,
  eq4: number,
  eq5: number,
): Readonly<Record<string, number>> {
  let found: Record<string, number> = {};
  for (const a of MAX_VECTORS.eq1[eq1]!) {
    for (const b of MAX_VECTORS.eq2[eq2]!) {
      for (const c of MAX_VECTORS.eq3eq6[eq3eq6]!) {
        for (const e of MAX_VECTORS.eq4[eq4]!) {
          for (const f of MAX_VECTORS.eq5[eq5]!) {
            const max = new Map(
              [a, b, c, e, f].flatMap((s) => s.split("/")).map((p) => p.split(":") as [string, string]),
            );
            found = {};
            for (const [metric, levels] of Object.entries(SEVERITY_LEVELS)) {
              const own = m[metric as keyof V4Effective];
              found[metric] = levels[own]! - levels[max.get(metric)!]!;
            }
            if (Object.values(found).every((x) => x >= 0)) return found;
          }
        }
      }
    }
  }
  // Not reached with the published tables; like the reference calculator, keep the last candidate.
  return found;
}
