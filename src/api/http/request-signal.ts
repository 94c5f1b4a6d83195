import type { EventEmitter } from 'node:events';
import type { Ctx } from '../../server/http.js';

export interface RequestSignal {
  /** Aborts when the client goes away or the service shuts down. */
  readonly signal: AbortSignal;
  /** The handler is finished: unhooks, and aborts `signal` for whatever still listens to it (`onAbort` is not run). */
  done(): void;
}

/**
 * The lifetime of a streaming or waiting request, for handlers that must stop when the client
 * goes away (`conn` closes: the response, or the socket or websocket a hijack took over) or the
 * service shuts down. Both hooks come off once the signal aborts, so a handler that throws
 * before calling `done()` leaves nothing registered with the engine.
 */
export function requestSignal(ctx: Ctx, opts: { conn?: EventEmitter; onAbort?: () => void } = {}): RequestSignal {
  const ac = new AbortController();
  const conn = opts.conn ?? ctx.res;
  const abort = () => ac.abort();
  conn.once('close', abort);
  const unhook = ctx.engine.onShutdown(abort);
  ac.signal.addEventListener(
    'abort',
    () => {
      conn.off('close', abort);
      unhook();
    },
    { once: true },
  );
  const { onAbort } = opts;
  if (onAbort) ac.signal.addEventListener('abort', onAbort, { once: true });
  return {
    signal: ac.signal,
    done: () => {
      if (onAbort) ac.signal.removeEventListener('abort', onAbort);
      ac.abort();
    },
  };
}
