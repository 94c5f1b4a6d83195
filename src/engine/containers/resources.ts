// Resource limits as dockerd checks them (verifyPlatformContainerResources) and as `runc update`
// takes them: what the host cannot do is dropped with a warning, what it could but the request
// gets wrong is a 400, both at create and at update.
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { badParameter } from '../errors.js';
import type { HostConfig } from './types.js';

const MIN_MEMORY = 6 * 1024 * 1024;

/** The cgroup facts the checks need, read once (tests pass their own). */
export interface HostCgroups {
  cpus: string;
  mems: string;
  blkioWeight: boolean;
  cpuRealtime: boolean;
  blkioWeightDevice: boolean;
  oomKillDisable: boolean;
  /** The real-time runtime (µs) a parent cgroup can hand out; 0 for one not made yet. */
  rtBudget(parent: string): number;
}

let cached: HostCgroups | undefined;

function readFirst(paths: string[]): string | undefined {
  for (const p of paths) {
    try {
      return readFileSync(p, 'utf8').trim();
    } catch {
      /* next */
    }
  }
  return undefined;
}

export function hostCgroups(): HostCgroups {
  if (cached) return cached;
  const cg = '/sys/fs/cgroup';
  return (cached = {
    cpus: readFirst([`${cg}/cpuset/cpuset.cpus`, `${cg}/cpuset.cpus.effective`]) ?? `0-${availableParallelism() - 1}`,
    mems: readFirst([`${cg}/cpuset/cpuset.mems`, `${cg}/cpuset.mems.effective`]) ?? '0',
    // CFQ's blkio.weight, or BFQ's; v2's io.weight. Neither exists with the mq-deadline/none schedulers.
    blkioWeight: [`${cg}/blkio/blkio.weight`, `${cg}/blkio/blkio.bfq.weight`, `${cg}/io.weight`, `${cg}/io.bfq.weight`].some((p) => existsSync(p)),
    blkioWeightDevice: [`${cg}/blkio/blkio.weight_device`, `${cg}/io.weight`].some((p) => existsSync(p)),
    // cgroup v2 has no switch for the OOM killer.
    oomKillDisable: existsSync(`${cg}/memory/memory.oom_control`),
    cpuRealtime: existsSync(`${cg}/cpu/cpu.rt_runtime_us`),
    rtBudget: (parent) => Number(readFirst([`${cg}/cpu${parent}/cpu.rt_runtime_us`]) ?? 0) || 0,
  });
}

/** docker's cpuset list syntax ("0-2,5"); throws on a malformed one. */
export function parseCpuList(val: string, maximum = 0): Set<number> {
  const out = new Set<number>();
  if (val === '') return out;
  const bad = new Error(`invalid format: ${val}`);
  const num = (s: string) => {
    if (!/^\d+$/.test(s)) throw bad;
    const n = Number(s);
    if (maximum && n > maximum) throw new Error(`value of out range, maximum is ${maximum}`);
    return n;
  };
  for (const r of val.split(',')) {
    const i = r.indexOf('-');
    if (i < 0) {
      out.add(num(r));
      continue;
    }
    const lo = num(r.slice(0, i));
    const hi = num(r.slice(i + 1));
    if (hi < lo) throw bad;
    for (let n = lo; n <= hi; n++) out.add(n);
  }
  return out;
}

function checkCpuset(requested: string | undefined, available: string, what: 'cpus' | 'mems'): void {
  if (!requested) return;
  const have = parseCpuList(available);
  let want: Set<number>;
  try {
    want = parseCpuList(requested, Math.max(8192, ...have));
  } catch (e) {
    throw badParameter(`Invalid value ${requested} for cpuset ${what}: ${(e as Error).message}`);
  }
  for (const n of want) {
    if (!have.has(n)) {
      const label = what === 'cpus' ? 'CPUs' : 'memory nodes';
      throw badParameter(`Requested ${label} are not available - requested ${requested}, available: ${available}`);
    }
  }
}

/**
 * dockerd's checks of the resource fields (for create and update alike, `update` relaxing what
 * only makes sense for a new container). Fields the host cannot apply are zeroed in `r`, each
 * with dockerd's warning; returns the warnings.
 */
