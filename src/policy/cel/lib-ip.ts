import type { Environment } from "@marcbachmann/cel-js";
import { defineNamespace, defineOverloads } from "./define.js";
import { celError } from "./errors.js";
import { IpAddress, IpParseError, parseIp } from "./netip.js";

const IP = "net.IP";

/** Kubernetes' IP address library (`ip('10.0.0.1').family()`, `ip.isCanonical(s)`). */
export function registerIp(env: Environment): void {
  env.registerType(IP, IpAddress);
  env.registerOperator(`${IP} == ${IP}`, (a: IpAddress, b: IpAddress) => a.equals(b));
  defineNamespace(env, "ip");
  defineOverloads(env, [
    {
      signature: `ip(string): ${IP}`,
      description: "Parses an IPv4 or IPv6 address; zones and IPv4-mapped IPv6 addresses are errors.",
      handler: toIp,
    },
    {
      signature: "isIP(string): bool",
      description: "Whether ip() would accept the string.",
      handler: (s: string) => tryIp(s) !== undefined,
    },
    {
      signature: "ip.isCanonical(string): bool",
      description: "Whether the address is written in its one canonical form; an error if it is no address.",
      handler: (_ns: unknown, s: string) => toIp(s).toString() === s,
    },
    {
      signature: `string(${IP}): string`,
      description: "The address in canonical form.",
      handler: (a: IpAddress) => a.toString(),
    },
    {
      signature: `${IP}.family(): int`,
      description: "4 or 6.",
      handler: (a: IpAddress) => BigInt(a.family),
    },
    {
      signature: `${IP}.isUnspecified(): bool`,
      description: "Whether the address is 0.0.0.0 or ::.",
      handler: (a: IpAddress) => a.isUnspecified(),
    },
    {
      signature: `${IP}.isLoopback(): bool`,
      description: "Whether the address is in 127.0.0.0/8 or is ::1.",
      handler: (a: IpAddress) => a.isLoopback(),
    },
    {
      signature: `${IP}.isLinkLocalMulticast(): bool`,
      description:
        "Whether the address is in 224.0.0.0/24 or is an IPv6 link-local multicast address (ff02::/16).",
      handler: (a: IpAddress) => a.isLinkLocalMulticast(),
    },
    {
      signature: `${IP}.isLinkLocalUnicast(): bool`,
      description: "Whether the address is in 169.254.0.0/16 or fe80::/10.",
      handler: (a: IpAddress) => a.isLinkLocalUnicast(),
    },
    {
      signature: `${IP}.isGlobalUnicast(): bool`,
      description: "Whether the address is none of unspecified, loopback, multicast, link-local, broadcast.",
      handler: (a: IpAddress) => a.isGlobalUnicast(),
    },
  ]);
}

/** Parses with Kubernetes' rules; the error message is Kubernetes'. */
export function toIp(s: string): IpAddress {
  try {
    return parseIp(s);
  } catch (e) {
    if (e instanceof IpParseError) throw celError(e.message, e);
    throw e;
  }
}

function tryIp(s: string): IpAddress | undefined {
  try {
    return parseIp(s);
  } catch (e) {
    if (e instanceof IpParseError) return undefined;
    throw e;
  }
}
