import type { Socket } from 'node:net';

/**
 * Takes Node's HTTP parser off a connection that a handler hijacks *without* an Upgrade
 * (plain 200, as podman's bindings and older docker clients use it): afterwards bytes the client
 * sends (stdin) arrive as 'data' on the socket instead of being parsed as a next request (which
 * would answer "400 Bad Request" into the stream), and the client's half-close no longer makes
 * the server end the connection. This is what Node itself does before emitting 'upgrade'; it
 * reaches into the same internals (the socket's `parser`, the bound socketOn* listeners), so it
 * is guarded: when they are not there, nothing is touched.
 */
export function detachHttpParser(socket: Socket): void {
  const s = socket as Socket & { parser?: { unconsume?: () => void } | null; _handle?: { _consumed?: boolean } | null };
  const parser = s.parser;
  if (!parser) return;
  for (const ev of ['data', 'end'] as const) {
    for (const l of socket.listeners(ev)) {
      if (/^bound socketOn(Data|End)$/.test((l as { name?: string }).name ?? '')) socket.removeListener(ev, l as (...a: unknown[]) => void);
    }
  }
  for (const ev of ['pause', 'resume'] as const) {
    for (const l of socket.listeners(ev)) {
      if (/^onSocket(Pause|Resume)$/.test((l as { name?: string }).name ?? '')) socket.removeListener(ev, l as (...a: unknown[]) => void);
    }
  }
  if (s._handle?._consumed && typeof parser.unconsume === 'function') {
    parser.unconsume();
    s._handle._consumed = false;
  }
}
