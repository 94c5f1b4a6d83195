// Raw HTTP(S) to a test registry, for the harness: no auth logic here (registry.ts adds it).
import http from 'node:http';
import https from 'node:https';

export interface RawResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface RawOptions {
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** PEM of the CA to trust for https URLs. */
  ca?: string;
  timeoutMs?: number;
}

export function rawRequest(method: string, url: string, o: RawOptions = {}): Promise<RawResult> {
  const u = new URL(url);
  const body = o.body === undefined ? undefined : Buffer.isBuffer(o.body) ? o.body : Buffer.from(o.body);
  const headers: Record<string, string | number> = { ...o.headers };
  if (body) headers['Content-Length'] = body.length;
  else if (method === 'PUT' || method === 'POST' || method === 'PATCH') headers['Content-Length'] = 0;
  const opts: https.RequestOptions = { method, hostname: u.hostname, port: u.port, path: u.pathname + u.search, headers, agent: false };
  if (u.protocol === 'https:') opts.ca = o.ca;
  return new Promise((resolve, reject) => {
    const req = (u.protocol === 'https:' ? https : http).request(opts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.setTimeout(o.timeoutMs ?? 30_000, () => req.destroy(new Error(`${method} ${url}: timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Parses `Bearer realm="...",service="...",scope="..."` (or Basic) into its scheme and params. */
export function parseChallenge(h: string | undefined): { scheme: string; params: Record<string, string> } | undefined {
  if (!h) return undefined;
  const m = /^(\w+)\s*(.*)$/.exec(h.trim());
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (const p of m[2].matchAll(/(\w+)="([^"]*)"/g)) params[p[1].toLowerCase()] = p[2];
  return { scheme: m[1].toLowerCase(), params };
}
