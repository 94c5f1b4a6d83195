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
