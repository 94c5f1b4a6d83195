// What a rootless berth may do with cgroups. Inside its user namespace berth is uid 0 but owns no
// cgroup unless systemd delegated a cgroup v2 subtree to the user (user@UID.service with
// Delegate=yes): there runc can make the containers' cgroups and apply limits. Elsewhere (cgroup
// v1, or v2 without delegation) nothing can be written: containers run without limits.
import { accessSync, constants, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CgroupFacts {
  /** 1 for v1 or the hybrid layout (the controllers are on v1 hierarchies), 2 for unified. */
  version: 1 | 2;
  /** The delegated v2 subtree berth's containers go under (absolute, as runc's cgroupsPath), if any. */
  delegated?: { path: string; controllers: string[] };
}

let cached: CgroupFacts | undefined;

/** Detected once: the service's own cgroup does not change while it runs. */
export function cgroupFacts(): CgroupFacts {
  return (cached ??= detect());
}

function detect(): CgroupFacts {
  let unified = false;
  try {
    unified = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .some((l) => / \/sys\/fs\/cgroup [^ ]* .*- cgroup2 /.test(l));
  } catch {
    /* not Linux */
  }
  if (!unified) return { version: 1 };
  return { version: 2, delegated: delegatedSubtree(readText('/proc/self/cgroup'), '/sys/fs/cgroup') };
}

function readText(f: string): string {
  try {
    return readFileSync(f, 'utf8');
  } catch {
    return '';
  }
}

/**
 * The delegated subtree: the v2 cgroup this process is in (`0::/path` of /proc/self/cgroup),
 * when its directory and cgroup.procs are writable by us and it hands controllers down
 * (cgroup.subtree_control). Pure apart from the access checks, for the tests.
 */
export function delegatedSubtree(procCgroup: string, mount: string): CgroupFacts['delegated'] {
  const line = procCgroup.split('\n').find((l) => l.startsWith('0::'));
  if (!line) return undefined;
  const own = line.slice(3).trim();
  // The service sits in a leaf (a process may not live in a cgroup with children and
  // controllers): its parent is the subtree it may populate, as podman uses user.slice's.
  const parent = own.replace(/\/[^/]*$/, '') || '/';
  for (const rel of [own, parent]) {
    const dir = join(mount, rel);
    try {
      accessSync(dir, constants.W_OK);
      accessSync(join(dir, 'cgroup.procs'), constants.W_OK);
    } catch {
      continue;
    }
    const controllers = readText(join(dir, 'cgroup.subtree_control')).trim().split(/\s+/).filter(Boolean);
    if (controllers.length) return { path: rel, controllers };
  }
  return undefined;
}

/** How /info names the situation: "none" when no cgroup is ours. */
export function delegationSummary(f: CgroupFacts = cgroupFacts()): string {
  return f.delegated ? `${f.delegated.path} (${f.delegated.controllers.join(' ')})` : 'none';
}

/** The limits a create asks for, by the names docker's flags use. */
export function requestedLimits(h: Record<string, unknown>): string[] {
  const n = (k: string) => typeof h[k] === 'number' && (h[k] as number) > 0;
  const out: string[] = [];
  if (n('Memory') || n('MemoryReservation') || n('MemorySwap')) out.push('memory');
  if (n('NanoCpus') || n('CpuQuota') || n('CpuPeriod') || n('CpuShares')) out.push('cpus');
  if (typeof h.CpusetCpus === 'string' && h.CpusetCpus) out.push('cpuset');
  if (n('PidsLimit')) out.push('pids');
  if (n('BlkioWeight') || (Array.isArray(h.BlkioWeightDevice) && h.BlkioWeightDevice.length)) out.push('blkio');
  for (const k of ['BlkioDeviceReadBps', 'BlkioDeviceWriteBps', 'BlkioDeviceReadIOps', 'BlkioDeviceWriteIOps']) {
    if (Array.isArray(h[k]) && (h[k] as unknown[]).length && !out.includes('blkio')) out.push('blkio');
  }
  return out;
}

/** The create warning for limits a rootless berth cannot apply here; undefined when none asked. */
export function rootlessLimitsWarning(h: Record<string, unknown>, f: CgroupFacts = cgroupFacts()): string | undefined {
  if (f.delegated) return undefined;
  const asked = requestedLimits(h);
  if (!asked.length) return undefined;
  const why = f.version === 1 ? 'the host uses cgroup v1, where an unprivileged user cannot be given cgroups' : 'systemd has delegated no cgroup v2 subtree to this user';
  return `Resource limits (${asked.join(', ')}) are not applied: rootless berth cannot set cgroup limits because ${why}; the container runs without them`;
}
