// Addresses for a container's run on a network: the one it asked for, or the lowest free one of
// the subnet's lease range. The caller holds the write transaction and records the lease in it,
// so two runs never get one address (the lease table's key would refuse the second anyway).
import { contains, formatIp, parseCidr, parseIp, usableRange } from '../../network/ip.js';
import { badParameter, conflict } from '../errors.js';
import type { Network, Subnet } from './types.js';

function range(s: Subnet): { first: bigint; last: bigint } {
  const c = parseCidr(s.subnet)!;
  const u = usableRange(c);
  if (!s.leaseRange) return u;
  return { first: parseIp(s.leaseRange.start)?.value ?? u.first, last: parseIp(s.leaseRange.end)?.value ?? u.last };
}

/** One address per subnet family the network has (v4, and v6 when enabled). */
export function pickAddresses(n: Network, wanted: { ipv4?: string; ipv6?: string }, leased: Set<string>): string[] {
  const out: string[] = [];
  for (const family of [4, 6] as const) {
    const subnets = n.subnets.filter((s) => (family === 4 ? s.subnet.includes('.') : s.subnet.includes(':')));
    if (!subnets.length) continue;
    const want = family === 4 ? wanted.ipv4 : wanted.ipv6;
    if (want) {
      const ip = parseIp(want);
      const home = ip && subnets.find((s) => contains(parseCidr(s.subnet)!, ip));
      if (!ip || !home) throw badParameter(`requested IP address ${want} is not in any subnet of network ${n.name}`);
      const text = formatIp(ip.family, ip.value);
      if (text === home.gateway) throw badParameter(`requested IP address ${want} is the gateway of network ${n.name}`);
      if (leased.has(text)) throw conflict(`IP address ${want} is already in use on network ${n.name}`);
      out.push(text);
      continue;
    }
    out.push(firstFree(n, subnets[0], leased));
  }
  return out;
}

function firstFree(n: Network, s: Subnet, leased: Set<string>): string {
  const family = s.subnet.includes('.') ? 4 : 6;
  const { first, last } = range(s);
  // A bounded walk: a /64 has more addresses than any host has containers.
  for (let v = first, i = 0; v <= last && i < 1_000_000; v++, i++) {
    const ip = formatIp(family, v);
    if (ip !== s.gateway && !leased.has(ip)) return ip;
  }
  throw conflict(`no free IP address left on network ${n.name} (${s.subnet})`);
}
