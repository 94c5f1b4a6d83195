import type { Ctx } from '../../server/http.js';
import { hijack, qBool, qInt, startStream } from '../../server/http.js';
import { qTimeNs } from '../http/query.js';
import { HttpError } from '../../server/errors.js';
import type { LogLine } from '../../engine/containers/types.js';
import { DetachScanner, parseDetachKeys } from '../http/detach.js';
import { requestSignal } from '../http/request-signal.js';
import { detachHttpParser } from '../../server/detach-parser.js';

/** docker's stdcopy header: stream byte, three zero bytes, big-endian payload length. */
export function frame(stream: 1 | 2, data: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(data.length, 4);
  return Buffer.concat([h, data]);
}

/** `GET .../containers/{id}/logs` for both layers. */
export async function logs(ctx: Ctx): Promise<void> {
  const stdout = qBool(ctx, 'stdout');
  const stderr = qBool(ctx, 'stderr');
  if (!stdout && !stderr) throw new HttpError(400, 'Bad parameters: you must choose at least one stream');
  const follow = qBool(ctx, 'follow');
  const timestamps = qBool(ctx, 'timestamps');
  // "all", or a count (Go's Atoi: digits only); a negative count is all, as in docker.
  const tail = ctx.query.get('tail') === 'all' ? undefined : qInt(ctx, 'tail');
  const sinceNs = qTimeNs(ctx, 'since');
  const untilNs = qTimeNs(ctx, 'until');
  // The docker CLI only copies frames to stdout/stderr (stdcopy): fewer, larger frames make
  // `docker logs` several times faster there, and change nothing it prints.
  const mergeFrames = ctx.layer === 'compat' && /^Docker-Client\//.test(String(ctx.req.headers['user-agent'] ?? ''));
  const { signal, done } = requestSignal(ctx);
  const svc = ctx.engine.containers;
  const { tty, batches } = svc.logs(ctx.params.id, {
    follow,
    sinceNs: sinceNs && sinceNs > 0n ? sinceNs : undefined,
    untilNs: untilNs && untilNs > 0n ? untilNs : undefined,
    tail: tail !== undefined && tail >= 0 ? tail : undefined,
    signal,
  });
  const res = startStream(ctx, tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream');
  try {
    for await (const batch of batches()) {
      const out = encodeLines(batch, { stdout, stderr, timestamps, tty, mergeFrames });
      if (!out.length) continue;
      if (!res.write(out)) await new Promise((r) => res.once('drain', r));
      if (signal.aborted) break;
    }
  } finally {
    done();
    if (!res.writableEnded) res.end();
  }
}

/**
 * One buffer for a batch of log lines, written at once. Without a TTY each line is its own
 * stdcopy frame, as dockerd and podman send them: SDKs (docker-py's stream=True, podman's
 * bindings) hand frames to their callers as lines. `mergeFrames` lets consecutive lines of one
 * stream share a frame, for clients that only copy frames to their outputs.
 */
export function encodeLines(lines: LogLine[], o: { stdout: boolean; stderr: boolean; timestamps: boolean; tty: boolean; mergeFrames?: boolean }): Buffer {
  const parts: Buffer[] = [];
  let frameAt = -1;
  let frameStream = 0;
  let frameLen = 0;
  const close = () => {
    if (frameAt >= 0) parts[frameAt].writeUInt32BE(frameLen, 4);
  };
  for (const l of lines) {
    if ((l.stream === 'stdout' && !o.stdout) || (l.stream === 'stderr' && !o.stderr)) continue;
    const s = l.stream === 'stderr' ? 2 : 1;
    if (!o.tty && (s !== frameStream || !o.mergeFrames)) {
      close();
      const h = Buffer.alloc(8);
      h[0] = s;
      frameAt = parts.push(h) - 1;
      frameStream = s;
      frameLen = 0;
    }
    if (o.timestamps) {
      const ts = Buffer.from(l.stamp() + ' ', 'latin1');
      parts.push(ts);
      frameLen += ts.length;
    }
    parts.push(l.data);
    frameLen += l.data.length;
  }
  close();
  return Buffer.concat(parts);
}

/**
 * `POST .../containers/{id}/attach`: hijacks the connection (101 when the client upgrades) and
 * relays conmon's attach socket; multiplexed frames unless the container has a TTY.
 */
export async function attach(ctx: Ctx): Promise<void> {
  const svc = ctx.engine.containers;
  const stream = qBool(ctx, 'stream', ctx.layer === 'libpod');
  const opts = { stdin: qBool(ctx, 'stdin'), stdout: qBool(ctx, 'stdout', ctx.layer === 'libpod'), stderr: qBool(ctx, 'stderr', ctx.layer === 'libpod') };
  const replay = qBool(ctx, 'logs');
  const v = svc.get(ctx.params.id);
  if (!stream && !replay) throw new HttpError(400, 'Bad parameters: you must choose at least one of stream or logs');
  if (stream && v.state === 'exited' && !v.parsed.Config.OpenStdin && ctx.layer === 'libpod') {
    throw new HttpError(409, `can only attach to created or running containers - currently in state ${v.state}`);
  }
  const session = stream ? await svc.attach(v.id, opts) : undefined;
  // Without an Upgrade (podman's bindings) stdin still follows on the raw connection.
  detachHttpParser(ctx.req.socket);
  const sock = hijack(ctx, v.parsed.Config.Tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream');
  const tty = v.parsed.Config.Tty;
  const send = (s: 1 | 2, d: Buffer) => {
    if (!sock.destroyed) sock.write(tty ? d : frame(s, d));
  };
  if (replay) {
    for await (const l of svc.logs(v.id, {}).lines) {
      if ((l.stream === 'stdout' && opts.stdout) || (l.stream === 'stderr' && opts.stderr)) send(l.stream === 'stderr' ? 2 : 1, l.data);
    }
  }
  if (!session) {
    sock.end();
    return;
  }
  session.onOutput(send);
  // Docker's escape proxy: the detach sequence ends this attach and leaves the container running.
  const scanner = new DetachScanner(parseDetachKeys(ctx.query.get('detachKeys') ?? undefined));
  let detached = false;
  // Unhooked once the session ends, or every attach would leave a shutdown hook behind.
  let release = () => {};
  await new Promise<void>((done) => {
    const end = () => {
      if (!sock.destroyed) sock.end();
      done();
    };
    session.onEnd(end);
    sock.on('data', (d: Buffer) => {
      if (detached) return;
      const r = opts.stdin ? scanner.feed(d) : { forward: d, detach: false };
      if (r.forward.length) session.write(r.forward);
      if (r.detach) {
        detached = true;
        session.close();
      }
    });
    sock.on('end', () => {
      if (detached) return;
      const rest = scanner.flush();
      if (rest.length) session.write(rest);
      session.endStdin();
    });
    sock.on('close', done);
    sock.on('error', () => undefined);
    sock.resume();
    release = requestSignal(ctx, { conn: sock, onAbort: () => session.close() }).done;
  });
  release();
}
