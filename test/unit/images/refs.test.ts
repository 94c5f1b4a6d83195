import { test } from 'node:test';
import assert from 'node:assert/strict';
import { candidateNames, canonicalName, familiarName, globMatch, parseReference, splitName } from '../../../src/lib/image-ref.js';
import { EngineError } from '../../../src/engine/errors.js';

const badRef = (s: string, re: RegExp) =>
  assert.throws(() => parseReference(s), (e: unknown) => e instanceof EngineError && e.kind === 'bad-parameter' && re.test(e.message));

test('short names expand as the docker CLI expands them', () => {
  assert.equal(canonicalName(parseReference('busybox')), 'docker.io/library/busybox:latest');
  assert.equal(canonicalName(parseReference('busybox:1.36')), 'docker.io/library/busybox:1.36');
  assert.equal(canonicalName(parseReference('user/app')), 'docker.io/user/app:latest');
  assert.equal(canonicalName(parseReference('quay.io/a/b:v2')), 'quay.io/a/b:v2');
  assert.equal(canonicalName(parseReference('localhost/x')), 'localhost/x:latest');
  assert.equal(canonicalName(parseReference('localhost:5000/x:y')), 'localhost:5000/x:y');
  const d = 'sha256:' + 'a'.repeat(64);
  assert.equal(canonicalName(parseReference(`busybox@${d}`)), `docker.io/library/busybox@${d}`);
  const r = parseReference(`reg.example:443/ns/img:t@${d}`);
  assert.deepEqual([r.domain, r.path, r.tag, r.digest, r.explicitDomain], ['reg.example:443', 'ns/img', 't', d, true]);
});

test('invalid references are rejected with the reason', () => {
  badRef('', /at least one component/);
  badRef('UPPER', /must be lowercase/);
  badRef('a::b', /invalid reference format/);
  badRef('busybox:bad tag', /invalid tag/);
  badRef('busybox@sha256:short', /invalid digest/);
  badRef('-leading', /invalid reference format/);
  badRef('a/' + 'b'.repeat(260), /255 characters/);
});

test('familiar names are what docker prints', () => {
  assert.equal(familiarName('docker.io/library/busybox:latest'), 'busybox:latest');
  assert.equal(familiarName('docker.io/user/app:1'), 'user/app:1');
  assert.equal(familiarName('quay.io/a/b:1'), 'quay.io/a/b:1');
  assert.equal(familiarName('localhost/x:latest'), 'localhost/x:latest');
  assert.deepEqual(splitName('docker.io/library/busybox:latest'), { repo: 'docker.io/library/busybox', tag: 'latest' });
  assert.deepEqual(splitName('localhost:5000/x'), { repo: 'localhost:5000/x', tag: '<none>' });
});

test('short names are looked up under docker.io and localhost/', () => {
  assert.deepEqual(candidateNames('myimg').names, ['docker.io/library/myimg:latest', 'localhost/myimg:latest']);
  assert.deepEqual(candidateNames('me/img:2').names, ['docker.io/me/img:2', 'localhost/me/img:2']);
  assert.deepEqual(candidateNames('quay.io/a/b').names, ['quay.io/a/b:latest']);
});

test('reference filter globs stop at slashes', () => {
  assert.ok(globMatch('busybox', 'busybox'));
  assert.ok(globMatch('busy*', 'busybox'));
  assert.ok(globMatch('busybox:*', 'busybox:latest'));
  assert.ok(!globMatch('*', 'user/app'));
  assert.ok(globMatch('*/*', 'user/app'));
  assert.ok(globMatch('b?sybox:[lx]atest', 'busybox:latest'));
  assert.ok(!globMatch('busybox:b', 'busybox:latest'));
});
