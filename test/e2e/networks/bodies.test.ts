// Network bodies are decoded as Go decodes them: wrong types are 400s naming the field, in each
// layer's error shape, and nothing is created.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBerth, type Berth } from '../../helpers/berth.js';

let b: Berth;
before(async () => {
  b = await startBerth();
});
after(async () => {
  await b.cleanup();
});

test('compat network create, connect and disconnect: wrong types are 400 naming the field', async () => {
  for (const [body, field] of [
    [{ Name: 123 }, /NetworkCreateRequest.Name of type string/],
    [{ Name: 'n2', IPAM: { Config: 'x' } }, /IPAM.Config of type \[\]/],
    [{ Name: 'n3', Internal: 'yes' }, /Internal of type bool/],
  ] as const) {
    const r = await b.request('POST', '/v1.41/networks/create', body);
    assert.equal(r.status, 400, r.text);
    assert.match(r.json.message, field);
  }
  const c = await b.request('POST', '/v1.41/networks/bridge/connect', { Container: 123 });
  assert.equal(c.status, 400, c.text);
  assert.match(c.json.message, /Container of type string/);
  const d = await b.request('POST', '/v1.41/networks/bridge/disconnect', { Container: 'x', Force: 'no' });
  assert.equal(d.status, 400, d.text);
  const names = (await b.request('GET', '/v1.41/networks')).json.map((n: { Name: string }) => n.Name);
  for (const n of ['n2', 'n3']) assert.ok(!names.includes(n), `${n} was not created`);
});

test('libpod network create and connect: wrong types are 400 in podman\'s shape', async () => {
  const r = await b.request('POST', '/v5.4.2/libpod/networks/create', { name: 'l1', subnets: 'x' });
  assert.equal(r.status, 400, r.text);
  assert.equal(r.json.response, 400);
  assert.match(r.json.message, /subnets/);
  const c = await b.request('POST', '/v5.4.2/libpod/networks/podman/connect', { container: ['x'] });
  assert.equal(c.status, 400, c.text);
  assert.equal((await b.request('GET', '/_ping')).status, 200);
});
