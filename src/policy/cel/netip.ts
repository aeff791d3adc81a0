import ipaddr from "ipaddr.js";
import { CelOpaque } from "./values.js";

/**
 * IP addresses and prefixes with the parsing rules of Go's `net/netip`, which Kubernetes' IP and
 * CIDR libraries use: IPv4 is strictly dotted-decimal (no leading zeros, no shorthand), IPv6 as
 * RFC 4291 with an optional trailing IPv4. On top of that Kubernetes rejects zones and
 * IPv4-mapped IPv6 addresses. ipaddr.js is lenient where netip is strict (and reads `::1.2.3.4`
 * as IPv4-mapped), so parsing is done here and ipaddr.js supplies formatting and matching.
 */
export class IpAddress extends CelOpaque {
  readonly celType = "net.IP";

  /** 4 bytes for IPv4, 16 for IPv6. */
  constructor(readonly bytes: Uint8Array) {
    super();
  }

  get family(): 4 | 6 {
    return this.bytes.length === 4 ? 4 : 6;
  }

  equals(other: unknown): boolean {
    return other instanceof IpAddress && sameBytes(this.bytes, other.bytes);
  }

  /** The canonical form (`netip.Addr.String`): dotted decimal, or RFC 5952 for IPv6. */
  override toString(): string {
    return format(this.bytes);
  }

  isUnspecified(): boolean {
    return this.bytes.every((b) => b === 0);
  }

  isLoopback(): boolean {
    if (this.family === 4) return this.bytes[0] === 127;
    return this.bytes.slice(0, 15).every((b) => b === 0) && this.bytes[15] === 1;
  }

  isMulticast(): boolean {
    return this.family === 4 ? (this.bytes[0]! & 0xf0) === 0xe0 : this.bytes[0] === 0xff;
  }

  /** 224.0.0.0/24, or IPv6 with the link-local multicast scope (ff02::/16 in Go's bit test). */
  isLinkLocalMulticast(): boolean {
    const [a = 0, b = 0, c = 0] = this.bytes;
    if (this.family === 4) return a === 224 && b === 0 && c === 0;
    return a === 0xff && (b & 0x0f) === 0x02;
  }

  /** 169.254.0.0/16 or fe80::/10. */
  isLinkLocalUnicast(): boolean {
    const [a = 0, b = 0] = this.bytes;
    if (this.family === 4) return a === 169 && b === 254;
    return a === 0xfe && (b & 0xc0) === 0x80;
  }

  /**
   * Go's definition: anything but unspecified, loopback, multicast, link-local unicast and the
   * IPv4 broadcast address. Private and unique-local addresses count as global unicast.
   */
  isGlobalUnicast(): boolean {
    if (this.family === 4 && this.bytes.every((b) => b === 255)) return false;
    return !this.isUnspecified() && !this.isLoopback() && !this.isMulticast() && !this.isLinkLocalUnicast();
  }
}

/** An address and a prefix length (`netip.Prefix`); the address keeps its host bits. */
export class IpPrefix extends CelOpaque {
  readonly celType = "net.CIDR";

  constructor(
    readonly address: IpAddress,
    readonly bits: number,
  ) {
    super();
  }

  equals(other: unknown): boolean {
    return other instanceof IpPrefix && this.bits === other.bits && this.address.equals(other.address);
  }

  override toString(): string {
    return `${this.address.toString()}/${this.bits}`;
  }

  /** The prefix with its host bits cleared (`netip.Prefix.Masked`). */
  masked(): IpPrefix {
    return new IpPrefix(new IpAddress(maskBytes(this.address.bytes, this.bits)), this.bits);
  }

  containsIp(ip: IpAddress): boolean {
    if (ip.family !== this.address.family) return false;
    return ipaddr
      .fromByteArray([...ip.bytes])
      .match(ipaddr.fromByteArray([...this.address.bytes]), this.bits);
  }

