// Image names are full in the engine; each API layer completes and shows them its own way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalName, parseReference, qualifyShortName } from '../../../src/lib/image-ref.js';
import { libpodName } from '../../../src/api/images/libpod.js';

test('libpod completes registry-less names under localhost/, as podman does', () => {
  assert.equal(libpodName('foo'), 'localhost/foo:latest');
  assert.equal(libpodName('foo:1'), 'localhost/foo:1');
  assert.equal(libpodName('me/app:2'), 'localhost/me/app:2');
  assert.equal(libpodName('library/foo'), 'localhost/foo:latest');
  assert.equal(libpodName('quay.io/a/b'), 'quay.io/a/b');
  assert.equal(libpodName('docker.io/foo'), 'docker.io/foo');
  assert.equal(canonicalName(parseReference(libpodName('foo'))), 'localhost/foo:latest');
});

test('names that do not parse or carry a digest pass through for the engine to refuse', () => {
  const d = 'sha256:' + 'a'.repeat(64);
  assert.equal(qualifyShortName('UPPER', 'localhost'), 'UPPER');
  assert.equal(qualifyShortName(`foo@${d}`, 'localhost'), `foo@${d}`);
  assert.equal(qualifyShortName('', 'localhost'), '');
});
