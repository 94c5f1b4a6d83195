// One HTTP(S) exchange with a registry over Node's http/https (keep-alive agents per TLS
// setting), with timeouts: an answer must start within `responseMs`, and a body that stops
// sending for `idleMs` fails instead of hanging a pull forever.
import http from 'node:http';
import type { Readable } from 'node:stream';
import { RegistryError } from './errors.js';
import type { TlsMaterial } from './tls.js';

export interface Timeouts {
  /** Connect plus time to the response head. */
  responseMs: number;
  /** Longest silence within a body. */
  idleMs: number;
}

export const DEFAULT_TIMEOUTS: Timeouts = { responseMs: 30_000, idleMs: 60_000 };

/** BERTH_REGISTRY_TIMEOUT (seconds) sets both: tests of hung registries, slow links. */
export function timeoutsFromEnv(env: NodeJS.ProcessEnv = process.env): Timeouts {
  const s = Number(env.BERTH_REGISTRY_TIMEOUT);
  return Number.isFinite(s) && s > 0 ? { responseMs: s * 1000, idleMs: s * 1000 } : DEFAULT_TIMEOUTS;
}

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body, to be read or dropped (`drop()`) by the caller. */
  body: http.IncomingMessage;
  url: URL;
}

export interface SendOptions {
  method: string;
  headers?: Record<string, string>;
  /** A buffer, or a stream made fresh for this attempt. */
  body?: Buffer | Readable;
  tls?: TlsMaterial;
  /** Accept any server certificate (tls-verify=false). */
  skipVerify?: boolean;
  timeouts?: Timeouts;
  signal?: AbortSignal;
}

const agents = new Map<string, http.Agent>();
// node:https (and tls, and OpenSSL's TLS state) loads at the first https request, not with the
// engine: ~5 MiB of a service that never talks to a registry.
const https = () => process.getBuiltinModule('node:https') as typeof import('node:https');

function agentFor(url: URL, o: SendOptions): http.Agent {
  if (url.protocol === 'http:') {
    const key = 'http';
    let a = agents.get(key);
    if (!a) agents.set(key, (a = new http.Agent({ keepAlive: true, maxFreeSockets: 16 })));
    return a;
  }
  const key = `https|${o.skipVerify ? 'skip' : 'verify'}|${o.tls?.dir ?? ''}`;
  let a = agents.get(key);
  if (!a) {
    a = new (https().Agent)({
      keepAlive: true,
      maxFreeSockets: 16,
      rejectUnauthorized: !o.skipVerify,
      ...(o.tls?.ca ? { ca: o.tls.ca } : {}),
      ...(o.tls?.cert ? { cert: o.tls.cert, key: o.tls.key } : {}),
    });
    agents.set(key, a);
  }
  return a;
}

/** Whether an error means nothing answered at this address (refused, TLS, reset before the head). */
export function connectionFailed(e: unknown): boolean {
  return e instanceof RegistryError && (e.kind === 'unreachable' || e.kind === 'timeout');
}

export function send(url: URL, o: SendOptions): Promise<HttpAnswer> {
  const t = o.timeouts ?? DEFAULT_TIMEOUTS;
  const mod = url.protocol === 'https:' ? https() : http;
  return new Promise<HttpAnswer>((resolve, reject) => {
    let settled = false;
    const req = mod.request(url, { method: o.method, headers: { 'User-Agent': 'berth', ...o.headers }, agent: agentFor(url, o), signal: o.signal });
    const headTimer = setTimeout(() => {
      req.destroy(new RegistryError('timeout', `${o.method} ${url.origin}${url.pathname}: no answer within ${Math.round(t.responseMs / 1000)}s`));
    }, t.responseMs);
    req.on('error', (e) => {
      clearTimeout(headTimer);
      if (settled) return;
      settled = true;
      reject(e instanceof RegistryError ? e : new RegistryError('unreachable', `${o.method} ${url.origin}${url.pathname}: ${(e as Error).message}`));
    });
    req.on('response', (res) => {
      clearTimeout(headTimer);
      settled = true;
      // Idle watch on the body: the socket timeout also covers a registry that stops mid-blob.
      res.socket?.setTimeout(t.idleMs, () => {
        res.destroy(new RegistryError('timeout', `${url.origin}${url.pathname}: no data for ${Math.round(t.idleMs / 1000)}s`));
      });
      const clear = () => res.socket?.setTimeout(0);
      res.once('end', clear);
      res.once('close', clear);
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res, url });
    });
    const body = o.body;
    if (body === undefined) req.end();
    else if (Buffer.isBuffer(body)) req.end(body);
    else {
      body.on('error', (e) => req.destroy(e));
      body.pipe(req);
    }
  });
}

/** Reads a body whole, refusing one larger than `limit` (manifests, tokens, errors). */
export async function readBody(a: HttpAnswer, limit = 8 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of a.body as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > limit) {
      a.body.destroy();
      throw new RegistryError('protocol', `${a.url.origin}${a.url.pathname}: answer larger than ${limit} bytes`);
    }
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

/** Throws the body away so the connection can be reused. */
export function drop(a: HttpAnswer): void {
  a.body.resume();
}
