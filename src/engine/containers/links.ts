// docker's legacy links (`--link name[:alias]`): at each start the linked container must run;
// it gets a hosts entry (`IP alias id name`) and the variables dockerd sets (ALIAS_NAME,
// ALIAS_PORT, ALIAS_PORT_<port>_<PROTO>*, ALIAS_ENV_*).
import { clip } from '../../lib/clip.js';
import { badParameter } from '../errors.js';
import type { ContainerNetworking } from './networking.js';
import type { ContainerLookups } from './lookups.js';
import type { ContainerView } from './types.js';
import { isLive } from './util.js';

/** "name", "name:alias", "/name:/parent/alias" (inspect's form) as name and alias. */
export function parseLink(link: string): { name: string; alias: string } {
  const [a, b] = link.split(':');
  const name = a.replace(/^\//, '');
  const alias = (b ?? a).split('/').pop() ?? '';
  if (!name || !alias || link.split(':').length > 2) throw badParameter(`invalid link ${clip(link)}: expected name or name:alias`);
  return { name, alias };
}

/** Hosts entries (as ExtraHosts "names:ip") and variables for the container's links. */
export function resolveLinks(v: ContainerView, lookups: ContainerLookups, networks: ContainerNetworking): { hosts: string[]; env: string[] } {
  const hosts: string[] = [];
  const env: string[] = [];
  for (const l of v.parsed.HostConfig.Links ?? []) {
    const { name, alias } = parseLink(l);
    const child = lookups.find(name);
    if (!child || !isLive(child.state)) throw badParameter(`Cannot link to a non running container: /${name} AS /${v.name}/${alias}`);
    const eps = networks.state(child.id, child.parsed.HostConfig.NetworkMode).endpoints;
    // An address on a network both share, else the child's first one.
    const mine = new Set(networks.state(v.id, v.parsed.HostConfig.NetworkMode).endpoints.map((e) => e.networkId));
    const ip = (eps.find((e) => mine.has(e.networkId) && e.ipv4) ?? eps.find((e) => e.ipv4))?.ipv4;
    if (!ip) throw badParameter(`Cannot link to /${name}: it has no address on a network`);
    hosts.push(`${alias} ${child.id.slice(0, 12)} ${child.name}:${ip}`);
    env.push(...linkEnv(alias, v.name, ip, child));
  }
  return { hosts, env };
}

function linkEnv(alias: string, parent: string, ip: string, child: ContainerView): string[] {
  const p = alias.toUpperCase().replace(/-/g, '_');
  const out = [`${p}_NAME=/${parent}/${alias}`];
  const ports = Object.keys(child.parsed.Config.ExposedPorts ?? {})
    .map((k) => {
      const [port, proto = 'tcp'] = k.split('/');
      return { port: Number(port), proto };
    })
    // dockerd's order: by number, tcp first among equals; ALIAS_PORT is the first.
    .sort((a, b) => a.port - b.port || Number(b.proto === 'tcp') - Number(a.proto === 'tcp'));
  if (ports.length) out.push(`${p}_PORT=${ports[0].proto}://${ip}:${ports[0].port}`);
  for (const { port, proto } of ports) {
    const k = `${p}_PORT_${port}_${proto.toUpperCase()}`;
    out.push(`${k}=${proto}://${ip}:${port}`, `${k}_ADDR=${ip}`, `${k}_PORT=${port}`, `${k}_PROTO=${proto}`);
  }
  for (const e of child.parsed.Config.Env ?? []) {
    const i = e.indexOf('=');
    if (i < 0) continue;
    const k = e.slice(0, i);
    if (k === 'HOME' || k === 'PATH') continue;
    out.push(`${p}_ENV_${k}=${e.slice(i + 1)}`);
  }
  return out;
}