export function verifyResources(r: Partial<HostConfig>, update: boolean, cgroupParent = '', host: HostCgroups = hostCgroups()): string[] {
  const warnings: string[] = [];
  const n = (v: unknown) => (typeof v === 'number' ? v : 0);
  const memory = n(r.Memory);
  const swap = n(r.MemorySwap);
  if (memory === 0 && swap > 0 && !update) throw badParameter('You should always set the Memory limit when using Memoryswap limit, see usage');
  const reservation = n(r.MemoryReservation);
  if (reservation > 0 && reservation < MIN_MEMORY) throw badParameter('Minimum memory reservation allowed is 6MB');
  if (memory > 0 && reservation > 0 && memory < reservation) throw badParameter('Minimum memory limit can not be less than memory reservation limit, see usage');
  const swappiness = r.MemorySwappiness;
  if (swappiness !== undefined && swappiness !== null && swappiness !== -1) {
    if (typeof swappiness !== 'number' || !Number.isInteger(swappiness) || swappiness < 0 || swappiness > 100) {
      throw badParameter(`Invalid value: ${String(swappiness).slice(0, 20)}, valid memory swappiness range is 0-100`);
    }
  }
  if (r.OomKillDisable && !host.oomKillDisable) {
    warnings.push('Your kernel does not support OomKillDisable. OomKillDisable discarded.');
    r.OomKillDisable = false;
  }
  if (r.OomKillDisable && memory === 0) warnings.push('OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.');
  if (r.BlkioWeightDevice?.length && !host.blkioWeightDevice) {
    warnings.push('Your kernel does not support Block I/O weight_device or the cgroup is not mounted. Weight-device discarded.');
    r.BlkioWeightDevice = [];
  }
  const kernel = n(r.KernelMemory);
  if (kernel < 0) throw badParameter(`invalid KernelMemory: ${kernel}`);
  if (kernel > 0) {
    // runc ignores it (kmem limits are deprecated since kernel 5.4), as dockerd warns.
    warnings.push('Specifying a kernel memory limit is deprecated and will be removed in a future release.');
    if (kernel < MIN_MEMORY) throw badParameter('Minimum kernel memory limit allowed is 6MB');
  }
  if (n(r.NanoCpus) > 0 && n(r.CpuQuota) > 0) throw badParameter('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  const cpus = parseCpuList(host.cpus).size || availableParallelism();
  if (n(r.NanoCpus) > cpus * 1e9) throw badParameter(`Range of CPUs is from 0.01 to ${cpus}.00, as there are only ${cpus} CPUs available`);
  const period = n(r.CpuPeriod);
  if (period !== 0 && (period < 1000 || period > 1_000_000)) throw badParameter('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  const quota = n(r.CpuQuota);
  if (quota > 0 && quota < 1000) throw badParameter('CPU cfs quota can not be less than 1ms (i.e. 1000)');
  checkCpuset(r.CpusetCpus, host.cpus, 'cpus');
  checkCpuset(r.CpusetMems, host.mems, 'mems');
  const rtPeriod = n(r.CpuRealtimePeriod);
  const rtRuntime = n(r.CpuRealtimeRuntime);
  if (rtPeriod < 0 || rtRuntime < 0) throw badParameter('cpu real-time period and runtime cannot be negative');
  if ((rtPeriod || rtRuntime) && !host.cpuRealtime) throw badParameter('Your kernel does not support CPU real-time scheduler');
  if (rtPeriod && rtRuntime && rtRuntime > rtPeriod) throw badParameter('cpu real-time runtime cannot be higher than cpu real-time period');
  // The kernel refuses a child more real-time runtime than its parent has (dockerd needs its
  // --cpu-rt-runtime for that); said here rather than as the runtime's write error.
  const parent = typeof cgroupParent === 'string' && cgroupParent ? cgroupParent : '/berth';
  if (rtRuntime > 0 && rtRuntime > host.rtBudget(parent.startsWith('/') ? parent : `/${parent}`)) {
    throw badParameter(`cpu real-time runtime ${rtRuntime} is more than the cgroup ${parent} may hand out (its cpu.rt_runtime_us)`);
  }
  const weight = n(r.BlkioWeight);
  if (weight > 0 && !host.blkioWeight) {
    warnings.push('Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.');
    r.BlkioWeight = 0;
  } else if (weight !== 0 && (weight < 10 || weight > 1000)) {
    throw badParameter('Range of blkio weight is from 10 to 1000');
  }
  return warnings;
}

/** The `runc update --resources` document (OCI LinuxResources): zeros leave a value as it is. */
export interface RuntimeResources {
  memory: { limit: number; reservation: number; swap: number; kernel: number };
  cpu: { shares: number; quota: number; period: number; realtimeRuntime: number; realtimePeriod: number; cpus: string; mems: string };
  blockIO: { weight: number };
  pids: { limit: number };
}

/**
 * dockerd's toContainerdResources: the request's own values (not the merged config), NanoCpus as
 * a 100 ms period with its quota, a PidsLimit of 0 or less as unlimited.
 */
export function runtimeResources(u: Partial<HostConfig>): RuntimeResources {
  const n = (v: unknown) => (typeof v === 'number' ? v : 0);
  let period = 0;
  let quota = 0;
  if (n(u.NanoCpus)) {
    period = 100_000;
    quota = Math.floor((n(u.NanoCpus) * period) / 1e9);
  }
  if (quota === 0) quota = n(u.CpuQuota);
  if (period === 0) period = n(u.CpuPeriod);
  const pids = u.PidsLimit === undefined || u.PidsLimit === null ? 0 : u.PidsLimit <= 0 ? -1 : u.PidsLimit;
  return {
    memory: { limit: n(u.Memory), reservation: n(u.MemoryReservation), swap: n(u.MemorySwap), kernel: 0 },
    cpu: {
      shares: n(u.CpuShares), quota, period, realtimeRuntime: n(u.CpuRealtimeRuntime), realtimePeriod: n(u.CpuRealtimePeriod),
      cpus: u.CpusetCpus ?? '', mems: u.CpusetMems ?? '',
    },
    blockIO: { weight: n(u.BlkioWeight) },
    pids: { limit: pids },
  };
}
