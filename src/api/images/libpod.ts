import { HttpError } from '../../server/errors.js';
import type { Ctx, RouteDef } from '../../server/http.js';
import { noContent, qBool, qFilters, qList, sendJson, startStream } from '../../server/http.js';
import { EngineError, badParameter } from '../../engine/errors.js';
import type { ImagesPort } from '../../engine/images/port.js';
import { PULL_POLICIES, type ArchiveFormat, type ImageInfo, type ImageSummary, type PullPolicy } from '../../engine/images/types.js';
import { LOCAL_DOMAIN, qualifyShortName } from '../../lib/image-ref.js';
import { fullConfig, graphDriver, images, parsePlatform, sendArchive, withUpload } from './compat.js';
import { registryAuthOf } from '../http/registry-auth.js';
import { libpodLines } from './pull-stream.js';

const svcOf = images;

/** podman names a registry-less image localhost/name, where docker says docker.io/library/name. */
export const libpodName = (ref: string) => qualifyShortName(ref, LOCAL_DOMAIN);

/** podman's ImageSummary. */
function summary(img: ImageSummary) {
  const size = img.size;
  return {
    Id: img.id,
    ParentId: img.parent.replace(/^sha256:/, ''),
    RepoTags: img.names.length ? img.names : null,
    RepoDigests: img.digests,
    Created: Math.floor(img.created / 1000),
    Size: size,
    SharedSize: img.sharedSize ?? 0,
    VirtualSize: size,
    Labels: img.cfg.config?.Labels ?? {},
    Containers: img.containers ?? 0,
    ReadOnly: false,
    Names: img.names.length ? img.names : undefined,
    Digest: img.digest ?? `sha256:${img.id}`,
    History: img.names,
    Dangling: img.names.length === 0,
    Arch: img.cfg.architecture ?? '',
    Os: img.cfg.os ?? 'linux',
  };
}

/** podman's ImageData. */
function inspect(svc: ImagesPort, img: ImageInfo) {
  const c = img.cfg;
  const size = img.size;
  const cfg = c.config ?? {};
  return {
    Id: img.id,
    Digest: img.digest ?? `sha256:${img.id}`,
    RepoTags: img.names,
    RepoDigests: img.digests,
    Parent: img.parent.replace(/^sha256:/, ''),
    Comment: c.comment ?? '',
    Created: c.created ?? '0001-01-01T00:00:00Z',
    Config: { ...cfg, Labels: cfg.Labels ?? undefined },
    Version: c.docker_version ?? '',
    Author: c.author ?? '',
    Architecture: c.architecture ?? '',
    Os: c.os ?? 'linux',
    Size: size,
    VirtualSize: size,
    GraphDriver: graphDriver(svc, img),
    RootFS: { Type: 'layers', Layers: c.rootfs?.diff_ids ?? [] },
    Labels: cfg.Labels ?? null,
    Annotations: {},
    ManifestType: 'application/vnd.oci.image.manifest.v1+json',
    User: cfg.User ?? '',
    History: c.history ?? [],
    NamesHistory: img.names,
    HealthCheck: cfg.Healthcheck,
    ContainerConfig: fullConfig(c.container_config),
  };
}

async function list(ctx: Ctx): Promise<void> {
  const svc = svcOf(ctx);
  const all = qBool(ctx, 'all');
  sendJson(ctx, 200, svc.list(qFilters(ctx), { matchFullNames: true, sharedSize: true, containers: true, all }).map(summary));
}

async function inspectHandler(ctx: Ctx): Promise<void> {
  const svc = svcOf(ctx);
  sendJson(ctx, 200, inspect(svc, svc.resolve(ctx.params.name)));
}

async function exists(ctx: Ctx): Promise<void> {
  svcOf(ctx).resolve(ctx.params.name);
  noContent(ctx);
}

async function history(ctx: Ctx): Promise<void> {
  sendJson(
    ctx,
    200,
    svcOf(ctx)
      .history(ctx.params.name)
      .map((h) => ({ id: h.id.replace(/^sha256:/, ''), created: h.created, createdBy: h.createdBy, tags: h.tags.length ? h.tags : null, size: h.size, comment: h.comment })),
  );
}

