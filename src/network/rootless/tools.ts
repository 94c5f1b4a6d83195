// What connects a rootless berth's networks to the host: pasta (Debian `passt`), preferred as
// podman 5 prefers it, or slirp4netns; containers.conf's default_rootless_network_cmd chooses.
// Both need the tun device, which udev makes world-usable on a normal host but a bare /dev may not.
import { accessSync, constants, readFileSync } from 'node:fs';
import { findBinary } from '../../oci/binaries.js';

export type RootlessNetworkCmd = 'pasta' | 'slirp4netns';

export const PACKAGE_OF: Record<RootlessNetworkCmd, string> = { pasta: 'passt', slirp4netns: 'slirp4netns' };

export class RootlessNetworkError extends Error {}

export interface ConnectorChoice {
  cmd: RootlessNetworkCmd;
  path: string;
}

/** The configured command when given (it must be installed), else pasta, else slirp4netns. */
export function chooseConnector(configured: string | undefined, find: (name: string) => string | undefined = findBinary): ConnectorChoice {
  const order: RootlessNetworkCmd[] = configured === 'slirp4netns' ? ['slirp4netns'] : configured === 'pasta' ? ['pasta'] : ['pasta', 'slirp4netns'];
  for (const cmd of order) {
    const path = find(cmd);
    if (path) return { cmd, path };
  }
  const wanted = order.map((c) => `${c} (Debian package ${PACKAGE_OF[c]})`).join(' or ');
  throw new RootlessNetworkError(`rootless networking needs ${wanted}, and it is not installed`);
}

/** The name /info shows before anything is chosen: what a container would get. */
export function preferredConnector(configured: string | undefined): RootlessNetworkCmd {
  try {
    return chooseConnector(configured).cmd;
  } catch {
    return configured === 'slirp4netns' ? 'slirp4netns' : 'pasta';
  }
}

/** pasta and slirp4netns open /dev/net/tun in the user namespace: it must be usable by the user. */
export function checkTun(path = '/dev/net/tun'): void {
  try {
    accessSync(path, constants.R_OK | constants.W_OK);
  } catch {
    throw new RootlessNetworkError(`rootless networking needs ${path} readable and writable by the user (mode 0666, as udev makes it; as root: chmod 0666 ${path})`);
  }
}

/** The lowest port an unprivileged process may bind in the host's namespace. */
export function unprivilegedPortStart(): number {
  try {
    const n = Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim());
    return Number.isInteger(n) ? n : 1024;
  } catch {
    return 1024;
  }
}
