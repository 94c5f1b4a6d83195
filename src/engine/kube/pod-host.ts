// What holds a played pod's shared settings (network, published ports, hosts, hostname).
import type { CreateRequest } from '../containers/types.js';
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
  /**
   * Makes what holds the pod's settings. `join` turns a planned container into its create request
   * (`holder`: the first of the pod's containers made, when there is no pod to join).
   */
  create(p: PodPlan): Promise<{ podId?: string; join(c: ContainerPlan, holder?: string): CreateRequest }>;
  start(podId: string): Promise<void>;
  /** Stops and removes the pod with its containers; resolves with their IDs. */
  remove(podId: string): Promise<string[]>;
}

/** The network a pod's settings ask for: a mode, or networks with the pod's address on the first. */
export function networkOf(net: PodNet): Pick<CreateRequest, 'endpoints'> & { mode?: string } {
  if (net.hostNetwork) return { mode: 'host' };
  const [first, ...rest] = net.networks;
  if (!first) return net.staticIP || net.staticMAC ? { endpoints: {} } : {};
  if (['host', 'none', 'bridge'].includes(first) || first.startsWith('container:')) return { mode: first === 'bridge' ? undefined : first };
  const endpoints: NonNullable<CreateRequest['endpoints']> = { [first]: { ...(net.staticIP ? { ipv4: net.staticIP } : {}), ...(net.staticMAC ? { mac: net.staticMAC } : {}) } };
  for (const n of rest) endpoints[n] = {};
  return { mode: first, endpoints };
}

/**
 * Until pods exist: the pod's first container holds its network and ports, the others join that
 * container's network namespace (so they reach each other on localhost, as in a pod).
 */
export const containerPodHost: PodHost = {
  find: () => undefined,
  async create(p) {
    const net = networkOf(p.net);
    return {
      join(c, holder) {
        const r: CreateRequest = { ...c.create, config: { ...c.create.config }, hostConfig: { ...c.create.hostConfig } };
        if (p.net.hostname) r.config.Hostname = p.net.hostname;
        if (holder && !c.init) {
          r.hostConfig!.NetworkMode = `container:${holder}`;
          return r;
        }
        if (net.mode) r.hostConfig!.NetworkMode = net.mode;
        if (net.endpoints && Object.keys(net.endpoints).length) r.endpoints = net.endpoints;
        if (p.net.extraHosts.length) r.hostConfig!.ExtraHosts = p.net.extraHosts;
        if (!c.init) {
          r.hostConfig!.PortBindings = p.net.portBindings;
          r.config.ExposedPorts = Object.fromEntries(p.net.exposed.map((k) => [k, {}]));
        }
        return r;
      },
    };
  },
  start: async () => undefined,
  remove: async () => [],
};
