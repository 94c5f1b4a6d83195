// A network create request checked and completed into a Network: its name, driver, options,
// and subnets (given ones checked, missing ones picked where neither the host's routes nor
// another network are), as dockerd and podman check them.
import { randomBytes, randomInt } from 'node:crypto';
import { isRootless } from '../../config/rootless.js';
import { clip, quote } from '../../lib/clip.js';
import { contains, formatCidr, formatIp, nth, overlaps, parseCidr, parseIp, size, usableRange, type Cidr } from '../../network/ip.js';
import { badParameter, conflict, EngineError } from '../errors.js';
import { RESERVED_NAMES } from './model.js';
import type { Network, NetworkCreateRequest, Subnet } from './types.js';

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const IFACE_RE = /^[a-zA-Z0-9_.-]{1,15}$/;

/** Where subnets are picked from when a client gives none: berth's pool unless containers.conf names one. */
export const BERTH_POOL = { base: '10.128.0.0/9', size: 24 };
/** The default network gets room for more containers than a user network. */
export const DEFAULT_NETWORK_PREFIX = 20;

// docker's bridge options (accepted and shown; the name and MTU are applied) and podman's.
const DOCKER_OPTIONS = new Set([
  'com.docker.network.bridge.name', 'com.docker.network.driver.mtu', 'com.docker.network.bridge.enable_icc',
  'com.docker.network.bridge.enable_ip_masquerade', 'com.docker.network.bridge.host_binding_ipv4',
  'com.docker.network.bridge.default_bridge', 'com.docker.network.container_iface_prefix',
]);
const PODMAN_OPTIONS = new Set(['mtu', 'isolate', 'metric']);

export interface CreateContext {
  /** Networks that exist already (stored ones). */
  existing: Network[];
  hostRoutes: Cidr[];
  interfaceInUse(name: string): boolean;
  pools: { base: string; size: number }[];
}

export function validateNetworkName(name: unknown): string {
  if (typeof name !== 'string' || !name) throw badParameter('network name is required');
  if (!NAME_RE.test(name) || name.length > 200) throw badParameter(`invalid network name ${quote(name)}: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  return name;
}

/** Checks the request and completes it; the result is stored as it is. */
export function buildNetwork(req: NetworkCreateRequest, id: string, created: string, cx: CreateContext): Network {
  const name = validateNetworkName(req.name);
  if (RESERVED_NAMES.has(name)) throw new EngineError('forbidden', `${name} is a pre-defined network and cannot be created`, 'forbidden');
  if (cx.existing.some((n) => n.name === name)) throw conflict(`network with name ${name} already exists`);
  const driver = req.driver || 'bridge';
  if (driver === 'host' || driver === 'null') throw new EngineError('forbidden', `only one instance of "${driver}" network is allowed`, 'forbidden');
  if ((driver === 'macvlan' || driver === 'ipvlan') && isRootless()) {
    throw badParameter(`rootless: ${driver} networks cannot be created: they attach containers to a host interface, which needs root in the host's network namespace; use a bridge network`);
  }
  if (driver !== 'bridge') throw badParameter(`network driver ${quote(driver)} is not supported: berth creates bridge networks only`);
  const ipamDriver = req.ipamDriver || 'default';
  if (!['default', 'host-local'].includes(ipamDriver)) throw badParameter(`IPAM driver ${quote(ipamDriver)} is not supported (default is)`);
  const options = stringMap(req.options, 'options');
  const labels = stringMap(req.labels, 'labels');
  for (const k of Object.keys(options)) {
    if (!DOCKER_OPTIONS.has(k) && !PODMAN_OPTIONS.has(k)) throw badParameter(`unsupported bridge network option ${quote(k)}`);
  }
  for (const k of ['mtu', 'com.docker.network.driver.mtu', 'metric']) {
    if (options[k] !== undefined && !/^\d{1,5}$/.test(options[k])) throw badParameter(`invalid ${k} option ${quote(options[k])}: not a number`);
  }
  if (options.isolate !== undefined && !['true', 'false', 'strict'].includes(options.isolate)) throw badParameter(`invalid isolate option ${quote(options.isolate)}`);

  const iface = req.interface || options['com.docker.network.bridge.name'] || `br-${id.slice(0, 12)}`;
  if (!IFACE_RE.test(iface)) throw badParameter(`invalid bridge name ${quote(iface)}: at most 15 of [a-zA-Z0-9_.-]`);
  if (cx.existing.some((n) => n.interface === iface) || cx.interfaceInUse(iface)) throw conflict(`bridge name ${iface} already in use`);

  const subnets = (req.subnets ?? []).map((s) => checkSubnet(s));
  const taken = [...cx.existing.flatMap((n) => n.subnets.map((s) => parseCidr(s.subnet)!)), ...cx.hostRoutes];
  for (const [i, s] of subnets.entries()) {
    const c = parseCidr(s.subnet)!;
    const clash = [...taken, ...subnets.slice(0, i).map((o) => parseCidr(o.subnet)!)].some((t) => overlaps(t, c));
    if (clash) throw badParameter(`invalid pool request: Pool overlaps with other one on this address space (${s.subnet})`);
  }
  if (!subnets.some((s) => s.subnet.includes('.'))) subnets.push(freeSubnet(cx.pools, taken));
  const ipv6 = !!req.ipv6 || subnets.some((s) => s.subnet.includes(':'));
  if (ipv6 && !subnets.some((s) => s.subnet.includes(':'))) subnets.push(ulaSubnet(taken));

  return {
    id, name, driver: 'bridge', created, interface: iface, subnets, ipv6,
    internal: !!req.internal,
    dnsEnabled: req.dnsEnabled ?? true,
    attachable: !!req.attachable,
    labels, options,
    ipamOptions: { driver: 'host-local', ...stringMap(req.ipamOptions, 'IPAM options') },
    isDefault: false,
    builtin: false,
  };
}

