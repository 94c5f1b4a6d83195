// Which process owns a half-made thing (a spool, a scratch layer, a commit's pause): several
// service instances and cleanup processes may share one storage, so debris is only debris once
// its owner is gone. A pid alone could be reused by then; with its start time it cannot.
import { readFileSync } from 'node:fs';

/** The process's start time in clock ticks since boot (field 22 of /proc/PID/stat), or undefined. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); a zombie has finished.
    if (fields[0] === 'Z') return undefined;
    return fields[19];
  } catch {
    return undefined;
  }
}

let mine: string | undefined;

/** This process as an owner: `<pid>.<start time>`, safe in file names. */
export function ownerToken(): string {
  mine ??= `${process.pid}.${startTime(process.pid) ?? '0'}`;
  return mine;
}

/** Whether the process a token names still runs (false for a malformed token). */
export function ownerAlive(token: string): boolean {
  const m = /^(\d+)\.(\d+)$/.exec(token);
  if (!m) return false;
  if (token === ownerToken()) return true;
  return startTime(Number(m[1])) === m[2];
}

/** Another process as an owner token (undefined when it is gone): what `ownerAlive` checks later. */
export function processToken(pid: number): string | undefined {
  const t = startTime(pid);
  return t === undefined ? undefined : `${pid}.${t}`;
}
