import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryReclaimer, residentSplit } from '../../../src/server/reclaim.js';

test('statm is split into anonymous and file-backed resident bytes', () => {
  assert.deepEqual(residentSplit('1000 300 100 50 0 400 0\n'), { anon: 200 * 4096, file: 100 * 4096 });
  const live = residentSplit();
  assert.ok(live.anon > 0 && live.file > 0);
});

test('the reclaimer hands back on settle and on idle, and the engine is asked to release first', () => {
  let released = 0;
  const r = memoryReclaimer(() => released++);
  // Grow the heap past the threshold, then let it go.
  let junk: Buffer[] | undefined = Array.from({ length: 64 }, () => Buffer.alloc(256 * 1024, 1));
  assert.equal(junk.length, 64);
  junk = undefined;
  r.settled();
  assert.equal(released, 1, 'anonymous memory grew by 16 MiB: a collection, the engine released first');
  r.settled();
  assert.equal(released, 1, 'no growth since: no second collection');
  // A long quiet collects for less growth (2 MiB).
  const more = Array.from({ length: 16 }, () => Buffer.alloc(256 * 1024, 2));
  assert.equal(more.length, 16);
  r.idle();
  assert.equal(released, 2, 'grown by 4 MiB: the idle collection ran');
});
