// `GET /containers/{id}/attach/ws`: attach over a websocket. Output goes out as binary messages
// (raw, never multiplexed, as dockerd sends it), every message from the client is stdin.
import type { Ctx, RouteDef } from '../../server/http.js';
import { isUpgraded, qBool } from '../../server/http.js';
import { HttpError } from '../../server/errors.js';
import { DetachScanner, parseDetachKeys } from '../http/detach.js';
import { requestSignal } from '../http/request-signal.js';
import { writeChunked } from '../exec/handlers.js';

async function attachWs(ctx: Ctx): Promise<void> {
  if (!isUpgraded(ctx.req) || String(ctx.req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
    throw new HttpError(400, 'websocket upgrade required');
  }
  const svc = ctx.engine.containers;
  const v = svc.get(ctx.params.id);
  const opts = { stdin: qBool(ctx, 'stdin'), stdout: qBool(ctx, 'stdout'), stderr: qBool(ctx, 'stderr') };
  const stream = qBool(ctx, 'stream');
  const logs = qBool(ctx, 'logs');
  const keys = parseDetachKeys(ctx.query.get('detachKeys') || undefined);
  const { WebSocketServer } = await import('ws');
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const ws = await new Promise<import('ws').WebSocket>((resolve) => wss.handleUpgrade(ctx.req, ctx.req.socket, Buffer.alloc(0), resolve));
  // Messages may come as soon as the handshake is done: keep them until the session exists.
  const early: Buffer[] = [];
  let onMessage: ((b: Buffer) => void) | undefined;
  ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
    const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    if (onMessage) onMessage(buf);
    else early.push(buf);
  });
  const send = (d: Buffer) => {
    if (ws.readyState === ws.OPEN) ws.send(d, { binary: true });
  };
  if (logs) {
    for await (const l of svc.logs(v.id, {}).lines) {
      if ((l.stream === 'stdout' && opts.stdout) || (l.stream === 'stderr' && opts.stderr)) send(l.data);
    }
  }
  if (!stream) {
    ws.close(1000);
    return;
  }
  const session = await svc.attach(v.id, opts);
  session.onOutput((_s, d) => send(d));
  const scanner = new DetachScanner(keys);
  await new Promise<void>((done) => {
    session.onEnd(() => {
      if (ws.readyState === ws.OPEN) ws.close(1000);
      done();
    });
    onMessage = (buf) => {
      const r = scanner.feed(buf);
      writeChunked(session, r.forward);
      if (r.detach) {
        session.close();
        ws.close(1000);
      }
    };
    for (const b of early.splice(0)) onMessage(b);
    ws.on('close', done);
    ws.on('error', () => undefined);
    requestSignal(ctx, { conn: ws, onAbort: () => session.close() });
  });
}

export const routes: RouteDef[] = [{ method: 'GET', path: '/containers/:id/attach/ws', handler: attachWs }];
