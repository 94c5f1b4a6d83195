// Spare conmons are few and only serve the start they were spawned for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpareMonitors } from '../../../src/engine/containers/spare-monitors.js';
import type { ConmonLaunch } from '../../../src/oci/conmon.js';

function fake(): ConmonLaunch & { cancelled: boolean; failed: boolean } {
  const f = {
    cancelled: false,
    failed: false,
    go: () => Promise.resolve({ pid: 1, conmonPid: 2 }),
    cancel() {
      f.cancelled = true;
    },
    bind() {},
    waiting: () => !f.cancelled && !f.failed,
  };
  return f;
}

test('two spares at most: a third offer is ended at once', () => {
  const s = new SpareMonitors();
  const [a, b, c] = [fake(), fake(), fake()];
  s.offer('a', 'k', a);
  s.offer('b', 'k', b);
  assert.equal(s.wanted('c'), false);
  s.offer('c', 'k', c);
  assert.equal(c.cancelled, true);
  assert.equal(s.take('a', 'k'), a);
  assert.equal(a.cancelled, false);
  s.drop('b');
  assert.equal(b.cancelled, true);
  assert.equal(s.wanted('c'), true);
});

test('a spare spawned with other arguments, or one that failed, is ended and not used', () => {
  const s = new SpareMonitors();
  const a = fake();
  s.offer('a', 'name-1', a);
  assert.equal(s.take('a', 'name-2'), undefined);
  assert.equal(a.cancelled, true);
  const b = fake();
  s.offer('b', 'k', b);
  b.failed = true;
  assert.equal(s.take('b', 'k'), undefined);
  assert.equal(s.take('nosuch', 'k'), undefined);
});
