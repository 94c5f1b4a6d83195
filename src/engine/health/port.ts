import type { HealthRunResult, HealthState } from './types.js';

/** What the API layers may ask of healthchecks. */
export interface HealthPort {
  /** The container's health (undefined: it has no healthcheck, or never ran with one). */
  state(containerId: string): HealthState | undefined;
  /** Every container's health at once (lists). */
  states(): Map<string, HealthState>;
  /**
   * Runs the container's check now (podman's healthcheck run): not-found for an unknown
   * container, conflict when it has no healthcheck or does not run.
   */
  runNow(ref: string): Promise<HealthRunResult>;
}
