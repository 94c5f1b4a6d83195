// IP addresses and subnets as numbers (IPv4 and IPv6 alike, as bigint), for IPAM and the
// checks on subnets clients ask for. Pure: no host access.
import { isIPv4, isIPv6 } from 'node:net';

export type Family = 4 | 6;

export interface Cidr {
  family: Family;
  /** The network address (host bits cleared). */
  base: bigint;
  prefix: number;
}

const bits = (f: Family) => (f === 4 ? 32 : 128);

export function parseIp(text: string): { family: Family; value: bigint } | undefined {
  if (isIPv4(text)) return { family: 4, value: text.split('.').reduce((n, o) => (n << 8n) | BigInt(Number(o)), 0n) };
  if (!isIPv6(text) || text.includes('.')) return undefined;
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8) return undefined;
  return { family: 6, value: groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n) };
}

export function formatIp(family: Family, v: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 255n)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => ((v >> BigInt(112 - 16 * i)) & 0xffffn).toString(16));
  // The longest run of zero groups becomes '::' (RFC 5952).
  let best = -1;
  let len = 0;
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > len && j - i > 1) [best, len] = [i, j - i];
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + len).join(':')}`;
}

/** `10.1.2.0/24`; the host part is cleared ("10.1.2.3/24" is the subnet 10.1.2.0/24). */
export function parseCidr(text: string): Cidr | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text.trim());
  if (!m) return undefined;
  const ip = parseIp(m[1]);
  const prefix = Number(m[2]);
  if (!ip || prefix > bits(ip.family)) return undefined;
  return { family: ip.family, base: ip.value & mask(ip.family, prefix), prefix };
}

function mask(f: Family, prefix: number): bigint {
  const b = BigInt(bits(f));
  return ((1n << b) - 1n) ^ ((1n << (b - BigInt(prefix))) - 1n);
}

export const formatCidr = (c: Cidr) => `${formatIp(c.family, c.base)}/${c.prefix}`;

export const size = (c: Cidr) => 1n << BigInt(bits(c.family) - c.prefix);

export function contains(c: Cidr, ip: { family: Family; value: bigint }): boolean {
  return ip.family === c.family && (ip.value & mask(c.family, c.prefix)) === c.base;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  const p = Math.min(a.prefix, b.prefix);
  return (a.base & mask(a.family, p)) === (b.base & mask(b.family, p));
}

/** The `n`th address of the subnet (0 is the network address). */
export const nth = (c: Cidr, n: bigint) => formatIp(c.family, c.base + n);

/** The addresses containers may get: not the network address, nor IPv4's broadcast. */
export function usableRange(c: Cidr): { first: bigint; last: bigint } {
  const s = size(c);
  if (c.family === 4 && c.prefix >= 31) return { first: c.base, last: c.base + s - 1n };
  return { first: c.base + 1n, last: c.base + s - (c.family === 4 ? 2n : 1n) };
}
