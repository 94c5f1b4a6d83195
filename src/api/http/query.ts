// Query parameters only API handlers read; the general ones (qBool, qInt, qList, qFilters) are in
// server/http.ts. Kept here so the time parser loads with the routes, not before listen.
import type { Ctx } from '../../server/http.js';
import { parseTimeNs } from '../../lib/time.js';

/** A time parameter (`since`, `until`) in any of docker's forms (lib/time.ts), exact in ns. */
export function qTimeNs(ctx: Ctx, name: string): bigint | undefined {
  const v = ctx.query.get(name);
  if (v === null || v === '') return undefined;
  return parseTimeNs(v, `value for "${name}"`);
}

// The ranges of numeric parameters (qInt's `range`); -1 is docker's and podman's "no limit" (list
// `limit`, `last`) and "wait forever" (stop and restart `t`, libpod `timeout`).
export const LIMIT = { min: -1 };
export const STOP_T = { min: -1 };
/** Terminal rows and columns: docker's and the kernel's winsize are 16-bit. */
export const TTY_SIZE = { min: 0, max: 65535 };
/** libpod top's `delay` and stats' `interval`, in seconds: at least one, at most a day. */
export const PERIOD_S = { min: 1, max: 86_400 };
