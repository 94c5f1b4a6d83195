// A TCP proxy in front of a test registry that can slow the answers down (so a test can act
// mid-pull), stop forwarding (a hung registry) or cut every connection (a registry that died).
import net from 'node:net';

export interface FaultProxy {
  port: number;
  host: string;
  /** Bytes per second from the registry to the client (0: unlimited). */
  rate: number;
  /** Stops forwarding answers without closing anything. */
  hang(): void;
  /** Destroys every open connection. */
  cut(): void;
  close(): Promise<void>;
}

export async function startFaultProxy(targetPort: number, rate = 0): Promise<FaultProxy> {
  const open = new Set<net.Socket>();
  let hung = false;
  const server = net.createServer((client) => {
    const up = net.connect(targetPort, '127.0.0.1');
    open.add(client);
    open.add(up);
    const gone = () => {
      client.destroy();
      up.destroy();
      open.delete(client);
      open.delete(up);
    };
    client.on('error', gone).on('close', gone);
    up.on('error', gone).on('close', gone);
    client.pipe(up);
    up.on('data', (chunk: Buffer) => {
      if (hung) {
        up.pause();
        return;
      }
      client.write(chunk);
      if (p.rate > 0) {
        up.pause();
        setTimeout(() => !hung && up.resume(), Math.ceil((chunk.length / p.rate) * 1000));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const p: FaultProxy = {
    port,
    host: `127.0.0.1:${port}`,
    rate,
    hang: () => {
      hung = true;
    },
    cut: () => {
      for (const s of open) s.destroy();
      open.clear();
    },
    close: () =>
      new Promise<void>((r) => {
        p.cut();
        server.close(() => r());
      }),
  };
  return p;
}