function human(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i ? v.toPrecision(4).replace(/\.?0+$/, '') : v}${units[i]}`;
}

/** podman's image diff: against the image's own lower layers; another parent is not offered. */
async function changes(ctx: Ctx): Promise<void> {
  if (ctx.query.get('parent')) throw new HttpError(400, 'parent is not supported: an image is compared with the layers below its top one');
  const t = ctx.query.get('diffType');
  if (t && !['all', 'image', 'container'].includes(t)) throw new HttpError(400, `invalid diffType "${t.slice(0, 40)}": all, image or container`);
  sendJson(ctx, 200, svcOf(ctx).changes(ctx.params.name));
}

/** `podman image tree`: the image and its layers, bottom up, marking layers other images top. */
async function tree(ctx: Ctx): Promise<void> {
  const t = svcOf(ctx).tree(ctx.params.name);
  const img = t.image;
  const lines = [`Image ID: ${img.id.slice(0, 12)}`, `Tags:     [${img.names.join(' ')}]`, `Size:     ${human(img.size)}`, 'Image Layers'];
  t.layers.forEach((l, i) => {
    const tops = l.topOf.flatMap((o) => (o.names.length ? o.names : [o.id.slice(0, 12)]));
    const last = i === t.layers.length - 1;
    lines.push(`${last ? '└──' : '├──'} ID: ${l.id.slice(0, 12)} Size: ${human(l.size).padStart(7)}${tops.length ? ` Top Layer of: [${tops.join(' ')}]` : ''}`);
  });
  if (qBool(ctx, 'whatrequires')) {
    for (const k of t.children) lines.push(`└── ID: ${k.id.slice(0, 12)} Top Layer of: [${k.names.join(' ')}]`);
  }
  sendJson(ctx, 200, { Tree: lines.join('\n') + '\n' });
}

function libpodTarget(ctx: Ctx): string {
  const repo = ctx.query.get('repo') ?? '';
  const tag = ctx.query.get('tag') ?? '';
  if (!repo) throw badParameter('repository name must have at least one component (missing "repo")');
  return tag ? `${repo}:${tag}` : repo;
}

async function tag(ctx: Ctx): Promise<void> {
  svcOf(ctx).tag(ctx.params.name, libpodName(libpodTarget(ctx)));
  noContent(ctx, 201);
}

async function untag(ctx: Ctx): Promise<void> {
  const repo = ctx.query.get('repo');
  svcOf(ctx).untag(ctx.params.name, repo ? [libpodTarget(ctx)] : []);
  noContent(ctx, 201);
}

interface RemoveReport {
  Deleted: string[];
  Untagged: string[];
  Errors: string[];
  ExitCode: number;
}

/** podman's exit codes for rmi: 1 no such image, 2 in use. */
function exitCodeOf(e: unknown): number {
  if (e instanceof EngineError) return e.kind === 'not-found' ? 1 : e.kind === 'conflict' ? 2 : 125;
  return 125;
}

async function removeOne(ctx: Ctx): Promise<void> {
  const r = await svcOf(ctx).remove(ctx.params.name, { force: qBool(ctx, 'force') });
  sendJson(ctx, 200, { Deleted: r.deleted.map((d) => d.replace(/^sha256:/, '')), Untagged: r.untagged, Errors: [], ExitCode: 0 });
}

async function removeMany(ctx: Ctx): Promise<void> {
  const svc = svcOf(ctx);
  const force = qBool(ctx, 'force');
  const ignore = qBool(ctx, 'ignore');
  let names = qList(ctx, 'images');
  if (qBool(ctx, 'all')) names = svc.list({}, { all: true }).map((i) => i.id);
  const report: RemoveReport = { Deleted: [], Untagged: [], Errors: [], ExitCode: 0 };
  // podman manifest rm: names that are manifest lists go as lists.
  const lists = qBool(ctx, 'lookupManifest') || qBool(ctx, 'lookupmanifest');
  for (const n of names) {
    try {
      if (lists && ctx.engine.manifests.exists(n)) {
        const l = ctx.engine.manifests.delete(n);
        report.Deleted.push(l.id);
        report.Untagged.push(...l.names);
        continue;
      }
      const r = await svc.remove(n, { force });
      report.Deleted.push(...r.deleted.map((d) => d.replace(/^sha256:/, '')));
      report.Untagged.push(...r.untagged);
    } catch (e) {
      if (ignore && e instanceof EngineError && e.kind === 'not-found') continue;
      report.Errors.push((e as Error).message);
      report.ExitCode = Math.max(report.ExitCode, exitCodeOf(e));
    }
  }
  sendJson(ctx, 200, report);
}

/**
 * `POST /libpod/images/pull`. podman-remote asks it before every run and create, whatever its
 * --pull. Short names go through registries.conf, as podman resolves them. Errors of the pull
 * itself go in the report stream, where podman's clients read them.
 */
async function pull(ctx: Ctx): Promise<void> {
  const reference = ctx.query.get('reference');
  if (!reference) throw badParameter('reference is required');
  const policy = (ctx.query.get('policy') || 'always').toLowerCase() as PullPolicy;
  if (!PULL_POLICIES.includes(policy)) throw badParameter(`unsupported pull policy "${policy.slice(0, 40)}": use always, missing, newer or never`);
  const quiet = qBool(ctx, 'quiet');
  const tlsVerify = ctx.query.has('tlsVerify') ? qBool(ctx, 'tlsVerify', true) : undefined;
  const allTags = qBool(ctx, 'allTags');
  const platform = { os: ctx.query.get('OS') || undefined, architecture: ctx.query.get('Arch') || undefined, variant: ctx.query.get('Variant') || undefined };
  const auth = registryAuthOf(ctx.req.headers);
  const res = startStream(ctx);
  const line = (o: object) => res.write(JSON.stringify(o) + '\n');
  try {
    const job = await svcOf(ctx).pull(reference, { policy, naming: 'registries-conf', platform, auth, tlsVerify, allTags });
    const state = { started: false };
    const r = await job.run((e) => {
      if (!quiet) for (const l of libpodLines(e, state)) line({ stream: `${l}\n` });
    });
    line({ images: r.ids, id: r.id });
  } catch (e) {
    if (!(e instanceof EngineError)) ctx.log.error('pull failed', { err: String((e as Error)?.stack ?? e) });
    line({ error: (e as Error)?.message ?? String(e) });
  }
  res.end();
}

async function load(ctx: Ctx): Promise<void> {
  const report = await withUpload(ctx, async (body) => svcOf(ctx).load(body));
  sendJson(ctx, 200, { Names: report.images.flatMap((i) => (i.names.length ? i.names : [`sha256:${i.id}`])) });
}

function formatOf(ctx: Ctx): ArchiveFormat {
  const f = ctx.query.get('format') || 'docker-archive';
  if (f === 'docker-archive' || f === 'oci-archive') return f;
  // An oci-dir travels over HTTP as a tar of the directory: the same bytes as an oci-archive.
  if (f === 'oci-dir') return 'oci-archive';
  if (f === 'docker-dir') throw badParameter('format docker-dir is not supported; use docker-archive, oci-archive or oci-dir');
  throw badParameter(`unknown format "${f}": use docker-archive, oci-archive or oci-dir`);
}

async function exportImages(ctx: Ctx, names: string[]): Promise<void> {
  if (!names.length) throw badParameter('no image references given');
  await sendArchive(ctx, names, formatOf(ctx));
}

async function exportMany(ctx: Ctx): Promise<void> {
  await exportImages(ctx, qList(ctx, 'references'));
}

async function getOne(ctx: Ctx): Promise<void> {
  await exportImages(ctx, [ctx.params.name]);
}

async function importHandler(ctx: Ctx): Promise<void> {
  if (ctx.query.get('url')) throw badParameter('importing from a URL is not supported; send the tarball in the request body');
  const ref = ctx.query.get('reference');
  const reference = ref ? libpodName(ref) : undefined;
  const changes = ctx.query.getAll('changes').filter((c) => c.trim());
  const img = await withUpload(ctx, async (body) =>
    svcOf(ctx).import(body, { reference, message: ctx.query.get('message') ?? undefined, changes, platform: parsePlatform(ctx.query.get('platform')) }),
  );
  sendJson(ctx, 200, { Id: img.id });
}

async function prune(ctx: Ctx): Promise<void> {
  const { perImage } = await svcOf(ctx).prune(qFilters(ctx), { all: qBool(ctx, 'all') });
  sendJson(ctx, 200, perImage.map((p) => ({ Id: p.id, Size: p.size })));
}

export const routes: RouteDef[] = [
  { method: 'GET', path: '/libpod/images/json', handler: list },
  { method: 'POST', path: '/libpod/images/pull', handler: pull },
  { method: 'POST', path: '/libpod/images/load', handler: load },
  { method: 'POST', path: '/libpod/images/import', handler: importHandler },
  { method: 'POST', path: '/libpod/images/prune', handler: prune },
  { method: 'GET', path: '/libpod/images/export', handler: exportMany },
  { method: 'DELETE', path: '/libpod/images/remove', handler: removeMany },
  { method: 'GET', path: '/libpod/images/{name:.*}/json', handler: inspectHandler },
  { method: 'GET', path: '/libpod/images/{name:.*}/exists', handler: exists },
  { method: 'GET', path: '/libpod/images/{name:.*}/history', handler: history },
  { method: 'GET', path: '/libpod/images/{name:.*}/tree', handler: tree },
  { method: 'GET', path: '/libpod/images/{name:.*}/changes', handler: changes },
  { method: 'GET', path: '/libpod/images/{name:.*}/get', handler: getOne },
  { method: 'POST', path: '/libpod/images/{name:.*}/tag', handler: tag },
  { method: 'POST', path: '/libpod/images/{name:.*}/untag', handler: untag },
  { method: 'DELETE', path: '/libpod/images/{name:.*}', handler: removeOne },
];
