// Healthchecks as the engine reports them; both API layers shape these (docker's State.Health,
// podman's HealthCheckResults).

export type { HealthLogEntry, HealthState, HealthStatus } from '../../state/health.js';
import type { HealthState, HealthStatus } from '../../state/health.js';

/** podman's --health-on-failure: what to do to a container that turned unhealthy. */
export type HealthOnFailure = 'none' | 'kill' | 'restart' | 'stop';

/** A run-now's answer: this probe's verdict (podman's HealthCheckResults.Status) and the state after it. */
export interface HealthRunResult {
  /** healthy when the probe passed, unhealthy when it failed (starting: failed within the start period). */
  verdict: HealthStatus;
  state: HealthState;
}
