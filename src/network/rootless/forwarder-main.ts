// `berth network port-forwarder SPEC`: the published ports of a container on a user network of a
// rootless berth. The service binds each host port in the host's network namespace and hands the
// sockets over as inherited fds (3, 4, ...); this process runs in the rootless network namespace
// (nsenter --net), where the container's address is routable, accepts on those sockets and
// connects onwards to the container. It ends on SIGTERM (teardown) or when the container's
// namespace is unbound, whichever comes first, so it cannot outlive the container.
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';

export interface ForwardSpec {
  /** The container's namespace path: gone means the container's network is gone. */
  watch: string;
  ports: { fd: number; protocol: 'tcp' | 'udp'; family: 4 | 6; target: string; port: number }[];
}

const WATCH_MS = 2_000;
const UDP_IDLE_MS = 60_000;

export function parseForwardSpec(text: string): ForwardSpec {
  const s = JSON.parse(text) as ForwardSpec;
  if (typeof s?.watch !== 'string' || !Array.isArray(s.ports)) throw new Error('port-forwarder: bad spec');
  for (const p of s.ports) {
    if (!Number.isInteger(p.fd) || p.fd < 3 || !['tcp', 'udp'].includes(p.protocol) || typeof p.target !== 'string' || !Number.isInteger(p.port)) throw new Error('port-forwarder: bad port in spec');
  }
  return s;
}

function forwardTcp(fd: number, target: string, port: number): void {
  const srv = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client: Socket) => {
    const up = connect({ host: target, port, allowHalfOpen: true });
    const drop = () => {
      client.destroy();
      up.destroy();
    };
    client.on('error', drop);
    up.on('error', drop);
    up.once('connect', () => {
      client.pipe(up);
      up.pipe(client);
      client.resume();
    });
  });
  srv.on('error', (e) => process.stderr.write(`port-forwarder: ${e.message}\n`));
  srv.listen({ fd });
}

function forwardUdp(fd: number, family: 4 | 6, target: string, port: number): void {
  const front = createSocket(family === 6 ? 'udp6' : 'udp4');
  // One upstream socket per client, so the container's answers find their way back.
  const sessions = new Map<string, { up: UdpSocket; timer: NodeJS.Timeout }>();
  const session = (from: RemoteInfo) => {
    const key = `${from.address}|${from.port}`;
    let s = sessions.get(key);
    if (!s) {
      const up = createSocket(target.includes(':') ? 'udp6' : 'udp4');
      up.on('message', (msg, r) => {
        if (r.port === port && r.address === target) front.send(msg, from.port, from.address);
      });
      up.on('error', () => undefined);
      s = { up, timer: setTimeout(() => undefined, 0) };
      sessions.set(key, s);
    }
    clearTimeout(s.timer);
    const cur = s;
    cur.timer = setTimeout(() => {
      cur.up.close();
      sessions.delete(key);
    }, UDP_IDLE_MS);
    return s.up;
  };
  front.on('message', (msg, from) => {
    // Unconnected: a send does not wait for a connect, and only the target answers on it.
    session(from).send(msg, port, target);
  });
  front.on('error', (e) => process.stderr.write(`port-forwarder: ${e.message}\n`));
  front.bind({ fd });
}

export function portForwarderCommand(args: string[]): Promise<number> {
  const spec = parseForwardSpec(args[0] ?? '');
  for (const p of spec.ports) {
    if (p.protocol === 'tcp') forwardTcp(p.fd, p.target, p.port);
    else forwardUdp(p.fd, p.family, p.target, p.port);
  }
  process.on('SIGTERM', () => process.exit(0));
  process.on('SIGINT', () => process.exit(0));
  setInterval(() => {
    if (!existsSync(spec.watch)) process.exit(0);
  }, WATCH_MS);
  // Never settles: the process lives until a signal or the watch ends it.
  return new Promise<number>(() => undefined);
}
