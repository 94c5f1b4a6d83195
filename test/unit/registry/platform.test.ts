import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectPlatform, wantedPlatform, platformText, type IndexEntry } from '../../../src/engine/images/platform.js';
import { parseManifestDoc } from '../../../src/engine/images/manifest-doc.js';
import { EngineError } from '../../../src/engine/errors.js';

const d = (n: string) => 'sha256:' + n.repeat(64);
const entries: IndexEntry[] = [
  { digest: d('a'), size: 1, platform: { os: 'linux', architecture: 'arm', variant: 'v6' } },
  { digest: d('b'), size: 1, platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
  { digest: d('c'), size: 1, platform: { os: 'linux', architecture: 'arm64' } },
  { digest: d('d'), size: 1, platform: { os: 'linux', architecture: 'amd64' } },
  { digest: d('e'), size: 1, platform: { os: 'unknown', architecture: 'unknown' } },
  { digest: d('f'), size: 1, platform: { os: 'windows', architecture: 'amd64' } },
];

test('platform selection: os/arch, variants and their defaults, attestations never', () => {
  assert.equal(selectPlatform(entries, { os: 'linux', architecture: 'amd64' })?.digest, d('d'));
  assert.equal(selectPlatform(entries, wantedPlatform({ architecture: 'arm' }))?.digest, d('b'), 'arm means v7');
  assert.equal(selectPlatform(entries, wantedPlatform({ architecture: 'arm', variant: 'v6' }))?.digest, d('a'));
  assert.equal(selectPlatform(entries, wantedPlatform({ architecture: 'arm64' }))?.digest, d('c'), 'v8 served by an entry without variant');
  assert.equal(selectPlatform(entries, wantedPlatform({ os: 'windows', architecture: 'amd64' }))?.digest, d('f'));
  assert.equal(selectPlatform(entries, wantedPlatform({ architecture: 's390x' })), undefined);
  assert.equal(platformText(wantedPlatform({ architecture: 'arm64' })), 'linux/arm64/v8');
  assert.equal(wantedPlatform(undefined).os, 'linux');
});

test('manifest documents: index, image, schema 1 refused, bad descriptors and media types', () => {
  const img = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: d('1'), size: 10 }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd', digest: d('2'), size: 20 }] };
  const doc = parseManifestDoc(img.mediaType, Buffer.from(JSON.stringify(img)), 'x');
  assert.equal(doc.kind, 'image');
  const idx = parseManifestDoc('application/vnd.oci.image.index.v1+json', Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [{ digest: d('3'), size: 5, platform: { os: 'linux', architecture: 'amd64' } }] })), 'x');
  assert.equal(idx.kind, 'index');
  const bad = (mt: string, body: unknown, re: RegExp) =>
    assert.throws(() => parseManifestDoc(mt, Buffer.from(JSON.stringify(body)), 'x'), (e: unknown) => e instanceof EngineError && re.test(e.message));
  bad('application/vnd.docker.distribution.manifest.v1+prettyjws', { schemaVersion: 1 }, /schema 1 is not supported/);
  bad(img.mediaType, { ...img, layers: [{ digest: 'sha256:short', size: 1 }] }, /layer 0 has no valid sha256 digest/);
  bad(img.mediaType, { ...img, layers: [{ mediaType: 'application/x-helm', digest: d('2'), size: 1 }] }, /unsupported media type/);
  bad(img.mediaType, { ...img, config: { mediaType: 'application/vnd.cncf.helm.config.v1+json', digest: d('1'), size: 1 } }, /not a container image/);
});
