import FindMyWay from 'find-my-way';
import type { Handler, Method, RouteDef } from './http.js';
import type { Layer } from './errors.js';

export interface Match {
  handler: Handler;
  params: Record<string, string>;
  layer: Layer;
  version: string | undefined;
}
/** 400: the path is not decodable (a `%ZZ`), so no route can be told from another. */
export type Miss = { miss: 400 | 404 | 405; layer: Layer; allowed?: string[] };

const VERSIONED = /^\/v(\d+(?:\.\d+){0,2})(\/.*)$/;
const METHODS: Method[] = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'];

/**
 * One route table for both layers. The version prefix is stripped before lookup, so `/v1.41/x`,
 * `/v5.4.2/libpod/x` and the unversioned paths reach the same handler; the layer follows from
 * the `/libpod/` prefix.
 */
export class Router {
  // find-my-way's own bound on a parameter (100 characters by default) would turn a long name
  // into "page not found"; a parameter may be as long as the request line, and a name longer than
  // the engine allows is then that resource's own 404 (or 400 where it is being given a name).
  private fmw = FindMyWay({ ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, caseSensitive: true, maxParamLength: 64 * 1024 });
  /** Routes whose parameter may contain slashes (image names): `/images/{name:.*}/json`. */
  private greedy: { methods: string[]; re: RegExp; names: string[]; handler: Handler }[] = [];

  add(routes: RouteDef[]): void {
    for (const r of routes) {
      const methods = Array.isArray(r.method) ? r.method : [r.method];
      if (r.path.includes('{')) {
        const names: string[] = [];
        const src = r.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+):\\\.\\\*\}/g, (_m, n: string) => {
          names.push(n);
          return '(.+?)';
        });
        this.greedy.push({ methods, re: new RegExp(`^${src}/?$`), names, handler: r.handler });
      } else {
        // HEAD is answered by GET handlers unless a route declares its own.
        this.fmw.on(methods, r.path, r.handler as never);
      }
    }
  }

  private findGreedy(method: string, path: string): { handler: Handler; params: Record<string, string> } | undefined {
    for (const g of this.greedy) {
      if (!g.methods.includes(method)) continue;
      const m = g.re.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      g.names.forEach((n, i) => (params[n] = safeDecode(m[i + 1]) ?? m[i + 1]));
      return { handler: g.handler, params };
    }
    return undefined;
  }

  lookup(method: string, rawPath: string): Match | Miss {
    let path = rawPath;
    let version: string | undefined;
    const v = VERSIONED.exec(path);
    if (v) {
      version = v[1];
      path = v[2];
    }
    const layer: Layer = path === '/libpod' || path.startsWith('/libpod/') ? 'libpod' : 'compat';
    if (path.includes('%') && safeDecode(path) === undefined) return { miss: 400, layer };
    const found = this.find(method, path) ?? (method === 'HEAD' ? this.find('GET', path) : undefined);
    if (found) return { ...found, layer, version };
    const allowed = METHODS.filter((m) => m !== method && this.find(m, path));
    return allowed.length ? { miss: 405, layer, allowed } : { miss: 404, layer };
  }

  private find(method: string, path: string): { handler: Handler; params: Record<string, string> } | undefined {
    // Exact routes win: `/images/json` is a list, not an image called "json".
    const f = this.fmw.find(method as Method, path);
    if (f) return { handler: f.handler as unknown as Handler, params: f.params as Record<string, string> };
    return this.findGreedy(method, path);
  }
}

function safeDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}
