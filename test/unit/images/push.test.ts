import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compatPushMessages, libpodPushLines } from '../../../src/api/images/push-stream.js';
import { listDocument } from '../../../src/engine/manifests/list-doc.js';
import { localManifest } from '../../../src/engine/manifests/service.js';
import { parseFilters, searchTargets } from '../../../src/engine/images/search.js';
import { EngineError } from '../../../src/engine/errors.js';
import type { ImageInfo, PushEvent } from '../../../src/engine/images/types.js';

const D = `sha256:${'ab'.repeat(32)}`;

test('dockerd’s push messages: the repository, layer states by short diff ID, the digest line and aux', () => {
  assert.deepEqual(compatPushMessages({ type: 'repository', name: '127.0.0.1:5000/a/b' }), [{ status: 'The push refers to repository [127.0.0.1:5000/a/b]' }]);
  const layer = (state: Extract<PushEvent, { type: 'layer' }>['state'], extra = {}) => compatPushMessages({ type: 'layer', diffId: D, state, ...extra })[0] as Record<string, unknown>;
  assert.deepEqual(layer('preparing'), { status: 'Preparing', progressDetail: {}, id: 'abababababab' });
  assert.deepEqual(layer('waiting'), { status: 'Waiting', progressDetail: {}, id: 'abababababab' });
  assert.equal(layer('exists').status, 'Layer already exists');
  assert.equal(layer('mounted', { from: 'library/busybox' }).status, 'Mounted from library/busybox');
  assert.equal(layer('pushed').status, 'Pushed');
  const p = layer('pushing', { current: 500, total: 1000 });
  assert.deepEqual(p.progressDetail, { current: 500, total: 1000 });
  assert.match(String(p.progress), /^\[={25}>\s+\]\s+500B\/1kB$/);
  assert.deepEqual(compatPushMessages({ type: 'manifest', tag: 'v1', digest: D, size: 527 }), [
    { status: `v1: digest: ${D} size: 527` },
    { progressDetail: {}, aux: { Tag: 'v1', Digest: D, Size: 527 } },
  ]);
  assert.deepEqual(compatPushMessages({ type: 'config', digest: D, exists: false }), []);
});

test('podman’s push lines: signatures once, blobs copied or skipped, config, manifest', () => {
  const st = { started: false };
  const out = [
    ...libpodPushLines({ type: 'repository', name: 'x' }, st),
    ...libpodPushLines({ type: 'layer', diffId: D, state: 'preparing' }, st),
    ...libpodPushLines({ type: 'layer', diffId: D, state: 'exists', digest: D }, st),
    ...libpodPushLines({ type: 'layer', diffId: D, state: 'pushed', digest: D }, st),
    ...libpodPushLines({ type: 'config', digest: D, exists: false }, st),
    ...libpodPushLines({ type: 'manifest', tag: 'v1', digest: D, size: 1 }, st),
  ];
  assert.deepEqual(out, ['Getting image source signatures', 'Copying blob abababababab skipped: already exists', `Copying blob ${D}`, `Copying config ${D}`, 'Writing manifest to image destination']);
});

test('a list is a docker manifest list while every instance is a docker manifest, else an OCI index', () => {
  const docker = { mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest: D, size: 1 };
  const oci = { ...docker, mediaType: 'application/vnd.oci.image.manifest.v1+json' };
  assert.equal(JSON.parse(listDocument([docker]).toString()).mediaType, 'application/vnd.docker.distribution.manifest.list.v2+json');
  assert.equal(JSON.parse(listDocument([]).toString()).mediaType, 'application/vnd.docker.distribution.manifest.list.v2+json');
  assert.equal(JSON.parse(listDocument([docker, oci]).toString()).mediaType, 'application/vnd.oci.image.index.v1+json');
  assert.equal(JSON.parse(listDocument([docker], 'oci').toString()).mediaType, 'application/vnd.oci.image.index.v1+json');
  assert.deepEqual(JSON.parse(listDocument([docker]).toString()).manifests, [docker]);
});

function image(manifest: Buffer | null): ImageInfo {
  const config = Buffer.from('{"rootfs":{"type":"layers","diff_ids":["sha256:' + '1'.repeat(64) + '"]}}');
  return {
    id: 'f'.repeat(64), names: [], digests: [], layers: ['1'.repeat(64)], config, parent: '', digest: null, manifest, added: 0, created: 0, size: 0, labels: '{}',
    cfg: JSON.parse(config.toString()),
    layerRows: [{ id: '1'.repeat(64), parent: null, diff_id: `sha256:${'1'.repeat(64)}`, link: 'L', size: 10, tar_size: 2048, created: 0 }],
  };
}

test('an instance that is a local image: the manifest it came with, else one naming its uncompressed layers (stable bytes)', () => {
  const a = localManifest(image(null));
  assert.deepEqual(a, localManifest(image(null)), 'the same bytes each time: the digest in the list stays valid');
  const doc = JSON.parse(a.bytes.toString());
  assert.equal(a.mediaType, 'application/vnd.oci.image.manifest.v1+json');
  assert.deepEqual(doc.layers, [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: `sha256:${'1'.repeat(64)}`, size: 2048 }]);
  const stored = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json', config: {}, layers: [{ digest: D }] }));
  assert.deepEqual(localManifest(image(stored)), { bytes: stored, mediaType: 'application/vnd.docker.distribution.manifest.v2+json' });
});

test('search: filters as dockerd checks them, and where a term is searched', () => {
  assert.deepEqual(parseFilters({ 'is-official': ['true'], stars: ['3', '5'], 'is-automated': ['0'] }), { official: true, automated: false, stars: 5 });
  assert.throws(() => parseFilters({ stars: ['many'] }), (e) => e instanceof EngineError && e.kind === 'bad-parameter' && /stars=many/.test(e.message));
  assert.throws(() => parseFilters({ 'is-official': ['yes'] }), /invalid filter 'is-official=yes'/);
  assert.throws(() => parseFilters({ label: ['x'] }), /invalid filter 'label'/);
  assert.deepEqual(searchTargets('localhost:5000/team/app', { naming: 'docker' }), [{ registry: 'localhost:5000', query: 'team/app' }]);
  assert.deepEqual(searchTargets('busybox', { naming: 'docker' }), [{ registry: 'docker.io', query: 'busybox' }]);
  assert.deepEqual(searchTargets('team/app', { naming: 'docker' }), [{ registry: 'docker.io', query: 'team/app' }]);
  assert.throws(() => searchTargets('../etc/passwd', { naming: 'docker' }), /invalid registry name/);
});
