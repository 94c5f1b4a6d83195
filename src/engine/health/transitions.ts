// What one probe's result does to a container's health (dockerd's handleProbeResult): a pass
// makes it healthy and clears the streak; a failure counts towards `retries` (not while it is
// still starting within its start period) and at `retries` makes it unhealthy. The log keeps
// the last five probes, each output clipped.
import type { HealthLogEntry, HealthState, HealthStatus } from './types.js';

/** dockerd's maxLogEntries and maxOutputLen; podman's default HealthMaxLogSize. */
export const LOG_ENTRIES = 5;
export const OUTPUT_MAX = 4096;
export const PODMAN_OUTPUT_MAX = 500;

export function initialHealth(prev?: HealthState): HealthState {
  // dockerd keeps the log across starts; the status and streak start over.
  return { Status: 'starting', FailingStreak: 0, Log: prev?.Log ?? [] };
}

/** At most `max` bytes of the probe's output, cut on a character boundary. */
export function clipOutput(out: Buffer | string, max = OUTPUT_MAX): string {
  const b = typeof out === 'string' ? Buffer.from(out) : out;
  if (b.length <= max) return b.toString('utf8');
  let end = max;
  // Back off over UTF-8 continuation bytes so no character is split.
  while (end > 0 && (b[end] & 0xc0) === 0x80) end--;
  return b.subarray(0, end).toString('utf8');
}

export interface ProbeContext {
  retries: number;
  /** The probe started within the start period of the current run. */
  inStartPeriod: boolean;
}

export function applyProbe(state: HealthState, entry: HealthLogEntry, c: ProbeContext): { state: HealthState; changed: boolean } {
  let status: HealthStatus = state.Status;
  let streak = state.FailingStreak;
  if (entry.ExitCode === 0) {
    status = 'healthy';
    streak = 0;
  } else if (!(state.Status === 'starting' && c.inStartPeriod)) {
    streak++;
    if (streak >= c.retries) status = 'unhealthy';
  }
  const log = [...state.Log, entry].slice(-LOG_ENTRIES);
  return { state: { Status: status, FailingStreak: streak, Log: log }, changed: status !== state.Status };
}
