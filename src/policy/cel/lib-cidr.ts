import type { Environment } from "@marcbachmann/cel-js";
import { defineOverloads } from "./define.js";
import { celError } from "./errors.js";
import { toIp } from "./lib-ip.js";
import { type IpAddress, IpParseError, IpPrefix, parseCidr } from "./netip.js";

const CIDR = "net.CIDR";
const IP = "net.IP";

/** Kubernetes' CIDR library (`cidr('10.0.0.0/8').containsIP('10.1.2.3')`). Needs the IP library. */
export function registerCidr(env: Environment): void {
  env.registerType(CIDR, IpPrefix);
  env.registerOperator(`${CIDR} == ${CIDR}`, (a: IpPrefix, b: IpPrefix) => a.equals(b));
  defineOverloads(env, [
    {
      signature: `cidr(string): ${CIDR}`,
      description: "Parses an address/prefix-length pair; host bits may be set (see masked()).",
      handler: toCidr,
    },
    {
      signature: "isCIDR(string): bool",
      description: "Whether cidr() would accept the string.",
      handler: (s: string) => tryCidr(s) !== undefined,
    },
    {
      signature: `string(${CIDR}): string`,
      description: "The prefix as address/length, the address in canonical form.",
      handler: (c: IpPrefix) => c.toString(),
    },
    {
      signature: `${CIDR}.containsIP(${IP}): bool`,
      description: "Whether the address is inside the network (false across address families).",
      handler: (c: IpPrefix, ip: IpAddress) => c.containsIp(ip),
    },
    {
      signature: `${CIDR}.containsIP(string): bool`,
      description: "Whether the address, given as a string, is inside the network.",
      handler: (c: IpPrefix, ip: string) => c.containsIp(toIp(ip)),
    },
    {
      signature: `${CIDR}.containsCIDR(${CIDR}): bool`,
      description: "Whether the other network lies entirely inside this one.",
      handler: (c: IpPrefix, other: IpPrefix) => c.containsPrefix(other),
    },
    {
      signature: `${CIDR}.containsCIDR(string): bool`,
      description: "Whether the other network, given as a string, lies entirely inside this one.",
      handler: (c: IpPrefix, other: string) => c.containsPrefix(toCidr(other)),
    },
    {
      signature: `${CIDR}.ip(): ${IP}`,
      description: "The address as written, host bits included.",
      handler: (c: IpPrefix) => c.address,
    },
    {
      signature: `${CIDR}.masked(): ${CIDR}`,
      description: "The network with host bits cleared: its canonical form.",
      handler: (c: IpPrefix) => c.masked(),
    },
    {
      signature: `${CIDR}.prefixLength(): int`,
      description: "The number of bits in the mask.",
      handler: (c: IpPrefix) => BigInt(c.bits),
    },
  ]);
}

/** Parses with Kubernetes' rules; the error message is Kubernetes'. */
export function toCidr(s: string): IpPrefix {
  try {
    return parseCidr(s);
  } catch (e) {
    if (e instanceof IpParseError) throw celError(e.message, e);
    throw e;
  }
}

function tryCidr(s: string): IpPrefix | undefined {
  try {
    return parseCidr(s);
  } catch (e) {
    if (e instanceof IpParseError) return undefined;
    throw e;
  }
}
