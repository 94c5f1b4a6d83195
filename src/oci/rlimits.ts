import { readFileSync } from 'node:fs';
import { isRootless } from '../config/rootless.js';
import type { Rlimit } from './spec.js';

// /proc/self/limits row titles → OCI rlimit names.
const ROWS: Record<string, string> = {
  'Max cpu time': 'RLIMIT_CPU', 'Max file size': 'RLIMIT_FSIZE', 'Max data size': 'RLIMIT_DATA',
  'Max stack size': 'RLIMIT_STACK', 'Max core file size': 'RLIMIT_CORE', 'Max resident set': 'RLIMIT_RSS',
  'Max processes': 'RLIMIT_NPROC', 'Max open files': 'RLIMIT_NOFILE', 'Max locked memory': 'RLIMIT_MEMLOCK',
  'Max address space': 'RLIMIT_AS', 'Max file locks': 'RLIMIT_LOCKS', 'Max pending signals': 'RLIMIT_SIGPENDING',
  'Max msgqueue size': 'RLIMIT_MSGQUEUE', 'Max nice priority': 'RLIMIT_NICE', 'Max realtime priority': 'RLIMIT_RTPRIO',
  'Max realtime timeout': 'RLIMIT_RTTIME',
};
const UNLIMITED = 2 ** 64 - 1;

let hardCache: Map<string, number> | undefined;

/** Hard limits of this process: without CAP_SYS_RESOURCE nobody below us may exceed them. */
export function hostHardLimits(): Map<string, number> {
  if (hardCache) return hardCache;
  const m = new Map<string, number>();
  try {
    for (const line of readFileSync('/proc/self/limits', 'utf8').split('\n').slice(1)) {
      const title = Object.keys(ROWS).find((t) => line.startsWith(t));
      if (!title) continue;
      const hard = line.slice(title.length).trim().split(/\s+/)[1];
      m.set(ROWS[title], hard === 'unlimited' ? UNLIMITED : Number(hard));
    }
  } catch {
    /* not Linux: nothing to clamp against */
  }
  hardCache = m;
  return m;
}

export function hasCapSysResource(): boolean {
  // Capabilities in berth's own user namespace do not raise limits set from the host's.
  if (isRootless()) return false;
  try {
    const eff = /CapEff:\s*([0-9a-f]+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return eff !== undefined && (BigInt('0x' + eff) & (1n << 24n)) !== 0n;
  } catch {
    return false;
  }
}

export function rlimitName(n: string): string {
  const u = n.toUpperCase();
  return u.startsWith('RLIMIT_') ? u : `RLIMIT_${u}`;
}

/**
 * runc fails outright when asked to raise a hard limit above ours and we lack
 * CAP_SYS_RESOURCE; podman 4.3 breaks here. Clamp instead, keeping soft ≤ hard.
 */
export function clampRlimits(limits: Rlimit[], hard = hostHardLimits(), canRaise = hasCapSysResource()): Rlimit[] {
  if (canRaise) return limits;
  // -1 asks for unlimited (RLIM_INFINITY): as much as we have ourselves.
  const want = (v: number) => (v < 0 ? UNLIMITED : v);
  return limits.map((l) => {
    const max = hard.get(l.type);
    if (max === undefined || max === UNLIMITED) return l;
    const h = Math.min(want(l.hard), max);
    return { type: l.type, hard: h, soft: Math.min(want(l.soft), h) };
  });
}

/** The default for containers without --ulimit: docker hands out nofile 1048576, clamped here. */
export function defaultRlimits(): Rlimit[] {
  return clampRlimits([{ type: 'RLIMIT_NOFILE', hard: 1048576, soft: 1048576 }]);
}
