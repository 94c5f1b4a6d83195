// libpod's /libpod/networks endpoints: podman's network JSON (name, id, driver,
// network_interface, subnets, dns_enabled, internal, ipam_options), podman's reports.
import type { Ctx, RouteDef } from '../../server/http.js';
import { noContent, qBool, qFilters, sendJson } from '../../server/http.js';
import { readBody } from '../http/body.js';
import { HttpError } from '../../server/errors.js';
import type { EndpointConfig, NetworkCreateRequest, NetworkView } from '../../engine/networks/types.js';

const svc = (ctx: Ctx) => ctx.engine.networks;

export function podmanNetwork(n: NetworkView) {
  return {
    name: n.name,
    id: n.id,
    driver: n.driver,
    network_interface: n.interface,
    created: n.created,
    subnets: n.subnets.map((s) => ({
      subnet: s.subnet,
      ...(s.gateway ? { gateway: s.gateway } : {}),
      ...(s.leaseRange ? { lease_range: { start_ip: s.leaseRange.start, end_ip: s.leaseRange.end } } : {}),
    })),
    ipv6_enabled: n.ipv6,
    internal: n.internal,
    dns_enabled: n.dnsEnabled,
    labels: n.labels,
    options: n.options,
    ipam_options: n.ipamOptions,
  };
}

function inspectReport(n: NetworkView) {
  return {
    ...podmanNetwork(n),
    containers: Object.fromEntries(
      n.members.map((m) => [
        m.id,
        {
          name: m.name,
          interfaces: {
            [m.interfaceName || 'eth0']: {
              subnets: [
                ...(m.ipv4 ? [{ ipnet: m.ipv4, ...(m.gateway ? { gateway: m.gateway } : {}) }] : []),
                ...(m.ipv6 ? [{ ipnet: m.ipv6, ...(m.ipv6Gateway ? { gateway: m.ipv6Gateway } : {}) }] : []),
              ],
              mac_address: m.macAddress,
            },
          },
        },
      ]),
    ),
  };
}

/** podman has no network objects for host and none. */
function userNetwork(ctx: Ctx, ref: string): NetworkView {
  const n = svc(ctx).get(ref);
  if (n.builtin) throw new HttpError(404, `unable to find network with name or ID ${ref}: network not found`, 'network not found');
  return n;
}

async function list(ctx: Ctx): Promise<void> {
  sendJson(ctx, 200, svc(ctx).list(qFilters(ctx)).filter((n) => !n.builtin).map(podmanNetwork));
}

async function inspect(ctx: Ctx): Promise<void> {
  sendJson(ctx, 200, inspectReport(userNetwork(ctx, ctx.params.name)));
}

async function exists(ctx: Ctx): Promise<void> {
  userNetwork(ctx, ctx.params.name);
  noContent(ctx);
}

interface CreateBody {
  name?: string;
  driver?: string;
  network_interface?: string;
  subnets?: { subnet?: string; gateway?: string; lease_range?: { start_ip?: string; end_ip?: string } }[] | null;
  ipv6_enabled?: boolean;
  internal?: boolean;
  dns_enabled?: boolean;
  labels?: Record<string, string> | null;
  options?: Record<string, string> | null;
  ipam_options?: Record<string, string> | null;
  network_dns_servers?: string[] | null;
  routes?: unknown[] | null;
}

