// podman's volume endpoints: /libpod/volumes/create, json, {name}/json, {name}/exists, {name},
// prune, and {name}/export|import as tar.
import type { VolumeCreateRequest } from '../../engine/volumes/types.js';
import { fromVolumeCreate } from '../../server/access/request.js';
import type { Ctx, RouteDef } from '../../server/http.js';
import { noContent, qBool, qFilters, sendJson } from '../../server/http.js';
import { readBody } from '../http/body.js';
import { HttpError } from '../../server/errors.js';
import type { VolumeView } from '../../engine/volumes/types.js';
import { pipeBody } from '../containers/files.js';

const svc = (ctx: Ctx) => ctx.engine.volumes;

/** podman's VolumeConfigResponse (its InspectVolumeData). */
export function libpodVolume(v: VolumeView) {
  return {
    Name: v.name,
    Driver: v.driver,
    Mountpoint: v.mountpoint,
    CreatedAt: v.createdAt,
    Labels: v.labels,
    Scope: 'local',
    Options: v.options,
    UID: v.uid,
    GID: v.gid,
    ...(v.anonymous ? { Anonymous: true } : {}),
    // podman counts the mounts it makes: only a volume with mount options is mounted.
    MountCount: v.mounted ? v.liveUsers : 0,
    LockNumber: 0,
  };
}

interface CreateBody {
  Name?: unknown;
  Driver?: unknown;
  Label?: unknown;
  Labels?: unknown;
  Options?: unknown;
  IgnoreIfExists?: unknown;
}

async function create(ctx: Ctx): Promise<void> {
  // Decoded as Go decodes it: names case-insensitively, wrong types a 400 naming the field.
  const body = (await readBody<CreateBody>(ctx, 'VolumeCreateLibpod')) ?? {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'invalid request body: expected a VolumeCreateOptions object');
  for (const f of ['Name', 'Driver'] as const) if (body[f] != null && typeof body[f] !== 'string') throw new HttpError(400, `invalid ${f}: expected a string`);
  // Labels is the preferred field and wins over Label (podman's rule).
  const labels = body.Labels != null && Object.keys(body.Labels as object).length ? body.Labels : body.Label;
  const req: VolumeCreateRequest = {
    name: (body.Name as string | undefined) || undefined,
    driver: (body.Driver as string | undefined) || undefined,
    labels: labels as Record<string, string> | undefined,
    options: body.Options as Record<string, string> | undefined,
    ifExists: body.IgnoreIfExists === true ? 'return' : 'conflict',
  };
  ctx.access?.guard(fromVolumeCreate(req));
  const { volume } = await svc(ctx).create(req);
  ctx.access?.touched(volume.name);
  sendJson(ctx, 201, libpodVolume(volume));
}

async function list(ctx: Ctx): Promise<void> {
  sendJson(ctx, 200, svc(ctx).list(qFilters(ctx)).map(libpodVolume));
}

async function inspect(ctx: Ctx): Promise<void> {
  sendJson(ctx, 200, libpodVolume(svc(ctx).get(ctx.params.name)));
}

async function exists(ctx: Ctx): Promise<void> {
  svc(ctx).get(ctx.params.name);
  noContent(ctx);
}

/** podman's force removes the containers that use the volume with it. */
async function remove(ctx: Ctx): Promise<void> {
  await svc(ctx).remove(ctx.params.name, { force: qBool(ctx, 'force') });
  noContent(ctx);
}

async function prune(ctx: Ctx): Promise<void> {
  const r = await svc(ctx).prune({ filters: qFilters(ctx), anonymousOnly: false });
  sendJson(ctx, 200, r.deleted.map((d) => ({ Id: d.name, Size: d.size })));
}

async function exportTar(ctx: Ctx): Promise<void> {
  const tar = await svc(ctx).exportTar(ctx.params.name);
  ctx.res.writeHead(200, { 'Content-Type': 'application/x-tar', 'Transfer-Encoding': 'chunked' });
  await pipeBody(ctx, tar);
}

async function importTar(ctx: Ctx): Promise<void> {
  await svc(ctx).importTar(ctx.params.name, ctx.req as AsyncIterable<Buffer>);
  noContent(ctx);
}

export const routes: RouteDef[] = [
  { method: 'POST', path: '/libpod/volumes/create', handler: create },
  { method: 'GET', path: '/libpod/volumes/json', handler: list },
  { method: 'POST', path: '/libpod/volumes/prune', handler: prune },
  { method: 'GET', path: '/libpod/volumes/:name/json', handler: inspect },
  { method: 'GET', path: '/libpod/volumes/:name/exists', handler: exists },
  { method: 'GET', path: '/libpod/volumes/:name/export', handler: exportTar },
  { method: 'POST', path: '/libpod/volumes/:name/import', handler: importTar },
  { method: 'DELETE', path: '/libpod/volumes/:name', handler: remove },
];
