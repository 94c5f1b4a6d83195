// Host ports for publishing: netavark's rules forward a port without binding it, so whether a
// port is free is asked of the kernel by binding it for a moment.
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

export type Protocol = 'tcp' | 'udp' | 'sctp';

/** Binds `port` on `ip` ('' = every address) and lets go: the port it got (0 asks for any), or undefined when taken. */
export function probePort(protocol: Protocol, ip: string, port: number): Promise<number | undefined> {
  const host = ip || (protocol === 'udp' ? '0.0.0.0' : undefined);
  if (protocol === 'udp') {
    return new Promise((resolve) => {
      const s = createSocket(ip.includes(':') ? 'udp6' : 'udp4');
      s.once('error', () => {
        s.close();
        resolve(undefined);
      });
      s.bind({ port, address: host, exclusive: true }, () => {
        const got = s.address().port;
        s.close(() => resolve(got));
      });
    });
  }
  // sctp has no socket in Node: tcp's answer stands in for it.
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(undefined));
    srv.listen({ port, host, exclusive: true }, () => {
      const a = srv.address();
      const got = a && typeof a === 'object' ? a.port : undefined;
      srv.close(() => resolve(got));
    });
  });
}
