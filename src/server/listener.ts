import { chmodSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import type { Server } from 'node:http';
import { dirname } from 'node:path';
import type { Endpoint } from './uri.js';

export class ListenError extends Error {}

/** What the server listens on, and whether berth owns (and so removes) the socket file. */
export type Binding =
  | { kind: 'endpoint'; endpoint: Endpoint }
  | { kind: 'systemd'; fd: number };

/**
 * systemd socket activation: LISTEN_PID names this process and LISTEN_FDS counts fds from 3.
 * The variables are removed so that nothing we spawn believes it was activated too.
 */
export function systemdActivation(env: NodeJS.ProcessEnv = process.env): Binding | undefined {
  const pid = env.LISTEN_PID;
  const fds = env.LISTEN_FDS;
  delete env.LISTEN_PID;
  delete env.LISTEN_FDS;
  delete env.LISTEN_FDNAMES;
  if (!pid || Number(pid) !== process.pid || !fds) return undefined;
  const n = Number(fds);
  if (n === 0) return undefined;
  if (n !== 1) throw new ListenError(`systemd passed ${fds} sockets: only one listening socket is supported`);
  return { kind: 'systemd', fd: 3 };
}

/** True when something accepts connections on the unix socket at `path`. */
function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(path);
    const done = (v: boolean) => {
      s.destroy();
      resolve(v);
    };
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
    s.setTimeout(1000, () => done(false));
  });
}

/** Prepares a unix socket path: parents created, a stale socket replaced, a live one refused. */
async function prepareUnixPath(path: string): Promise<void> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return;
  }
  if (!st.isSocket()) throw new ListenError(`${path} exists and is not a socket: refusing to replace it`);
  if (await socketAnswers(path)) {
    throw new ListenError(`another service is already listening on ${path}`);
  }
  unlinkSync(path);
}

export async function listen(server: Server, b: Binding): Promise<void> {
  if (b.kind === 'systemd') {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ fd: b.fd }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return;
  }
  const ep = b.endpoint;
  if (ep.kind === 'unix') {
    await prepareUnixPath(ep.path);
    // The socket must never exist with a wider mode, not even for a moment.
    const old = process.umask(0o177);
    try {
      await bind(server, { path: ep.path });
    } finally {
      process.umask(old);
    }
    chmodSync(ep.path, 0o600);
    return;
  }
  await bind(server, { host: ep.host, port: ep.port });
}

function bind(server: Server, opts: net.ListenOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      const where = opts.path ?? `${opts.host}:${opts.port}`;
      reject(new ListenError(`cannot listen on ${where}: ${e.code === 'EADDRINUSE' ? 'address already in use' : e.message}`));
    };
    server.once('error', onError);
    server.listen(opts, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Removes the socket file berth created; never one that systemd handed over. */
export function removeSocketFile(b: Binding): void {
  if (b.kind !== 'endpoint' || b.endpoint.kind !== 'unix') return;
  try {
    unlinkSync(b.endpoint.path);
  } catch {
    // Already gone.
  }
}
