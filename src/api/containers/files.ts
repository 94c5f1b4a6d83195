// Container files and inspection endpoints shared by both layers: archive (GET/HEAD/PUT),
// export, changes, top, stats, commit. The engine answers in neutral terms; each layer's
// differences (ps arguments, stat linkTarget, stats bodies) are shaped here.
import type { Ctx } from '../../server/http.js';
import { qBool, qInt, qList, sendJson } from '../../server/http.js';
import { readBody } from '../http/body.js';
import { HttpError } from '../../server/errors.js';
import type { ContainerConfigLike } from '../../engine/images/types.js';
import type { PathStat, StatsReading } from '../../engine/containers/types.js';
import { libpodName } from '../images/libpod.js';
import { EngineError } from '../../engine/errors.js';
import { dockerStats, libpodStats } from './stats.js';
import { compatPsArgs, libpodPsArgs, streamTop } from './top.js';
import { requestSignal } from '../http/request-signal.js';
import { PERIOD_S } from '../http/query.js';

const ref = (ctx: Ctx) => ctx.params.id ?? ctx.params.name;

/**
 * X-Docker-Container-Path-Stat. docker leaves linkTarget empty unless the path is a link;
 * podman's clients copy from linkTarget and expect the resolved path always (a trailing "/." kept).
 */
function statHeader(ctx: Ctx, requested: string, s: PathStat): string {
  let linkTarget = s.linkTarget;
  if (!linkTarget && ctx.layer === 'libpod') linkTarget = s.path + (/(^|\/)\.$/.test(requested) ? (s.path === '/' ? '.' : '/.') : '');
  const body = { name: s.name, size: s.size, mode: s.mode, mtime: s.mtime, linkTarget };
  return Buffer.from(JSON.stringify(body)).toString('base64');
}

/** Streams an async iterable of chunks as the response body, respecting back-pressure. */
export async function pipeBody(ctx: Ctx, body: AsyncIterable<Buffer>): Promise<void> {
  const res = ctx.res;
  let aborted = false;
  const onClose = () => (aborted = true);
  res.on('close', onClose);
  const it = body[Symbol.asyncIterator]();
  try {
    for (;;) {
      const { value, done } = await it.next();
      if (done) break;
      if (aborted) break;
      if (!res.write(value)) await new Promise<void>((r) => {
        res.once('drain', r);
        res.once('close', r);
      });
    }
  } catch {
    // Headers are out: the only way to say "failed" is to cut the stream short.
    res.destroy();
    return;
  } finally {
    res.off('close', onClose);
    // Always: the source holds a mount (and for a stopped container its lock) until returned.
    await it.return?.(undefined);
  }
  res.end();
}

export async function getArchive(ctx: Ctx): Promise<void> {
  const path = ctx.query.get('path') ?? '';
  if (!path) throw new HttpError(400, 'path is required');
  if (ctx.req.method === 'HEAD') {
    const st = await ctx.engine.containerFiles.stat(ref(ctx), path);
    ctx.res.writeHead(200, { 'X-Docker-Container-Path-Stat': statHeader(ctx, path, st), 'Content-Type': 'application/x-tar' });
    ctx.res.end();
    return;
  }
  const { stat, tar } = await ctx.engine.containerFiles.archive(ref(ctx), path);
  ctx.res.writeHead(200, { 'X-Docker-Container-Path-Stat': statHeader(ctx, path, stat), 'Content-Type': 'application/x-tar', 'Transfer-Encoding': 'chunked' });
  await pipeBody(ctx, tar);
}

export async function putArchiveHandler(ctx: Ctx): Promise<void> {
  const path = ctx.query.get('path') ?? '';
  if (!path) throw new HttpError(400, 'path is required');
  await ctx.engine.containerFiles.put(ref(ctx), path, ctx.req as AsyncIterable<Buffer>, {
    noOverwriteDirNonDir: qBool(ctx, 'noOverwriteDirNonDir'),
    copyUIDGID: qBool(ctx, 'copyUIDGID'),
  });
  ctx.res.writeHead(200, { 'Content-Length': 0 });
  ctx.res.end();
}

export async function exportHandler(ctx: Ctx): Promise<void> {
  const tar = await ctx.engine.containerFiles.export(ref(ctx));
  ctx.res.writeHead(200, { 'Content-Type': 'application/x-tar', 'Transfer-Encoding': 'chunked' });
  await pipeBody(ctx, tar);
}

/**
 * podman serves a container's changes and an image's at this libpod path (podman-remote 4.3's
 * `image diff` asks here): a name that is no container is looked up as an image, unless
 * `diffType=container`.
 */
export async function changesHandler(ctx: Ctx): Promise<void> {
  const name = ref(ctx);
  const t = ctx.query.get('diffType');
  if (ctx.layer === 'libpod' && t && !['all', 'image', 'container'].includes(t)) throw new HttpError(400, `invalid diffType "${t.slice(0, 40)}": all, image or container`);
  if (ctx.layer === 'libpod' && t !== 'container' && (t === 'image' || !ctx.engine.containers.find(name))) {
    try {
      return sendJson(ctx, 200, ctx.engine.images.changes(name));
    } catch (e) {
      if (t === 'image' || !(e instanceof EngineError && e.kind === 'not-found')) throw e;
    }
  }
  sendJson(ctx, 200, await ctx.engine.containerFiles.changes(name));
}

