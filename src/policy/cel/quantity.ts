import { CelOpaque, MAX_INT64, MIN_INT64 } from "./values.js";

/**
 * Kubernetes' `resource.Quantity` (k8s.io/apimachinery/pkg/api/resource), ported for exactness.
 *
 * A quantity is `unscaled × 10^exponent` with a bigint `unscaled`, so comparisons and arithmetic
 * are exact. apimachinery keeps values in one of two forms, a fast int64 form and an `inf.Dec`;
 * which one a value is in changes the answers of `isInteger` (only the int64 form converts) and
 * the rounding of `asApproximateFloat`, so the form is tracked too and each operation picks the
 * form apimachinery would.
 */
export class Quantity extends CelOpaque {
  readonly celType = "kubernetes.Quantity";

  constructor(
    readonly unscaled: bigint,
    /** Power of ten (apimachinery's int64 `scale`, or minus `inf.Dec.Scale()`). */
    readonly exponent: number,
    /** True when apimachinery would hold the value as an `inf.Dec`. */
    readonly dec: boolean,
  ) {
    super();
  }

  equals(other: unknown): boolean {
    return other instanceof Quantity && compareQuantities(this, other) === 0;
  }

  sign(): -1 | 0 | 1 {
    return this.unscaled < 0n ? -1 : this.unscaled > 0n ? 1 : 0;
  }

  /** `AsInt64`: only the int64 form with a non-negative exponent that still fits converts. */
  asInt64(): bigint | undefined {
    if (this.dec || this.exponent < 0) return undefined;
    return scaleInt64(this.unscaled, this.exponent);
  }

  /** `AsApproximateFloat64`: the unscaled value as a double times Go's `math.Pow10`. */
  asApproximateFloat(): number {
    const base = Number(this.unscaled);
    return this.exponent === 0 ? base : base * goPow10(this.exponent);
  }
}

const QUANTITY_FORMAT_ERROR =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
const NUMERIC_ERROR = "unable to parse numeric part of quantity";
const SUFFIX_ERROR = "unable to parse quantity's suffix";

/** Thrown for strings that are not quantities; the message is apimachinery's. */
export class QuantityError extends Error {}

/** Above this many decimal digits of rescaling Bulwark refuses, where Go would exhaust memory. */
const MAX_RESCALE_DIGITS = 100_000;
const NANO = -9;
const MAX_INT64_FACTORS = 18;

