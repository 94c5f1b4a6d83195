import type { Ctx } from '../../server/http.js';
import { readText } from '../../server/http.js';
import { HttpError } from '../../server/errors.js';
import { parseJson } from '../../server/json-parse.js';
import { BODY_SCHEMAS } from './body-schemas.js';
import { decode } from './decode.js';

/** The request bodies that have a schema (scripts/gen-body-schemas.mjs lists where each is from). */
export type BodyName = keyof typeof BODY_SCHEMAS.bodies;

// podman wraps the JSON error in its handler's words; the JSON error itself is the cause.
const LIBPOD_WORDS: Partial<Record<BodyName, string>> = {
  SpecGenerator: 'decode()',
  ExecCreateLibpod: 'decoding request body as JSON',
  ExecStartLibpod: 'decoding request body as JSON',
};

/**
 * The request body decoded as the daemon's Go types decode it (see decode.ts); undefined when
 * there is none or it is `null`. T is what the handler reads; the schema guarantees its types.
 */
export async function readBody<T>(ctx: Ctx, name: BodyName): Promise<T | undefined> {
  return decodeBody<T>(ctx, name, await readText(ctx));
}

/** The same for a body already read (an upgraded connection's). */
export function decodeBody<T>(ctx: Pick<Ctx, 'layer'>, name: BodyName, text: string): T | undefined {
  if (!text) return undefined;
  const parsed = parseJson(text, true);
  try {
    return decode(BODY_SCHEMAS, BODY_SCHEMAS.bodies[name], parsed) as T | undefined;
  } catch (e) {
    const words = ctx.layer === 'libpod' ? LIBPOD_WORDS[name] : undefined;
    if (e instanceof HttpError && words) throw new HttpError(e.status, `${words}: ${e.message}`, e.message);
    throw e;
  }
}
