import { badParameter, conflict } from '../errors.js';
import { validateResources, validateRestartPolicy } from './create.js';
import { runtimeResources, verifyResources, type RuntimeResources } from './resources.js';
import { checkUpdatableLimits, clampCpuShares } from './config-checks.js';
import type { HostConfig, RestartPolicy } from './types.js';
import { isRootless } from '../../config/rootless.js';
import { rootlessLimitsWarning } from '../../oci/cgroup-delegation.js';

/** The fields `update` changes, each kept unless the request gives a non-zero value (dockerd's rule). */
const UPDATABLE = [
  'BlkioWeight', 'CpuShares', 'NanoCpus', 'CpuPeriod', 'CpuQuota', 'CpusetCpus', 'CpusetMems', 'Memory', 'MemorySwap',
  'MemoryReservation', 'KernelMemory', 'CpuRealtimePeriod', 'CpuRealtimeRuntime',
] as const;

export interface UpdatePlan {
  hostConfig: HostConfig;
  /** What `runc update --resources` applies to a live container; undefined when nothing changes. */
  runtime: RuntimeResources | undefined;
  warnings: string[];
}

/**
 * docker's `update` (container.UpdateContainer): the new HostConfig to store and the resources
 * that apply it to a live container. Zero or absent fields mean "unchanged"; PidsLimit changes
 * whenever given.
 */
export function planUpdate(id: string, current: HostConfig, u: Partial<HostConfig>): UpdatePlan {
  validateResources(u);
  checkUpdatableLimits(u);
  const req: Partial<HostConfig> = { ...u };
  const warnings = verifyResources(req, true, current.CgroupParent);
  const shares = clampCpuShares(req);
  if (shares) warnings.push(shares);
  const cur = current;
  // dockerd names the container in the errors of the update itself (not of the checks above).
  const refused = (msg: string) => conflict(`Cannot update container ${id}: ${msg}`);
  const set = (v: unknown) => v !== undefined && v !== null && v !== 0 && v !== '';
  if (set(req.NanoCpus) && set(cur.CpuPeriod)) throw refused('Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set');
  if (set(req.NanoCpus) && set(cur.CpuQuota)) throw refused('Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set');
  if (set(req.CpuPeriod) && set(cur.NanoCpus)) throw refused('Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set');
  if (set(req.CpuQuota) && set(cur.NanoCpus)) throw refused('Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set');
  if (set(req.Memory) && (req.Memory as number) > (cur.MemorySwap ?? 0) && !set(req.MemorySwap)) {
    throw refused('Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time');
  }
  const h: HostConfig = { ...cur };
  const rec = h as unknown as Record<string, unknown>;
  let changed = false;
  for (const k of UPDATABLE) {
    if (!set(req[k])) continue;
    rec[k] = req[k];
    changed = true;
  }
  if (req.PidsLimit !== undefined && req.PidsLimit !== null) {
    // dockerd stores 0 for "unlimited", whichever of 0 or a negative value asked for it.
    h.PidsLimit = req.PidsLimit <= 0 ? 0 : req.PidsLimit;
    changed = true;
  }
  // The merged limits must still hold together (a new swap below the kept memory...).
  if (h.Memory > 0 && h.MemorySwap > 0 && h.MemorySwap < h.Memory) throw badParameter('Minimum memoryswap limit should be larger than memory limit, see usage');
  if (h.Memory > 0 && h.MemoryReservation > 0 && h.Memory < h.MemoryReservation) {
    throw badParameter('Minimum memory limit can not be less than memory reservation limit, see usage');
  }
  if (u.RestartPolicy && u.RestartPolicy.Name) {
    if (cur.AutoRemove && u.RestartPolicy.Name !== 'no') throw refused('Restart policy cannot be updated because AutoRemove is enabled for the container');
    h.RestartPolicy = validateRestartPolicy(u.RestartPolicy as RestartPolicy, false);
  }
  // Rootless without a delegated cgroup tree the new limits are stored but cannot be applied.
  const unapplied = changed && isRootless() ? rootlessLimitsWarning(req as unknown as Record<string, unknown>) : undefined;
  if (unapplied) return { hostConfig: h, runtime: undefined, warnings: [...warnings, unapplied] };
  return { hostConfig: h, runtime: changed ? runtimeResources(req) : undefined, warnings };
}
