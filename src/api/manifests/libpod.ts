// podman's manifest list endpoints (`/libpod/manifests/...`), as podman 4 and 5 clients call
// them: create (POST), inspect (GET /json), exists, modify (PUT: update, remove, annotate),
// the older add (POST /add), delete, and push (POST /registry/{destination}, older /push).
import type { Ctx, RouteDef } from '../../server/http.js';
import { noContent, qBool, qList, sendJson, startStream } from '../../server/http.js';
import { badParameter, notFound } from '../../engine/errors.js';
import type { ManifestsPort } from '../../engine/manifests/port.js';
import type { AddOptions, ManifestPushEvent } from '../../engine/manifests/types.js';
import type { ManifestFormat } from '../../engine/images/types.js';
import { readBody } from '../http/body.js';
import { requestSignal } from '../http/request-signal.js';
import { libpodAuth, tlsVerifyOf } from '../images/push.js';
import { libpodPushLines } from '../images/push-stream.js';

const svc = (ctx: Ctx): ManifestsPort => ctx.engine.manifests;

interface ModifyBody {
  operation?: string;
  images?: string[];
  all?: boolean;
  annotation?: string[];
  annotations?: Record<string, string>;
  arch?: string;
  os?: string;
  os_version?: string;
  variant?: string;
  features?: string[];
}

/** `k=v` annotations (podman 5) and the map (podman 4), one map. */
function annotationsOf(b: ModifyBody): Record<string, string> | undefined {
  const out: Record<string, string> = { ...b.annotations };
  for (const a of b.annotation ?? []) {
    const i = a.indexOf('=');
    if (i <= 0) throw badParameter(`no value given for annotation "${a.slice(0, 100)}"`);
    out[a.slice(0, i)] = a.slice(i + 1);
  }
  return Object.keys(out).length ? out : undefined;
}

function addOptions(ctx: Ctx, b: ModifyBody): AddOptions {
  const q = (k: string) => ctx.query.get(k) || undefined;
  return {
    all: b.all ?? (ctx.query.has('all') ? qBool(ctx, 'all') : undefined),
    arch: b.arch || q('arch'),
    os: b.os || q('os'),
    variant: b.variant || q('variant'),
    osVersion: b.os_version || q('os_version'),
    features: b.features ?? undefined,
    annotations: annotationsOf(b),
    auth: libpodAuth(ctx),
    tlsVerify: tlsVerifyOf(ctx),
  };
}

async function create(ctx: Ctx): Promise<void> {
  const b = (await readBody<ModifyBody>(ctx, 'ManifestCreateLibpod')) ?? {};
  const images = [...qList(ctx, 'images'), ...qList(ctx, 'image'), ...(b.images ?? [])];
  const list = await svc(ctx).create(ctx.params.name, images, { ...addOptions(ctx, b), amend: qBool(ctx, 'amend') });
  sendJson(ctx, 201, { Id: list.id });
}

async function inspect(ctx: Ctx): Promise<void> {
  const r = await svc(ctx).inspect(ctx.params.name, { auth: libpodAuth(ctx), tlsVerify: tlsVerifyOf(ctx) });
  sendJson(ctx, 200, JSON.parse(r.bytes.toString('utf8')));
}

async function exists(ctx: Ctx): Promise<void> {
  if (!svc(ctx).exists(ctx.params.name)) throw notFound(`${ctx.params.name.slice(0, 200)}: image not known`);
  noContent(ctx);
}

async function modify(ctx: Ctx): Promise<void> {
  const b = (await readBody<ModifyBody>(ctx, 'ManifestModifyLibpod')) ?? {};
  const op = (b.operation || ctx.query.get('operation') || '').toLowerCase();
  const images = b.images?.length ? b.images : qList(ctx, 'images');
  if (!images.length) throw badParameter('no images given to the manifest list operation');
  const s = svc(ctx);
  let r;
  if (op === 'update') r = await s.add(ctx.params.name, images, addOptions(ctx, b));
  else if (op === 'remove') r = s.remove(ctx.params.name, images);
  else if (op === 'annotate') r = s.annotate(ctx.params.name, images, addOptions(ctx, b));
  else throw badParameter(`unknown manifest list operation "${op.slice(0, 40)}": use update, remove or annotate`);
  sendJson(ctx, 200, { Id: r.id, images: r.images, files: null, errors: null });
}

async function addOld(ctx: Ctx): Promise<void> {
  const b = (await readBody<ModifyBody>(ctx, 'ManifestAddLibpod')) ?? {};
  const r = await svc(ctx).add(ctx.params.name, b.images ?? [], addOptions(ctx, b));
  sendJson(ctx, 200, { Id: r.id });
}

async function remove(ctx: Ctx): Promise<void> {
  const r = svc(ctx).delete(ctx.params.name);
  sendJson(ctx, 200, { Deleted: [r.id], Untagged: r.names, Errors: [], ExitCode: 0 });
}

function formatOf(v: string | null): ManifestFormat | undefined {
  if (!v) return undefined;
  if (v === 'oci') return 'oci';
  if (v === 'v2s2' || v === 'docker') return 'docker';
  throw badParameter(`unsupported manifest format "${v.slice(0, 40)}": use oci or v2s2`);
}

async function pushTo(ctx: Ctx, destination: string, stream: boolean): Promise<void> {
  const job = svc(ctx).push(ctx.params.name, {
    destination,
    all: ctx.query.has('all') ? qBool(ctx, 'all', true) : true,
    format: formatOf(ctx.query.get('format')),
    auth: libpodAuth(ctx),
    tlsVerify: tlsVerifyOf(ctx),
  });
  const quiet = qBool(ctx, 'quiet', true);
  const res = startStream(ctx);
  const rs = requestSignal(ctx);
  const state = { started: false };
  const write = (o: object) => res.write(JSON.stringify(o) + '\n');
  try {
    const r = await job.run((e: ManifestPushEvent) => {
      if (!stream || quiet) return;
      if (e.type === 'instance') write({ stream: `Copying image ${e.digest} (${e.index}/${e.count})\n` });
      else if (e.type === 'image') for (const l of libpodPushLines(e.event, state)) write({ stream: `${l}\n` });
      else write({ stream: 'Writing manifest list to image destination\nStoring list signatures\n' });
    }, rs.signal);
    write({ Id: r.digest });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    write({ error: msg, errorDetail: { message: msg } });
  } finally {
    rs.done();
  }
  res.end();
}

async function push(ctx: Ctx): Promise<void> {
  await pushTo(ctx, ctx.params.destination, true);
}

async function pushOld(ctx: Ctx): Promise<void> {
  const d = ctx.query.get('destination');
  if (!d) throw badParameter('destination is required');
  await pushTo(ctx, d, false);
}

// The longer patterns first: a list's name may hold slashes, so `/json` or `/registry/x` must not
// be taken for part of a name.
export const routes: RouteDef[] = [
  { method: 'POST', path: '/libpod/manifests/{name:.*}/registry/{destination:.*}', handler: push },
  { method: 'POST', path: '/libpod/manifests/{name:.*}/push', handler: pushOld },
  { method: 'POST', path: '/libpod/manifests/{name:.*}/add', handler: addOld },
  { method: 'GET', path: '/libpod/manifests/{name:.*}/json', handler: inspect },
  { method: 'GET', path: '/libpod/manifests/{name:.*}/exists', handler: exists },
  { method: 'POST', path: '/libpod/manifests/{name:.*}', handler: create },
  { method: 'PUT', path: '/libpod/manifests/{name:.*}', handler: modify },
  { method: 'DELETE', path: '/libpod/manifests/{name:.*}', handler: remove },
];
