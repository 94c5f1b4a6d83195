// podman's secret endpoints: /libpod/secrets/create (the data is the raw body), json,
// {name}/json (showsecret), {name}/exists and DELETE {name} (all).
import type { Ctx, RouteDef } from '../../server/http.js';
import { noContent, qBool, qFilters, sendJson } from '../../server/http.js';
import { HttpError } from '../../server/errors.js';
import { queryMap, secretReport } from './shape.js';

const svc = (ctx: Ctx) => ctx.engine.secrets;
/** A little over podman's data limit, so that the engine, not the reader, names the limit. */
const BODY_LIMIT = 600_000;

async function readData(ctx: Ctx): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of ctx.req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > BODY_LIMIT) throw new HttpError(400, 'secret data must be larger than 0 and less than 512000 bytes');
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

async function create(ctx: Ctx): Promise<void> {
  const name = ctx.query.get('name');
  if (!name) throw new HttpError(400, 'a secret needs a name: query parameter "name"');
  const s = svc(ctx).create({
    name,
    driver: ctx.query.get('driver') || undefined,
    driverOptions: queryMap(ctx.query.get('driveropts'), 'driveropts'),
    labels: queryMap(ctx.query.get('labels'), 'labels'),
    replace: qBool(ctx, 'replace'),
    data: await readData(ctx),
  });
  sendJson(ctx, 201, { ID: s.id });
}

async function list(ctx: Ctx): Promise<void> {
  sendJson(ctx, 200, svc(ctx).list(qFilters(ctx)).map((s) => secretReport(s)));
}

async function inspect(ctx: Ctx): Promise<void> {
  const s = svc(ctx).get(ctx.params.name);
  sendJson(ctx, 200, secretReport(s, qBool(ctx, 'showsecret') ? svc(ctx).data(s.id) : undefined));
}

async function exists(ctx: Ctx): Promise<void> {
  svc(ctx).get(ctx.params.name);
  noContent(ctx);
}

async function remove(ctx: Ctx): Promise<void> {
  if (qBool(ctx, 'all')) svc(ctx).removeAll();
  else svc(ctx).remove(ctx.params.name);
  noContent(ctx);
}

export const routes: RouteDef[] = [
  { method: 'POST', path: '/libpod/secrets/create', handler: create },
  { method: 'GET', path: '/libpod/secrets/json', handler: list },
  { method: 'GET', path: '/libpod/secrets/:name/json', handler: inspect },
  { method: 'GET', path: '/libpod/secrets/:name/exists', handler: exists },
  { method: 'DELETE', path: '/libpod/secrets/:name', handler: remove },
];
