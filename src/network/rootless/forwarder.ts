// Published ports of a container on a user network, rootless: the host ports are bound here, in
// the host's network namespace (so a taken or privileged port fails the start with the kernel's
// reason), and handed as inherited fds to a detached `berth network port-forwarder` entered into
// the rootless network namespace, which connects to the container's address there. Podman's
// rootlessport does the same job with a parent/child pair; one process suffices when the
// listening sockets themselves cross the namespace boundary.
import { spawn } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { closeSync, openSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { processToken } from '../../lib/owner.js';
import type { ForwardSpec } from './forwarder-main.js';
import type { HelperProcess, PublishedPort } from './types.js';

export interface ForwarderInput {
  nsenter: string;
  /** The rootless network namespace, where the container's address is reachable. */
  rootlessNetns: string;
  /** The container's namespace: the forwarder ends when it is unbound. */
  containerNetns: string;
  /** How to run berth itself: [node, script]. */
  self: string[];
  ports: PublishedPort[];
  /** The container's address on its first network. */
  target: string;
  logFile: string;
}

type Bound = { kind: 'tcp'; srv: Server } | { kind: 'udp'; sock: UdpSocket; family: 4 | 6 };

/**
 * The fd under a bound Node socket. Node has no public accessor; its handles all have `fd` on
 * Unix. A dgram socket keeps its handle under its state symbol (its `_handle` is deprecated).
 */
function fdOf(b: Bound): number {
  let h: { fd?: number } | undefined;
  if (b.kind === 'tcp') h = (b.srv as unknown as { _handle?: { fd?: number } })._handle;
  else {
    const sym = Object.getOwnPropertySymbols(b.sock).find((x) => x.description === 'state symbol');
    h = sym ? (b.sock as unknown as Record<symbol, { handle?: { fd?: number } }>)[sym]?.handle : undefined;
  }
  const fd = h?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('cannot find the descriptor of a bound socket');
  return fd;
}

function bindOne(p: PublishedPort): Promise<Bound> {
  return new Promise((resolve, reject) => {
    const fail = (e: NodeJS.ErrnoException) => {
      const where = `${p.hostIp || '0.0.0.0'}:${p.hostPort}/${p.protocol}`;
      reject(new Error(e.code === 'EACCES' ? `cannot bind ${where}: a rootless berth cannot bind a port below net.ipv4.ip_unprivileged_port_start` : e.code === 'EADDRINUSE' ? `cannot bind ${where}: address already in use` : `cannot bind ${where}: ${e.message}`));
    };
    if (p.protocol === 'udp') {
      const family = p.hostIp.includes(':') ? 6 : 4;
      const sock = createSocket(family === 6 ? 'udp6' : 'udp4');
      sock.once('error', fail);
      sock.bind({ port: p.hostPort, address: p.hostIp || '0.0.0.0', exclusive: true }, () => resolve({ kind: 'udp', sock, family }));
      return;
    }
    const srv = createServer();
    srv.once('error', fail);
    // No host: every address, v4 and v6, as docker's 0.0.0.0 binding answers both.
    srv.listen({ port: p.hostPort, host: p.hostIp || undefined, exclusive: true, backlog: 511 }, () => resolve({ kind: 'tcp', srv }));
  });
}

function closeAll(bound: Bound[]): void {
  for (const b of bound) {
    if (b.kind === 'tcp') b.srv.close();
    else b.sock.close();
  }
}

/** Binds every port and starts the forwarder; the sockets listen from now on (connections queue until it accepts). */
export async function startForwarder(i: ForwarderInput): Promise<HelperProcess> {
  const bound: Bound[] = [];
  try {
    for (const p of i.ports) bound.push(await bindOne(p));
    const spec: ForwardSpec = {
      watch: i.containerNetns,
      ports: i.ports.map((p, n) => ({ fd: 3 + n, protocol: p.protocol === 'udp' ? 'udp' : 'tcp', family: (bound[n] as { family?: 4 | 6 }).family ?? 4, target: i.target, port: p.containerPort })),
    };
    const log = openSync(i.logFile, 'a', 0o600);
    const child = spawn(i.nsenter, [`--net=${i.rootlessNetns}`, '--', ...i.self, 'network', 'port-forwarder', JSON.stringify(spec)], {
      detached: true,
      stdio: ['ignore', log, log, ...bound.map(fdOf)],
    });
    closeSync(log);
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (e) => reject(new Error(`starting the port forwarder: ${e.message}`)));
    });
    child.unref();
    const token = processToken(child.pid!);
    if (!token) throw new Error(`the port forwarder ended at once; see ${i.logFile}`);
    return { kind: 'forwarder', token, files: [i.logFile] };
  } finally {
    // The forwarder holds its own copies; these were only the means of handing them over.
    closeAll(bound);
  }
}
