import { describe, expect, it } from "vitest";
import { fixedClock } from "../../core/index.js";
import { createCelEnvironment } from "./index.js";
import { parseCidr, parseIp } from "./netip.js";

const env = createCelEnvironment({ clock: fixedClock("2025-01-15T12:00:00Z") });

describe("IP library (Kubernetes ip_test.go)", () => {
  const cases: [string, unknown][] = [
    ['isIP("192.168.0.1")', true],
    ['isIP("192.168.0.1.0")', false],
    ['ip.isCanonical("127.0.0.1")', true],
    ['ip("192.168.0.1").family()', 4n],
    ['ip("0.0.0.0").isUnspecified()', true],
    ['ip("127.0.0.1").isUnspecified()', false],
    ['ip("127.0.0.1").isLoopback()', true],
    ['ip("1.2.3.4").isLoopback()', false],
    ['ip("224.0.0.1").isLinkLocalMulticast()', true],
    ['ip("224.0.1.1").isLinkLocalMulticast()', false],
    ['ip("169.254.169.254").isLinkLocalUnicast()', true],
    ['ip("192.168.0.1").isLinkLocalUnicast()', false],
    ['ip("192.168.0.1").isGlobalUnicast()', true],
    ['ip("255.255.255.255").isGlobalUnicast()', false],
    ['isIP("2001:db8::68")', true],
    ['isIP("2001:db8:::68")', false],
    ['ip.isCanonical("2001:db8::68")', true],
    ['ip.isCanonical("2001:DB8::68")', false],
    ['ip.isCanonical("2001:db8::0:0:0:abcd")', false],
    ['ip("2001:db8::68").family()', 6n],
    ['ip("::").isUnspecified()', true],
    ['ip("::1").isUnspecified()', false],
    ['ip("::1").isLoopback()', true],
    ['ip("2001:db8::abcd").isLoopback()', false],
    ['ip("ff02::1").isLinkLocalMulticast()', true],
    ['ip("fd00::1").isLinkLocalMulticast()', false],
    ['ip("fe80::1").isLinkLocalUnicast()', true],
    ['ip("fd80::1").isLinkLocalUnicast()', false],
    ['ip("2001:db8::abcd").isGlobalUnicast()', true],
    ['ip("ff00::1").isGlobalUnicast()', false],
    ['string(ip("192.168.0.1"))', "192.168.0.1"],
    ['ip("::1") == ip("0:0::1")', true],
    ['ip("::1") != ip("::2")', true],
    // IPv4-compatible (not mapped) IPv6 is allowed and printed in hex, as netip does.
    ['string(ip("::1.2.3.4"))', "::102:304"],
    ['string(ip("1:0:0:2:0:0:3:4"))', "1::2:0:0:3:4"],
    ['string(ip("2001:db8:0:1:1:1:1:1"))', "2001:db8:0:1:1:1:1:1"],
  ];

  it.each(cases)("%s", (expr, want) => {
    expect(env.evaluate(expr)).toEqual(want);
  });

  it.each([
    [
      'ip("192.168.0.1.0")',
      'IP Address "192.168.0.1.0" parse error during conversion from string: ParseAddr("192.168.0.1.0"): IPv4 address too long',
    ],
    [
      'ip.isCanonical("127.0.0.1.0")',
      'IP Address "127.0.0.1.0" parse error during conversion from string: ParseAddr("127.0.0.1.0"): IPv4 address too long',
    ],
    [
      'ip("2001:db8:::68")',
      'IP Address "2001:db8:::68" parse error during conversion from string: ParseAddr("2001:db8:::68"): each colon-separated field must have at least one digit (at ":68")',
    ],
    ['ip("::ffff:1.2.3.4")', 'IPv4-mapped IPv6 address "::ffff:1.2.3.4" is not allowed'],
    ['ip("fe80::1%eth0")', 'IP address "fe80::1%eth0" with zone value is not allowed'],
    ['ip("127.0.0.256")', "IPv4 field has value >255"],
    ['ip("010.0.0.1")', "IPv4 field has octet with leading zero"],
  ])("%s is an error", (expr, message) => {
    expect(() => env.evaluate(expr)).toThrow(message);
  });

  it.each([
    "1.2.3",
    "1.2.3.4.5",
    "1..2.3",
    "1.2.3.",
    "",
    "::1::",
    "12345::",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7::8:9",
    "::1.2.3",
    "1.2.3.4:80",
    "g::1",
    "%eth0",
  ])("rejects %j like netip.ParseAddr", (s) => {
    expect(() => parseIp(s)).toThrow();
    expect(env.evaluate(`isIP(${JSON.stringify(s)})`)).toBe(false);
  });

  it("rejects a CIDR where an IP is expected at check time", () => {
    expect(env.check('isIP(cidr("192.168.0.0/24"))').valid).toBe(false);
  });
});

