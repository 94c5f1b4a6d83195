// What holds a played pod's shared settings (network, published ports, hosts, hostname).
import type { CreateRequest } from '../containers/types.js';
import type { PodsPort } from '../pods/port.js';
import type { ContainerPlan, PodNet, PodPlan } from './play-map.js';

export interface PodInfo {
  id: string;
  name: string;
  /** Its containers but the infra one, oldest first. */
  containers: string[];
  hostname?: string;
  portBindings: Record<string, { HostIp: string; HostPort: string }[]>;
  hostNetwork: boolean;
  extraHosts: string[];
  labels: Record<string, string>;
}

export interface PodHost {
  find(ref: string): PodInfo | undefined;
  /** Makes the pod with its shared settings; `join` turns a planned container into its create request as a member. */
  create(p: PodPlan): Promise<{ podId: string; join(c: ContainerPlan): CreateRequest }>;
  /** Stops and removes the pod with its containers; resolves with their IDs. */
  remove(podId: string): Promise<string[]>;
}

/** The network a pod's settings ask for: a mode, or networks with the pod's address on the first. */
export function networkOf(net: PodNet): Pick<CreateRequest, 'endpoints'> & { mode?: string } {
  if (net.hostNetwork) return { mode: 'host' };
  const [first, ...rest] = net.networks;
  const own = { ...(net.staticIP ? { ipv4: net.staticIP } : {}), ...(net.staticMAC ? { mac: net.staticMAC } : {}) };
  // No network named (or podman's `bridge`): the default one, with the pod's address if it has one.
  if (!first || first === 'bridge') return Object.keys(own).length ? { endpoints: { default: own } } : {};
  if (['host', 'none'].includes(first) || first.startsWith('container:')) return { mode: first };
  const endpoints: NonNullable<CreateRequest['endpoints']> = { [first]: own };
  for (const n of rest) endpoints[n] = {};
  return { mode: first, endpoints };
}

/** Pods of the pod engine: its infra container holds the network, ports, hosts and hostname. */
export function podsPodHost(pods: () => PodsPort): PodHost {
  return {
    find(ref) {
      const p = pods().find(ref);
      if (!p) return undefined;
      const n = p.config.network;
      return {
        id: p.id,
        name: p.name,
        containers: p.members.filter((m) => !m.infra).map((m) => m.id),
        // A pod's hostname is its name unless it was given one.
        hostname: p.config.hostname && p.config.hostname !== p.name ? p.config.hostname : undefined,
        portBindings: n.portBindings ?? {},
        hostNetwork: n.mode === 'host',
        extraHosts: n.extraHosts ?? [],
        labels: p.config.labels ?? {},
      };
    },
    async create(p) {
      const net = networkOf(p.net);
      const { id } = await pods().create({
        name: p.name,
        labels: p.labels,
        ...(p.net.hostname ? { hostname: p.net.hostname } : {}),
        network: {
          ...(net.mode ? { mode: net.mode } : {}),
          ...(net.endpoints ? { endpoints: net.endpoints } : {}),
          portBindings: p.net.portBindings,
          extraHosts: p.net.extraHosts,
        },
      });
      return { podId: id, join: (c) => ({ ...c.create, pod: id }) };
    },
    async remove(podId) {
      return (await pods().remove(podId, { force: true })).removed;
    },
  };
}
