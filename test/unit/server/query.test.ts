import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJsonBody, qList, type Ctx } from '../../../src/server/http.js';
import { qTimeNs } from '../../../src/api/http/query.js';
import { HttpError } from '../../../src/server/errors.js';
import { EngineError } from '../../../src/engine/errors.js';

const ctx = (q: string) => ({ query: new URLSearchParams(q) }) as unknown as Ctx;

test('list parameters: repeated, comma-separated, or both', () => {
  assert.deepEqual(qList(ctx('names=a&names=b,c&names='), 'names'), ['a', 'b', 'c']);
  assert.deepEqual(qList(ctx(''), 'names'), []);
});

test('time parameters: absent or empty is undefined, any docker form is exact ns, bad input a 400', () => {
  assert.equal(qTimeNs(ctx('since='), 'since'), undefined);
  assert.equal(qTimeNs(ctx(''), 'since'), undefined);
  assert.equal(qTimeNs(ctx('since=1700000000.000000001'), 'since'), 1_700_000_000_000_000_001n);
  assert.equal(qTimeNs(ctx('until=2023-11-14T22:13:20Z'), 'until'), 1_700_000_000_000_000_000n);
  const t = qTimeNs(ctx('since=1m'), 'since')!;
  assert.ok(Math.abs(Number(t) / 1e6 - (Date.now() - 60_000)) < 1000);
  assert.throws(() => qTimeNs(ctx('since=yesterday-ish'), 'since'), (e: unknown) => e instanceof EngineError && e.kind === 'bad-parameter' && /"since"/.test(e.message));
});

test('JSON bodies: blank is undefined, malformed a 400', () => {
  assert.deepEqual(parseJsonBody(' {"a":1}\n'), { a: 1 });
  assert.equal(parseJsonBody('  '), undefined);
  assert.throws(() => parseJsonBody('{'), (e: unknown) => e instanceof HttpError && e.status === 400 && /malformed JSON/.test(e.message));
});
