// docker pull against a real registry (Debian's docker-registry on 127.0.0.1): the image comes
// with the fixture's ID, the manifest's digest as RepoDigest, dockerd's progress stream; by tag
// and by digest; a multi-arch index gives this platform's image; unknown names are 404s.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startBerth, type Berth } from '../../helpers/berth.js';
import { buildFixtures } from '../../fixtures/index.js';
import { fixtureImage, platformVariant, uploadImage, uploadIndex } from '../support/images.js';
import { startRegistry, type Registry } from '../support/registry.js';

let b: Berth;
let reg: Registry;
let ids: Record<string, string>;
const layerDirs = () => (existsSync(join(b.root, 'overlay')) ? readdirSync(join(b.root, 'overlay')) : []).filter((d) => /^[a-f0-9]{64}$/.test(d));

before(async () => {
  ids = await buildFixtures();
  reg = await startRegistry();
  b = await startBerth({ env: { REGISTRY_AUTH_FILE: '/nonexistent/berth-pull-auth.json', CONTAINERS_REGISTRIES_CONF: '/nonexistent/berth-pull-registries.conf' } });
});
after(async () => {
  await b?.cleanup();
  await reg?.stop();
});

test('docker pull by tag: the fixture ID, the RepoDigest, then "up to date"; docker run uses it', async () => {
  const up = await uploadImage(reg, 'berth-pull/busybox', 'latest', await fixtureImage('busybox'));
  const name = `${reg.host}/berth-pull/busybox`;
  const out = await b.dockerOk(['pull', name], { timeoutMs: 60_000 });
  assert.match(out, /latest: Pulling from berth-pull\/busybox/);
  assert.match(out, /Pull complete/);
  assert.match(out, new RegExp(`Digest: ${up.digest}`));
  assert.match(out, new RegExp(`Status: Downloaded newer image for ${name}:latest`));
  const [img] = JSON.parse(await b.dockerOk(['inspect', name]));
  assert.equal(img.Id, `sha256:${ids.busybox}`);
  assert.deepEqual(img.RepoDigests, [`${name}@${up.digest}`]);
  assert.deepEqual(img.RepoTags, [`${name}:latest`]);
  const again = await b.dockerOk(['pull', name]);
  assert.match(again, new RegExp(`Status: Image is up to date for ${name}:latest`));
  const hi = await b.docker(['run', '--rm', '--network', 'none', name, 'echo', 'pulled'], { timeoutMs: 60_000 });
  assert.equal(hi.stdout, 'pulled\n', hi.stderr);
});

test('the progress stream as dockerd sends it; layers already stored are skipped', async () => {
  const layered = await fixtureImage('layered', { compress: 'keep' });
  await uploadImage(reg, 'berth-pull/layered', 'v1', layered);
  const r = await b.request('POST', `/v1.41/images/create?fromImage=${reg.host}/berth-pull/layered&tag=v1`);
  assert.equal(r.status, 200);
  const lines = r.text.trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(lines.every((l) => typeof l.status === 'string'), r.text);
  assert.deepEqual(lines[0], { status: 'Pulling from berth-pull/layered', id: 'v1' });
  const statuses = new Set(lines.map((l) => l.status));
  for (const s of ['Pulling fs layer', 'Downloading', 'Verifying Checksum', 'Download complete', 'Extracting', 'Pull complete']) assert.ok(statuses.has(s), `${s} in ${r.text}`);
  const dl = lines.find((l) => l.status === 'Downloading');
  assert.ok(dl.progressDetail.total > 0 && typeof dl.progress === 'string');
  assert.match(lines.at(-2).status, /^Digest: sha256:/);
  assert.equal(lines.at(-1).status, `Status: Downloaded newer image for ${reg.host}/berth-pull/layered:v1`);
  const [img] = JSON.parse(await b.dockerOk(['inspect', `${reg.host}/berth-pull/layered:v1`]));
  assert.equal(img.Id, `sha256:${ids.layered}`);

  // berth-extra shares busybox's base layer: "Already exists".
  await uploadImage(reg, 'berth-pull/extra', '1', await fixtureImage('extra'));
  const ex = await b.dockerOk(['pull', `${reg.host}/berth-pull/extra:1`]);
  assert.match(ex, /Already exists/);
  assert.equal(JSON.parse(await b.dockerOk(['inspect', `${reg.host}/berth-pull/extra:1`]))[0].Id, `sha256:${ids.extra}`);
});

