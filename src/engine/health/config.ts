// A container's healthcheck as the scheduler uses it: docker's config (nanoseconds, zero meaning
// "default") resolved to milliseconds with dockerd's defaults, and the command a probe runs.
import type { ContainerConfig } from '../containers/types.js';

export type HealthConfig = NonNullable<ContainerConfig['Healthcheck']>;

/** dockerd's defaults (daemon/health.go): interval and timeout 30 s, no start period, 3 retries. */
export const DEFAULT_INTERVAL_MS = 30_000;
export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_START_INTERVAL_MS = 5_000;
export const DEFAULT_RETRIES = 3;

export interface EffectiveHealthcheck {
  /** argv of the probe, run in the container. */
  argv: string[];
  intervalMs: number;
  timeoutMs: number;
  startPeriodMs: number;
  /** The interval within the start period (only when both are set, as in dockerd). */
  startIntervalMs: number | undefined;
  retries: number;
}

const ms = (ns: number | undefined, dflt: number): number => (ns && ns > 0 ? Math.max(1, Math.round(ns / 1e6)) : dflt);

/** The probe's argv: CMD runs its arguments, CMD-SHELL its one string under /bin/sh -c; NONE or none at all: undefined. */
export function probeCommand(test: string[] | undefined | null): string[] | undefined {
  if (!test?.length) return undefined;
  switch (test[0]) {
    case 'NONE':
      return undefined;
    case 'CMD':
      return test.length > 1 ? test.slice(1) : undefined;
    case 'CMD-SHELL':
      return test.length > 1 ? ['/bin/sh', '-c', test.slice(1).join(' ')] : undefined;
    default:
      // podman passes a bare command as is.
      return test;
  }
}

/** The check a container runs, or undefined when it has none (no Test, NONE, an empty command). */
export function effectiveHealthcheck(h: HealthConfig | undefined | null): EffectiveHealthcheck | undefined {
  const argv = probeCommand(h?.Test);
  if (!h || !argv || argv[0] === '') return undefined;
  const startPeriodMs = h.StartPeriod && h.StartPeriod > 0 ? ms(h.StartPeriod, 0) : 0;
  return {
    argv,
    intervalMs: ms(h.Interval, DEFAULT_INTERVAL_MS),
    timeoutMs: ms(h.Timeout, DEFAULT_TIMEOUT_MS),
    startPeriodMs,
    startIntervalMs: startPeriodMs > 0 && h.StartInterval && h.StartInterval > 0 ? ms(h.StartInterval, DEFAULT_START_INTERVAL_MS) : undefined,
    retries: h.Retries && h.Retries > 0 ? h.Retries : DEFAULT_RETRIES,
  };
}

/**
 * dockerd's merge of the container's healthcheck with the image's: without one of its own the
 * container takes the image's; with one, each field left empty (an empty Test, a zero duration)
 * comes from the image.
 */
export function mergeHealthcheck(own: HealthConfig | undefined | null, image: HealthConfig | undefined | null): HealthConfig | undefined {
  if (!own) return image ?? undefined;
  if (!image) return own;
  const out: HealthConfig = { ...own };
  if (!out.Test?.length && image.Test?.length) out.Test = image.Test;
  for (const k of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval', 'Retries'] as const) {
    if (!out[k] && image[k]) out[k] = image[k];
  }
  return out;
}

/** How long to wait before the next probe: the start interval while in the start period and not yet healthy. */
export function nextDelayMs(hc: EffectiveHealthcheck, startedAtMs: number, nowMs: number, status: string): number {
  if (hc.startIntervalMs !== undefined && status === 'starting' && nowMs - startedAtMs < hc.startPeriodMs) return hc.startIntervalMs;
  return hc.intervalMs;
}
