/** IPv4/IPv6 address and CIDR arithmetic for VPCs, subnets and security group rules. */

export interface Cidr4 {
  base: number;
  prefix: number;
}

export function ipToInt(ip: string): number | undefined {
  const parts = ip.split(".");
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const v = Number(part);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

export function intToIp(n: number): string {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** "10.0.1.0/24" → base and prefix; the base must be the network address when `strict`. */
export function parseCidr4(text: string, strict = false): Cidr4 | undefined {
  const match = /^([\d.]+)\/(\d{1,2})$/.exec(text);
  if (!match) return undefined;
  const ip = ipToInt(match[1]);
  const prefix = Number(match[2]);
  if (ip === undefined || prefix > 32) return undefined;
  const base = prefix === 0 ? 0 : (ip & (~0 << (32 - prefix))) >>> 0;
  if (strict && base !== ip) return undefined;
  return { base, prefix };
}

export function cidrSize(cidr: Cidr4): number {
  return 2 ** (32 - cidr.prefix);
}

export function cidrText(cidr: Cidr4): string {
  return `${intToIp(cidr.base)}/${cidr.prefix}`;
}

export function cidrContains(outer: Cidr4, inner: Cidr4): boolean {
  return inner.prefix >= outer.prefix && inner.base >= outer.base && inner.base + cidrSize(inner) <= outer.base + cidrSize(outer);
}

export function cidrOverlaps(a: Cidr4, b: Cidr4): boolean {
  return a.base < b.base + cidrSize(b) && b.base < a.base + cidrSize(a);
}

export function ipInCidr(ip: number, cidr: Cidr4): boolean {
  return ip >= cidr.base && ip < cidr.base + cidrSize(cidr);
}

/** AWS reserves the first four addresses and the last one of every subnet. */
export function usableAddressCount(cidr: Cidr4): number {
  return Math.max(0, cidrSize(cidr) - 5);
}

/** A v6 CIDR, loosely checked ("2001:db8::/32", "::/0"). */
export function isCidr6(text: string): boolean {
  const match = /^([0-9a-fA-F:]+)\/(\d{1,3})$/.exec(text);
  if (!match || Number(match[2]) > 128) return false;
  const address = match[1];
  if ((address.match(/::/g) ?? []).length > 1) return false;
  const groups = address.split(":").filter((g) => g !== "");
  return groups.every((g) => g.length <= 4) && groups.length <= 8 && (address.includes("::") || groups.length === 8);
}