export async function topHandler(ctx: Ctx): Promise<void> {
  const libpod = ctx.layer === 'libpod';
  const joined = ctx.query.getAll('ps_args').join(libpod ? ',' : ' ') || undefined;
  const psArgs = libpod ? libpodPsArgs(joined) : compatPsArgs(joined);
  const stream = libpod && qBool(ctx, 'stream');
  // Checked whether or not it streams, as podman decodes every parameter first.
  const delayS = libpod ? qInt(ctx, 'delay', 5, PERIOD_S)! : 5;
  const read = () => ctx.engine.containerFiles.top(ref(ctx), psArgs);
  if (!stream) return sendJson(ctx, 200, await read());
  await streamTop(ctx, delayS, read);
}

/** docker's stats, also libpod's deprecated per-container form. */
export async function statsHandler(ctx: Ctx): Promise<void> {
  const stream = qBool(ctx, 'stream', true);
  const oneShot = qBool(ctx, 'one-shot');
  if (oneShot && stream) throw new HttpError(400, 'cannot have stream=true and one-shot=true');
  const { signal, done } = requestSignal(ctx);
  const gen = ctx.engine.containerFiles.stats(ref(ctx), { intervalMs: 1000, stream, prime: !oneShot, signal });
  // The container lookup happens on the first step: a 404 must still be a normal answer.
  let first: Awaited<ReturnType<typeof gen.next>>;
  try {
    first = await gen.next();
  } catch (e) {
    done();
    throw e;
  }
  if (!stream) {
    if (first.done) throw new EngineError('not-found', `No such container: ${ref(ctx)}`);
    return sendJson(ctx, 200, dockerStats(first.value.cur, first.value.pre));
  }
  ctx.res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
  ctx.res.flushHeaders();
  try {
    for (let r = first; !r.done; r = await gen.next()) {
      if (signal.aborted) break;
      ctx.res.write(JSON.stringify(dockerStats(r.value.cur, r.value.pre)) + '\n');
    }
  } finally {
    done();
    if (!ctx.res.writableEnded) ctx.res.end();
  }
}

/** `GET /libpod/containers/stats`: reports of several containers, every `interval` seconds. */
export async function libpodStatsAll(ctx: Ctx): Promise<void> {
  const stream = qBool(ctx, 'stream', true);
  const interval = qInt(ctx, 'interval', 5, PERIOD_S)!;
  const names = qList(ctx, 'containers');
  const ids = names.length ? names.map((n) => ctx.engine.containers.get(n).id) : undefined;
  let prev = new Map<string, StatsReading>();
  const report = () => {
    const cur = ctx.engine.containerFiles.readStats(ids);
    const out = { Error: null, Stats: cur.map((r) => libpodStats(r, prev.get(r.id))) };
    prev = new Map(cur.map((r) => [r.id, r]));
    return out;
  };
  if (!stream) return sendJson(ctx, 200, report());
  ctx.res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
  ctx.res.flushHeaders();
  let open = true;
  let wake: (() => void) | undefined;
  const stop = () => {
    open = false;
    wake?.();
  };
  const { done } = requestSignal(ctx, { onAbort: stop });
  try {
    while (open) {
      ctx.res.write(JSON.stringify(report()) + '\n');
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, interval * 1000);
      });
    }
  } finally {
    done();
    if (!ctx.res.writableEnded) ctx.res.end();
  }
}

/** `POST /commit` (docker: an absent body means no config changes) and `/libpod/commit`. */
export async function commitHandler(ctx: Ctx): Promise<void> {
  const container = ctx.query.get('container');
  if (!container) throw new HttpError(400, 'container is required');
  const libpod = ctx.layer === 'libpod';
  const body = libpod ? undefined : await readBody<ContainerConfigLike>(ctx, 'ContainerCommit');
  if (body !== undefined && (body === null || typeof body !== 'object' || Array.isArray(body))) throw new HttpError(400, 'commit body must be a container config object');
  const repo = ctx.query.get('repo') ?? '';
  const tag = ctx.query.get('tag') ?? '';
  if (!repo && tag) throw new HttpError(400, 'tag without repo');
  const pause = qBool(ctx, 'pause', !libpod);
  // podman's squash folds the image's layers into one; berth's commit adds one layer on top.
  if (libpod && qBool(ctx, 'squash')) throw new HttpError(400, 'squash is not supported by berth yet');
  const changes = ctx.query.getAll('changes').flatMap((c) => (libpod ? c.split(/\n/) : [c])).filter((c) => c.trim());
  const reference = repo ? (tag ? `${repo}:${tag}` : repo) : undefined;
  const img = await ctx.engine.containerFiles.commit(container, {
    reference: reference && libpod ? libpodName(reference) : reference,
    comment: ctx.query.get('comment') ?? undefined,
    author: ctx.query.get('author') ?? undefined,
    pause,
    changes,
    config: body ?? undefined,
  });
  sendJson(ctx, 201, { Id: libpod ? img.id : `sha256:${img.id}` });
}
