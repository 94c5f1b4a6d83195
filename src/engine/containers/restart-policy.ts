import type { ContainerRow } from '../../state/containers.js';
import type { RestartPolicy } from './types.js';

/** docker's rules: a stop or kill by the user suppresses every policy until the next start. */
export function shouldRestart(p: RestartPolicy, exitCode: number, row: Pick<ContainerRow, 'stopRequested' | 'restartCount'>): boolean {
  if (row.stopRequested) return false;
  switch (p.Name) {
    case 'always':
    case 'unless-stopped':
      return true;
    case 'on-failure':
      return exitCode !== 0 && (p.MaximumRetryCount <= 0 || row.restartCount < p.MaximumRetryCount);
    default:
      return false;
  }
}

/** dockerd backs off 100ms, doubling per consecutive restart, capped (we cap at 10s). */
export function restartDelayMs(restartCount: number): number {
  return Math.min(100 * 2 ** Math.min(restartCount, 7), 10_000);
}
