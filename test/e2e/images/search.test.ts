// Searching a private registry (docker-registry has a catalog but no search API): dockerd's
// API asks the v1 search API and finds nothing, without an error; podman's lists the catalog.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBerth, run, type Berth } from '../../helpers/berth.js';
import { startRegistry, type Registry } from '../support/registry.js';
import { fixtureImage, uploadImage } from '../support/images.js';

let b: Berth;
let reg: Registry;
const podman = (args: string[]) => run('podman', ['--remote', '--url', `unix://${b.socket}`, ...args], { timeoutMs: 60_000 });

before(async () => {
  reg = await startRegistry();
  const img = await fixtureImage('busybox');
  await uploadImage(reg, 'berth-search/busybox', 'latest', img);
  await uploadImage(reg, 'berth-search/busybox', '1.36', img);
  await uploadImage(reg, 'other/tool', 'v1', img);
  b = await startBerth();
});
after(async () => {
  await b?.cleanup();
  await reg?.stop();
});

test('compat search: no v1 search API on the registry is an empty list, not an error; bad parameters 400', async () => {
  const r = await b.request('GET', `/v1.41/images/search?term=${encodeURIComponent(`${reg.host}/busybox`)}`);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, []);
  const cli = await b.docker(['search', `${reg.host}/busybox`]);
  assert.equal(cli.code, 0, cli.stderr);
  assert.match(cli.stdout, /^NAME\s+DESCRIPTION\s+STARS\s+OFFICIAL/);
  assert.equal(cli.stdout.trim().split('\n').length, 1);
  const limit = await b.request('GET', `/v1.41/images/search?term=x&limit=500`);
  assert.equal(limit.status, 400);
  assert.match(limit.json.message, /Limit 500 is outside the range of \[1, 100\]/);
  const filter = await b.request('GET', `/v1.41/images/search?term=x&filters=${encodeURIComponent('{"nope":["1"]}')}`);
  assert.equal(filter.status, 400);
  assert.match(filter.json.message, /invalid filter 'nope'/);
  const stars = await b.request('GET', `/v1.41/images/search?term=${reg.host}/x&filters=${encodeURIComponent('{"stars":["3"],"is-official":["true"]}')}`);
  assert.equal(stars.status, 200);
});

test('libpod search lists the catalog entries holding the term; --list-tags lists a repository’s tags', async () => {
  const r = await b.request('GET', `/v5.4.2/libpod/images/search?term=${encodeURIComponent(`${reg.host}/busybox`)}&tlsVerify=false`);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, [{ Index: reg.host, Name: `${reg.host}/berth-search/busybox`, Description: '', Stars: 0, Official: '', Automated: '', Tag: '' }]);
  const cli = await podman(['search', '--tls-verify=false', `${reg.host}/o`]);
  assert.equal(cli.code, 0, cli.stderr);
  assert.match(cli.stdout, new RegExp(`${reg.host}/other/tool`));
  const tags = await podman(['search', '--tls-verify=false', '--list-tags', `${reg.host}/berth-search/busybox`]);
  assert.equal(tags.code, 0, tags.stderr);
  assert.match(tags.stdout, /1\.36/);
  assert.match(tags.stdout, /latest/);
  const limited = await b.request('GET', `/v5.4.2/libpod/images/search?term=${encodeURIComponent(`${reg.host}/`)}&tlsVerify=false&limit=1`);
  assert.equal(limited.json.length, 1);
  const none = await b.request('GET', `/v5.4.2/libpod/images/search?term=${encodeURIComponent(`${reg.host}/zzz`)}&tlsVerify=false`);
  assert.deepEqual(none.json, []);
});
