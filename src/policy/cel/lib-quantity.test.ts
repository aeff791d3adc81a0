import { describe, expect, it } from "vitest";
import { fixedClock } from "../../core/index.js";
import { createCelEnvironment } from "./index.js";
import { compareQuantities, goPow10, parseQuantity, Quantity, QuantityError } from "./quantity.js";

const env = createCelEnvironment({ clock: fixedClock("2025-01-15T12:00:00Z") });

/** An exact expected value, `digits × 10^exponent`. */
const exact = (digits: bigint | number, exponent: number): Quantity =>
  new Quantity(BigInt(digits), exponent, true);
const MAX_ALLOWED = exact(2n ** 63n - 1n, 0);

describe("quantity parsing (apimachinery TestQuantityParse)", () => {
  const table: [string, Quantity][] = [
    ["0", exact(0, 0)],
    ["0n", exact(0, 0)],
    ["0u", exact(0, 0)],
    ["0m", exact(0, 0)],
    ["0Ki", exact(0, 0)],
    ["0k", exact(0, 0)],
    ["0Mi", exact(0, 0)],
    ["0M", exact(0, 0)],
    ["0Gi", exact(0, 0)],
    ["0G", exact(0, 0)],
    ["0Ti", exact(0, 0)],
    ["0T", exact(0, 0)],
    ["8Ki", exact(8 * 1024, 0)],
    ["7Mi", exact(7 * 1024 * 1024, 0)],
    ["6Gi", exact(6 * 1024 ** 3, 0)],
    ["5Ti", exact(5 * 1024 ** 4, 0)],
    ["4Pi", exact(4n * 1024n ** 5n, 0)],
    ["3Ei", exact(3n * 1024n ** 6n, 0)],
    ["10Ti", exact(10 * 1024 ** 4, 0)],
    ["100Ti", exact(100 * 1024 ** 4, 0)],
    ["5n", exact(5, -9)],
    ["4u", exact(4, -6)],
    ["3m", exact(3, -3)],
    ["9", exact(9, 0)],
    ["8k", exact(8, 3)],
    ["50k", exact(5, 4)],
    ["7M", exact(7, 6)],
    ["6G", exact(6, 9)],
    ["5T", exact(5, 12)],
    ["40T", exact(4, 13)],
    ["300T", exact(3, 14)],
    ["2P", exact(2, 15)],
    ["1E", exact(1, 18)],
    ["1E-3", exact(1, -3)],
    ["1e3", exact(1, 3)],
    ["1E6", exact(1, 6)],
    ["1e9", exact(1, 9)],
    ["1E12", exact(1, 12)],
    ["1e15", exact(1, 15)],
    ["1E18", exact(1, 18)],
    ["1e14", exact(1, 14)],
    ["1e13", exact(1, 13)],
    ["100.035k", exact(100035, 0)],
    ["0.001", exact(1, -3)],
    ["0.0005k", exact(5, -1)],
    ["0.005", exact(5, -3)],
    ["0.05", exact(5, -2)],
    ["0.5", exact(5, -1)],
    ["0.00050k", exact(5, -1)],
    ["0.00500", exact(5, -3)],
    ["0.05000", exact(5, -2)],
    ["0.50000", exact(5, -1)],
    ["0.5e0", exact(5, -1)],
    ["0.5e-1", exact(5, -2)],
    ["0.5e-2", exact(5, -3)],
    ["10.035M", exact(10035, 3)],
    ["1.2e3", exact(12, 2)],
    ["1.3E+6", exact(13, 5)],
    ["1.40e9", exact(14, 8)],
    ["1.53E12", exact(153, 10)],
    ["1.6e15", exact(16, 14)],
    ["1.7E18", exact(17, 17)],
    ["9.01", exact(901, -2)],
    ["8.1k", exact(81, 2)],
    ["7.123456M", exact(7123456, 0)],
    ["6.987654321G", exact(6987654321, 0)],
    ["5.444T", exact(5444, 9)],
    ["40.1T", exact(401, 11)],
    ["300.2T", exact(3002, 11)],
    ["2.5P", exact(25, 14)],
    ["1.01E", exact(101, 16)],
    // Values finer than a nano are rounded up; binary values saturate at 2^63-1.
    ["3.001n", exact(4, -9)],
    ["1.1E-9", exact(2, -9)],
    ["0.0000000001", exact(1, -9)],
    ["0.0000000005", exact(1, -9)],
    ["0.00000000050", exact(1, -9)],
    ["0.5e-9", exact(1, -9)],
    ["0.9n", exact(1, -9)],
    ["0.00000012345", exact(124, -9)],
    ["0.00000012354", exact(124, -9)],
    ["9Ei", MAX_ALLOWED],
    ["9223372036854775807Ki", MAX_ALLOWED],
    ["12E", exact(12, 18)],
    ["100.035Ki", exact(10243584, -2)],
    ["0.5Mi", exact(0.5 * 1024 * 1024, 0)],
    ["0.05Gi", exact(536870912, -1)],
    ["0.025Ti", exact(274877906944, -1)],
    ["0.000000000001Ki", exact(2, -9)],
    [".001", exact(1, -3)],
    [".0001k", exact(100, -3)],
    ["1.", exact(1, 0)],
    ["1.G", exact(1, 9)],
  ];

  it.each(table)("parses %s exactly", (input, want) => {
    expect(compareQuantities(parseQuantity(input), want)).toBe(0);
    expect(compareQuantities(parseQuantity(`+${input}`), want)).toBe(0);
    const negated = new Quantity(-want.unscaled, want.exponent, true);
    expect(compareQuantities(parseQuantity(`-${input}`), negated)).toBe(0);
  });

  it.each([
    "1.1.M",
    "1+1.0M",
    "0.1mi",
    "0.1am",
    "aoeu",
    ".5i",
    "1i",
    "-3.01i",
    "-3.01e-",
    " 1",
    "1 ",
    "",
    "200K",
    "10Mo",
    "10Mm",
    "1e",
    "1e+",
    ".e-20",
  ])("rejects %j", (input) => {
    expect(() => parseQuantity(input)).toThrow(QuantityError);
  });

  it("reports the three apimachinery errors", () => {
    expect(() => parseQuantity("10Mo")).toThrow(/must match the regular expression/);
    expect(() => parseQuantity("10Mm")).toThrow("unable to parse quantity's suffix");
    expect(() => parseQuantity(".e-20")).toThrow("unable to parse numeric part of quantity");
  });

  it("reads a bare suffix as zero, as apimachinery's scanner does (the library docs say otherwise)", () => {
    expect(parseQuantity("Mi").sign()).toBe(0);
    expect(parseQuantity("-").sign()).toBe(0);
  });

  it("keeps huge exponents exact without materialising them", () => {
    const big = parseQuantity("1e1000000");
    expect(compareQuantities(big, parseQuantity("2e999999"))).toBe(1);
    expect(compareQuantities(big, parseQuantity("10e999999"))).toBe(0);
    expect(big.asApproximateFloat()).toBe(Number.POSITIVE_INFINITY);
  });

  it("reproduces Go's math.Pow10 tables", () => {
    expect(goPow10(0)).toBe(1);
    expect(goPow10(-9)).toBe(1e-9);
    expect(goPow10(308)).toBe(1e308);
    expect(goPow10(309)).toBe(Number.POSITIVE_INFINITY);
    expect(goPow10(-324)).toBe(0);
  });
});