test('pull by digest; a multi-arch index gives this platform, --platform another', async () => {
  const img = await fixtureImage('busybox');
  const arm = platformVariant(img, { architecture: 'arm64', os: 'linux', variant: 'v8' });
  const idx = await uploadIndex(reg, 'berth-pull/multi', 'latest', [
    { image: arm, platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } },
    { image: img, platform: { architecture: 'amd64', os: 'linux' } },
  ]);
  const name = `${reg.host}/berth-pull/multi`;
  await b.dockerOk(['pull', name]);
  const [pulled] = JSON.parse(await b.dockerOk(['inspect', name]));
  assert.equal(pulled.Id, `sha256:${img.id}`);
  assert.equal(pulled.Architecture, 'amd64');
  assert.ok(pulled.RepoDigests.includes(`${name}@${idx.digest}`), pulled.RepoDigests);
  await b.dockerOk(['pull', '--platform', 'linux/arm64', `${name}:latest`]);
  assert.equal(JSON.parse(await b.dockerOk(['inspect', name]))[0].Id, `sha256:${arm.id}`, 'the tag moved to the arm64 image');
  const none = await b.docker(['pull', '--platform', 'linux/s390x', name]);
  assert.notEqual(none.code, 0);
  assert.match(none.stderr, /no matching manifest for linux\/s390x/);

  const byDigest = `${reg.host}/berth-pull/multi@${idx.manifests[0].digest}`;
  const out = await b.dockerOk(['pull', byDigest]);
  assert.match(out, new RegExp(`Digest: ${idx.manifests[0].digest}`));
  const [d] = JSON.parse(await b.dockerOk(['inspect', byDigest]));
  assert.equal(d.Id, `sha256:${arm.id}`);
  assert.ok(d.RepoDigests.includes(byDigest));

  const dist = await b.request('GET', `/v1.41/distribution/${name}:latest/json`);
  assert.equal(dist.status, 200, dist.text);
  assert.equal(dist.json.Descriptor.digest, idx.digest);
  assert.deepEqual(dist.json.Platforms.map((p: { architecture: string }) => p.architecture).sort(), ['amd64', 'arm64']);
});

test('unknown tag and repository are 404s with docker\'s words before any stream; a malformed name is 400', async () => {
  const tag = await b.request('POST', `/v1.41/images/create?fromImage=${reg.host}/berth-pull/busybox&tag=nope`);
  assert.equal(tag.status, 404, tag.text);
  assert.match(tag.json.message, new RegExp(`manifest for ${reg.host}/berth-pull/busybox:nope not found: manifest unknown`));
  const repo = await b.docker(['pull', `${reg.host}/berth-pull/nosuch`]);
  assert.notEqual(repo.code, 0);
  assert.match(repo.stderr, /not found/);
  const bad = await b.request('POST', `/v1.41/images/create?fromImage=${reg.host}/Bad&tag=latest`);
  assert.equal(bad.status, 400);
  const before = layerDirs().length;
  assert.ok(before > 0);
});

test('docker pull -a takes every tag', async () => {
  const img = await fixtureImage('busybox');
  await uploadImage(reg, 'berth-pull/tags', 'one', img);
  await uploadImage(reg, 'berth-pull/tags', 'two', await fixtureImage('extra'));
  const name = `${reg.host}/berth-pull/tags`;
  const out = await b.dockerOk(['pull', '-a', name], { timeoutMs: 60_000 });
  assert.match(out, /Digest: sha256:[\s\S]*Digest: sha256:/);
  assert.match(out, new RegExp(`Status: Downloaded newer image for ${name}\\n`));
  const tags = (await b.dockerOk(['images', '--format', '{{.Tag}}', name])).trim().split('\n').filter((t) => t !== '<none>').sort();
  assert.deepEqual(tags, ['one', 'two']);
});

test('layers that do not match the config, or escape the root, fail the pull and store nothing', async () => {
  const { tarOf } = await import('./big-image.js');
  const { gzipSync } = await import('node:zlib');
  const { sha256 } = await import('../support/images.js');
  const good = await tarOf({ 'ok.txt': Buffer.from('fine\n') });
  const cfg = (diffIds: string[]) => Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: diffIds } }));
  const wrong = { id: '', config: cfg([sha256('something else')]), layers: [{ blob: gzipSync(good), compression: 'gzip' as const, diffId: sha256(good) }] };
  await uploadImage(reg, 'berth-pull/wrongdiff', 'latest', wrong);
  const before = layerDirs();
  const w = await b.docker(['pull', `${reg.host}/berth-pull/wrongdiff`]);
  assert.notEqual(w.code, 0);
  assert.match(w.stderr, /does not match its digest/);

  // A tar whose entry climbs out of the layer (tar-stream writes the name as given).
  const evil = await tarOf({ '../../../tmp/berth-pull-escape.txt': Buffer.from('escaped\n') });
  await uploadImage(reg, 'berth-pull/evil', 'latest', { id: '', config: cfg([sha256(evil)]), layers: [{ blob: gzipSync(evil), compression: 'gzip', diffId: sha256(evil) }] });
  const e = await b.docker(['pull', `${reg.host}/berth-pull/evil`]);
  assert.notEqual(e.code, 0);
  assert.match(e.stderr, /unsafe|outside|escap/i);
  assert.deepEqual(layerDirs(), before, 'no layer stored');
  assert.equal(readdirSync(join(b.root, 'overlay')).filter((d) => d.startsWith('.tmp-')).length, 0);
});