interface Scanned {
  positive: boolean;
  /** The number as written, sign included, suffix excluded (what `inf.Dec.SetString` sees). */
  value: string;
  /** Integer digits without leading zeros ("0" when none). */
  num: string;
  /** Fraction digits. */
  denom: string;
  suffix: string;
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";
const SUFFIX_CHARS = "eEinumkKMGTP";

/** apimachinery's `parseQuantityString`, a scanner that is laxer than its error message says. */
function scan(str: string): Scanned {
  let positive = true;
  let pos = 0;
  const end = str.length;
  if (str[0] === "-") {
    positive = false;
    pos++;
  } else if (str[0] === "+") {
    pos++;
  }
  while (str[pos] === "0") pos++;
  if (pos >= end) return { positive, value: "0", num: "0", denom: "", suffix: "" };
  let i = pos;
  while (isDigit(str[i])) i++;
  const num = str.slice(pos, i) || "0";
  if (i >= end) return { positive, value: str, num, denom: "", suffix: "" };
  pos = i;
  let denom = "";
  if (str[pos] === ".") {
    i = ++pos;
    while (isDigit(str[i])) i++;
    denom = str.slice(pos, i);
    if (i >= end) return { positive, value: str, num, denom, suffix: "" };
    pos = i;
  }
  const value = str.slice(0, pos);
  const suffixStart = pos;
  while (pos < end && SUFFIX_CHARS.includes(str[pos]!)) pos++;
  if (str[pos] === "-" || str[pos] === "+") pos++;
  while (isDigit(str[pos])) pos++;
  if (pos < end) throw new QuantityError(QUANTITY_FORMAT_ERROR);
  return { positive, value, num, denom, suffix: str.slice(suffixStart) };
}

type Format = "DecimalSI" | "BinarySI" | "DecimalExponent";

const DECIMAL_SUFFIXES: Readonly<Record<string, number>> = {
  n: -9,
  u: -6,
  m: -3,
  "": 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const BINARY_SUFFIXES: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

function interpretSuffix(s: string): { base: 2 | 10; exponent: number; format: Format } {
  const dec = DECIMAL_SUFFIXES[s];
  if (dec !== undefined && Object.hasOwn(DECIMAL_SUFFIXES, s))
    return { base: 10, exponent: dec, format: "DecimalSI" };
  const bin = BINARY_SUFFIXES[s];
  if (bin !== undefined && Object.hasOwn(BINARY_SUFFIXES, s))
    return { base: 2, exponent: bin, format: "BinarySI" };
  if (s.length > 1 && (s[0] === "e" || s[0] === "E")) {
    const digits = s.slice(1);
    // strconv.ParseInt(s, 10, 64), then an int32 conversion that wraps.
    if (/^[+-]?\d+$/.test(digits)) {
      const n = BigInt(digits);
      if (n >= MIN_INT64 && n <= MAX_INT64)
        return { base: 10, exponent: Number(BigInt.asIntN(32, n)), format: "DecimalExponent" };
    }
  }
  throw new QuantityError(SUFFIX_ERROR);
}

const int32 = (n: number): number => n | 0;

/** `resource.ParseQuantity`. */
export function parseQuantity(str: string): Quantity {
  if (str.length === 0) throw new QuantityError(QUANTITY_FORMAT_ERROR);
  if (str === "0") return new Quantity(0n, 0, false);
  const s = scan(str);
  const { base, exponent, format } = interpretSuffix(s.suffix);
  return fastParse(s, exponent, format) ?? slowParse(s, base, exponent, format);
}

/** The int64 path of `ParseQuantity`; undefined when apimachinery falls back to `inf.Dec`. */
function fastParse(s: Scanned, exponent: number, format: Format): Quantity | undefined {
  let precision: number;
  let scale: number;
  let mantissa = 1n;
  if (format === "BinarySI") {
    scale = 0;
    if (exponent < 0 || s.denom.length > 0) return undefined;
    mantissa = 1n << BigInt(exponent);
    precision = 15 - s.num.length - Math.trunc((exponent * 3) / 10) - 1;
  } else {
    scale = exponent;
    precision = MAX_INT64_FACTORS - (s.num.length + s.denom.length);
  }
  if (precision < 0) return undefined;
  scale = int32(scale - s.denom.length);
  if (scale < NANO) return undefined;
  const result = BigInt(s.num + s.denom) * mantissa;
  if (result > MAX_INT64) return undefined;
  return new Quantity(s.positive ? result : -result, scale, false);
}

/** The `inf.Dec` path: exact, then rounded up to nano precision and (binary only) capped. */
function slowParse(s: Scanned, base: 2 | 10, exponent: number, format: Format): Quantity {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(s.value);
  if (!m || (m[2] === "" && (m[3] ?? "") === "")) throw new QuantityError(NUMERIC_ERROR);
  const fraction = m[3] ?? "";
  let unscaled = BigInt(`${m[2]}${fraction}` || "0");
  let infScale = fraction.length;
  if (base === 10) infScale = int32(infScale - exponent);
  else unscaled <<= BigInt(exponent);
  if (unscaled !== 0n) ({ unscaled, infScale } = roundUpToNano(unscaled, infScale));
  if (format === "BinarySI" && compareParts(unscaled, -infScale, MAX_INT64, 0) > 0) {
    unscaled = MAX_INT64;
    infScale = 0;
  }
  const negative = m[1] === "-";
  return new Quantity(negative ? -unscaled : unscaled, -infScale, true);
}

/** `inf.Dec.Round(x, 9, RoundUp)` on a positive value: exactly nine decimals, rounding away from zero. */
function roundUpToNano(unscaled: bigint, infScale: number): { unscaled: bigint; infScale: number } {
  const target = -NANO;
  if (infScale <= target) return { unscaled: unscaled * pow10(target - infScale), infScale: target };
  const drop = infScale - target;
  if (drop > digitCount(unscaled)) return { unscaled: 1n, infScale: target };
  const unit = 10n ** BigInt(drop);
  const q = unscaled / unit;
  return { unscaled: unscaled % unit === 0n ? q : q + 1n, infScale: target };
}

function pow10(n: number): bigint {
  if (n > MAX_RESCALE_DIGITS) throw new QuantityError("quantity is too large to represent exactly");
  return 10n ** BigInt(n);
}

function digitCount(n: bigint): number {
  return (n < 0n ? -n : n).toString().length;
}

/** Exact comparison of `a × 10^ea` with `b × 10^eb` without building huge powers of ten. */
function compareParts(a: bigint, ea: number, b: bigint, eb: number): -1 | 0 | 1 {
  const sa = a < 0n ? -1 : a > 0n ? 1 : 0;
  const sb = b < 0n ? -1 : b > 0n ? 1 : 0;
  if (sa !== sb) return sa < sb ? -1 : 1;
  if (sa === 0) return 0;
  const magnitude = compareMagnitudes(sa < 0 ? -a : a, ea, sb < 0 ? -b : b, eb);
  return (sa < 0 ? 0 - magnitude : magnitude) as -1 | 0 | 1;
}

function compareMagnitudes(a: bigint, ea: number, b: bigint, eb: number): -1 | 0 | 1 {
  const ta = digitCount(a) + ea;
  const tb = digitCount(b) + eb;
  if (ta !== tb) return ta < tb ? -1 : 1;
  // Same order of magnitude: the exponents differ by fewer digits than the numbers have.
  const e = Math.min(ea, eb);
  const x = a * 10n ** BigInt(ea - e);
  const y = b * 10n ** BigInt(eb - e);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function compareQuantities(a: Quantity, b: Quantity): -1 | 0 | 1 {
  return compareParts(a.unscaled, a.exponent, b.unscaled, b.exponent);
}

/** `value × 10^scale` if it fits an int64 (`positiveScaleInt64`). */
function scaleInt64(value: bigint, scale: number): bigint | undefined {
  if (value === 0n) return 0n;
  if (scale > 19) return undefined;
  const r = value * 10n ** BigInt(scale);
  return r >= MIN_INT64 && r <= MAX_INT64 ? r : undefined;
}

function fitsInt64(v: bigint): boolean {
  return v >= MIN_INT64 && v <= MAX_INT64;
}

/** `int64Amount.Add`: undefined when apimachinery would overflow and switch to `inf.Dec`. */
function addInt64(a: Quantity, b: Quantity): Quantity | undefined {
  if (b.unscaled === 0n) return a;
  // Subtraction negates first, and -(-2^63) does not fit: leave that to the exact path.
  if (a.unscaled === 0n) return fitsInt64(b.unscaled) ? b : undefined;
  if (a.exponent === b.exponent) {
    const sum = a.unscaled + b.unscaled;
    return fitsInt64(sum) ? new Quantity(sum, a.exponent, false) : undefined;
  }
  const [hi, lo] = a.exponent > b.exponent ? [a, b] : [b, a];
  const scaled = scaleInt64(hi.unscaled, hi.exponent - lo.exponent);
  if (scaled === undefined) return undefined;
  const sum = scaled + lo.unscaled;
  return fitsInt64(sum) ? new Quantity(sum, lo.exponent, false) : undefined;
}

/** `inf.Dec.Add`: both values at the finer of the two scales, zero included. */
function addDec(a: Quantity, b: Quantity): Quantity {
  const e = Math.min(a.exponent, b.exponent);
  const sum = a.unscaled * pow10(a.exponent - e) + b.unscaled * pow10(b.exponent - e);
  return new Quantity(sum, e, true);
}

/** `Quantity.Add`. */
export function addQuantities(a: Quantity, b: Quantity): Quantity {
  if (!a.dec && !b.dec) {
    const r = addInt64(a, b);
    if (r) return r;
  }
  return addDec(a, b);
}

/** `Quantity.Sub`. */
export function subQuantities(a: Quantity, b: Quantity): Quantity {
  return addQuantities(a, new Quantity(-b.unscaled, b.exponent, b.dec));
}

/** `resource.NewQuantity(n, DecimalExponent)`, which `add(int)` and `sub(int)` use. */
export function quantityFromInt(n: bigint): Quantity {
  return new Quantity(n, 0, false);
}

const POW10_TAB = Array.from({ length: 32 }, (_, i) => Number(`1e${i}`));
const POW10_POS32 = Array.from({ length: 10 }, (_, i) => Number(`1e${i * 32}`));
const POW10_NEG32 = Array.from({ length: 11 }, (_, i) => Number(`1e-${i * 32}`));

/** Go's `math.Pow10`, table for table, so products round exactly as apimachinery's do. */
export function goPow10(n: number): number {
  if (n >= 0 && n <= 308) return POW10_POS32[Math.trunc(n / 32)]! * POW10_TAB[n % 32]!;
  if (n < 0 && n >= -323) return POW10_NEG32[Math.trunc(-n / 32)]! / POW10_TAB[-n % 32]!;
  return n > 0 ? Number.POSITIVE_INFINITY : 0;
}
