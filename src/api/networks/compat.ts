// Docker's /networks endpoints: dockerd's network JSON (the default network is `bridge`, with
// the Options dockerd shows for it), create/connect bodies in docker's field names.
import type { Ctx, RouteDef } from '../../server/http.js';
import { noContent, qFilters, sendJson } from '../../server/http.js';
import { readBody } from '../http/body.js';
import { HttpError } from '../../server/errors.js';
import type { EndpointConfig, NetworkCreateRequest, NetworkView } from '../../engine/networks/types.js';
import { compatName } from './names.js';

const svc = (ctx: Ctx) => ctx.engine.networks;

export function networkBody(n: NetworkView) {
  const options = n.isDefault
    ? {
        'com.docker.network.bridge.default_bridge': 'true',
        'com.docker.network.bridge.enable_icc': 'true',
        'com.docker.network.bridge.enable_ip_masquerade': 'true',
        'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
        'com.docker.network.bridge.name': n.interface,
        'com.docker.network.driver.mtu': n.options['com.docker.network.driver.mtu'] ?? n.options.mtu ?? '1500',
      }
    : n.options;
  return {
    Name: compatName(n),
    Id: n.id,
    Created: n.created,
    Scope: 'local',
    Driver: n.driver,
    EnableIPv6: n.ipv6,
    IPAM: {
      Driver: 'default',
      Options: null,
      Config: n.subnets.map((s) => ({
        Subnet: s.subnet,
        ...(s.gateway ? { Gateway: s.gateway } : {}),
        ...(s.ipRange ? { IPRange: s.ipRange } : {}),
      })),
    },
    Internal: n.internal,
    Attachable: n.attachable,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: Object.fromEntries(
      n.members.map((m) => [m.id, { Name: m.name, EndpointID: m.endpointId, MacAddress: m.macAddress, IPv4Address: m.ipv4, IPv6Address: m.ipv6 }]),
    ),
    Options: options,
    Labels: n.labels,
  };
}

async function list(ctx: Ctx): Promise<void> {
  sendJson(ctx, 200, svc(ctx).list(qFilters(ctx)).map(networkBody));
}

async function inspect(ctx: Ctx): Promise<void> {
  const scope = ctx.query.get('scope');
  if (scope && scope !== 'local') throw new HttpError(404, `network ${ctx.params.id} not found`);
  sendJson(ctx, 200, networkBody(svc(ctx).get(ctx.params.id)));
}

interface CreateBody {
  Name?: string;
  CheckDuplicate?: boolean;
  Driver?: string;
  Scope?: string;
  Internal?: boolean;
  Attachable?: boolean;
  Ingress?: boolean;
  ConfigOnly?: boolean;
  ConfigFrom?: { Network?: string } | null;
  EnableIPv6?: boolean;
  IPAM?: { Driver?: string; Config?: { Subnet?: string; IPRange?: string; Gateway?: string; AuxiliaryAddresses?: Record<string, string> }[] | null; Options?: Record<string, string> | null } | null;
  Options?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

async function create(ctx: Ctx): Promise<void> {
  const b = (await readBody<CreateBody>(ctx, 'NetworkCreate')) ?? {};
  if (typeof b !== 'object' || Array.isArray(b)) throw new HttpError(400, 'invalid request body');
  if (b.Ingress) throw new HttpError(400, 'ingress networks need swarm mode, which berth does not have');
  if (b.ConfigOnly || b.ConfigFrom?.Network) throw new HttpError(400, 'config-only networks are not supported');
  if (b.Scope && b.Scope !== 'local') throw new HttpError(400, `scope ${b.Scope} is not supported (local is)`);
  for (const c of b.IPAM?.Config ?? []) if (c?.AuxiliaryAddresses && Object.keys(c.AuxiliaryAddresses).length) throw new HttpError(400, 'IPAM AuxiliaryAddresses are not supported');
  const req: NetworkCreateRequest = {
    name: b.Name ?? '',
    driver: b.Driver,
    internal: !!b.Internal,
    attachable: !!b.Attachable,
    ipv6: !!b.EnableIPv6,
    labels: b.Labels ?? {},
    options: b.Options ?? {},
    ipamDriver: b.IPAM?.Driver,
    ipamOptions: b.IPAM?.Options ?? {},
    subnets: (b.IPAM?.Config ?? []).map((c) => ({ subnet: c.Subnet, gateway: c.Gateway, ipRange: c.IPRange })),
  };
  const n = svc(ctx).create(req);
  sendJson(ctx, 201, { Id: n.id, Warning: '' });
}

async function remove(ctx: Ctx): Promise<void> {
  await svc(ctx).remove(ctx.params.id);
  noContent(ctx);
}

async function prune(ctx: Ctx): Promise<void> {
  const r = await svc(ctx).prune(qFilters(ctx));
  sendJson(ctx, 200, { NetworksDeleted: r.deleted.length ? r.deleted : null });
}

/** docker's EndpointSettings as the engine's endpoint request. */
export function endpointConfig(e: unknown): EndpointConfig {
  if (e === undefined || e === null) return {};
  if (typeof e !== 'object' || Array.isArray(e)) throw new HttpError(400, 'EndpointConfig must be an object');
  const s = e as { IPAMConfig?: { IPv4Address?: string; IPv6Address?: string } | null; Aliases?: string[] | null; Links?: string[] | null; MacAddress?: string };
  return {
    ...(s.Aliases?.length ? { aliases: s.Aliases } : {}),
    ...(s.Links?.length ? { links: s.Links } : {}),
    ...(s.IPAMConfig?.IPv4Address ? { ipv4: s.IPAMConfig.IPv4Address } : {}),
    ...(s.IPAMConfig?.IPv6Address ? { ipv6: s.IPAMConfig.IPv6Address } : {}),
    ...(s.MacAddress ? { mac: s.MacAddress } : {}),
  };
}

async function connect(ctx: Ctx): Promise<void> {
  const b = (await readBody<{ Container?: string; EndpointConfig?: unknown }>(ctx, 'NetworkConnect')) ?? {};
  if (!b.Container) throw new HttpError(400, 'Container is required');
  await svc(ctx).connect(ctx.params.id, b.Container, endpointConfig(b.EndpointConfig));
  noContent(ctx, 200);
}

async function disconnect(ctx: Ctx): Promise<void> {
  const b = (await readBody<{ Container?: string; Force?: boolean }>(ctx, 'NetworkDisconnect')) ?? {};
  if (!b.Container) throw new HttpError(400, 'Container is required');
  await svc(ctx).disconnect(ctx.params.id, b.Container, !!b.Force);
  noContent(ctx, 200);
}

export const routes: RouteDef[] = [
  { method: 'GET', path: '/networks', handler: list },
  { method: 'POST', path: '/networks/create', handler: create },
  { method: 'POST', path: '/networks/prune', handler: prune },
  { method: 'GET', path: '/networks/:id', handler: inspect },
  { method: 'DELETE', path: '/networks/:id', handler: remove },
  { method: 'POST', path: '/networks/:id/connect', handler: connect },
  { method: 'POST', path: '/networks/:id/disconnect', handler: disconnect },
];
