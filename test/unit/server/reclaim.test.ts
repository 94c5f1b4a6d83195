import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gunzipSync, gzipSync } from 'node:zlib';
import { memoryReclaimer, residentSplit } from '../../../src/server/reclaim.js';
import { residentParts } from '../../../src/server/memory-report.js';

const addon = createRequire(import.meta.url)('berth-peercred') as { dropFilePages(code?: boolean): number };

test('statm is split into anonymous and file-backed resident bytes', () => {
  assert.deepEqual(residentSplit('1000 300 100 50 0 400 0\n'), { anon: 200 * 4096, file: 100 * 4096 });
  const live = residentSplit();
  assert.ok(live.anon > 0 && live.file > 0);
});

test('dropping clean file pages keeps every private page and the process running', () => {
  // Private memory made before the drop: it must come through unchanged.
  const data = randomBytes(4 << 20);
  const digest = createHash('sha256').update(data).digest('hex');
  const words = Array.from({ length: 50_000 }, (_, i) => `w${i}`);
  const before = residentSplit();
  const ro = addon.dropFilePages(false);
  const all = addon.dropFilePages(true);
  assert.ok(ro >= 0 && all > 0, `dropped ${ro} then ${all} KiB`);
  const after = residentSplit();
  assert.ok(after.file < before.file, `file pages ${before.file} -> ${after.file}`);
  // Code and data of node, libc, ICU, zlib and OpenSSL are read again from the page cache.
  assert.equal(createHash('sha256').update(data).digest('hex'), digest);
  assert.equal(words[49_999], 'w49999');
  assert.equal(gunzipSync(gzipSync(data.subarray(0, 65536))).equals(data.subarray(0, 65536)), true);
  assert.equal(new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', year: 'numeric' }).format(new Date(0)), '1970');
  assert.match(readFileSync('/proc/self/status', 'utf8'), /VmRSS/);
  // The relocated (copied-on-write) pages were left alone: nothing in the smaps of a
  // read-only private file mapping lost its private copy.
  const parts = residentParts(readFileSync('/proc/self/smaps', 'utf8'));
  assert.ok(parts.anonTotal > 0);
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
  const before = residentSplit().file;
  r.idle();
  assert.ok(residentSplit().file < before, 'the first long quiet drops the code pages');
});
