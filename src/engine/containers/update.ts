import { validateResources, validateRestartPolicy } from './create.js';
import type { HostConfig, RestartPolicy } from './types.js';

const RESOURCE_FLAGS = {
  Memory: '--memory',
  MemorySwap: '--memory-swap',
  MemoryReservation: '--memory-reservation',
  CpuShares: '--cpu-shares',
  CpuPeriod: '--cpu-period',
  CpuQuota: '--cpu-quota',
  CpusetCpus: '--cpuset-cpus',
  PidsLimit: '--pids-limit',
  NanoCpus: '',
} as const;

/**
 * docker's `update`: the new HostConfig to store and the `runtime update` flags that apply it
 * to a running container. Zero/absent fields mean "unchanged", as in docker.
 */
export function planUpdate(current: HostConfig, u: Partial<HostConfig>): { hostConfig: HostConfig; runtimeFlags: string[] } {
  validateResources(u);
  const h: HostConfig = { ...current };
  if (u.RestartPolicy && (u.RestartPolicy.Name || u.RestartPolicy.MaximumRetryCount)) {
    h.RestartPolicy = validateRestartPolicy(u.RestartPolicy as RestartPolicy, h.AutoRemove);
    if (h.RestartPolicy.Name === '') h.RestartPolicy.Name = 'no';
  }
  const flags: string[] = [];
  const rec = h as unknown as Record<string, unknown>;
  for (const k of Object.keys(RESOURCE_FLAGS) as (keyof typeof RESOURCE_FLAGS)[]) {
    const val = u[k];
    if (val === undefined || val === null || val === 0 || val === '') continue;
    rec[k] = val;
    if (k === 'NanoCpus') flags.push('--cpu-period', '100000', '--cpu-quota', String(Math.round((Number(val) / 1e9) * 100000)));
    else flags.push(RESOURCE_FLAGS[k], String(val));
  }
  // docker keeps swap at twice the memory unless told otherwise.
  if (h.Memory && !u.MemorySwap && u.Memory && (!h.MemorySwap || h.MemorySwap < h.Memory)) {
    h.MemorySwap = h.Memory * 2;
    flags.push('--memory-swap', String(h.MemorySwap));
  }
  return { hostConfig: h, runtimeFlags: flags };
}
