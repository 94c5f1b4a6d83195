import { isAbsolute, join } from 'node:path';

export type Endpoint =
  | { kind: 'unix'; path: string; uri: string }
  | { kind: 'tcp'; host: string; port: number; uri: string };

export class UriError extends Error {}

/** Parses `unix:///abs/path` or `tcp://host:port`; anything else is refused before we touch disk. */
export function parseEndpoint(uri: string): Endpoint {
  const m = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(uri);
  if (!m) throw new UriError(`invalid endpoint "${uri}": expected unix:///path or tcp://host:port`);
  const scheme = m[1].toLowerCase();
  const rest = m[2];
  if (scheme === 'unix') {
    if (!rest || !isAbsolute(rest)) {
      throw new UriError(`invalid endpoint "${uri}": unix socket path must be absolute (unix:///path/to/sock)`);
    }
    return { kind: 'unix', path: rest, uri: `unix://${rest}` };
  }
  if (scheme === 'tcp') {
    const hm = /^(\[[0-9a-fA-F:.]+\]|[^:/[\]]+):(\d+)\/?$/.exec(rest);
    if (!hm) throw new UriError(`invalid endpoint "${uri}": tcp endpoints need a host and a port (tcp://127.0.0.1:8080)`);
    const port = Number(hm[2]);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new UriError(`invalid endpoint "${uri}": port ${hm[2]} is out of range`);
    }
    const host = hm[1].startsWith('[') ? hm[1].slice(1, -1) : hm[1];
    return { kind: 'tcp', host, port, uri: `tcp://${hm[1]}:${port}` };
  }
  throw new UriError(`invalid endpoint "${uri}": scheme "${scheme}" is not supported (use unix:// or tcp://)`);
}

/** Rootful /run/berth/berth.sock; rootless under $XDG_RUNTIME_DIR. */
export function defaultEndpoint(rootless: boolean, env: NodeJS.ProcessEnv): Endpoint {
  if (!rootless) return parseEndpoint('unix:///run/berth/berth.sock');
  const xdg = env.XDG_RUNTIME_DIR;
  if (!xdg) throw new UriError('XDG_RUNTIME_DIR is not set: cannot choose a default socket for a rootless service; pass a URI such as unix:///tmp/berth.sock');
  return parseEndpoint(`unix://${join(xdg, 'berth', 'berth.sock')}`);
}
