// Query numbers and booleans as dockerd's and podman's Go decoders read them (issue 11).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { qBool, qInt, type Ctx, type RouteDef } from '../../../src/server/http.js';
import { HttpError } from '../../../src/server/errors.js';
import { LIMIT, STOP_T, TTY_SIZE } from '../../../src/api/http/query.js';
import { routeKey, validQueryValue, withQueryChecks } from '../../../src/api/http/query-check.js';
import { ROUTE_PARAMS } from '../../../src/api/http/route-params.js';
import { compatRoutes } from '../../../src/api/compat-routes.js';
import { libpodRoutes } from '../../../src/api/libpod-routes.js';

const ctx = (q: string, method = 'GET') => ({ query: new URLSearchParams(q), req: { method } }) as unknown as Ctx;
const is400 = (re: RegExp) => (e: unknown) => e instanceof HttpError && e.status === 400 && re.test(e.message);

test('integers: an optional sign and decimal digits, nothing else', () => {
  assert.equal(qInt(ctx('t=10'), 't'), 10);
  assert.equal(qInt(ctx('t=%2B3'), 't'), 3);
  assert.equal(qInt(ctx('t=-1'), 't', undefined, STOP_T), -1);
  assert.equal(qInt(ctx('t=007'), 't'), 7);
  assert.equal(qInt(ctx('t='), 't', 4), 4);
  assert.equal(qInt(ctx(''), 't'), undefined);
  for (const bad of ['0x10', '1e23', '5.0', ' 5', '5 ', 'abc', '1_000', '--1', '']) {
    if (bad === '') continue;
    assert.throws(() => qInt(ctx(`t=${encodeURIComponent(bad)}`), 't'), is400(/invalid integer value/), bad);
  }
  assert.throws(() => qInt(ctx('t=99999999999999999999'), 't'), is400(/out of range/));
  assert.throws(() => qInt(ctx('limit=-5'), 'limit', -1, LIMIT), is400(/out of range \(at least -1\)/));
  assert.throws(() => qInt(ctx('h=70000'), 'h', 0, TTY_SIZE), is400(/from 0 to 65535/));
});

test('booleans: ParseBool and dockerd words; anything else is a 400', () => {
  for (const t of ['1', 't', 'T', 'true', 'True', 'TRUE', 'yes']) assert.equal(qBool(ctx(`a=${t}`), 'a'), true, t);
  for (const f of ['0', 'f', 'F', 'false', 'False', 'FALSE', 'no']) assert.equal(qBool(ctx(`a=${f}`), 'a', true), false, f);
  assert.equal(qBool(ctx('a='), 'a', true), true);
  for (const bad of ['maybe', '2', 'on', 'y', '%00']) assert.throws(() => qBool(ctx(`a=${bad}`), 'a'), is400(/invalid boolean value/), bad);
});

test('the specs type the query parameters of the routes berth serves', () => {
  assert.deepEqual(ROUTE_PARAMS[routeKey('DELETE', '/libpod/containers/:name')].query, { depend: 'bool', force: 'bool', ignore: 'bool', timeout: 'int', v: 'bool' });
  assert.equal(ROUTE_PARAMS[routeKey('POST', '/containers/:id/stop')].query.t, 'int');
  assert.equal(ROUTE_PARAMS[routeKey('GET', '/images/{name:.*}/json')] !== undefined, true);
  assert.equal(ROUTE_PARAMS[routeKey('POST', '/containers/create')].body, 'json');
  assert.equal(ROUTE_PARAMS[routeKey('PUT', '/containers/:id/archive')].body, 'binary');
  // Nearly every route berth serves is in a spec (the rest are HEAD forms, or podman's own that
  // its swagger leaves out): a key that stopped matching would leave most of them out.
  const all = [...compatRoutes, ...libpodRoutes].flatMap((r) => (Array.isArray(r.method) ? r.method : [r.method]).map((m) => routeKey(m, r.path)));
  const missing = all.filter((k) => !ROUTE_PARAMS[k]);
  assert.ok(missing.length <= all.length / 20, `not in the specs: ${missing.join(', ')}`);
  assert.equal(validQueryValue('int', '12'), true);
  assert.equal(validQueryValue('int', '1.5'), false);
  assert.equal(validQueryValue('string', '\0'), true);
});

test('a malformed typed parameter is refused before the handler runs', async () => {
  let ran = 0;
  const [route] = withQueryChecks([{ method: 'DELETE', path: '/libpod/containers/:name', handler: () => void ran++ } satisfies RouteDef]);
  await route.handler(ctx('force=true&timeout=10', 'DELETE'));
  assert.equal(ran, 1);
  assert.throws(() => route.handler(ctx('depend=maybe', 'DELETE')), is400(/"depend"/));
  assert.throws(() => route.handler(ctx('timeout=1e3', 'DELETE')), is400(/"timeout"/));
  // Untyped parameters are the handler's.
  await route.handler(ctx('other=whatever', 'DELETE'));
  assert.equal(ran, 2);
  // HEAD takes GET's parameters.
  const [get] = withQueryChecks([{ method: 'GET', path: '/containers/:id/json', handler: () => void ran++ }]);
  assert.throws(() => get.handler(ctx('size=maybe', 'HEAD')), is400(/"size"/));
});
