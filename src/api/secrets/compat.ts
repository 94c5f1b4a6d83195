// The compat secret endpoints podman serves outside swarm: /secrets create (Data base64), list,
// inspect, delete. Updating one is swarm's: refused plainly.
import type { Ctx, RouteDef } from '../../server/http.js';
import { noContent, qFilters, sendJson } from '../../server/http.js';
import { HttpError } from '../../server/errors.js';
import { readBody } from '../http/body.js';
import { compatSecretReport } from './shape.js';

const svc = (ctx: Ctx) => ctx.engine.secrets;

interface CreateBody {
  Name?: string;
  Data?: string;
  Labels?: Record<string, string>;
  Driver?: { Name?: string; Options?: Record<string, string> };
}

const B64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

async function create(ctx: Ctx): Promise<void> {
  const body = (await readBody<CreateBody>(ctx, 'SecretCreate')) ?? {};
  if (!body.Name) throw new HttpError(400, 'a secret needs a Name');
  const data = (body.Data ?? '').replace(/\s+/g, '');
  if (!B64.test(data)) throw new HttpError(400, 'Data must be base64-encoded');
  const s = svc(ctx).create({
    name: body.Name,
    data: Buffer.from(data, 'base64'),
    driver: body.Driver?.Name || undefined,
    driverOptions: body.Driver?.Options ?? {},
    labels: body.Labels ?? {},
  });
  sendJson(ctx, 201, { ID: s.id });
}

async function list(ctx: Ctx): Promise<void> {
  sendJson(ctx, 200, svc(ctx).list(qFilters(ctx)).map(compatSecretReport));
}

async function inspect(ctx: Ctx): Promise<void> {
  sendJson(ctx, 200, compatSecretReport(svc(ctx).get(ctx.params.name)));
}

async function remove(ctx: Ctx): Promise<void> {
  svc(ctx).remove(ctx.params.name);
  noContent(ctx);
}

/** A secret's data is never changed in place (podman's create --replace does that). */
async function update(ctx: Ctx): Promise<void> {
  svc(ctx).get(ctx.params.name);
  throw new HttpError(400, 'secrets cannot be updated: create it again with the new data (podman secret create --replace)');
}

export const routes: RouteDef[] = [
  { method: 'POST', path: '/secrets/create', handler: create },
  { method: 'GET', path: '/secrets', handler: list },
  { method: 'GET', path: '/secrets/:name', handler: inspect },
  { method: 'DELETE', path: '/secrets/:name', handler: remove },
  { method: 'POST', path: '/secrets/:name/update', handler: update },
];
