// The integer and boolean query parameters of every route, checked before its handler runs: as
// podman decodes a handler's whole query first, a malformed `timeout` or `force` is a 400 even
// where berth ignores the parameter, and before the request does anything.
import type { Ctx, Handler, Method, RouteDef } from '../../server/http.js';
import { parseBool } from '../../server/http.js';
import { HttpError } from '../../server/errors.js';
import { clip } from '../../lib/clip.js';
import { ROUTE_PARAMS, type QueryKind } from './route-params.js';

/** `METHOD /path/{}`: a route's key in ROUTE_PARAMS, from berth's pattern (`:id`, `{name:.*}`). */
export function routeKey(method: string, path: string): string {
  return `${method} ${path.replace(/\{[^}]*\}|:\w+/g, '{}')}`;
}

type Typed = [name: string, kind: 'int' | 'bool'][];

function typedParams(method: string, path: string): Typed {
  const q = ROUTE_PARAMS[routeKey(method, path)]?.query ?? {};
  return Object.entries(q).filter((e): e is [string, 'int' | 'bool'] => e[1] === 'int' || e[1] === 'bool');
}

/** A typed value as the daemons' Go decoders read it: Atoi's digits, ParseBool's words. */
export function validQueryValue(kind: QueryKind, v: string): boolean {
  if (v === '') return true;
  // Go's Atoi takes up to int64; berth up to what it can hold exactly (a qInt out of range).
  if (kind === 'int') return /^[+-]?\d+$/.test(v) && Number.isSafeInteger(Number(v));
  if (kind === 'bool') return parseBool(v) !== undefined;
  return true;
}

function check(ctx: Ctx, typed: Typed): void {
  for (const [name, kind] of typed) {
    for (const v of ctx.query.getAll(name)) {
      if (!validQueryValue(kind, v)) {
        throw new HttpError(400, `invalid ${kind === 'int' ? 'integer' : 'boolean'} value "${clip(v, 64)}" for query parameter "${name}"`);
      }
    }
  }
}

/** The routes with their handlers behind the check of their typed query parameters. */
export function withQueryChecks(routes: RouteDef[]): RouteDef[] {
  return routes.map((r) => {
    const methods: Method[] = Array.isArray(r.method) ? r.method : [r.method];
    const byMethod = new Map<string, Typed>();
    for (const m of methods) {
      const t = typedParams(m, r.path);
      if (t.length) byMethod.set(m, t);
    }
    // HEAD is answered by the GET handler: it takes GET's parameters.
    if (!byMethod.has('HEAD') && byMethod.has('GET')) byMethod.set('HEAD', byMethod.get('GET')!);
    if (!byMethod.size) return r;
    const inner = r.handler;
    const handler: Handler = (ctx) => {
      const typed = byMethod.get(ctx.req.method ?? 'GET');
      if (typed) check(ctx, typed);
      return inner(ctx);
    };
    return { ...r, handler };
  });
}
