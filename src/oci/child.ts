// Bounds on the monitor processes berth starts (conmon, and the runtime under it): how long one
// may take to report, how much of its output is kept, and how a stuck one is ended.
import { readFileSync } from 'node:fs';

/**
 * How long conmon may take to report that the runtime created the container (or started an exec
 * process). A create takes well under a second; this only ends a runtime that can never finish
 * (runc blocks writing an error of over 64 KiB into the pipe conmon reads only after it exited).
 */
export const MONITOR_REPORT_TIMEOUT_MS = 60_000;

/** Of a child's stderr, the first this many characters are kept for the error message. */
export const STDERR_KEEP = 16 * 1024;

/** Collects a stream's text up to `max` characters and drains the rest, so the writer never blocks. */
export class CappedText {
  private text = '';

  constructor(private readonly max = STDERR_KEEP) {}

  add(chunk: Buffer | string): void {
    if (this.text.length < this.max) this.text += chunk.toString().slice(0, this.max - this.text.length);
  }

  toString(): string {
    return this.text;
  }
}

/**
 * Ends a monitor at once: conmon's daemonized half leads its own process group (it calls
 * setsid), and the runtime it runs is in that group; the pid we spawned is killed too in case it
 * never got that far.
 */
export function killMonitor(spawnedPid: number | undefined, conmonPidFile: string): void {
  let conmonPid = 0;
  try {
    conmonPid = Number(readFileSync(conmonPidFile, 'utf8').trim()) || 0;
  } catch {
    /* conmon did not get as far as writing it */
  }
  for (const pid of [conmonPid, spawnedPid ?? 0]) {
    if (pid <= 1) continue;
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        /* gone already, or no such group */
      }
    }
  }
}
