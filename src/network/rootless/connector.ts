// Connecting one network namespace to the host with the chosen command (pasta or slirp4netns),
// published ports included, and reading back what the namespace got (its address and gateway),
// so inspect shows what the container really has.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { processToken } from '../../lib/owner.js';
import { PASTA_DNS, startPasta } from './pasta.js';
import { hostFwdRequest, SLIRP_DNS, slirpApi, startSlirp } from './slirp.js';
import { stopHelper } from './process.js';
import type { ConnectorChoice } from './tools.js';
import type { HelperProcess, PublishedPort } from './types.js';

export interface ConnectInput {
  netnsPath: string;
  /** A private directory for its pid file, API socket and log. */
  dir: string;
  /** A name for its files in `dir`. */
  tag: string;
  ports: PublishedPort[];
  pastaOptions?: string[];
}

export interface Connected {
  helper: HelperProcess;
  /** The resolver the namespace's resolv.conf should name. */
  nameserver: string;
}

export async function connectNamespace(c: ConnectorChoice, i: ConnectInput): Promise<Connected> {
  if (c.cmd === 'pasta') {
    const pidFile = join(i.dir, `${i.tag}.pasta.pid`);
    const pid = await startPasta(c.path, { netnsPath: i.netnsPath, pidFile, ports: i.ports, extra: i.pastaOptions });
    const token = processToken(pid);
    if (!token) throw new Error('pasta ended right after it started');
    return { helper: { kind: 'pasta', token, files: [pidFile] }, nameserver: PASTA_DNS };
  }
  const apiSocket = join(i.dir, `${i.tag}.slirp.sock`);
  const logFile = join(i.dir, `${i.tag}.slirp.log`);
  const pid = await startSlirp(c.path, { netnsPath: i.netnsPath, apiSocket, logFile });
  const helper: HelperProcess = { kind: 'slirp4netns', token: processToken(pid) ?? `${pid}.0`, files: [apiSocket, logFile] };
  try {
    for (const p of i.ports) await slirpApi(apiSocket, hostFwdRequest(p));
  } catch (e) {
    await stopHelper(helper);
    throw e;
  }
  return { helper, nameserver: SLIRP_DNS };
}

export interface NamespaceAddress {
  /** "192.0.2.2/24", or '' when it has none. */
  ipv4: string;
  gateway: string;
  ipv6: string;
  ipv6Gateway: string;
  macAddress: string;
  interfaceName: string;
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 10_000 }, (err, out, stderr) => (err ? reject(new Error(String(stderr).trim() || err.message)) : resolve(String(out))));
  });
}

interface IpAddr {
  ifname: string;
  address?: string;
  addr_info?: { family: string; local: string; prefixlen: number; scope: string }[];
}

/**
 * The namespace's outward interface (the one its default route leaves by; else the first with a
 * global address), its first global addresses and the default gateways, as `ip -j` reports them.
 */
export function parseNamespaceAddress(addrJson: string, routeJson: string): NamespaceAddress {
  const links = (JSON.parse(addrJson || '[]') as IpAddr[]).filter((l) => l.ifname !== 'lo');
  const routes = (JSON.parse(routeJson || '[]') as { dst: string; gateway?: string; dev?: string }[]).filter((r) => r.dst === 'default' && r.gateway);
  const global = (l: IpAddr) => (l.addr_info ?? []).filter((a) => a.scope === 'global');
  const out: NamespaceAddress = { ipv4: '', gateway: '', ipv6: '', ipv6Gateway: '', macAddress: '', interfaceName: '' };
  const viaRoute = routes.map((r) => links.find((l) => l.ifname === r.dev)).find(Boolean);
  const link = viaRoute ?? links.find((l) => global(l).length);
  if (!link) return out;
  out.interfaceName = link.ifname;
  out.macAddress = link.address ?? '';
  for (const a of global(link)) {
    if (a.family === 'inet' && !out.ipv4) out.ipv4 = `${a.local}/${a.prefixlen}`;
    if (a.family === 'inet6' && !out.ipv6) out.ipv6 = `${a.local}/${a.prefixlen}`;
  }
  for (const r of routes) {
    if (r.dev && r.dev !== link.ifname) continue;
    if (r.gateway!.includes(':')) out.ipv6Gateway ||= r.gateway!;
    else out.gateway ||= r.gateway!;
  }
  return out;
}

export async function namespaceAddress(nsenter: string, netnsPath: string): Promise<NamespaceAddress> {
  const ns = [`--net=${netnsPath}`, '--', 'ip', '-j'];
  const [addr, r4, r6] = await Promise.all([run(nsenter, [...ns, 'addr', 'show']), run(nsenter, [...ns, '-4', 'route', 'show', 'default']), run(nsenter, [...ns, '-6', 'route', 'show', 'default']).catch(() => '[]')]);
  const routes = [...(JSON.parse(r4 || '[]') as object[]), ...(JSON.parse(r6 || '[]') as object[])];
  return parseNamespaceAddress(addr, JSON.stringify(routes));
}
