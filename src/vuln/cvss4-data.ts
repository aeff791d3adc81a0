/**
 * Data for CVSS v4.0 scoring (FIRST CVSS v4.0 specification §8, "CVSS v4.0 Scoring"). The values
 * are published by FIRST with the specification's reference calculator
 * (github.com/FIRSTdotorg/cvss-v4-calculator: `cvss_lookup.js`, `max_composed.js`,
 * `max_severity.js`, and the same tables in `cvss40.js`); they are restated here as tables.
 */

/**
 * Column order of a {@link MACROVECTOR_SCORES} row: the EQ4, EQ5 and EQ6 digits of the MacroVector.
 * EQ4 is 0–2, EQ5 is 0–2, EQ6 is 0–1, so the column is `6·EQ4 + 2·EQ5 + EQ6`.
 */
export const MACROVECTOR_COLUMNS = [
  "000",
  "001",
  "010",
  "011",
  "020",
  "021",
  "100",
  "101",
  "110",
  "111",
  "120",
  "121",
  "200",
  "201",
  "210",
  "211",
  "220",
  "221",
] as const;

/**
 * The score of each MacroVector (the score of its highest-severity vectors), by the EQ1, EQ2 and
 * EQ3 digits (row) and the EQ4, EQ5, EQ6 digits (column, see {@link MACROVECTOR_COLUMNS}). `null`
 * marks combinations that cannot occur: with EQ3 = 2 no VC/VI/VA is High, so EQ6 cannot be 0.
 * 12 full rows of 18 and 6 rows of 9 make the specification's 270 MacroVectors.
 */
export const MACROVECTOR_SCORES: Readonly<Record<string, readonly (number | null)[]>> = {
  "000": [10, 9.9, 9.8, 9.5, 9.5, 9.2, 10, 9.6, 9.3, 8.7, 9.1, 8.1, 9.3, 9, 8.9, 8, 8.1, 6.8],
  "001": [9.8, 9.5, 9.5, 9.2, 9, 8.4, 9.3, 9.2, 8.9, 8.1, 8.1, 6.5, 8.8, 8, 7.8, 7, 6.9, 4.8],
  "002": [null, 9.2, null, 8.2, null, 7.2, null, 7.9, null, 6.9, null, 5, null, 6.9, null, 5.5, null, 2.7],
  "010": [9.9, 9.7, 9.5, 9.2, 9.2, 8.5, 9.5, 9.1, 9, 8.3, 8.4, 7.1, 9.2, 8.1, 8.2, 7.1, 7.2, 5.3],
  "011": [9.5, 9.3, 9.2, 8.5, 8.5, 7.3, 9.2, 8.2, 8, 7.2, 7, 5.9, 8.4, 7, 7.1, 5.2, 5, 3],
  "012": [null, 8.6, null, 7.5, null, 5.2, null, 7.1, null, 5.2, null, 2.9, null, 6.3, null, 2.9, null, 1.7],
  "100": [9.8, 9.5, 9.4, 8.7, 9.1, 8.1, 9.4, 8.9, 8.6, 7.4, 7.7, 6.4, 8.7, 7.5, 7.4, 6.3, 6.3, 4.9],
  "101": [9.4, 8.9, 8.8, 7.7, 7.6, 6.7, 8.6, 7.6, 7.4, 5.8, 5.9, 5, 7.2, 5.7, 5.7, 5.2, 5.2, 2.5],
  "102": [null, 8.3, null, 7, null, 5.4, null, 6.5, null, 5.8, null, 2.6, null, 5.3, null, 2.1, null, 1.3],
  "110": [9.5, 9, 8.8, 7.6, 7.6, 7, 9, 7.7, 7.5, 6.2, 6.1, 5.3, 7.7, 6.6, 6.8, 5.9, 5.2, 3],
  "111": [8.9, 7.8, 7.6, 6.7, 6.2, 5.8, 7.4, 5.9, 5.7, 5.7, 4.7, 2.3, 6.1, 5.2, 5.7, 2.9, 2.4, 1.6],
  "112": [null, 7.1, null, 5.9, null, 3, null, 5.8, null, 2.6, null, 1.5, null, 2.3, null, 1.3, null, 0.6],
  "200": [9.3, 8.7, 8.6, 7.2, 7.5, 5.8, 8.6, 7.4, 7.4, 6.1, 5.6, 3.4, 7, 5.4, 5.2, 4, 4, 2.2],
  "201": [8.5, 7.5, 7.4, 5.5, 6.2, 5.1, 7.2, 5.7, 5.5, 4.1, 4.6, 1.9, 5.3, 3.6, 3.4, 1.9, 1.9, 0.8],
  "202": [null, 6.4, null, 5.1, null, 2, null, 4.7, null, 2.1, null, 1.1, null, 2.4, null, 0.9, null, 0.4],
  "210": [8.8, 7.5, 7.3, 5.3, 6, 5, 7.3, 5.5, 5.9, 4, 4.1, 2, 5.4, 4.3, 4.5, 2.2, 2, 1.1],
  "211": [7.5, 5.5, 5.8, 4.5, 4, 2.1, 6.1, 5.1, 4.8, 1.8, 2, 0.9, 4.6, 1.8, 1.7, 0.7, 0.8, 0.2],
  "212": [null, 5.3, null, 2.4, null, 1.4, null, 2.4, null, 1.2, null, 0.5, null, 1, null, 0.3, null, 0.1],
};

