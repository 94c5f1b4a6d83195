// The registry harness itself: the three kinds of registry start, take a fixture image by raw
// HTTP, give it back byte for byte, refuse what they should, and a corrupted blob is corrupt.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildFixtures } from '../../fixtures/index.js';
import { run } from '../../helpers/berth.js';
import { blobExists, catalog, fixtureImage, getBlob, getManifest, listTags, MT, platformVariant, sha256, uploadImage, uploadIndex } from './images.js';
import { startRegistry } from './registry.js';

test('plain registry: upload, read back, multi-arch index, corrupt blob, kill and start again', async () => {
  const ids = await buildFixtures();
  const reg = await startRegistry();
  try {
    assert.equal(reg.url, `http://127.0.0.1:${reg.port}`);
    const img = await fixtureImage('busybox');
    assert.equal(img.id, ids.busybox, 'the config is the fixture’s own');
    const up = await uploadImage(reg, 'berth-harness/busybox', 'latest', img);
    const m = await getManifest(reg, 'berth-harness/busybox', 'latest');
    assert.equal(m?.digest, up.digest);
    assert.equal(m?.mediaType, MT.dockerManifest);
    assert.deepEqual(await getBlob(reg, 'berth-harness/busybox', up.config.digest), img.config);
    assert.deepEqual(await listTags(reg, 'berth-harness/busybox'), ['latest']);
    assert.deepEqual(await catalog(reg), ['berth-harness/busybox']);

    const layered = await fixtureImage('layered', { compress: 'keep' });
    assert.equal(layered.id, ids.layered);
    const lu = await uploadImage(reg, 'berth-harness/layered', 'v1', layered);
    assert.equal(lu.mediaType, MT.ociManifest, 'zstd layers need an OCI manifest');
    assert.deepEqual(lu.layers.map((l) => l.mediaType), [MT.ociTar, MT.ociGzip, MT.ociZstd]);

    const arm = platformVariant(img, { architecture: 'arm64', os: 'linux', variant: 'v8' });
    assert.notEqual(arm.id, img.id);
    const idx = await uploadIndex(reg, 'berth-harness/multi', 'latest', [
      { image: arm, platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } },
      { image: img, platform: { architecture: 'amd64', os: 'linux' } },
    ]);
    const im = await getManifest(reg, 'berth-harness/multi', 'latest');
    assert.equal(im?.digest, idx.digest);
    assert.equal(im?.json.manifests.length, 2);
    assert.equal((await getManifest(reg, 'berth-harness/multi', idx.manifests[1].digest))?.json.config.digest, sha256(img.config));

    const layer = up.layers[0].digest;
    reg.corruptBlob(layer);
    assert.notEqual(sha256(await getBlob(reg, 'berth-harness/busybox', layer)), layer, 'served corrupt');
    reg.corruptBlob(layer, 'truncate');
    assert.ok(readFileSync(reg.blobFile(layer)).length < img.layers[0].blob.length);

    await reg.kill();
    await assert.rejects(getManifest(reg, 'berth-harness/busybox', 'latest'));
    await reg.start();
    assert.equal((await getManifest(reg, 'berth-harness/busybox', 'latest'))?.digest, up.digest, 'storage kept across a restart');
  } finally {
    await reg.stop();
  }
  assert.equal(existsSync(reg.dir), false, 'storage removed');
});

test('htpasswd over TLS: the CA is in certs.d, wrong or no credentials are 401', async () => {
  const reg = await startRegistry({ auth: 'basic', tls: true, users: { alice: 'wonderland' } });
  try {
    assert.match(reg.url, /^https:/);
    for (const base of ['/etc/containers/certs.d', '/etc/docker/certs.d']) {
      assert.equal(readFileSync(join(base, reg.host, 'ca.crt'), 'utf8'), reg.caPem);
      assert.ok(existsSync(join(base, reg.hostAlias, 'ca.crt')));
    }
    // curl trusting only the certs.d CA, for both names the certificate covers.
    for (const h of [reg.host, reg.hostAlias]) {
      const c = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '--cacert', join('/etc/docker/certs.d', h, 'ca.crt'), '-u', 'alice:wonderland', `https://${h}/v2/`]);
      assert.equal(c.stdout, '200', c.stderr);
    }
    const bad = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '--cacert', reg.caFile!, '-u', 'alice:nope', `${reg.url}/v2/`]);
    assert.equal(bad.stdout, '401');
    const anon = await reg.request('GET', '/v2/', { user: null });
    assert.equal(anon.status, 401);
    assert.match(String(anon.headers['www-authenticate']), /^Basic realm="berth-test-registry"/);
    const up = await uploadImage(reg, 'berth-harness/busybox', 'latest', await fixtureImage('busybox'));
    assert.ok(await blobExists(reg, 'berth-harness/busybox', up.layers[0].digest));
  } finally {
    await reg.stop();
  }
  assert.equal(existsSync(join('/etc/docker/certs.d', reg.host)), false, 'certs.d entry removed');
});

test('token auth: anonymous pull only, users push, bad passwords 401, refresh tokens', async () => {
  const reg = await startRegistry({ auth: 'token', users: { bob: 'builder' } });
  try {
    const ping = await reg.request('GET', '/v2/', { user: null, noAuth: true });
    assert.equal(ping.status, 401);
    assert.match(String(ping.headers['www-authenticate']), new RegExp(`^Bearer realm="${reg.token!.realm}",service="berth-test-registry-${reg.port}"`));
    const up = await uploadImage(reg, 'berth-harness/busybox', 'latest', await fixtureImage('busybox'));
    const anonRead = await reg.request('GET', `/v2/berth-harness/busybox/manifests/latest`, { user: null, headers: { Accept: MT.dockerManifest } });
    assert.equal(anonRead.status, 200);
    assert.equal(anonRead.headers['docker-content-digest'], up.digest);
    const anonPush = await reg.request('POST', '/v2/berth-harness/busybox/blobs/uploads/', { user: null });
    assert.equal(anonPush.status, 401, 'an anonymous token grants no push');

    const realm = reg.token!.realm;
    const service = `berth-test-registry-${reg.port}`;
    const wrong = await run('curl', ['-sS', '-w', '\n%{http_code}', '-u', 'bob:wrong', `${realm}?service=${service}&scope=repository:x:pull`]);
    assert.match(wrong.stdout, /incorrect username or password[\s\S]*\n401$/);
    const off = JSON.parse((await run('curl', ['-sS', '-u', 'bob:builder', `${realm}?service=${service}&offline_token=true&client_id=docker`])).stdout);
    assert.ok(off.refresh_token && off.token);
    const refreshed = await run('curl', ['-sS', '-w', '\n%{http_code}', '-d', `grant_type=refresh_token&refresh_token=${off.refresh_token}&service=${service}&client_id=docker&scope=repository:berth-harness/busybox:pull,push`, realm]);
    assert.match(refreshed.stdout, /\n200$/);
    const last = reg.token!.log.at(-1)!;
    assert.deepEqual([last.grant, last.user, last.scopes], ['refresh_token', 'bob', ['repository:berth-harness/busybox:pull,push']]);
  } finally {
    await reg.stop();
  }
});
