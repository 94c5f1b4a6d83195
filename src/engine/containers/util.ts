import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { clip } from '../../lib/clip.js';
import { badParameter, EngineError } from '../errors.js';
import type { ContainerSpec } from './types.js';

export { isLive } from '../../state/container-states.js';
/** A run the runtime and conmon hold: live, or initialized (created in the runtime, not started). */
export { hasRun } from '../../state/container-states.js';

export const nowIso = (): string => {
  const ns = process.hrtime.bigint() % 1_000_000n;
  const d = new Date();
  return `${d.toISOString().slice(0, 23)}${String(ns).padStart(6, '0')}Z`;
};

/**
 * conmon's exit command. A running service claims the exit through inotify within
 * milliseconds and deletes the exit file; the shell guard then spares a node start (~150 ms of
 * CPU that would compete with the next container). Without a service the file stays and the
 * cleanup process does the work.
 */
export function guardedExitCommand(exitFile: string, argv: string[]): string[] {
  const script = 'sleep 0.05; [ -e "$0" ] || exit 0; exec "$@"';
  return ['/bin/sh', '-c', script, exitFile, ...argv];
}

/** The container's cgroup, relative to each hierarchy's root (runc's cgroupfs layout). */
export function cgroupsPathOf(id: string, spec: ContainerSpec): string {
  return `${spec.HostConfig.CgroupParent || '/berth'}/berth-${id}`;
}

/** docker's log max-size ("10m", "1g", "512k", bytes). */
export function parseSize(v: string | undefined): number | undefined {
  if (!v) return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)b?$/i.exec(v.trim());
  if (!m) throw badParameter(`invalid log max-size: ${clip(v)}`);
  return Math.floor(Number(m[1]) * { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g']);
}

/** libpod clients recognise a missing container by this exact cause text. */
export const noSuchContainer = (ref: string) => new EngineError('not-found', `No such container: ${ref}`, 'no such container');

/**
 * True when `pid` runs a program whose name contains `comm` (guards against pid reuse); a
 * zombie is dead (some hosts' init never reaps orphans).
 */
export function alive(pid: number, comm: string): boolean {
  if (!pid) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const name = stat.slice(stat.indexOf('(') + 1, close);
    return name.includes(comm) && stat[close + 2] !== 'Z';
  } catch {
    return false;
  }
}

export function dirSize(path: string): number {
  let total = 0;
  const walk = (p: string) => {
    let entries: string[];
    try {
      entries = readdirSync(p);
    } catch {
      return;
    }
    for (const e of entries) {
      const f = join(p, e);
      try {
        const st = lstatSync(f);
        if (st.isDirectory()) walk(f);
        else total += st.size;
      } catch {
        /* vanished */
      }
    }
  };
  walk(path);
  return total;
}