describe("quantity library (Kubernetes quantity_test.go)", () => {
  const cases: [string, unknown][] = [
    ['isQuantity("20")', true],
    ['isQuantity("20M")', true],
    ['isQuantity("20Mi")', true],
    ['isQuantity("20Mo")', false],
    ['isQuantity("10Mm")', false],
    ['quantity("200M") == quantity("200M")', true],
    ['quantity("200M") == quantity("0.2G") && quantity("0.2G") == quantity("200M")', true],
    [
      'quantity("2M") == quantity("0.002G") && quantity("2000k") == quantity("2M") && quantity("0.002G") == quantity("2000k")',
      true,
    ],
    ['quantity("200M") == quantity("0.3G")', false],
    ['quantity("200M") != quantity("0.3G")', true],
    ['quantity("50M").isLessThan(quantity("50Mi"))', true],
    ['quantity("50M").isLessThan(quantity("100M"))', true],
    ['quantity("100M").isLessThan(quantity("50M"))', false],
    ['quantity("50Mi").isGreaterThan(quantity("50M"))', true],
    ['quantity("150Mi").isGreaterThan(quantity("100Mi"))', true],
    ['quantity("50M").isGreaterThan(quantity("100M"))', false],
    ['quantity("1Gi").isGreaterThan(quantity("1000Mi"))', true],
    ['quantity("200M").compareTo(quantity("0.2G"))', 0n],
    ['quantity("50M").compareTo(quantity("50Mi"))', -1n],
    ['quantity("50Mi").compareTo(quantity("50M"))', 1n],
    ['quantity("50k").add(quantity("20")) == quantity("50.02k")', true],
    ['quantity("50k").add(20).isLessThan(quantity("50020"))', false],
    ['quantity("50k").sub(quantity("20")) == quantity("49.98k")', true],
    ['quantity("50k").sub(20) == quantity("49980")', true],
    ['quantity("50k").add(20).sub(quantity("100k")).asInteger()', -49980n],
    ['quantity("50k").add(20).sub(quantity("100k")).sub(-50000).asInteger()', 20n],
    ['quantity("50k").asInteger()', 50000n],
    ['quantity("9999999999999999999999999999999999999G").isInteger()', false],
    ['quantity("50").isInteger()', true],
    ['quantity("50.703k").asApproximateFloat()', 50703],
    ['quantity("0.5").asApproximateFloat()', 0.5],
    ['quantity("1.5Gi").asApproximateFloat()', 1610612736],
    ['quantity("50k").sub(20000).asApproximateFloat() == 30000.0', true],
    ['quantity("-1m").sign()', -1n],
    ['quantity("0").sign()', 0n],
    ['sign(quantity("3Ki"))', 1n],
    // Exactness where a float comparison would be wrong.
    ['quantity("9007199254740993").isGreaterThan(quantity("9007199254740992"))', true],
    ['quantity("0.1").add(quantity("0.2")) == quantity("0.3")', true],
    // apimachinery only converts its integer form: a fraction or a milli-scaled value does not.
    ['quantity("1.0").isInteger()', false],
    ['quantity("1000m").isInteger()', false],
    ['quantity("1.5Ki").isInteger()', false],
    ['quantity("1Ki").asInteger()', 1024n],
  ];

  it.each(cases)("%s", (expr, want) => {
    expect(env.evaluate(expr)).toEqual(want);
  });

  it.each([
    ['quantity("10Mo")', /quantities must match the regular expression/],
    ['quantity("10Mm")', /unable to parse quantity's suffix/],
    ['quantity("9999999999999999999999999999999999999G").asInteger()', /cannot convert value to integer/],
  ])("%s is an error", (expr, message) => {
    expect(() => env.evaluate(expr)).toThrow(message);
  });

  it("type-checks every overload", () => {
    for (const expr of [
      "quantity('1').isGreaterThan(quantity('2'))",
      "quantity('1').add(1).sub(quantity('1')).compareTo(quantity('0')) == 0",
      "quantity('1').asApproximateFloat() + 1.0",
      "quantity('1').asInteger() + 1",
      "quantity('1').sign() + sign(quantity('1'))",
      "isQuantity('1') && quantity('1').isInteger()",
      "quantity(resource.spec.memory).isLessThan(quantity('1Gi'))",
    ]) {
      expect(env.check(expr), expr).toMatchObject({ valid: true });
    }
    expect(env.check("isQuantity([1, 2, 3])").valid).toBe(false);
  });
});
