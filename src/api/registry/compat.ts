// dockerd's registry endpoints: `POST /auth` (docker login) and `GET /images/search`.
import type { Ctx, RouteDef } from '../../server/http.js';
import { qFilters, qInt, sendJson } from '../../server/http.js';
import { readBody } from '../http/body.js';
import { registryAuthOf } from '../http/registry-auth.js';
import type { SearchResult } from '../../engine/images/types.js';

interface AuthBody {
  username?: string;
  password?: string;
  auth?: string;
  serveraddress?: string;
  identitytoken?: string;
  registrytoken?: string;
}

/** AuthConfig's fields, whichever case the client wrote them in (Go's decoder folds case). */
function field(b: Record<string, unknown>, name: string): string | undefined {
  for (const [k, v] of Object.entries(b)) if (k.toLowerCase() === name && typeof v === 'string' && v) return v;
  return undefined;
}

async function auth(ctx: Ctx): Promise<void> {
  const b = ((await readBody<AuthBody>(ctx, 'Auth')) ?? {}) as Record<string, unknown>;
  let username = field(b, 'username');
  let password = field(b, 'password');
  const basic = field(b, 'auth');
  if (basic && !username) {
    const plain = Buffer.from(basic, 'base64').toString('utf8');
    const i = plain.indexOf(':');
    if (i > 0) [username, password] = [plain.slice(0, i), plain.slice(i + 1)];
  }
  const r = await ctx.engine.images.login({
    server: field(b, 'serveraddress') ?? '',
    credentials: { username, password, identityToken: field(b, 'identitytoken'), registryToken: field(b, 'registrytoken') },
    naming: 'docker',
  });
  sendJson(ctx, 200, { IdentityToken: r.identityToken ?? '', Status: 'Login Succeeded' });
}

/** docker's search result (registry.SearchResult). */
export const compatSearchResult = (r: SearchResult) => ({ star_count: r.stars, is_official: r.official, name: r.name, is_automated: r.automated, description: r.description });

async function search(ctx: Ctx): Promise<void> {
  const found = await ctx.engine.images.search(ctx.query.get('term') ?? '', {
    naming: 'docker',
    limit: qInt(ctx, 'limit'),
    filters: qFilters(ctx),
    auth: registryAuthOf(ctx.req.headers),
  });
  sendJson(ctx, 200, found.map(compatSearchResult));
}

export const routes: RouteDef[] = [
  { method: 'POST', path: '/auth', handler: auth },
  { method: 'GET', path: '/images/search', handler: search },
];