/**
 * The highest-severity vectors of each equivalence-set level, in the reference calculator's order
 * (the first candidate that dominates the scored vector is the one measured from). EQ3 and EQ6 are
 * taken together, keyed by the two digits `EQ3 EQ6`.
 */
export const MAX_VECTORS = {
  eq1: [
    ["AV:N/PR:N/UI:N"],
    ["AV:A/PR:N/UI:N", "AV:N/PR:L/UI:N", "AV:N/PR:N/UI:P"],
    ["AV:P/PR:N/UI:N", "AV:A/PR:L/UI:P"],
  ],
  eq2: [["AC:L/AT:N"], ["AC:H/AT:N", "AC:L/AT:P"]],
  eq3eq6: {
    "00": ["VC:H/VI:H/VA:H/CR:H/IR:H/AR:H"],
    "01": ["VC:H/VI:H/VA:L/CR:M/IR:M/AR:H", "VC:H/VI:H/VA:H/CR:M/IR:M/AR:M"],
    "10": ["VC:L/VI:H/VA:H/CR:H/IR:H/AR:H", "VC:H/VI:L/VA:H/CR:H/IR:H/AR:H"],
    "11": [
      "VC:L/VI:H/VA:L/CR:H/IR:M/AR:H",
      "VC:L/VI:H/VA:H/CR:H/IR:M/AR:M",
      "VC:H/VI:L/VA:H/CR:M/IR:H/AR:M",
      "VC:H/VI:L/VA:L/CR:M/IR:H/AR:H",
      "VC:L/VI:L/VA:H/CR:H/IR:H/AR:M",
    ],
    "21": ["VC:L/VI:L/VA:L/CR:H/IR:H/AR:H"],
  } as Readonly<Record<string, readonly string[]>>,
  eq4: [["SC:H/SI:S/SA:S"], ["SC:H/SI:H/SA:H"], ["SC:L/SI:L/SA:L"]],
  eq5: [["E:A"], ["E:P"], ["E:U"]],
} as const;

/**
 * The depth of each equivalence-set level: the largest severity distance (in steps of 0.1) between
 * a vector of that level and its highest-severity vector, plus one. EQ5 has no depth: every vector
 * of an EQ5 level has the same exploit maturity, so its proportion of distance is always 0.
 */
export const MAX_SEVERITY = {
  eq1: [1, 4, 5],
  eq2: [1, 2],
  eq3eq6: { "00": 7, "01": 6, "10": 8, "11": 8, "21": 10 } as Readonly<Record<string, number>>,
  eq4: [6, 5, 4],
} as const;

/**
 * The severity level of each metric value used in the distance computation, 0 being the most
 * severe. Kept as the reference calculator's decimal steps (0.1, 0.2, …) rather than integers so
 * the floating-point arithmetic, and with it the rounding of borderline scores, matches it exactly.
 */
export const SEVERITY_LEVELS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  AV: { N: 0, A: 0.1, L: 0.2, P: 0.3 },
  PR: { N: 0, L: 0.1, H: 0.2 },
  UI: { N: 0, P: 0.1, A: 0.2 },
  AC: { L: 0, H: 0.1 },
  AT: { N: 0, P: 0.1 },
  VC: { H: 0, L: 0.1, N: 0.2 },
  VI: { H: 0, L: 0.1, N: 0.2 },
  VA: { H: 0, L: 0.1, N: 0.2 },
  SC: { H: 0.1, L: 0.2, N: 0.3 },
  SI: { S: 0, H: 0.1, L: 0.2, N: 0.3 },
  SA: { S: 0, H: 0.1, L: 0.2, N: 0.3 },
  CR: { H: 0, M: 0.1, L: 0.2 },
  IR: { H: 0, M: 0.1, L: 0.2 },
  AR: { H: 0, M: 0.1, L: 0.2 },
  E: { A: 0, P: 0.1, U: 0.2 },
};
