import { test } from 'node:test';
import assert from 'node:assert/strict';
import { filterImages } from '../../../src/engine/images/filter.js';
import { untilMs } from '../../../src/lib/time.js';
import type { ImageInfo } from '../../../src/engine/images/types.js';
import { EngineError } from '../../../src/engine/errors.js';

function img(id: string, names: string[], created: number, labels: Record<string, string> = {}): ImageInfo {
  return {
    id, names, created, digests: [], layers: [], layerRows: [], config: Buffer.alloc(0), parent: '', digest: null, manifest: null, added: 0, size: 0, labels: '{}',
    cfg: { config: { Labels: labels }, rootfs: { type: 'layers', diff_ids: [] } },
  };
}

const all = [
  img('a1', ['docker.io/library/busybox:latest', 'docker.io/library/busybox:b'], 3000),
  img('b2', ['docker.io/user/app:1'], 2000, { tier: 'web' }),
  img('c3', [], 1000, { tier: 'db' }),
  img('d4', ['localhost/mine:t1'], 4000),
];
const byRef = (r: string) => all.find((i) => i.id === r || i.names.some((n) => n.endsWith(`/${r}`)))!;
const run = (f: Record<string, string[]>, libpod = false) => filterImages(all, f, byRef, { matchFullNames: libpod }).map((i) => `${i.id}:${i.names.join(',')}`);

test('reference filters narrow names, not just images', () => {
  assert.deepEqual(run({ reference: ['busybox:b'] }), ['a1:docker.io/library/busybox:b']);
  assert.deepEqual(run({ reference: ['busybox'] }), ['a1:docker.io/library/busybox:latest,docker.io/library/busybox:b']);
  assert.deepEqual(run({ reference: ['user/*'] }), ['b2:docker.io/user/app:1']);
  assert.deepEqual(run({ reference: ['docker.io/library/busybox:latest'] }, true), ['a1:docker.io/library/busybox:latest']);
});

test('dangling, label, before, since, id', () => {
  assert.deepEqual(run({ dangling: ['true'] }), ['c3:']);
  assert.equal(run({ dangling: ['false'] }).length, 3);
  assert.deepEqual(run({ label: ['tier'] }).map((s) => s.slice(0, 2)), ['b2', 'c3']);
  assert.deepEqual(run({ label: ['tier=db'] }).map((s) => s.slice(0, 2)), ['c3']);
  assert.deepEqual(run({ 'label!': ['tier'] }).map((s) => s.slice(0, 2)), ['a1', 'd4']);
  assert.deepEqual(run({ before: ['a1'] }).map((s) => s.slice(0, 2)), ['b2', 'c3']);
  assert.deepEqual(run({ since: ['b2'] }).map((s) => s.slice(0, 2)), ['a1', 'd4']);
  assert.deepEqual(run({ id: ['d'] }).map((s) => s.slice(0, 2)), ['d4']);
  assert.throws(() => run({ bogus: ['x'] }), (e: unknown) => e instanceof EngineError && e.kind === 'bad-parameter');
  assert.throws(() => run({ dangling: ['maybe'] }), /expected true or false/);
});

test('until takes timestamps, RFC 3339 and durations', () => {
  assert.equal(untilMs('1700000000'), 1_700_000_000_000);
  assert.equal(untilMs('2023-11-14T22:13:20Z'), 1_700_000_000_000);
  const d = untilMs('2h');
  assert.ok(Math.abs(Date.now() - 7_200_000 - d) < 1000);
  assert.throws(() => untilMs('yesterday'), /not a timestamp/);
});