describe("CIDR library (Kubernetes cidr_test.go)", () => {
  const cases: [string, unknown][] = [
    ['cidr("192.168.0.0/24").containsIP(ip("192.168.0.1"))', true],
    ['cidr("192.168.0.0/24").containsIP(ip("192.168.1.1"))', false],
    ['cidr("192.168.0.0/24").containsIP("192.168.0.1")', true],
    ['cidr("192.168.0.0/24").containsIP("192.168.1.1")', false],
    ['cidr("192.168.0.0/24").containsCIDR(cidr("192.168.0.0/25"))', true],
    ['cidr("192.168.0.0/24").containsCIDR(cidr("192.168.0.0/23"))', false],
    ['cidr("192.168.0.0/24").containsCIDR("192.168.0.0/25")', true],
    ['cidr("192.168.0.0/24").containsCIDR("192.168.0.0/23")', false],
    // The containsCIDR fix of Kubernetes 1.33 (kubernetes/kubernetes#130450).
    ['cidr("192.168.0.0/16").containsCIDR("192.168.10.0/24")', true],
    ['cidr("192.168.0.0/16").containsCIDR("192.168.0.1/32")', true],
    ['cidr("192.168.1.0/24").containsCIDR("192.168.2.0/24")', false],
    ['cidr("192.168.0.0/24").ip() == ip("192.168.0.0")', true],
    ['cidr("192.168.0.1/24").ip() == ip("192.168.0.1")', true],
    ['cidr("192.168.0.0/24").masked() == cidr("192.168.0.0/24")', true],
    ['cidr("192.168.0.1/24").masked() == cidr("192.168.0.0/24")', true],
    ['cidr("192.168.0.1/24") == cidr("192.168.0.1/24").masked()', false],
    ['cidr("192.168.0.0/24").prefixLength()', 24n],
    ['cidr("2001:db8::/32").containsIP(ip("2001:db8::1"))', true],
    ['cidr("2001:db8::/32").containsIP(ip("2001:dc8::1"))', false],
    ['cidr("2001:db8::/32").containsIP("2001:db8::1")', true],
    ['cidr("2001:db8::/32").containsCIDR(cidr("2001:db8::/33"))', true],
    ['cidr("2001:db8::/32").containsCIDR(cidr("2001:db8::/31"))', false],
    ['cidr("2001:db8::/32").ip() == ip("2001:db8::")', true],
    ['cidr("2001:db8:1::/32").masked() == cidr("2001:db8::/32")', true],
    ['cidr("2001:db8::/32").prefixLength()', 32n],
    ['string(cidr("192.168.0.0/24"))', "192.168.0.0/24"],
    ['cidr("::1/128").ip().family()', 6n],
    ['cidr("0.0.0.0/0").containsIP("255.255.255.255")', true],
    // Different families never contain each other.
    ['cidr("0.0.0.0/0").containsIP("::1")', false],
    ['cidr("::/0").containsCIDR("10.0.0.0/8")', false],
    ['isCIDR("192.168.0.0/33")', false],
    ['isCIDR("::1/129")', false],
    ['isCIDR("10.0.0.0/08")', false],
    ['isCIDR("10.0.0.0/+8")', false],
  ];

  it.each(cases)("%s", (expr, want) => {
    expect(env.evaluate(expr)).toEqual(want);
  });

  it.each([
    [
      'cidr("192.168.0.0/")',
      'network address parse error during conversion from string: netip.ParsePrefix("192.168.0.0/"): bad bits after slash: ""',
    ],
    ['cidr("::ffff:1.2.3.4/120")', 'IPv4-mapped IPv6 address "::ffff:1.2.3.4/120" is not allowed'],
    ['cidr("fe80::1%eth0/64")', "IPv6 zones cannot be present in a prefix"],
    ['cidr("10.0.0.0")', "no '/'"],
    ['cidr("10.0.0.0/8").containsIP("not an ip")', "unable to parse IP"],
  ])("%s is an error", (expr, message) => {
    expect(() => env.evaluate(expr)).toThrow(message);
  });

  it("keeps host bits until masked", () => {
    const prefix = parseCidr("10.1.2.3/8");
    expect(prefix.toString()).toBe("10.1.2.3/8");
    expect(prefix.masked().toString()).toBe("10.0.0.0/8");
  });
});

describe("type identifiers", () => {
  it.each([
    ['type(ip("192.168.0.1")) == net.IP', true],
    ['type(cidr("192.168.0.0/24")) == net.CIDR', true],
    ['type(cidr("192.168.0.0/24")) == net.IP', false],
    ["type(quantity('1')) == kubernetes.Quantity", true],
    ["type(url('/')) == kubernetes.URL", true],
    ["type(semver('1.0.0')) == kubernetes.Semver", true],
  ])("%s", (expr, want) => {
    expect(env.evaluate(expr)).toBe(want);
  });
});