  /** Kubernetes' `containsCIDR`: same family, no shorter prefix, and inside this network. */
  containsPrefix(other: IpPrefix): boolean {
    return (
      other.address.family === this.address.family &&
      this.bits <= other.bits &&
      this.containsIp(other.address)
    );
  }
}

/** Why a string is not an address, worded as Go's errors are. */
export class IpParseError extends Error {}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function maskBytes(bytes: Uint8Array, bits: number): Uint8Array {
  return bytes.map((b, i) => {
    const keep = Math.min(Math.max(bits - i * 8, 0), 8);
    return b & ((0xff << (8 - keep)) & 0xff);
  });
}

function format(bytes: Uint8Array): string {
  if (bytes.length === 4) return bytes.join(".");
  return new ipaddr.IPv6([...bytes]).toRFC5952String();
}

function addrError(input: string, msg: string, at?: string): IpParseError {
  const where = at === undefined ? "" : ` (at ${JSON.stringify(at)})`;
  return new IpParseError(`ParseAddr(${JSON.stringify(input)}): ${msg}${where}`);
}

/** `netip.ParseAddr`; the zone, if any, is returned separately. */
function parseAddrWithZone(s: string): { bytes: Uint8Array; zone: string } {
  for (const c of s) {
    if (c === ".") return { bytes: parseIPv4(s, s), zone: "" };
    if (c === ":") return parseIPv6(s);
    if (c === "%") throw addrError(s, "missing IPv6 address");
  }
  throw addrError(s, "unable to parse IP");
}

/** Dotted-decimal IPv4 as netip reads it: exactly four fields, no leading zeros, each ≤ 255. */
function parseIPv4(input: string, s: string): Uint8Array {
  const out = new Uint8Array(4);
  let val = 0;
  let pos = 0;
  let digits = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c >= "0" && c <= "9") {
      if (digits === 1 && val === 0) throw addrError(input, "IPv4 field has octet with leading zero");
      val = val * 10 + (c.charCodeAt(0) - 48);
      digits++;
      if (val > 255) throw addrError(input, "IPv4 field has value >255");
    } else if (c === ".") {
      if (i === 0 || i === s.length - 1 || s[i - 1] === ".")
        throw addrError(input, "IPv4 field must have at least one digit", s.slice(i));
      if (pos === 3) throw addrError(input, "IPv4 address too long");
      out[pos++] = val;
      val = 0;
      digits = 0;
    } else {
      throw addrError(input, "unexpected character", s.slice(i));
    }
  }
  if (pos < 3) throw addrError(input, "IPv4 address too short");
  out[3] = val;
  return out;
}

const hexValue = (c: string | undefined): number =>
  c !== undefined && /^[0-9a-fA-F]$/.test(c) ? Number.parseInt(c, 16) : -1;

