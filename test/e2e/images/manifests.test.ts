// podman-remote's manifest lists against berth and a real registry: create, add (a local image
// and an image found on the registry, with platform overrides and annotations), inspect,
// annotate, remove, push (instances, then the list), and the pushed list pulled back by docker.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startBerth, run, FIXTURES, type Berth } from '../../helpers/berth.js';
import { buildFixtures } from '../../fixtures/index.js';
import { startRegistry, type Registry } from '../support/registry.js';
import { fixtureImage, getManifest, MT, platformVariant, sha256, uploadImage } from '../support/images.js';

let b: Berth;
let reg: Registry;
let ids: { busybox: string };
let armId: string;
const podman = (args: string[]) => run('podman', ['--remote', '--url', `unix://${b.socket}`, ...args], { timeoutMs: 60_000 });
const ok = async (args: string[]) => {
  const r = await podman(args);
  assert.equal(r.code, 0, `podman ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

before(async () => {
  ids = await buildFixtures();
  reg = await startRegistry();
  const arm = platformVariant(await fixtureImage('busybox'), { architecture: 'arm64', os: 'linux', variant: 'v8' });
  armId = arm.id;
  await uploadImage(reg, 'berth-src/busybox-arm', 'v1', arm);
  b = await startBerth();
  await b.dockerOk(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
});
after(async () => {
  await b?.cleanup();
  await reg?.stop();
});

test('podman manifest create, add (local and registry), inspect, exists, annotate, remove', async () => {
  const id = (await ok(['manifest', 'create', 'berth-list'])).trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  const dup = await podman(['manifest', 'create', 'berth-list']);
  assert.notEqual(dup.code, 0);
  assert.match(dup.stderr, /already associated/);
  await ok(['manifest', 'add', 'berth-list', 'containers-storage:busybox']);
  await ok(['manifest', 'add', '--tls-verify=false', '--annotation', 'org.example.note=arm', 'berth-list', `docker://${reg.host}/berth-src/busybox-arm:v1`]);
  const doc = JSON.parse(await ok(['manifest', 'inspect', 'berth-list']));
  assert.equal(doc.schemaVersion, 2);
  assert.equal(doc.manifests.length, 2);
  const [amd, arm] = doc.manifests;
  assert.deepEqual(amd.platform, { architecture: 'amd64', os: 'linux' });
  assert.deepEqual(arm.platform, { architecture: 'arm64', os: 'linux', variant: 'v8' });
  // podman 4 prints the list through a type without annotations: the API shows them.
  const api = await b.request('GET', '/v5.4.2/libpod/manifests/berth-list/json');
  assert.deepEqual(api.json.manifests[1].annotations, { 'org.example.note': 'arm' });
  assert.equal(arm.digest, (await getManifest(reg, 'berth-src/busybox-arm', 'v1'))?.digest);
  assert.equal((await podman(['manifest', 'exists', 'berth-list'])).code, 0);
  assert.equal((await podman(['manifest', 'exists', 'nosuch-list'])).code, 1);

  const ann = await b.request('PUT', '/v5.4.2/libpod/manifests/berth-list', { operation: 'annotate', images: [amd.digest], annotations: { 'org.example.note': 'amd' }, os_version: '1' });
  assert.equal(ann.status, 200, ann.text);
  assert.deepEqual(ann.json, { Id: id, images: [amd.digest], files: null, errors: null });
  const j = await b.request('GET', '/v5.4.2/libpod/manifests/berth-list/json');
  assert.deepEqual(j.json.manifests[0].annotations, { 'org.example.note': 'amd' });
  const badOp = await b.request('PUT', '/v5.4.2/libpod/manifests/berth-list', { operation: 'explode', images: ['x'] });
  assert.equal(badOp.status, 400);
  const missing = await b.request('PUT', '/v5.4.2/libpod/manifests/berth-list', { operation: 'remove', images: [`sha256:${'0'.repeat(64)}`] });
  assert.equal(missing.status, 404);

  await ok(['manifest', 'create', 'berth-list-2', 'containers-storage:busybox']);
  const two = JSON.parse(await ok(['manifest', 'inspect', 'berth-list-2']));
  assert.equal(two.manifests.length, 1);
  await ok(['manifest', 'remove', 'berth-list-2', two.manifests[0].digest]);
  assert.equal(JSON.parse(await ok(['manifest', 'inspect', 'berth-list-2'])).manifests.length, 0);
  await ok(['manifest', 'rm', 'berth-list-2']);
  assert.equal((await podman(['manifest', 'exists', 'berth-list-2'])).code, 1);
  const gone = await b.request('DELETE', '/v5.4.2/libpod/manifests/berth-list-2');
  assert.equal(gone.status, 404);
});

test('podman manifest push: the instances and the list land in the registry; docker pulls this platform from it', async () => {
  const dest = `${reg.host}/berth-list/multi:1`;
  await ok(['manifest', 'push', '--tls-verify=false', 'berth-list', `docker://${dest}`]);
  const idx = await getManifest(reg, 'berth-list/multi', '1');
  assert.ok(idx);
  assert.equal(idx.json.manifests.length, 2);
  const [amd, arm] = idx.json.manifests;
  assert.equal(amd.platform.architecture, 'amd64');
  assert.equal(arm.platform.architecture, 'arm64');
  // The local instance went up compressed: its manifest is the one the pushed list names.
  const am = await getManifest(reg, 'berth-list/multi', amd.digest);
  assert.equal(am?.json.config.digest, `sha256:${ids.busybox}`);
  assert.equal(am?.digest, amd.digest);
  const rm = await getManifest(reg, 'berth-list/multi', arm.digest);
  assert.equal(rm?.json.config.digest, `sha256:${armId}`);
  assert.equal(sha256(rm!.body), arm.digest);

  // Through the API, as podman 4 calls it: a stream ending with the list's digest.
  const r = await b.request('POST', `/v5.4.2/libpod/manifests/berth-list/registry/${encodeURIComponent(`docker://${reg.host}/berth-list/multi:2`)}?tlsVerify=false&quiet=false&format=oci`);
  assert.equal(r.status, 200);
  const last = JSON.parse(r.text.trim().split('\n').at(-1)!);
  const oci = await getManifest(reg, 'berth-list/multi', '2');
  assert.equal(last.Id, oci?.digest, r.text);
  assert.equal(oci?.mediaType, MT.ociIndex);

  // `podman push` of a list's name pushes the list.
  await ok(['push', '--tls-verify=false', 'berth-list', `docker://${reg.host}/berth-list/multi:3`]);
  assert.equal((await getManifest(reg, 'berth-list/multi', '3'))?.json.manifests.length, 2);

  await b.dockerOk(['rmi', 'busybox']);
  const pulled = await b.dockerOk(['pull', dest]);
  assert.match(pulled, new RegExp(`Digest: ${idx.digest}`));
  assert.equal(JSON.parse(await b.dockerOk(['inspect', dest]))[0].Id, `sha256:${ids.busybox}`);
});
