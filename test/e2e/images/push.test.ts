// docker push and podman-remote push against a real registry (Debian's docker-registry started
// by the harness): the progress stream, what lands in the registry, RepoDigests, layers the
// registry has already or can mount from another repository, and the errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { startBerth, run, waitFor, FIXTURES, type Berth } from '../../helpers/berth.js';
import { buildFixtures } from '../../fixtures/index.js';
import { startRegistry, type Registry } from '../support/registry.js';
import { getBlob, getManifest, listTags, MT, sha256, uploadImage } from '../support/images.js';
import { bigImage } from '../registry/big-image.js';

let b: Berth;
let reg: Registry;
let ids: { busybox: string; extra: string; layered: string };
const podman = (args: string[]) => run('podman', ['--remote', '--url', `unix://${b.socket}`, ...args], { timeoutMs: 60_000 });
const lines = (text: string) => text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));

before(async () => {
  ids = await buildFixtures();
  reg = await startRegistry();
  b = await startBerth();
  await b.dockerOk(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
  await b.dockerOk(['load', '-i', join(FIXTURES, 'extra-legacy.tar')]);
  await b.dockerOk(['load', '-i', join(FIXTURES, 'layered-oci.tar')]);
});
after(async () => {
  await b?.cleanup();
  await reg?.stop();
});

test('docker push: dockerd’s stream, the manifest and blobs in the registry, RepoDigests', async () => {
  const name = `${reg.host}/berth-push/busybox`;
  await b.dockerOk(['tag', 'busybox', `${name}:v1`]);
  const r = await b.request('POST', `/v1.41/images/${name}/push?tag=v1`, undefined, { 'X-Registry-Auth': Buffer.from('{}').toString('base64') });
  assert.equal(r.status, 200);
  const msgs = lines(r.text);
  assert.deepEqual(msgs[0], { status: `The push refers to repository [${name}]` });
  const layerId = (JSON.parse(await b.dockerOk(['inspect', 'busybox']))[0].RootFS.Layers[0] as string).slice(7, 19);
  const states = msgs.filter((m) => m.id === layerId).map((m) => m.status);
  assert.deepEqual([states[0], states.at(-1)], ['Preparing', 'Pushed']);
  const pushing = msgs.find((m) => m.status === 'Pushing');
  assert.ok(pushing.progressDetail.total > 0 && /^\[=*>? *\]/.test(pushing.progress), JSON.stringify(pushing));
  const done = msgs.at(-2);
  const m = await getManifest(reg, 'berth-push/busybox', 'v1');
  assert.ok(m);
  assert.equal(done.status, `v1: digest: ${m.digest} size: ${m.body.length}`);
  assert.deepEqual(msgs.at(-1), { progressDetail: {}, aux: { Tag: 'v1', Digest: m.digest, Size: m.body.length } });
  assert.equal(m.mediaType, MT.dockerManifest);
  assert.equal(m.json.config.digest, `sha256:${ids.busybox}`);
  assert.equal(m.json.layers[0].mediaType, MT.dockerGzip);
  // The layer blob is the image's layer, gzip-compressed.
  const blob = await getBlob(reg, 'berth-push/busybox', m.json.layers[0].digest);
  assert.equal(sha256(blob), m.json.layers[0].digest);
  assert.deepEqual([blob[0], blob[1]], [0x1f, 0x8b]);
  const inspect = JSON.parse(await b.dockerOk(['inspect', `${name}:v1`]))[0];
  assert.ok(inspect.RepoDigests.includes(`${name}@${m.digest}`), JSON.stringify(inspect.RepoDigests));

  // Again: every layer is there already, and the manifest is the same.
  const again = await b.dockerOk(['push', `${name}:v1`]);
  assert.match(again, new RegExp(`${layerId}: Layer already exists`));
  assert.match(again, new RegExp(`v1: digest: ${m.digest} size: ${m.body.length}`));
});

test('docker push to another repository mounts the layers; -a pushes every tag; a multi-layer image', async () => {
  await b.dockerOk(['tag', 'busybox', `${reg.host}/berth-push/first:latest`]);
  await b.dockerOk(['push', `${reg.host}/berth-push/first:latest`]);
  await b.dockerOk(['tag', 'busybox', `${reg.host}/berth-push/second:latest`]);
  const out = await b.dockerOk(['push', `${reg.host}/berth-push/second:latest`]);
  assert.match(out, /: Mounted from berth-push\/(first|busybox)/);

  await b.dockerOk(['tag', 'berth-extra:1', `${reg.host}/berth-push/extra:a`]);
  await b.dockerOk(['tag', 'berth-extra:1', `${reg.host}/berth-push/extra:b`]);
  const all = await b.dockerOk(['push', '-a', `${reg.host}/berth-push/extra`]);
  assert.match(all, /a: digest: sha256:[0-9a-f]{64} size: \d+/);
  assert.match(all, /b: digest: sha256:[0-9a-f]{64} size: \d+/);
  assert.deepEqual((await listTags(reg, 'berth-push/extra')).sort(), ['a', 'b']);
  const m = await getManifest(reg, 'berth-push/extra', 'a');
  assert.equal(m?.json.layers.length, 2);
  assert.equal(m?.json.config.digest, `sha256:${ids.extra}`);

  await b.dockerOk(['tag', 'berth-layered:latest', `${reg.host}/berth-push/layered:latest`]);
  await b.dockerOk(['push', `${reg.host}/berth-push/layered:latest`]);
  const lm = await getManifest(reg, 'berth-push/layered', 'latest');
  assert.equal(lm?.json.layers.length, 3);
  assert.ok(lm?.json.layers.every((l: { mediaType: string }) => l.mediaType === MT.dockerGzip));
});

test('docker push errors: no such tag is a 404 before the stream, an unreachable registry an error line', async () => {
  const missing = await b.request('POST', `/v1.41/images/${reg.host}/berth-push/nosuch/push?tag=latest`);
  assert.equal(missing.status, 404);
  assert.match(missing.json.message, new RegExp(`An image does not exist locally with the tag: ${reg.host}/berth-push/nosuch`));
  const cli = await b.docker(['push', `${reg.host}/berth-push/nosuch:latest`]);
  assert.notEqual(cli.code, 0);
  assert.match(cli.stderr, /An image does not exist locally with the tag/);

  await b.dockerOk(['tag', 'busybox', '127.0.0.1:1/berth-push/nowhere:latest']);
  const down = await b.request('POST', '/v1.41/images/127.0.0.1:1/berth-push/nowhere/push?tag=latest');
  assert.equal(down.status, 200);
  const last = lines(down.text).at(-1);
  assert.match(last.error, /127\.0\.0\.1:1/);
  assert.equal(last.errorDetail.message, last.error);
});

test('podman --remote push --tls-verify=false: podman’s stream, OCI by default, the digest', async () => {
  const dest = `${reg.host}/berth-push/podman:1`;
  const r = await podman(['push', '--tls-verify=false', 'busybox', dest]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr + r.stdout, /Getting image source signatures/);
  assert.match(r.stderr + r.stdout, /Writing manifest to image destination/);
  const m = await getManifest(reg, 'berth-push/podman', '1');
  assert.ok(m);
  assert.equal(m.json.config.digest, `sha256:${ids.busybox}`);
  const stream = await b.request('POST', `/v5.4.2/libpod/images/busybox/push?destination=${encodeURIComponent(dest)}&tlsVerify=false&quiet=false&format=v2s2`);
  assert.equal(stream.status, 200);
  const out = lines(stream.text);
  assert.ok(out.some((l) => /Copying config sha256:/.test(l.stream)), stream.text);
  const fin = out.at(-1);
  const m2 = await getManifest(reg, 'berth-push/podman', '1');
  assert.equal(m2?.mediaType, MT.dockerManifest);
  assert.equal(fin.manifestdigest, m2?.digest);

  const bad = await b.request('POST', `/v5.4.2/libpod/images/busybox/push?destination=${encodeURIComponent(dest)}&format=v2s1`);
  assert.equal(bad.status, 400);
  const missing = await podman(['push', '--tls-verify=false', 'nosuch-image', dest]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /nosuch-image/);
});

test('docker push → docker rmi → docker pull: the same image ID and digest come back; pushing it again sends nothing', async () => {
  const name = `${reg.host}/berth-push/roundtrip:rt`;
  await b.dockerOk(['tag', 'berth-layered:latest', name]);
  const pushed = await b.dockerOk(['push', name]);
  const digest = /rt: digest: (sha256:[0-9a-f]{64})/.exec(pushed)?.[1];
  assert.ok(digest, pushed);
  await b.dockerOk(['rmi', name]);
  await b.dockerOk(['rmi', 'berth-layered:latest']);
  assert.notEqual((await b.docker(['inspect', name])).code, 0, 'gone before the pull');
  const pulled = await b.dockerOk(['pull', name]);
  assert.match(pulled, new RegExp(`Digest: ${digest}`));
  const img = JSON.parse(await b.dockerOk(['inspect', name]))[0];
  assert.equal(img.Id, `sha256:${ids.layered}`);
  assert.ok(img.RepoDigests.includes(`${reg.host}/berth-push/roundtrip@${digest}`), JSON.stringify(img.RepoDigests));
  const again = await b.dockerOk(['push', name]);
  assert.doesNotMatch(again, /Pushed/);
  assert.match(again, new RegExp(`rt: digest: ${digest}`), 'the pulled manifest is pushed as it is');
  const run = await b.dockerOk(['run', '--rm', '--network', 'none', name, 'cat', '/data/keep']);
  assert.equal(run, 'keep\n');
});

test('more layers than go up at once: the rest wait; a pulled image pushed to another registry is compressed anew', async () => {
  const other = await startRegistry();
  try {
    await uploadImage(reg, 'berth-push/seven', 'v1', await bigImage('seven', 0, 6), { format: 'oci' });
    await b.dockerOk(['pull', `${reg.host}/berth-push/seven:v1`]);
    const name = `${other.host}/berth-push/seven:v1`;
    await b.dockerOk(['tag', `${reg.host}/berth-push/seven:v1`, name]);
    const r = await b.request('POST', `/v1.41/images/${other.host}/berth-push/seven/push?tag=v1`);
    const msgs = lines(r.text);
    assert.equal(msgs.filter((m) => m.status === 'Preparing').length, 7);
    assert.equal(msgs.filter((m) => m.status === 'Waiting').length, 2, r.text);
    assert.equal(msgs.filter((m) => m.status === 'Pushed').length, 7, r.text);
    const m = await getManifest(other, 'berth-push/seven', 'v1');
    assert.equal(m?.json.layers.length, 7);
    assert.ok(m?.json.layers.every((l: { mediaType: string }) => l.mediaType === MT.dockerGzip));
  } finally {
    await other.stop();
  }
});

test('a client that hangs up mid-push stops the push (no layer left reading), and the next push completes', async () => {
  const other = await startRegistry();
  try {
    await uploadImage(reg, 'berth-push/big', 'v1', await bigImage('hangup', 48, 1), { format: 'oci' });
    await b.dockerOk(['pull', `${reg.host}/berth-push/big:v1`]);
    await b.dockerOk(['tag', `${reg.host}/berth-push/big:v1`, `${other.host}/berth-push/big:v1`]);
    const fds = () => readdirSync(`/proc/${b.proc.pid}/fd`).length;
    const before = fds();
    await new Promise<void>((resolve, reject) => {
      const req = http.request({ socketPath: b.socket, method: 'POST', path: `/v1.41/images/${other.host}/berth-push/big/push?tag=v1` }, (res) => {
        res.on('data', (c: Buffer) => {
          if (/"Pushing"/.test(c.toString())) {
            req.destroy();
            resolve();
          }
        });
        res.on('end', () => reject(new Error('the push ended before it was cut')));
      });
      req.on('error', () => resolve());
      req.end();
    });
    assert.ok(await waitFor(() => fds() <= before + 1, 10_000), `file descriptors: ${before} before, ${fds()} after`);
    assert.equal(await getManifest(other, 'berth-push/big', 'v1'), null, 'no manifest from the cut push');
    const again = await b.dockerOk(['push', `${other.host}/berth-push/big:v1`], { timeoutMs: 120_000 });
    assert.match(again, /v1: digest: sha256:/);
  } finally {
    await other.stop();
  }
});
