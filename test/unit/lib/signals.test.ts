// Signal names both ways: the libpod layer reports a stop signal as a number to podman 4.x
// clients and as a name to 5.x ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { signalName, signalNumber } from '../../../src/lib/signals.js';

test('names and numbers round trip', () => {
  assert.equal(signalName(15), 'SIGTERM');
  assert.equal(signalName(9), 'SIGKILL');
  assert.equal(signalName(6), 'SIGABRT');
  assert.equal(signalName(34), 'SIGRTMIN');
  assert.equal(signalName(37), 'SIGRTMIN+3');
  assert.equal(signalName(99), '99');
  for (const n of [1, 2, 3, 10, 15, 17, 19, 28, 40]) assert.equal(signalNumber(signalName(n)), n);
});
