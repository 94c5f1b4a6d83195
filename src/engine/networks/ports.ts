// Published ports: docker's PortBindings (`-p [ip:]host:ctr[/proto]`, host port empty or 0 for
// a free one, or a range to pick from) and PublishAllPorts (`-P`), checked at create and bound
// to host ports at each start.
import { isIP } from 'node:net';
import { clip, quote } from '../../lib/clip.js';
import { probePort, type Protocol } from '../../network/host-ports.js';
import { unprivilegedPortStart } from '../../network/rootless/tools.js';
import { isRootless } from '../../config/rootless.js';
import { badParameter, conflict } from '../errors.js';
import type { PublishedPort } from './types.js';

export type PortBindings = Record<string, { HostIp?: string; HostPort?: string }[] | null>;

const KEY_RE = /^(\d{1,5})(?:\/(tcp|udp|sctp))?$/;
const HOST_PORT_RE = /^(\d{1,5})(?:-(\d{1,5}))?$/;

export function parsePortKey(key: string): { port: number; protocol: Protocol } | undefined {
  const m = KEY_RE.exec(key);
  if (!m) return undefined;
  const port = Number(m[1]);
  if (port < 1 || port > 65535) return undefined;
  return { port, protocol: (m[2] ?? 'tcp') as Protocol };
}

function hostRange(hostPort: string | undefined, key: string): { first: number; last: number } | undefined {
  const hp = (hostPort ?? '').trim();
  if (hp === '' || hp === '0') return undefined;
  const m = HOST_PORT_RE.exec(hp);
  const first = Number(m?.[1]);
  const last = Number(m?.[2] ?? m?.[1]);
  if (!m || first < 1 || last > 65535 || last < first) throw badParameter(`invalid host port ${quote(hostPort)} for ${clip(key)}`);
  return { first, last };
}

/**
 * Checks PortBindings as dockerd does at create: container ports, protocols, host IPs and ports.
 * `lowestHostPort`: rootless, the host's net.ipv4.ip_unprivileged_port_start (a lower one cannot be bound).
 */
export function validatePortBindings(b: PortBindings | undefined, lowestHostPort = defaultLowestHostPort()): void {
  for (const [key, list] of Object.entries(b ?? {})) {
    if (!parsePortKey(key)) throw badParameter(`invalid port specification: ${quote(key)}`);
    for (const e of list ?? []) {
      if (!e || typeof e !== 'object') throw badParameter(`invalid port binding for ${clip(key)}`);
      if (e.HostIp && !isIP(e.HostIp)) throw badParameter(`invalid host IP ${quote(e.HostIp)} for ${clip(key)}`);
      const r = hostRange(e.HostPort, key);
      if (r && r.first < lowestHostPort) {
        throw badParameter(`rootless: cannot publish privileged port ${r.first}: host ports below ${lowestHostPort} (net.ipv4.ip_unprivileged_port_start) need root; as root, sysctl net.ipv4.ip_unprivileged_port_start=${r.first} allows it`);
      }
    }
  }
}

const defaultLowestHostPort = () => (isRootless() ? unprivilegedPortStart() : 1);

/** Every binding a run asks for: the explicit ones, and with publishAll each exposed port not bound already. */
export function requestedPorts(bindings: PortBindings | undefined, publishAll: boolean, exposed: string[]): { key: string; hostIp: string; hostPort?: string }[] {
  const out: { key: string; hostIp: string; hostPort?: string }[] = [];
  const bound = new Set<string>();
  for (const [key, list] of Object.entries(bindings ?? {})) {
    const k = normalKey(key);
    for (const e of list ?? []) {
      out.push({ key: k, hostIp: e.HostIp ?? '', hostPort: e.HostPort });
      bound.add(k);
    }
  }
  if (publishAll) for (const key of exposed) if (!bound.has(normalKey(key))) out.push({ key: normalKey(key), hostIp: '' });
  return out;
}

export const normalKey = (key: string) => (key.includes('/') ? key : `${key}/tcp`);

const clashes = (a: PublishedPort, hostIp: string, port: number, protocol: string) =>
  a.protocol === protocol && a.hostPort === port && (a.hostIp === '' || hostIp === '' || a.hostIp === hostIp);

/**
 * Host ports for each request: given ones once checked against other runs and the host, free
 * ones from the kernel (or from the given range) that no other run holds either.
 */
export async function bindPorts(reqs: { key: string; hostIp: string; hostPort?: string }[], taken: PublishedPort[]): Promise<PublishedPort[]> {
  const out: PublishedPort[] = [];
  const held = () => [...taken, ...out];
  for (const r of reqs) {
    const { port: containerPort, protocol } = parsePortKey(r.key)!;
    const range = hostRange(r.hostPort, r.key);
    const shown = `${r.hostIp || '0.0.0.0'}`;
    let got: number | undefined;
    if (range && range.first === range.last) {
      if (held().some((p) => clashes(p, r.hostIp, range.first, protocol))) throw conflict(`Bind for ${shown}:${range.first} failed: port is already allocated`);
      if ((await probePort(protocol, r.hostIp, range.first)) === undefined) throw conflict(`Bind for ${shown}:${range.first} failed: address already in use`);
      got = range.first;
    } else if (range) {
      for (let p = range.first; p <= range.last && got === undefined; p++) {
        if (!held().some((h) => clashes(h, r.hostIp, p, protocol)) && (await probePort(protocol, r.hostIp, p)) !== undefined) got = p;
      }
      if (got === undefined) throw conflict(`Bind for ${shown}:${range.first}-${range.last} failed: no free port in the range`);
    } else {
      // The kernel's pick among its ephemeral ports, unless another run forwards it already.
      for (let i = 0; i < 32 && got === undefined; i++) {
        const p = await probePort(protocol, r.hostIp, 0);
        if (p !== undefined && !held().some((h) => clashes(h, r.hostIp, p, protocol))) got = p;
      }
      if (got === undefined) throw conflict(`no free host port for ${r.key}`);
    }
    out.push({ hostIp: r.hostIp, hostPort: got, containerPort, protocol });
  }
  return out;
}
