// The tests' own token server for Bearer auth (the docker token spec, as Docker Hub serves it):
// GET /token with Basic credentials (and `offline_token=true` for a refresh token), POST /token
// with an OAuth2 form (grant_type password or refresh_token). Tokens are JWTs signed RS256 with a
// key whose certificate docker-registry trusts (`auth.token.rootcertbundle`); the certificate
// travels in the JWT's x5c header, which is how distribution finds the signing key.
import { createPrivateKey, randomBytes, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TokenServerOptions {
  /** user → password. */
  users: Record<string, string>;
  /** What a request without credentials gets: nothing (401) or pull rights. Default 'pull'. */
  anonymous?: 'none' | 'pull';
  service: string;
  issuer: string;
  /** PEM files: the signing key and its certificate (the registry's rootcertbundle). */
  keyFile: string;
  certFile: string;
  /** Token lifetime in seconds (default 300). */
  expiresIn?: number;
}

export interface TokenRequestLog {
  method: string;
  user: string | null;
  grant: 'anonymous' | 'basic' | 'password' | 'refresh_token';
  scopes: string[];
  offline: boolean;
  status: number;
}

export interface TokenServer {
  realm: string;
  port: number;
  /** Every request answered, oldest first (tests assert on who asked for what). */
  log: TokenRequestLog[];
  /** Refresh tokens issued, by token → user. */
  refreshTokens: Map<string, string>;
  close(): Promise<void>;
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

interface Access {
  type: string;
  name: string;
  actions: string[];
}

/** `repository:foo/bar:pull,push` → access entry; the name may contain colons (host:port/x). */
function parseScope(s: string): Access | undefined {
  const first = s.indexOf(':');
  const last = s.lastIndexOf(':');
  if (first < 0 || last === first) return undefined;
  return { type: s.slice(0, first), name: s.slice(first + 1, last), actions: s.slice(last + 1).split(',').filter(Boolean) };
}

export async function startTokenServer(o: TokenServerOptions): Promise<TokenServer> {
  const key: KeyObject = createPrivateKey(readFileSync(o.keyFile));
  const certDer = Buffer.from(
    readFileSync(o.certFile, 'utf8')
      .replace(/-----(BEGIN|END) CERTIFICATE-----/g, '')
      .replace(/\s+/g, ''),
    'base64',
  );
  const log: TokenRequestLog[] = [];
  const refreshTokens = new Map<string, string>();

  const jwt = (user: string, access: Access[]): string => {
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'RS256', x5c: [certDer.toString('base64')] };
    const claims = { iss: o.issuer, sub: user, aud: o.service, exp: now + (o.expiresIn ?? 300), nbf: now - 10, iat: now, jti: randomBytes(12).toString('hex'), access };
    const signing = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    return `${signing}.${b64url(sign('sha256', Buffer.from(signing), key))}`;
  };

  const grantFor = (user: string | null, scopes: string[]): Access[] =>
    scopes
      .map(parseScope)
      .filter((a): a is Access => !!a)
      .map((a) => ({ ...a, actions: user ? a.actions : a.actions.filter((x) => x === 'pull') }))
      .filter((a) => a.actions.length > 0);

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const answer = (status: number, body: object, entry: Omit<TokenRequestLog, 'status' | 'method'>) => {
        log.push({ method: req.method ?? '', status, ...entry });
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (url.pathname !== '/token') {
        res.writeHead(404).end();
        return;
      }
      let params = url.searchParams;
      if (req.method === 'POST') params = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const scopes = params.getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean);
      const offline = params.get('offline_token') === 'true' || params.get('access_type') === 'offline';
      let user: string | null = null;
      let grant: TokenRequestLog['grant'] = 'anonymous';
      const denied = (msg: string) => answer(401, { errors: [{ code: 'UNAUTHORIZED', message: msg }], details: msg }, { user, grant, scopes, offline });

      if (req.method === 'POST') {
        const gt = params.get('grant_type');
        if (gt === 'password') {
          grant = 'password';
          user = params.get('username');
          if (!user || o.users[user] === undefined || o.users[user] !== params.get('password')) return denied('incorrect username or password');
        } else if (gt === 'refresh_token') {
          grant = 'refresh_token';
          user = refreshTokens.get(params.get('refresh_token') ?? '') ?? null;
          if (!user) return denied('invalid refresh token');
        } else {
          return answer(400, { error: 'unsupported_grant_type' }, { user, grant, scopes, offline });
        }
      } else {
        const h = req.headers.authorization;
        if (h?.startsWith('Basic ')) {
          grant = 'basic';
          const dec = Buffer.from(h.slice(6), 'base64').toString('utf8');
          const i = dec.indexOf(':');
          user = dec.slice(0, i);
          if (i < 0 || o.users[user] === undefined || o.users[user] !== dec.slice(i + 1)) return denied('incorrect username or password');
        } else if ((o.anonymous ?? 'pull') === 'none') {
          return denied('authentication required');
        }
      }
      const token = jwt(user ?? '', grantFor(user, scopes));
      const body: Record<string, unknown> = { token, access_token: token, expires_in: o.expiresIn ?? 300, issued_at: new Date().toISOString() };
      if (user && (offline || grant === 'password')) {
        const rt = randomBytes(24).toString('hex');
        refreshTokens.set(rt, user);
        body.refresh_token = rt;
      }
      answer(200, body, { user, grant, scopes, offline });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    port,
    log,
    refreshTokens,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
