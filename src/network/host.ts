// What the host's own networking already uses, read from /proc and /sys (no process spawned):
// a new network's subnet must not overlap a route the host has, nor its bridge take a name in use.
import { existsSync, readFileSync } from 'node:fs';
import type { Cidr } from './ip.js';

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** The subnets of the host's routes (default routes left out: everything overlaps them). */
export function hostRoutes(): Cidr[] {
  const out: Cidr[] = [];
  for (const l of read('/proc/net/route').split('\n').slice(1)) {
    const f = l.trim().split(/\s+/);
    if (f.length < 8) continue;
    // Little-endian hex, as the kernel prints it.
    const le = (h: string) => BigInt(`0x${h.match(/../g)!.reverse().join('')}`);
    const m = le(f[7]);
    const prefix = m.toString(2).replace(/0+$/, '').length;
    if (prefix === 0) continue;
    out.push({ family: 4, base: le(f[1]) & m, prefix });
  }
  for (const l of read('/proc/net/ipv6_route').split('\n')) {
    const f = l.trim().split(/\s+/);
    if (f.length < 10) continue;
    const prefix = parseInt(f[1], 16);
    // Link-local, multicast and loopback routes exist on every host.
    if (prefix === 0 || /^(fe80|ff|0{31}1)/.test(f[0])) continue;
    out.push({ family: 6, base: BigInt(`0x${f[0]}`), prefix });
  }
  return out;
}

export function interfaceExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}

