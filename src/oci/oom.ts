import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Whether the kernel OOM-killed a process in the container's cgroup. conmon's own detection
 * misses nested hosts whose /proc/PID/cgroup paths are relative to another cgroup namespace;
 * the counters stay readable until `runtime delete` removes the cgroup.
 */
export function cgroupOomKilled(cgroupsPath: string, root = '/sys/fs/cgroup'): boolean {
  const files = [
    join(root, 'memory', cgroupsPath, 'memory.oom_control'), // v1 (and hybrid)
    join(root, cgroupsPath, 'memory.events'), // v2
  ];
  for (const f of files) {
    try {
      const m = /^oom_kill (\d+)$/m.exec(readFileSync(f, 'utf8'));
      if (m) return Number(m[1]) > 0;
    } catch {
      /* not this hierarchy */
    }
  }
  return false;
}