async function create(ctx: Ctx): Promise<void> {
  const b = (await readBody<CreateBody>(ctx, 'NetworkCreateLibpod')) ?? {};
  if (typeof b !== 'object' || Array.isArray(b)) throw new HttpError(400, 'invalid request body');
  if (b.network_dns_servers?.length) throw new HttpError(400, 'network_dns_servers is not supported by berth yet');
  if (b.routes?.length) throw new HttpError(400, 'routes is not supported by berth yet');
  const { driver: ipamDriver, ...ipamOptions } = b.ipam_options ?? {};
  const req: NetworkCreateRequest = {
    name: b.name ?? '',
    driver: b.driver,
    interface: b.network_interface || undefined,
    internal: !!b.internal,
    ipv6: !!b.ipv6_enabled,
    // podman's API takes the field as sent: absent is false (podman-remote always sends it).
    dnsEnabled: b.dns_enabled === true,
    labels: b.labels ?? {},
    options: b.options ?? {},
    ipamDriver,
    ipamOptions,
    subnets: (b.subnets ?? []).map((s) => ({ subnet: s.subnet, gateway: s.gateway, leaseRange: s.lease_range ? { start: s.lease_range.start_ip, end: s.lease_range.end_ip } : undefined })),
  };
  sendJson(ctx, 200, podmanNetwork(svc(ctx).create(req)));
}

async function remove(ctx: Ctx): Promise<void> {
  userNetwork(ctx, ctx.params.name);
  const n = await svc(ctx).remove(ctx.params.name, { force: qBool(ctx, 'force') });
  sendJson(ctx, 200, [{ Name: n.name, Err: null }]);
}

async function prune(ctx: Ctx): Promise<void> {
  const r = await svc(ctx).prune(qFilters(ctx));
  sendJson(ctx, 200, r.deleted.map((name) => ({ Name: name, Error: null })));
}

interface ConnectBody {
  container?: string;
  Container?: string;
  aliases?: string[] | null;
  static_ips?: string[] | null;
  static_mac?: string;
  interface_name?: string;
  EndpointConfig?: { Aliases?: string[]; IPAMConfig?: { IPv4Address?: string; IPv6Address?: string } };
}

async function connect(ctx: Ctx): Promise<void> {
  const b = (await readBody<ConnectBody>(ctx, 'NetworkConnectLibpod')) ?? {};
  const container = b.container ?? b.Container;
  if (!container) throw new HttpError(400, 'container is required');
  const ips = b.static_ips ?? [];
  const cfg: EndpointConfig = {
    ...(b.aliases?.length ? { aliases: b.aliases } : b.EndpointConfig?.Aliases?.length ? { aliases: b.EndpointConfig.Aliases } : {}),
    ...(ips.find((ip) => ip.includes('.')) ? { ipv4: ips.find((ip) => ip.includes('.')) } : b.EndpointConfig?.IPAMConfig?.IPv4Address ? { ipv4: b.EndpointConfig.IPAMConfig.IPv4Address } : {}),
    ...(ips.find((ip) => ip.includes(':')) ? { ipv6: ips.find((ip) => ip.includes(':')) } : {}),
    ...(b.static_mac ? { mac: b.static_mac } : {}),
    ...(b.interface_name ? { interfaceName: b.interface_name } : {}),
  };
  await svc(ctx).connect(ctx.params.name, container, cfg);
  noContent(ctx, 200);
}

async function disconnect(ctx: Ctx): Promise<void> {
  const b = (await readBody<{ Container?: string; container?: string; Force?: boolean }>(ctx, 'NetworkDisconnectLibpod')) ?? {};
  const container = b.Container ?? b.container;
  if (!container) throw new HttpError(400, 'Container is required');
  await svc(ctx).disconnect(ctx.params.name, container, !!b.Force);
  noContent(ctx, 200);
}

export const routes: RouteDef[] = [
  { method: 'GET', path: '/libpod/networks/json', handler: list },
  { method: 'POST', path: '/libpod/networks/create', handler: create },
  { method: 'POST', path: '/libpod/networks/prune', handler: prune },
  { method: 'GET', path: '/libpod/networks/:name/json', handler: inspect },
  { method: 'GET', path: '/libpod/networks/:name/exists', handler: exists },
  { method: 'DELETE', path: '/libpod/networks/:name', handler: remove },
  { method: 'POST', path: '/libpod/networks/:name/connect', handler: connect },
  { method: 'POST', path: '/libpod/networks/:name/disconnect', handler: disconnect },
];
