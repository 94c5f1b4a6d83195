// Docker's volume endpoints: /volumes, /volumes/create, /volumes/{name}, /volumes/prune.
import type { Ctx, RouteDef } from '../../server/http.js';
import type { VolumeCreateRequest } from '../../engine/volumes/types.js';
import { fromVolumeCreate } from '../../server/access/request.js';
import { noContent, qBool, qFilters, sendJson } from '../../server/http.js';
import { readBody } from '../http/body.js';
import { HttpError } from '../../server/errors.js';
import { EngineError } from '../../engine/errors.js';
import type { VolumeUsage, VolumeView } from '../../engine/volumes/types.js';

const svc = (ctx: Ctx) => ctx.engine.volumes;

/** RFC 3339 to the second, as dockerd writes a volume's CreatedAt. */
const seconds = (iso: string) => iso.replace(/\.\d+Z$/, 'Z');

/** docker's Volume: Labels and Options are objects, never null. */
export function volumeBody(v: VolumeView) {
  return {
    CreatedAt: seconds(v.createdAt),
    Driver: v.driver,
    Labels: v.labels,
    Mountpoint: v.mountpoint,
    Name: v.name,
    Options: v.options,
    Scope: 'local',
  };
}

/** The volumes part of `/system/df`: each with its size and how many containers use it. */
export function dfVolumes(ctx: Ctx) {
  return svc(ctx).usage().map((u: VolumeUsage) => ({ ...volumeBody(u.volume), UsageData: { Size: u.size, RefCount: u.refCount } }));
}

async function list(ctx: Ctx): Promise<void> {
  sendJson(ctx, 200, { Volumes: svc(ctx).list(qFilters(ctx)).map(volumeBody), Warnings: [] });
}

interface CreateBody {
  Name?: unknown;
  Driver?: unknown;
  DriverOpts?: unknown;
  Labels?: unknown;
}

function optString(body: CreateBody, field: keyof CreateBody): string | undefined {
  const v = body[field];
  if (v == null) return undefined;
  if (typeof v !== 'string') throw new HttpError(400, `invalid ${field}: expected a string`);
  return v;
}

async function create(ctx: Ctx): Promise<void> {
  // Decoded as Go decodes it: names case-insensitively, wrong types a 400 naming the field.
  const body = (await readBody<CreateBody>(ctx, 'VolumeCreate')) ?? {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'invalid request body: expected a VolumeCreateOptions object');
  // An existing name answers with that volume, as dockerd does.
  const req: VolumeCreateRequest = {
    name: optString(body, 'Name'),
    driver: optString(body, 'Driver'),
    labels: body.Labels as Record<string, string> | undefined,
    options: body.DriverOpts as Record<string, string> | undefined,
    ifExists: 'return',
  };
  ctx.access?.guard(fromVolumeCreate(req));
  const { volume } = await svc(ctx).create(req);
  ctx.access?.touched(volume.name);
  sendJson(ctx, 201, volumeBody(volume));
}

async function inspect(ctx: Ctx): Promise<void> {
  sendJson(ctx, 200, volumeBody(svc(ctx).get(ctx.params.name)));
}

/** dockerd's force only forgives a missing volume; one in use stays a conflict. */
async function remove(ctx: Ctx): Promise<void> {
  const force = qBool(ctx, 'force');
  try {
    await svc(ctx).remove(ctx.params.name);
  } catch (e) {
    if (!(force && e instanceof EngineError && e.kind === 'not-found')) throw e;
  }
  noContent(ctx);
}

/** From API 1.42 dockerd prunes anonymous volumes only unless `all=true`; 1.41 and unversioned (berth's own 1.41) prune every unused one. */
function anonymousOnly(version: string | undefined): boolean {
  if (!version) return false;
  const [major, minor] = version.split('.').map(Number);
  return major > 1 || (major === 1 && minor >= 42);
}

async function prune(ctx: Ctx): Promise<void> {
  const r = await svc(ctx).prune({ filters: qFilters(ctx), anonymousOnly: anonymousOnly(ctx.version) });
  sendJson(ctx, 200, { VolumesDeleted: r.deleted.length ? r.deleted.map((d) => d.name) : null, SpaceReclaimed: r.reclaimed });
}

export const routes: RouteDef[] = [
  { method: 'GET', path: '/volumes', handler: list },
  { method: 'POST', path: '/volumes/create', handler: create },
  { method: 'POST', path: '/volumes/prune', handler: prune },
  { method: 'GET', path: '/volumes/:name', handler: inspect },
  { method: 'DELETE', path: '/volumes/:name', handler: remove },
];
