// Exec endpoints shared by both layers; each layer shapes create and inspect bodies itself.
import type { Ctx } from '../../server/http.js';
import type { Socket } from 'node:net';
import { hijack, isUpgraded, noContent, qInt } from '../../server/http.js';
import { decodeBody, readBody } from '../http/body.js';
import { HttpError } from '../../server/errors.js';
import { EngineError } from '../../engine/errors.js';
import type { ExecCreateRequest, ExecView } from '../../engine/exec/types.js';
import { frame } from '../containers/streams.js';
import { DetachScanner, parseDetachKeys } from '../http/detach.js';
import { detachHttpParser } from '../../server/detach-parser.js';
import { TTY_SIZE } from '../http/query.js';
import { fromExecCreate } from '../../server/access/request.js';

export const execs = (ctx: Ctx) => ctx.engine.exec;

export async function createExec(ctx: Ctx): Promise<string> {
  const body = await readBody<ExecCreateRequest>(ctx, ctx.layer === 'libpod' ? 'ExecCreateLibpod' : 'ExecCreate');
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'exec create needs a JSON body with Cmd');
  // Refused now rather than when a start attaches with them.
  if (body.DetachKeys) parseDetachKeys(body.DetachKeys);
  const ref = ctx.params.id ?? ctx.params.name;
  ctx.access?.guard(fromExecCreate(body, ref));
  const id = execs(ctx).create(ref, body).id;
  ctx.access?.touched(id);
  return id;
}

/**
 * `POST /exec/{id}/start`: detached, answers once the process runs; attached, hijacks the
 * connection and relays stdio (raw with a TTY, multiplexed without) until the process exits and
 * its exit code is recorded, so the client's inspect right after sees it.
 */
