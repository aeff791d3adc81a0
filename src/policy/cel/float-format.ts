/**
 * Go's float formatting (`strconv.FormatFloat`), which CEL's `format` uses: fixed (`%.Nf`),
 * scientific (`%.Ne`) and shortest (`'f', -1`). JavaScript's `toFixed`/`toExponential` round
 * halfway cases up, Go rounds them to even, and `toFixed` switches to exponent form past 1e21, so
 * the digits are computed here from the exact binary value.
 */

/** The exact value of a finite double as `digits × 10^-scale` (digits without sign). */
function exactDecimal(x: number): { digits: bigint; scale: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const bits = view.getBigUint64(0);
  const exponentBits = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const mantissa = exponentBits === 0 ? fraction : fraction | (1n << 52n);
  const exponent = (exponentBits === 0 ? 1 : exponentBits) - 1075;
  if (exponent >= 0) return { digits: mantissa << BigInt(exponent), scale: 0 };
  // m / 2^k = m·5^k / 10^k
  return { digits: mantissa * 5n ** BigInt(-exponent), scale: -exponent };
}

/** Divides by 10^drop rounding half to even. */
function roundHalfEven(digits: bigint, drop: number): bigint {
  if (drop <= 0) return digits * 10n ** BigInt(-drop);
  const unit = 10n ** BigInt(drop);
  const q = digits / unit;
  const r = digits % unit;
  const twice = r * 2n;
  if (twice > unit || (twice === unit && q % 2n === 1n)) return q + 1n;
  return q;
}

function signOf(x: number): string {
  return x < 0 || Object.is(x, -0) ? "-" : "";
}

function withPoint(digits: string, decimals: number): string {
  if (decimals === 0) return digits;
  const padded = digits.padStart(decimals + 1, "0");
  return `${padded.slice(0, -decimals)}.${padded.slice(-decimals)}`;
}

/** `%.{precision}f`. Callers handle NaN and infinities. */
export function formatFixed(x: number, precision: number): string {
  const { digits, scale } = exactDecimal(x);
  const rounded = roundHalfEven(digits, scale - precision);
  return signOf(x) + withPoint(rounded.toString(), precision);
}

/** `%.{precision}e`: one digit, the fraction, and an exponent of at least two digits. */
export function formatScientific(x: number, precision: number): string {
  const { digits, scale } = exactDecimal(x);
  if (digits === 0n) return `${signOf(x)}${withPoint("0".repeat(precision + 1), precision)}e+00`;
  const length = digits.toString().length;
  let mantissa = roundHalfEven(digits, length - (precision + 1));
  let exponent = length - 1 - scale;
  if (mantissa.toString().length > precision + 1) {
    // Rounding carried into a new digit (9.99 → 10.0).
    mantissa /= 10n;
    exponent += 1;
  }
  const exp = `${exponent < 0 ? "-" : "+"}${String(Math.abs(exponent)).padStart(2, "0")}`;
  return `${signOf(x)}${withPoint(mantissa.toString(), precision)}e${exp}`;
}

/** `strconv.FormatFloat(x, 'f', -1, 64)`: the shortest digits that round-trip, without exponent. */
export function formatShortest(x: number): string {
  const [mantissa = "0", exp = "0"] = Math.abs(x).toExponential().split("e");
  const digits = mantissa.replace(".", "");
  const pointAt = Number(exp) + 1;
  let text: string;
  if (pointAt <= 0) text = `0.${"0".repeat(-pointAt)}${digits}`;
  else if (pointAt >= digits.length) text = digits + "0".repeat(pointAt - digits.length);
  else text = `${digits.slice(0, pointAt)}.${digits.slice(pointAt)}`;
  return signOf(x) + text;
}
