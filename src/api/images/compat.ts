import type { Ctx, RouteDef } from '../../server/http.js';
import { qBool, qFilters, qList, sendJson, startStream } from '../../server/http.js';
import { familiarName } from '../../lib/image-ref.js';
import type { ImagesPort } from '../../engine/images/port.js';
import type { ArchiveFormat, ContainerConfigLike, ImageInfo, ImageSummary, LoadReport, RemoveReport, SaveOptions } from '../../engine/images/types.js';
import { badParameter, notImplemented } from '../../engine/errors.js';
import { registryAuthOf } from '../http/registry-auth.js';
import { compatDone, compatError, compatMessage, writeJsonLine } from './pull-stream.js';

export const images = (ctx: Ctx): ImagesPort => ctx.engine.images;

/**
 * The request body as an async iterable that, when the engine gives up early (bad archive),
 * can still be drained: the client is mid-upload and would otherwise see a broken pipe
 * instead of our error.
 */
export function uploadBody(ctx: Ctx): { body: AsyncIterable<Buffer>; drain: () => Promise<void> } {
  const it = (ctx.req as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  return {
    body: { [Symbol.asyncIterator]: () => ({ next: () => it.next() }) },
    drain: async () => {
      const deadline = Date.now() + 30_000;
      try {
        while (Date.now() < deadline && !(await it.next()).done);
      } catch {
        // The client went away: nothing left to drain.
      }
    },
  };
}

export async function withUpload<T>(ctx: Ctx, fn: (body: AsyncIterable<Buffer>) => Promise<T>): Promise<T> {
  const u = uploadBody(ctx);
  try {
    return await fn(u.body);
  } catch (e) {
    await u.drain();
    throw e;
  }
}

/** Docker fills every container-config field, null where unset. */
export function fullConfig(c: ContainerConfigLike | null | undefined): Record<string, unknown> {
  const x = c ?? {};
  return {
    Hostname: x.Hostname ?? '',
    Domainname: x.Domainname ?? '',
    User: x.User ?? '',
    AttachStdin: x.AttachStdin ?? false,
    AttachStdout: x.AttachStdout ?? false,
    AttachStderr: x.AttachStderr ?? false,
    ...(x.ExposedPorts ? { ExposedPorts: x.ExposedPorts } : {}),
    Tty: x.Tty ?? false,
    OpenStdin: x.OpenStdin ?? false,
    StdinOnce: x.StdinOnce ?? false,
    Env: x.Env ?? null,
    Cmd: x.Cmd ?? null,
    ...(x.Healthcheck ? { Healthcheck: x.Healthcheck } : {}),
    Image: x.Image ?? '',
    Volumes: x.Volumes ?? null,
    WorkingDir: x.WorkingDir ?? '',
    Entrypoint: x.Entrypoint ?? null,
    OnBuild: x.OnBuild ?? null,
    Labels: x.Labels ?? null,
    ...(x.StopSignal ? { StopSignal: x.StopSignal } : {}),
  };
}

export function graphDriver(svc: ImagesPort, img: ImageInfo) {
  const dirs = svc.layerDirs(img.id);
  const top = dirs[0] ?? '';
  const base = top.replace(/\/diff$/, '');
  return {
    Name: 'overlay',
    Data: {
      ...(dirs.length > 1 ? { LowerDir: dirs.slice(1).join(':') } : {}),
      MergedDir: `${base}/merged`,
      UpperDir: top,
      WorkDir: `${base}/work`,
    },
  };
}

/** One entry of GET /images/json, as dockerd 20.10 shapes it. */
function summary(img: ImageSummary) {
  const size = img.size;
  const tags = img.names.filter((n) => !n.includes('@')).map(familiarName);
  const digests = img.digests.map(familiarName);
  const dangling = tags.length === 0 && digests.length === 0;
  return {
    // dockerd computes these two only for /system/df (and SharedSize on request).
    Containers: img.containers ?? -1,
    Created: Math.floor(img.created / 1000),
    Id: `sha256:${img.id}`,
    Labels: img.cfg.config?.Labels ?? null,
    ParentId: img.parent,
    RepoDigests: dangling ? ['<none>@<none>'] : digests.length ? digests : null,
    RepoTags: dangling ? ['<none>:<none>'] : tags,
    SharedSize: img.sharedSize ?? -1,
    Size: size,
    VirtualSize: size,
  };
}

function inspect(svc: ImagesPort, img: ImageInfo) {
  const c = img.cfg;
  const size = img.size;
  return {
    Id: `sha256:${img.id}`,
    RepoTags: img.names.map(familiarName),
    RepoDigests: img.digests.map(familiarName),
    Parent: img.parent,
    Comment: c.comment ?? '',
    Created: c.created ?? '0001-01-01T00:00:00Z',
    Container: c.container ?? '',
    ContainerConfig: fullConfig(c.container_config),
    DockerVersion: c.docker_version ?? '',
    Author: c.author ?? '',
    Config: fullConfig(c.config),
    Architecture: c.architecture ?? '',
    ...(c.variant ? { Variant: c.variant } : {}),
    Os: c.os ?? 'linux',
    ...(c['os.version'] ? { OsVersion: c['os.version'] } : {}),
    Size: size,
    VirtualSize: size,
    GraphDriver: graphDriver(svc, img),
    RootFS: { Type: 'layers', Layers: c.rootfs?.diff_ids ?? [] },
    // dockerd sets this only on `docker tag`/commit and loses it on restart; clients ignore it.
    Metadata: { LastTagTime: '0001-01-01T00:00:00Z' },
  };
}

async function list(ctx: Ctx): Promise<void> {
  const svc = images(ctx);
  const filters = qFilters(ctx);
  // The legacy `filter` parameter is a reference filter.
  const legacy = ctx.query.get('filter');
  if (legacy) (filters.reference ??= []).push(legacy);
  const sharedSize = qBool(ctx, 'shared-size');
  const all = qBool(ctx, 'all');
  qBool(ctx, 'digests');
  sendJson(ctx, 200, svc.list(filters, { sharedSize, all }).map(summary));
}

async function inspectHandler(ctx: Ctx): Promise<void> {
  const svc = images(ctx);
  sendJson(ctx, 200, inspect(svc, svc.resolve(ctx.params.name)));
}

async function history(ctx: Ctx): Promise<void> {
  const items = images(ctx).history(ctx.params.name);
  sendJson(
    ctx,
    200,
    items.map((h) => ({
      Comment: h.comment,
      Created: h.created,
      CreatedBy: h.createdBy,
      Id: h.id,
      Size: h.size,
      Tags: h.tags.length ? h.tags.map(familiarName) : null,
    })),
  );
}

/** `repo` and `tag` query parameters as one reference (repo may carry its own tag). */
export function targetRef(ctx: Ctx): string {
  const repo = ctx.query.get('repo') ?? '';
  const tag = ctx.query.get('tag') ?? '';
  if (!repo) throw badParameter('repository name must have at least one component (missing "repo")');
  return tag ? `${repo}:${tag}` : repo;
}

async function tag(ctx: Ctx): Promise<void> {
  images(ctx).tag(ctx.params.name, targetRef(ctx));
  ctx.res.writeHead(201);
  ctx.res.end();
}

/** docker's rmi entries: familiar names untagged, then the IDs deleted. */
const removeEntries = (r: RemoveReport) => [...r.untagged.map((u) => ({ Untagged: familiarName(u) })), ...r.deleted.map((d) => ({ Deleted: d }))];

async function remove(ctx: Ctx): Promise<void> {
  const r = await images(ctx).remove(ctx.params.name, { force: qBool(ctx, 'force'), noprune: qBool(ctx, 'noprune') });
  sendJson(ctx, 200, removeEntries(r));
}

async function load(ctx: Ctx): Promise<void> {
  qBool(ctx, 'quiet');
  let report: LoadReport;
  try {
    report = await withUpload(ctx, async (body) => images(ctx).load(body));
  } catch (e) {
    // dockerd answers 200 and reports a failed load in the stream; SDKs look for it there
    // (docker-py raises ImageLoadError from `error`).
    const message = e instanceof Error ? e.message : String(e);
    ctx.log.info('image load failed', { err: message });
    startStream(ctx).end(JSON.stringify({ errorDetail: { message }, error: message }) + '\r\n');
    return;
  }
  const res = startStream(ctx);
  for (const img of report.images) {
    for (const r of img.replaced) {
      res.write(JSON.stringify({ stream: `The image ${familiarName(r.name)} already exists, renaming the old one with ID sha256:${r.oldId} to empty string\n` }) + '\n');
    }
    if (!img.names.length) res.write(JSON.stringify({ stream: `Loaded image ID: sha256:${img.id}\n` }) + '\n');
    for (const n of img.names) res.write(JSON.stringify({ stream: `Loaded image: ${familiarName(n)}\n` }) + '\n');
  }
  res.end();
}

/**
 * Streams an archive of `names` (all resolved first, so a bad name is a clean 404/400). Once the
 * tar has started, a failure can only cut the connection.
 */
export async function sendArchive(ctx: Ctx, names: string[], format: ArchiveFormat, opts: SaveOptions = {}): Promise<void> {
  const svc = images(ctx);
  if (!names.length) throw badParameter('no image names given');
  for (const n of names) svc.resolve(n);
  ctx.res.writeHead(200, { 'Content-Type': 'application/x-tar' });
  try {
    await svc.save(names, format, ctx.res, opts);
  } catch (e) {
    ctx.log.error('image archive failed mid-stream', { err: String((e as Error)?.message ?? e) });
    ctx.res.destroy(e as Error);
    return;
  }
  ctx.res.end();
}

// docker writes familiar names in manifest.json (podman full ones).
const saveNames = (ctx: Ctx, names: string[]) => sendArchive(ctx, names, 'docker-archive', { archiveName: familiarName });

async function getOne(ctx: Ctx): Promise<void> {
  await saveNames(ctx, [ctx.params.name]);
}

async function getMany(ctx: Ctx): Promise<void> {
  await saveNames(ctx, qList(ctx, 'names'));
}

/** `platform=linux/amd64[/v8]` as import accepts it. */
export function parsePlatform(p: string | null): { os?: string; architecture?: string; variant?: string } | undefined {
  if (!p) return undefined;
  const [os, architecture, variant] = p.split('/');
  if (!os || (architecture === '' && p.includes('/'))) throw badParameter(`invalid platform "${p}"`);
  return { os, architecture, variant };
}

/**
 * `fromImage` with `tag` (a tag, or a digest as the docker CLI sends one) as one reference; no
 * tag anywhere means every tag, as dockerd reads it (`docker pull -a`).
 */
function pullRef(ctx: Ctx): { ref: string; allTags: boolean } {
  const from = ctx.query.get('fromImage') ?? '';
  const tag = ctx.query.get('tag') ?? '';
  const last = from.slice(from.lastIndexOf('/') + 1);
  if (from.includes('@') || last.includes(':')) return { ref: from, allTags: false };
  if (!tag) return { ref: from, allTags: true };
  return { ref: /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:/.test(tag) ? `${from}@${tag}` : `${from}:${tag}`, allTags: false };
}

/**
 * `POST /images/create?fromImage=`: a pull with dockerd's progress stream. What the registry
 * says before any download (no such image or tag, bad credentials) is the status code; later
 * failures are the stream's last line, `error` + `errorDetail`, as dockerd sends them.
 */
async function pull(ctx: Ctx): Promise<void> {
  const { ref, allTags } = pullRef(ctx);
  const job = await images(ctx).pull(ref, {
    policy: 'always',
    naming: 'docker',
    platform: parsePlatform(ctx.query.get('platform')),
    auth: registryAuthOf(ctx.req.headers),
    allTags,
  });
  const res = startStream(ctx);
  try {
    let upToDate = true;
    const r = await job.run((e) => {
      const m = compatMessage(e);
      if (m) writeJsonLine(res, m);
      if (e.type === 'image') {
        upToDate &&= e.upToDate;
        // With every tag, each one closes with its digest; the status line comes once at the end.
        if (allTags) writeJsonLine(res, { status: `Digest: ${e.digest}` });
      }
    });
    const done = compatDone(allTags ? job.name : r.name, r.digest, upToDate);
    for (const m of allTags ? done.slice(1) : done) writeJsonLine(res, m);
  } catch (e) {
    writeJsonLine(res, compatError((e as Error)?.message ?? String(e)));
  }
  res.end();
}

/** `GET /distribution/{name}/json`: the registry's descriptor for a name, and its platforms. */
async function distribution(ctx: Ctx): Promise<void> {
  const d = await images(ctx).distribution(ctx.params.name, { naming: 'docker', auth: registryAuthOf(ctx.req.headers) });
  sendJson(ctx, 200, { Descriptor: d.descriptor, Platforms: d.platforms });
}

async function create(ctx: Ctx): Promise<void> {
  const fromSrc = ctx.query.get('fromSrc');
  if (!fromSrc) {
    if (ctx.query.get('fromImage')) return pull(ctx);
    throw badParameter('either fromSrc or fromImage is required');
  }
  if (fromSrc !== '-') throw notImplemented('importing from a URL is not supported; send the tarball in the request body (fromSrc=-)');
  const repo = ctx.query.get('repo');
  const reference = repo ? targetRef(ctx) : undefined;
  const changes = ctx.query.getAll('changes').filter((c) => c.trim());
  const img = await withUpload(ctx, async (body) =>
    images(ctx).import(body, { reference, message: ctx.query.get('message') ?? undefined, changes, platform: parsePlatform(ctx.query.get('platform')) }),
  );
  const res = startStream(ctx);
  res.write(JSON.stringify({ status: `sha256:${img.id}` }) + '\n');
  res.end();
}

async function prune(ctx: Ctx): Promise<void> {
  const { report, reclaimed } = await images(ctx).prune(qFilters(ctx));
  const entries = removeEntries(report);
  sendJson(ctx, 200, { ImagesDeleted: entries.length ? entries : null, SpaceReclaimed: reclaimed });
}

/** The `Images` and `LayersSize` parts of GET /system/df. */
export async function dfImages(ctx: Ctx): Promise<{ Images: object[]; LayersSize: number }> {
  const df = images(ctx).df();
  return { LayersSize: df.layersSize, Images: df.images.map(summary) };
}


export const routes: RouteDef[] = [
  { method: 'GET', path: '/images/json', handler: list },
  { method: 'POST', path: '/images/load', handler: load },
  { method: 'GET', path: '/images/get', handler: getMany },
  { method: 'POST', path: '/images/create', handler: create },
  { method: 'POST', path: '/images/prune', handler: prune },
  { method: 'GET', path: '/distribution/{name:.*}/json', handler: distribution },
  { method: 'GET', path: '/images/{name:.*}/json', handler: inspectHandler },
  { method: 'GET', path: '/images/{name:.*}/history', handler: history },
  { method: 'GET', path: '/images/{name:.*}/get', handler: getOne },
  { method: 'POST', path: '/images/{name:.*}/tag', handler: tag },
  { method: 'DELETE', path: '/images/{name:.*}', handler: remove },
];