export async function startExec(ctx: Ctx): Promise<void> {
  const body = (await readStartBody(ctx)) ?? {};
  const detach = !!body.Detach;
  // podman sends the terminal size with the start: it becomes the initial console size.
  const size: [number, number] | undefined = body.h && body.w ? [body.h, body.w] : undefined;
  const run = execs(ctx).start(ctx.params.id, { detach, size });
  const cfg = run.config;
  if (detach) {
    await run.started;
    if (ctx.layer === 'libpod') return noContent(ctx, 200);
    ctx.res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': 0 });
    ctx.res.end();
    return;
  }
  const session = run.session!;
  // dockerd frames the stream by the start request's Tty (absent: multiplexed), whatever the
  // session's terminal; podman by the session's terminal.
  const tty = ctx.layer === 'compat' ? body.Tty === true : run.tty;
  detachHttpParser(ctx.req.socket);
  const sock = hijack(ctx, tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream');
  const send = (s: 1 | 2, d: Buffer) => {
    if (!sock.destroyed && d.length) sock.write(tty ? d : frame(s, d));
  };
  session.onOutput(send);
  const scanner = new DetachScanner(parseDetachKeys(cfg.DetachKeys || ctx.query.get('detachKeys') || undefined));
  let detached = false;
  sock.on('data', (d: Buffer) => {
    if (detached) return;
    const r = cfg.AttachStdin ? scanner.feed(d) : { forward: d, detach: false };
    writeChunked(session, r.forward);
    if (r.detach) {
      detached = true;
      session.close();
      sock.end();
    }
  });
  sock.on('end', () => {
    const rest = scanner.flush();
    writeChunked(session, rest);
    session.endStdin();
  });
  sock.on('error', () => undefined);
  sock.resume();
  const closed = new Promise<void>((r) => sock.once('close', () => r()));
  const unhook = ctx.engine.onShutdown(() => session.close());
  try {
    await run.started;
  } catch (e) {
    const msg = e instanceof EngineError ? e.message : String(e);
    send(2, Buffer.from(`${msg}\r\n`));
    if (!sock.destroyed) sock.end();
    unhook();
    return;
  }
  const sessionEnded = new Promise<void>((r) => session.onEnd(() => r()));
  // The exit is recorded first; output still in flight arrives before conmon closes the socket.
  await Promise.race([run.exited.then(() => Promise.race([sessionEnded, delay(2000)])), closed]);
  unhook();
  if (!sock.destroyed) sock.end();
}

type StartBody = { Detach?: boolean; Tty?: boolean; h?: number; w?: number };

/**
 * On an upgraded connection Node's parser is detached: the body (Content-Length bytes) is raw
 * on the socket, ahead of any stdin, and must be taken off it before the stdio relay starts.
 */
async function readStartBody(ctx: Ctx): Promise<StartBody | undefined> {
  const name = ctx.layer === 'libpod' ? 'ExecStartLibpod' : 'ExecStart';
  if (!isUpgraded(ctx.req)) return readBody<StartBody>(ctx, name);
  const n = Number(ctx.req.headers['content-length'] ?? 0);
  if (!n) return undefined;
  if (n > 1 << 20) throw new HttpError(413, 'exec start body too large');
  return decodeBody<StartBody>(ctx, name, (await readExactly(ctx.req.socket, n)).toString('utf8').trim());
}

async function readExactly(sock: Socket, n: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let got = 0;
  while (got < n) {
    const c = sock.read() as Buffer | null;
    if (c === null) {
      if (sock.readableEnded || sock.destroyed) break;
      await new Promise<void>((r) => {
        const done = () => {
          sock.off('readable', done);
          sock.off('end', done);
          sock.off('close', done);
          r();
        };
        sock.on('readable', done);
        sock.on('end', done);
        sock.on('close', done);
      });
      continue;
    }
    if (got + c.length > n) {
      sock.unshift(c.subarray(n - got));
      chunks.push(c.subarray(0, n - got));
      got = n;
      break;
    }
    chunks.push(c);
    got += c.length;
  }
  return Buffer.concat(chunks);
}

/** Writes stdin to a session (oci/attach.ts splits it into packets conmon reads whole). */
export function writeChunked(session: { write(d: Buffer): void }, d: Buffer): void {
  if (d.length) session.write(d);
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());

/** Inspect in docker's shape (libpod adds env and workDir to ProcessConfig). */
export function inspectExec(ctx: Ctx) {
  const e = execs(ctx).inspect(ctx.params.id);
  const c = e.config;
  const pc: Record<string, unknown> = { arguments: c.Cmd.slice(1), entrypoint: c.Cmd[0], privileged: c.Privileged, tty: c.Tty, user: c.User };
  if (ctx.layer === 'libpod') Object.assign(pc, { env: c.Env, workDir: c.WorkingDir });
  return {
    CanRemove: false,
    ContainerID: e.containerId,
    DetachKeys: c.DetachKeys,
    ExitCode: exitCode(ctx, e),
    ID: e.id,
    OpenStderr: c.AttachStderr,
    OpenStdin: c.AttachStdin,
    OpenStdout: c.AttachStdout,
    ProcessConfig: pc,
    Running: e.running,
    Pid: e.pid,
  };
}

/**
 * dockerd records 126 for any process that could not be started (its code, whatever the runtime
 * said); podman keeps the runtime's verdict (127 not found, 126 not executable). Until the end
 * docker shows null, podman 0.
 */
function exitCode(ctx: Ctx, e: ExecView): number | null {
  if (e.state === 'failed' && ctx.layer === 'compat') return 126;
  if (e.exitCode === null) return ctx.layer === 'libpod' ? 0 : null;
  return e.exitCode;
}

export async function resizeExec(ctx: Ctx): Promise<void> {
  const h = qInt(ctx, 'h', 0, TTY_SIZE)!;
  const w = qInt(ctx, 'w', 0, TTY_SIZE)!;
  if (h <= 0 || w <= 0) throw new HttpError(400, 'resize needs positive h and w');
  execs(ctx).resize(ctx.params.id, h, w);
  if (ctx.layer === 'libpod') return noContent(ctx, 201);
  ctx.res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': 0 });
  ctx.res.end();
}