/** The netavark options of a network: MTU, isolation and route metric, from either dialect's keys. */
export function netavarkOptions(n: Network): Record<string, string> {
  const o: Record<string, string> = {};
  const mtu = n.options.mtu ?? n.options['com.docker.network.driver.mtu'];
  if (mtu && mtu !== '0') o.mtu = mtu;
  if (n.options.isolate) o.isolate = n.options.isolate;
  if (n.options.metric) o.metric = n.options.metric;
  return o;
}

function stringMap(v: unknown, what: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw badParameter(`${what} must be an object of strings`);
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string') throw badParameter(`${what}: the value of ${quote(k)} must be a string`);
    out[k] = x;
  }
  return out;
}

function checkSubnet(s: NonNullable<NetworkCreateRequest['subnets']>[number]): Subnet {
  if (!s.subnet) throw badParameter('a subnet is required in each IPAM config');
  const c = parseCidr(s.subnet);
  if (!c) throw badParameter(`invalid CIDR address: ${clip(s.subnet)}`);
  if (c.family === 4 && c.prefix > 30) throw badParameter(`subnet ${clip(s.subnet)} is too small: at most /30`);
  const out: Subnet = { subnet: formatCidr(c) };
  const inside = (ip: string, what: string) => {
    const p = parseIp(ip);
    if (!p) throw badParameter(`invalid ${what} address: ${clip(ip)}`);
    if (!contains(c, p)) throw badParameter(`no matching subnet for ${what} ${clip(ip)}`);
    return formatIp(p.family, p.value);
  };
  out.gateway = s.gateway ? inside(s.gateway, 'gateway') : nth(c, usableRange(c).first - c.base);
  if (s.ipRange) {
    const r = parseCidr(s.ipRange);
    if (!r) throw badParameter(`invalid CIDR address: ${clip(s.ipRange)}`);
    if (r.family !== c.family || r.prefix < c.prefix || !overlaps(r, c)) throw badParameter(`no matching subnet for range ${clip(s.ipRange)}`);
    const u = usableRange(r);
    out.leaseRange = { start: formatIp(r.family, u.first), end: formatIp(r.family, u.last) };
    out.ipRange = formatCidr(r);
  } else if (s.leaseRange && (s.leaseRange.start || s.leaseRange.end)) {
    const u = usableRange(c);
    out.leaseRange = {
      start: s.leaseRange.start ? inside(s.leaseRange.start, 'lease range start') : formatIp(c.family, u.first),
      end: s.leaseRange.end ? inside(s.leaseRange.end, 'lease range end') : formatIp(c.family, u.last),
    };
  }
  return out;
}

/**
 * The first free subnet of the pools, or of berth's own pool from a random place: two services
 * on one host that pick at the same moment, before either has a bridge up, rarely pick the same.
 */
export function freeSubnet(pools: { base: string; size: number }[], taken: Cidr[], prefix?: number): Subnet {
  const own = !pools.length;
  for (const pool of own ? [BERTH_POOL] : pools) {
    const base = parseCidr(pool.base);
    const want = prefix ?? pool.size;
    if (!base || base.family !== 4 || want < base.prefix || want > 30) continue;
    const count = size(base) / (1n << BigInt(32 - want));
    const start = own ? BigInt(randomInt(0, Number(count))) : 0n;
    for (let i = 0n; i < count && i < 65536n; i++) {
      const c: Cidr = { family: 4, base: base.base + ((start + i) % count) * (1n << BigInt(32 - want)), prefix: want };
      if (taken.some((t) => overlaps(t, c))) continue;
      return { subnet: formatCidr(c), gateway: nth(c, 1n) };
    }
  }
  throw badParameter('could not find a free subnet for the network: every pool subnet overlaps a route or another network');
}

/** A random unique-local /64, as podman gives IPv6 networks without a subnet. */
function ulaSubnet(taken: Cidr[]): Subnet {
  for (let i = 0; i < 16; i++) {
    const r = randomBytes(5);
    const base = (0xfdn << 120n) | (BigInt(`0x${r.toString('hex')}`) << 80n);
    const c: Cidr = { family: 6, base, prefix: 64 };
    if (!taken.some((t) => overlaps(t, c))) return { subnet: formatCidr(c), gateway: nth(c, 1n) };
  }
  throw badParameter('could not find a free IPv6 subnet for the network');
}
