// A container's /etc/hosts, /etc/hostname and /etc/resolv.conf from its config and what its
// networks' setup answered: written at each start, and again when a network is connected to or
// disconnected from the running container (in place: the bind mounts see the new text).
import type { NetworkRunInfo } from './networking.js';
import { writeEtcFiles } from './rootfs.js';
import type { ContainerView } from './types.js';

/** `linkHosts`: the entries of its links, as ExtraHosts entries ("names:ip"). */
export function writeContainerEtc(v: Pick<ContainerView, 'parsed' | 'dirs'>, net?: NetworkRunInfo, linkHosts: string[] = []): { hosts: string; hostname: string; resolv: string } {
  const { Config: c, HostConfig: h } = v.parsed;
  return writeEtcFiles(v.dirs, {
    hostname: c.Hostname,
    domainname: c.Domainname,
    hostNetwork: h.NetworkMode === 'host',
    extraHosts: [...linkHosts, ...(h.ExtraHosts ?? [])],
    dns: h.Dns ?? [],
    dnsSearch: h.DnsSearch ?? [],
    dnsOptions: h.DnsOptions ?? [],
    addresses: net?.addresses ?? [],
    nameservers: net?.nameservers ?? [],
    gateway: net?.gateway ?? '',
  });
}
