import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { EnginePorts } from '../engine/ports.js';
import { isPing, ping, pingHeaders } from '../api/system/ping.js';
import { corsHeaders, preflight } from './cors.js';
import { errorBody, statusOf, type Layer } from './errors.js';
import { markUpgraded, type Ctx } from './http.js';
import { IdleTracker } from './idle.js';
import { listen, removeSocketFile, type Binding } from './listener.js';
import { memoryReclaimer } from './reclaim.js';
import type { Logger } from './log.js';
import type { Router } from './router.js';
import type { AccessControl } from './access/hook.js';
import type { TlsOptions, SecureContextOptions } from 'node:tls';

/** The engine as the service holds it: the ports, and what the service itself asks of it. */
export type EngineHandle = EnginePorts & {
  close(): Promise<void>;
  /** Frees what an idle engine need not hold; called when the service has gone quiet. */
  releaseMemory?(): void;
};

export interface ServiceOptions {
  binding: Binding;
  /**
   * Builds the engine; called once, right after listening, so /_ping never waits for engine code.
   * `close` releases what it holds (streams, watchers) at shutdown.
   */
  engine: () => Promise<EngineHandle>;
  log: Logger;
  /** Idle timeout in seconds; 0 never exits; undefined: not known yet (setIdleTimeout gives it). */
  timeoutSeconds: number | undefined;
  cors: string;
  /** How long in-flight requests may take to finish on SIGTERM or idle exit. */
  drainMs?: number;
  /** Serve HTTPS with these options (tls.ts builds them). */
  tls?: TlsOptions;
  /** Peer identity, policy and audit (only with --policy or --audit-log). */
  access?: AccessControl;
}

export interface RunningService {
  server: http.Server;
  /** Resolves with the exit reason once the service has shut down. */
  done: Promise<'idle' | 'signal' | 'requested'>;
  shutdown(reason?: 'signal' | 'requested'): Promise<void>;
  /**
   * Runs `task` once the service has settled: after its first answer, or a moment after listening
   * when no client comes. Loading the handlers, the logger or the state DB takes tens of ms of
   * one thread: done right at listen, it would hold up the first reply of a cold start (the
   * client's connection, or systemd's, is already waiting). Tasks run one per turn of the loop;
   * `first` puts one ahead of the handlers' (what everything after needs: containers.conf).
   */
  warmup(task: () => unknown, first?: boolean): void;
  /** New certificates for connections from now on; open ones keep theirs (SIGHUP). */
  setSecureContext(o: SecureContextOptions): void;
  /** The idle timeout once it is known, counted from the last activity (0 never exits). */
  setIdleTimeout(seconds: number): void;
}

/** With no client this long after listening, the service warms up anyway. */
const SETTLE_MS = 25;
/** A client connected but has not asked anything yet: wait at most this long for its request. */
const FIRST_REQUEST_MS = 250;
/**
 * Quiet this long after the last activity, the service hands back memory the work grew (when it
 * grew: reclaim.ts). Half a second: the requests of one client command follow each other within
 * milliseconds, and a collection of this heap takes a few; memory a burst grew (the start's own
 * engine load among them) goes back before the service has sat on it for long.
 */
const QUIET_MS = 500;
/**
 * Quiet this long, the service also unmaps the code pages it touched (reclaim.ts): the next
 * request faults back what it runs, and a client that asks every second or two (`watch docker
 * ps`) does not pay that and the drop each time.
 */
const IDLE_MS = 3000;

