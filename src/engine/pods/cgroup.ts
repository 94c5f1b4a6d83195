// A pod's cgroup: with share_parent (the default) its containers' cgroups sit under one made for
// the pod, and the pod's resource limits are written there, so they bound the pod as a whole (as
// podman's pod cgroup does). Made (again) before any of its containers starts — cgroups do not
// survive a reboot — and removed with the pod.
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { cgroupDirsOfPath, removeCgroup } from '../containers/cgroup.js';
import type { PodConfig, PodResources } from './types.js';
import { isRootless } from '../../config/rootless.js';
import { cgroupFacts, rootlessLimitsWarning, type CgroupFacts } from '../../oci/cgroup-delegation.js';

export const podCgroupPath = (podId: string, parent: string): string => `${parent || '/berth'}/berth-pod-${podId}`;

function write(dir: string, file: string, value: number | string): void {
  const f = join(dir, file);
  // A controller the kernel lacks (memsw without swap accounting) is no limit to set.
  if (existsSync(f)) writeFileSync(f, String(value));
}

/**
 * Rootless, a pod's limits are applied only where they fall to its infra container in a delegated
 * cgroup tree (share_parent off): berth makes no pod cgroup of its own there. Elsewhere they are
 * dropped, as podman ignores them on a cgroup v1 host, and this says which and why.
 */
export function rootlessPodLimitsWarning(c: Pick<PodConfig, 'resources' | 'shareParent' | 'infra'>, rootless = isRootless(), f?: CgroupFacts): string | undefined {
  if (!rootless) return undefined;
  const r = c.resources;
  const asked = { Memory: r.memory, MemorySwap: r.memorySwap, CpuShares: r.cpuShares, CpuQuota: r.cpuQuota, CpuPeriod: r.cpuPeriod, CpusetCpus: r.cpusetCpus, BlkioWeight: r.blkioWeight };
  const facts = f ?? cgroupFacts();
  if (facts.delegated && !(c.shareParent && c.infra)) return undefined;
  if (!facts.delegated) return rootlessLimitsWarning(asked, facts)?.replace('the container runs', 'the pod runs');
  const named = Object.entries(asked).filter(([, v]) => (typeof v === 'number' ? v > 0 : !!v)).map(([k]) => k);
  return named.length ? `Pod resource limits (${named.join(', ')}) are not applied: rootless berth makes no pod cgroup; set the limits on the pod's containers or create the pod with --share-parent=false` : undefined;
}

/** Makes the pod's cgroup in the memory and cpu hierarchies and writes its limits; idempotent. */
export function preparePodCgroup(path: string, r: PodResources): void {
  // Rootless, no cgroup is berth's to make (a delegated tree holds its containers directly).
  if (isRootless()) return;
  const d = cgroupDirsOfPath(path);
  const mem = d.v1.memory;
  const cpu = d.v1.cpu;
  if (mem || cpu) {
    // cgroup v1 (these machines' hybrid layout): one hierarchy per controller.
    if (mem) {
      mkdirSync(mem, { recursive: true });
      if (r.memory) write(mem, 'memory.limit_in_bytes', r.memory);
      if (r.memory && r.memorySwap) write(mem, 'memory.memsw.limit_in_bytes', r.memorySwap < 0 ? -1 : r.memorySwap);
    }
    if (cpu) {
      mkdirSync(cpu, { recursive: true });
      if (r.cpuShares) write(cpu, 'cpu.shares', r.cpuShares);
      if (r.cpuPeriod) write(cpu, 'cpu.cfs_period_us', r.cpuPeriod);
      if (r.cpuQuota) write(cpu, 'cpu.cfs_quota_us', r.cpuQuota);
    }
    return;
  }
  if (!d.v2) return;
  mkdirSync(d.v2, { recursive: true });
  if (r.memory) write(d.v2, 'memory.max', r.memory);
  if (r.memory && r.memorySwap) write(d.v2, 'memory.swap.max', r.memorySwap < 0 ? 'max' : Math.max(0, r.memorySwap - r.memory));
  if (r.cpuQuota) write(d.v2, 'cpu.max', `${r.cpuQuota} ${r.cpuPeriod || 100000}`);
  // cgroup v2's weight from v1's shares (runc's conversion).
  if (r.cpuShares) write(d.v2, 'cpu.weight', Math.round(1 + ((r.cpuShares - 2) * 9999) / 262142));
}

export function removePodCgroup(path: string): void {
  removeCgroup(path);
}
