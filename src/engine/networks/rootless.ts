// PLACEHOLDER until rl-net's rootless networking lands (it replaces this file's one function):
// a rootless berth cannot run netavark's bridges from its user namespace, so a container on a
// network (the default one included) gets a network namespace of its own with only loopback,
// as `--network none` does. Published ports cannot be honoured that way and are refused.
import { badParameter } from '../errors.js';
import type { NetworkedContainer, NetworkRunInfo } from '../containers/networking.js';

export async function rootlessNetworkSetup(c: NetworkedContainer): Promise<NetworkRunInfo> {
  const h = c.spec.HostConfig;
  const published = Object.values(h.PortBindings ?? {}).some((b) => b && b.length) || !!h.PublishAllPorts;
  if (published) throw badParameter('rootless berth cannot publish ports yet: its containers on networks get loopback only (use --network host to serve on the host)');
  // No path: the runtime makes a new network namespace (loopback only) for the container.
  return { netnsPath: '', addresses: [], gateway: '', nameservers: [] };
}