/** netip's `parseIPv6`, step for step. */
function parseIPv6(input: string): { bytes: Uint8Array; zone: string } {
  let s = input;
  let zone = "";
  const z = s.indexOf("%");
  if (z >= 0) {
    zone = s.slice(z + 1);
    s = s.slice(0, z);
    if (zone === "") throw addrError(input, "zone must be a non-empty string");
  }
  const ip = new Uint8Array(16);
  let ellipsis = -1;
  if (s.startsWith("::")) {
    ellipsis = 0;
    s = s.slice(2);
    if (s === "") return { bytes: ip, zone };
  }
  let i = 0;
  while (i < 16) {
    let off = 0;
    let acc = 0;
    for (; off < s.length; off++) {
      const h = hexValue(s[off]);
      if (h < 0) break;
      acc = acc * 16 + h;
      if (off > 3) throw addrError(input, "each group must have 4 or less digits", s);
      if (acc > 0xffff) throw addrError(input, "IPv6 field has value >=2^16", s);
    }
    if (off === 0) throw addrError(input, "each colon-separated field must have at least one digit", s);
    if (s[off] === ".") {
      if (ellipsis < 0 && i !== 12)
        throw addrError(input, "embedded IPv4 address must replace the final 2 fields of the address", s);
      if (i + 4 > 16)
        throw addrError(input, "too many hex fields to fit an embedded IPv4 at the end of the address", s);
      ip.set(parseIPv4(input, s), i);
      s = "";
      i += 4;
      break;
    }
    ip[i] = acc >> 8;
    ip[i + 1] = acc & 0xff;
    i += 2;
    s = s.slice(off);
    if (s === "") break;
    if (s[0] !== ":") throw addrError(input, "unexpected character, want colon", s);
    if (s.length === 1) throw addrError(input, "colon must be followed by more characters", s);
    s = s.slice(1);
    if (s[0] === ":") {
      if (ellipsis >= 0) throw addrError(input, "multiple :: in address", s);
      ellipsis = i;
      s = s.slice(1);
      if (s === "") break;
    }
  }
  if (s !== "") throw addrError(input, "trailing garbage after address", s);
  if (i < 16) {
    if (ellipsis < 0) throw addrError(input, "address string too short");
    const n = 16 - i;
    ip.copyWithin(ellipsis + n, ellipsis, i);
    ip.fill(0, ellipsis, ellipsis + n);
  } else if (ellipsis >= 0) {
    throw addrError(input, "the :: must expand to at least one field of zeros");
  }
  return { bytes: ip, zone };
}

function isIPv4Mapped(bytes: Uint8Array): boolean {
  return (
    bytes.length === 16 &&
    bytes.slice(0, 10).every((b) => b === 0) &&
    bytes[10] === 0xff &&
    bytes[11] === 0xff
  );
}

/** Kubernetes' `parseIPAddr`: netip parsing, then no zones and no IPv4-mapped IPv6. */
export function parseIp(raw: string): IpAddress {
  let parsed: { bytes: Uint8Array; zone: string };
  try {
    parsed = parseAddrWithZone(raw);
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e);
    throw new IpParseError(
      `IP Address ${JSON.stringify(raw)} parse error during conversion from string: ${detail}`,
    );
  }
  if (parsed.zone !== "")
    throw new IpParseError(`IP address ${JSON.stringify(raw)} with zone value is not allowed`);
  if (isIPv4Mapped(parsed.bytes))
    throw new IpParseError(`IPv4-mapped IPv6 address ${JSON.stringify(raw)} is not allowed`);
  return new IpAddress(parsed.bytes);
}

/** Kubernetes' `parseCIDR`: `netip.ParsePrefix`, then no IPv4-mapped IPv6. Host bits may be set. */
export function parseCidr(raw: string): IpPrefix {
  const prefixError = (msg: string): IpParseError =>
    new IpParseError(
      `network address parse error during conversion from string: netip.ParsePrefix(${JSON.stringify(raw)}): ${msg}`,
    );
  const slash = raw.lastIndexOf("/");
  if (slash < 0) throw prefixError("no '/'");
  let parsed: { bytes: Uint8Array; zone: string };
  try {
    parsed = parseAddrWithZone(raw.slice(0, slash));
  } catch (e) {
    throw prefixError(e instanceof Error ? e.message : String(e));
  }
  if (parsed.zone !== "") throw prefixError("IPv6 zones cannot be present in a prefix");
  const bitsText = raw.slice(slash + 1);
  // strconv.Atoi would take a sign or leading zeros; netip does not.
  if (!/^(0|[1-9]\d{0,9})$/.test(bitsText))
    throw prefixError(`bad bits after slash: ${JSON.stringify(bitsText)}`);
  const bits = Number(bitsText);
  if (bits > parsed.bytes.length * 8) throw prefixError("prefix length out of range");
  if (isIPv4Mapped(parsed.bytes))
    throw new IpParseError(`IPv4-mapped IPv6 address ${JSON.stringify(raw)} is not allowed`);
  return new IpPrefix(new IpAddress(parsed.bytes), bits);
}
