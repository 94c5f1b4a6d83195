// The per-container scheduler: a detached /bin/sh loop that sleeps, then runs
// `berth container healthcheck tick ID TIMERPID`, which probes once and prints how long to sleep
// before the next probe (nothing, and a non-zero exit, ends the loop). It belongs to no service,
// so probes go on while none runs. SIGTERM ends it between probes: a probe in flight (or an
// on-failure action it took) completes.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

const LOOP = [
  "trap 'kill $s 2>/dev/null; exit 0' TERM",
  'd=$0',
  'while :; do',
  '  sleep "$d" & s=$!',
  '  wait $s || exit 0',
  '  d=$("$@" "$$") || exit 0',
  '  [ -n "$d" ] || exit 0',
  'done',
].join('\n');

/** Marks the loop's command line, so a pid that was recycled is never signalled as ours. */
const MARK = 'container healthcheck tick';

/** Starts the loop; `tick` is the berth argv up to and including the container ID. */
export function spawnTimer(firstDelayMs: number, tick: string[]): number {
  const child = spawn('/bin/sh', ['-c', LOOP, seconds(firstDelayMs), ...tick], { detached: true, stdio: 'ignore' });
  child.on('error', () => undefined);
  child.unref();
  return child.pid ?? 0;
}

/** Ends the loop of `pid` if that process is still one. */
export function stopTimer(pid: number): void {
  if (!pid || !isTimer(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    /* gone meanwhile */
  }
}

export function isTimer(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').includes(MARK);
  } catch {
    return false;
  }
}

/** A delay as sleep(1) takes it. */
export function seconds(ms: number): string {
  return (Math.max(1, ms) / 1000).toFixed(3);
}
