// A container's networking in each layer's words: docker's NetworkSettings (Networks by name,
// Ports with every exposed port, the default network's address at the top) and the Ports of
// `docker ps`; podman's NetworkSettings and the ports of its list.
import type { ContainerView } from '../../engine/containers/types.js';
import type { ContainerEndpoint, ContainerNetworkState, PublishedPort } from '../../engine/networks/types.js';
import { compatName } from '../networks/names.js';

const NO_STATE: ContainerNetworkState = { endpoints: [], ports: [], sandboxKey: '' };

function endpointBody(e: ContainerEndpoint) {
  return {
    IPAMConfig: e.ipamConfig ? { ...(e.ipamConfig.ipv4 ? { IPv4Address: e.ipamConfig.ipv4 } : {}), ...(e.ipamConfig.ipv6 ? { IPv6Address: e.ipamConfig.ipv6 } : {}) } : null,
    Links: e.links.length ? e.links : null,
    Aliases: e.aliases.length ? e.aliases : null,
    NetworkID: e.networkId,
    EndpointID: e.endpointId,
    Gateway: e.gateway,
    IPAddress: e.ipv4,
    IPPrefixLen: e.ipv4PrefixLen,
    IPv6Gateway: e.ipv6Gateway,
    GlobalIPv6Address: e.ipv6,
    GlobalIPv6PrefixLen: e.ipv6PrefixLen,
    MacAddress: e.macAddress,
    DriverOpts: null,
  };
}

/** NetworkSettings.Networks, keyed by docker's network names. */
export function compatNetworks(s: ContainerNetworkState = NO_STATE) {
  return Object.fromEntries(s.endpoints.map((e) => [compatName({ isDefault: e.isDefault, name: e.networkName }), endpointBody(e)]));
}

/** Exposed and bound ports: `"80/tcp": [{HostIp, HostPort}]`, null when exposed only; {} unless it runs. */
export function portMap(v: ContainerView, s: ContainerNetworkState = NO_STATE, podman = false): Record<string, { HostIp: string; HostPort: string }[] | null> {
  const running = v.state === 'running' || v.state === 'paused' || v.state === 'stopping';
  if (!running || !s.sandboxKey) return {};
  const out: Record<string, { HostIp: string; HostPort: string }[] | null> = {};
  const keys = [...Object.keys(v.parsed.Config.ExposedPorts ?? {}), ...Object.keys(v.parsed.HostConfig.PortBindings ?? {})];
  for (const k of keys) out[k.includes('/') ? k : `${k}/tcp`] ??= null;
  for (const p of s.ports) {
    const k = `${p.containerPort}/${p.protocol}`;
    (out[k] ??= []).push({ HostIp: p.hostIp || (podman ? '' : '0.0.0.0'), HostPort: String(p.hostPort) });
  }
  return out;
}

export function compatNetworkSettings(v: ContainerView, s: ContainerNetworkState = NO_STATE) {
  const def = s.endpoints.find((e) => e.isDefault);
  return {
    Bridge: '',
    SandboxID: s.sandboxKey ? s.endpoints[0]?.endpointId ?? '' : '',
    HairpinMode: false,
    LinkLocalIPv6Address: '',
    LinkLocalIPv6PrefixLen: 0,
    Ports: portMap(v, s),
    SandboxKey: s.sandboxKey,
    SecondaryIPAddresses: null,
    SecondaryIPv6Addresses: null,
    EndpointID: def?.endpointId ?? '',
    Gateway: def?.gateway ?? '',
    GlobalIPv6Address: def?.ipv6 ?? '',
    GlobalIPv6PrefixLen: def?.ipv6PrefixLen ?? 0,
    IPAddress: def?.ipv4 ?? '',
    IPPrefixLen: def?.ipv4PrefixLen ?? 0,
    IPv6Gateway: def?.ipv6Gateway ?? '',
    MacAddress: def?.macAddress ?? '',
    Networks: compatNetworks(s),
  };
}

/** `docker ps`'s Ports: every exposed port, with its host side when published. */
export function compatPortList(v: ContainerView, s: ContainerNetworkState = NO_STATE) {
  const out: { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }[] = [];
  const bound = new Set<string>();
  for (const p of s.ports) {
    out.push({ IP: p.hostIp || '0.0.0.0', PrivatePort: p.containerPort, PublicPort: p.hostPort, Type: p.protocol });
    bound.add(`${p.containerPort}/${p.protocol}`);
  }
  for (const k of Object.keys(v.parsed.Config.ExposedPorts ?? {})) {
    const [port, proto = 'tcp'] = k.split('/');
    if (!bound.has(`${port}/${proto}`)) out.push({ PrivatePort: Number(port), Type: proto });
  }
  return out;
}

/** podman's NetworkSettings: the first network's address at the top, Networks by podman's names. */
export function podmanNetworkSettings(v: ContainerView, s: ContainerNetworkState = NO_STATE) {
  const first = s.endpoints[0];
  return {
    EndpointID: first?.endpointId ?? '',
    Gateway: first?.gateway ?? '',
    IPAddress: first?.ipv4 ?? '',
    IPPrefixLen: first?.ipv4PrefixLen ?? 0,
    IPv6Gateway: first?.ipv6Gateway ?? '',
    GlobalIPv6Address: first?.ipv6 ?? '',
    GlobalIPv6PrefixLen: first?.ipv6PrefixLen ?? 0,
    MacAddress: first?.macAddress ?? '',
    Bridge: '',
    SandboxID: '',
    HairpinMode: false,
    LinkLocalIPv6Address: '',
    LinkLocalIPv6PrefixLen: 0,
    Ports: portMap(v, s, true),
    SandboxKey: s.sandboxKey,
    ...(first && first.networkName !== 'host' && first.networkName !== 'none'
      ? { Networks: Object.fromEntries(s.endpoints.map((e) => [e.networkName, endpointBody(e)])) }
      : {}),
  };
}

/** podman's list: the network names and the published ports in its port-mapping shape. */
export function podmanPorts(ports: PublishedPort[]) {
  return ports.map((p) => ({ host_ip: p.hostIp, container_port: p.containerPort, host_port: p.hostPort, range: 1, protocol: p.protocol }));
}