export async function startService(o: ServiceOptions): Promise<RunningService> {
  let router: Router | undefined;
  let engine: EngineHandle | undefined;
  let routerP: Promise<Router> | undefined;
  const loadRouter = () =>
    (routerP ??= Promise.all([import('../api/routes.js'), o.engine()]).then(([m, e]) => {
      engine = e;
      return (router = m.buildRouter());
    }));

  const httpOptions: http.ServerOptions = {
    // Slow or stalled clients may not hold a connection open without sending headers.
    headersTimeout: 30_000,
    // Image uploads and streams may take as long as they take; only headers are bounded.
    requestTimeout: 0,
    keepAliveTimeout: 5_000,
    maxHeaderSize: 64 * 1024,
    // A request without Content-Length or Transfer-Encoding has no body (RFC 9112 6.3): its
    // stream starts ended instead of going through the readable life cycle (and the dump after
    // the answer) on every ping, list and inspect; reading it still yields nothing at once.
    optimizeEmptyRequests: true,
  };
  // node:https (and tls) load only when TLS is asked for.
  const server: http.Server = o.tls
    ? (process.getBuiltinModule('node:https') as typeof import('node:https')).createServer({ ...httpOptions, ...o.tls })
    : http.createServer(httpOptions);
  const access = o.access;

  let finish!: (r: 'idle' | 'signal' | 'requested') => void;
  const done = new Promise<'idle' | 'signal' | 'requested'>((r) => (finish = r));
  let closing = false;

  const reclaim = memoryReclaimer(() => engine?.releaseMemory?.());
  const idle = new IdleTracker((o.timeoutSeconds ?? 0) * 1000, () => void shutdown('idle'), [
    { ms: QUIET_MS, run: reclaim.settled },
    { ms: IDLE_MS, run: reclaim.idle },
  ]);

  // --cors's headers, as name, value pairs: made once, not for each answer.
  const cors = o.cors ? Object.entries(corsHeaders(o.cors)) : [];
  // A ping's headers with them first (where setHeader put them before the ping's own).
  const pingWith = pingHeaders(cors.flat());

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    // The hottest request, and every client's first, is answered before any routing or
    // bookkeeping, whatever the options: no policy applies to it, it is neither audited nor
    // logged, and it completes synchronously, so it only restarts the idle countdown.
    if ((req.method === 'GET' || req.method === 'HEAD') && isPing(req.url!)) {
      ping(req, res, pingWith);
      idle.touch();
      return;
    }
    idle.enter();
    res.once('close', () => idle.leave());
    void dispatch(req, res);
  };

  const dispatch = async (req: IncomingMessage, res: ServerResponse) => {
    // hrtime rather than perf_hooks' clock: perf_hooks is eight more modules to load before listen.
    const t0 = process.hrtime.bigint();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const method = req.method ?? 'GET';
    if (o.cors) {
      for (const [k, v] of cors) res.setHeader(k, v);
      if (method === 'OPTIONS') return preflight(res);
    }
    const m = (router ?? (await loadRouter())).lookup(method, path);
    const layer: Layer = m.layer;
    let ra: import('./access/hook.js').RequestAccess | undefined;
    if (access) {
      try {
        ra = access.begin(req, res, layer, path, 'miss' in m ? undefined : m.params, (ref) => engine!.containers.find(ref));
      } catch (err) {
        o.log.debug('request denied', { method, path, err: (err as Error).message });
        return fail(res, layer, statusOf(err), err);
      }
    }
    if (o.log.enabled('info')) {
      res.once('close', () =>
        o.log.info('API call', { method, path: url, status: res.statusCode, ms: Math.round(Number(process.hrtime.bigint() - t0) / 1e4) / 100 }),
      );
    }
    if ('miss' in m) {
      const msg = m.miss === 404 ? 'page not found' : m.miss === 400 ? 'malformed path: invalid percent-encoding' : `method ${method} not allowed on ${path}`;
      if (m.allowed) res.setHeader('Allow', m.allowed.join(', '));
      return fail(res, layer, m.miss, new Error(msg));
    }
    const ctx: Ctx = {
      req,
      res,
      layer,
      version: m.version,
      params: m.params,
      query: new URLSearchParams(q < 0 ? '' : url.slice(q + 1)),
      engine: engine!,
      log: o.log,
      access: ra,
    };
    try {
      await m.handler(ctx);
    } catch (err) {
      const status = statusOf(err);
      if (status >= 500) o.log.error('request failed', { method, path, err: (err as Error)?.stack ?? String(err) });
      else o.log.debug('request refused', { method, path, status, err: (err as Error)?.message });
      if (res.headersSent) {
        // Mid-stream failure: the only honest signal left is cutting the connection.
        res.destroy();
        return;
      }
      fail(res, layer, status, err);
    }
  };

  const fail = (res: ServerResponse, layer: Layer, status: number, err: unknown) => {
    if (status === 304) {
      res.writeHead(304);
      res.end();
      return;
    }
    const body = JSON.stringify(errorBody(layer, status, err));
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  };

  server.on('request', handle);
  // With an 'upgrade' listener Node detaches its HTTP parser, so bytes the client sends after an
  // attach request (stdin) reach the handler raw instead of being parsed as another request.
  server.on('upgrade', (req: IncomingMessage, socket, head: Buffer) => {
    if (head.length) socket.unshift(head);
    const res = new http.ServerResponse(req);
    res.assignSocket(socket as never);
    res.shouldKeepAlive = false;
    res.once('finish', () => socket.end());
    markUpgraded(req);
    handle(req, res);
  });
  // A refused handshake (no certificate, another CA, expired) never becomes a request.
  server.on('tlsClientError', (err: Error, socket: import('node:net').Socket) => {
    o.log.debug('TLS handshake refused', { err: err.message });
    socket.destroy();
  });
  server.on('connection', (s) => {
    idle.touch();
    s.once('close', () => idle.touch());
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || err.code === 'ECONNRESET') return socket.destroy();
    const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || err.code === 'ERR_HTTP_HEADERS_TIMEOUT' ? 408 : err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const body = JSON.stringify({ message: `bad request: ${err.code ?? err.message}` });
    socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });

  // Warm-up: the handlers (and what the caller adds) load once the first reply is out.
  const tasks: (() => unknown)[] = [() => loadRouter()];
  let settled = false;
  let settleTimer: NodeJS.Timeout | undefined;
  const runTasks = () => {
    const t = tasks.shift();
    if (!t) return;
    try {
      // A task that fails because the service is already ending for a reason of its own (a
      // containers.conf that does not parse) adds nothing to that reason.
      void Promise.resolve(t()).catch((e: Error) => closing || o.log.error('warm-up failed', { err: e?.stack ?? String(e) }));
    } catch (e) {
      o.log.error('warm-up failed', { err: (e as Error)?.stack ?? String(e) });
    }
    setImmediate(runTasks);
  };
  const settle = () => {
    if (settled) return;
    settled = true;
    clearTimeout(settleTimer);
    server.off('connection', onFirstConnection);
    server.off('request', onFirstRequest);
    setImmediate(runTasks);
  };
  const onFirstConnection = () => {
    clearTimeout(settleTimer);
    settleTimer = setTimeout(settle, FIRST_REQUEST_MS);
  };
  const onFirstRequest = (_req: IncomingMessage, res: ServerResponse) => {
    server.off('connection', onFirstConnection);
    clearTimeout(settleTimer);
    res.once('close', settle);
  };
  server.once('connection', onFirstConnection);
  server.once('request', onFirstRequest);

  await listen(server, o.binding);
  settleTimer = setTimeout(settle, SETTLE_MS);

  const shutdown = async (reason: 'idle' | 'signal' | 'requested' = 'requested') => {
    if (closing) return;
    closing = true;
    idle.stop();
    o.log.info('shutting down', { reason });
    const closed = new Promise<void>((r) => server.close(() => r()));
    server.closeIdleConnections();
    await engine?.close();
    const drain = new Promise<void>((r) => setTimeout(r, o.drainMs ?? 10_000).unref());
    await Promise.race([closed, drain]);
    server.closeAllConnections();
    removeSocketFile(o.binding);
    access?.close();
    finish(reason);
  };

  return {
    server,
    done,
    shutdown: (r) => shutdown(r),
    setSecureContext: (sc) => (server as unknown as import('node:tls').Server).setSecureContext(sc),
    setIdleTimeout: (seconds) => idle.setTimeoutMs(seconds * 1000),
    warmup: (task, first) => {
      if (first) tasks.unshift(task);
      else tasks.push(task);
      if (settled && tasks.length === 1) setImmediate(runTasks);
    },
  };
}
