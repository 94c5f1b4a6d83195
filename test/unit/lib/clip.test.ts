import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clip, clipRuns, quote } from '../../../src/lib/clip.js';

const long = 'a'.repeat(100_000);

test('clip keeps a short prefix of a long input and says how much it left out', () => {
  assert.equal(clip('short'), 'short');
  assert.equal(clip(long), `${'a'.repeat(128)}...(99872 more characters)`);
  assert.equal(clip(long, 10), `${'a'.repeat(10)}...(99990 more characters)`);
});

test('quote: any JSON value, clipped', () => {
  assert.equal(quote('x'), 'x');
  assert.equal(quote({ a: 1 }), '{"a":1}');
  assert.equal(quote(undefined), 'undefined');
  assert.ok(quote([long]).length < 200);
});

test('clipRuns: long runs clipped in place, already clipped ones left alone, the whole bounded', () => {
  assert.equal(clipRuns(`bad name: ${long} here`), `bad name: ${clip(long)} here`);
  const once = `Invalid container name (${clip(long)}), only letters`;
  assert.equal(clipRuns(once), once);
  assert.equal(clipRuns(`say "${long}" please`), `say "${clip(long)}" please`);
  assert.ok(clipRuns(`x ${long} `.repeat(100)).length <= 4096 + 40);
  assert.equal(clipRuns('a short message'), 'a short message');
});
