import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { IdleTracker } from '../../../src/server/idle.js';

test('quiet runs once after activity ends and the quiet time passes', async () => {
  let quiet = 0;
  let idled = 0;
  const t = new IdleTracker(0, () => idled++, { ms: 40, run: () => quiet++ });
  t.touch();
  await sleep(80);
  assert.equal(quiet, 1);
  await sleep(80);
  assert.equal(quiet, 1, 'no activity since: not told again');
  t.touch();
  await sleep(80);
  assert.equal(quiet, 2);
  t.stop();
  assert.equal(idled, 0, '--time 0 never idles out');
});

test('quiet waits while a request is in flight', async () => {
  let quiet = 0;
  const t = new IdleTracker(0, () => {}, { ms: 30, run: () => quiet++ });
  t.enter();
  t.touch();
  await sleep(90);
  assert.equal(quiet, 0);
  t.leave();
  await sleep(70);
  assert.equal(quiet, 1);
  t.stop();
});

test('stop cancels a pending quiet call', async () => {
  let quiet = 0;
  const t = new IdleTracker(0, () => {}, { ms: 30, run: () => quiet++ });
  t.touch();
  t.stop();
  await sleep(60);
  assert.equal(quiet, 0);
});

test('a timeout set later counts from the last activity; 0 turns idling off again', async () => {
  let idled = 0;
  const t = new IdleTracker(0, () => idled++);
  t.touch();
  await sleep(60);
  assert.equal(idled, 0, 'no timeout yet');
  t.setTimeoutMs(40);
  await sleep(20);
  assert.equal(idled, 1, 'idle for longer than the timeout already: exits at once');
  const u = new IdleTracker(0, () => idled++);
  u.setTimeoutMs(30);
  u.setTimeoutMs(0);
  await sleep(60);
  assert.equal(idled, 1, 'timeout 0 never exits');
  t.stop();
  u.stop();
});

test('several quiet hooks: each told once per quiet period, at its own delay', async () => {
  const told: string[] = [];
  const t = new IdleTracker(0, () => {}, [
    { ms: 20, run: () => told.push('short') },
    { ms: 120, run: () => told.push('long') },
  ]);
  t.touch();
  await sleep(60);
  assert.deepEqual(told, ['short']);
  // Activity before the long one is due: it waits for a whole quiet period again.
  t.touch();
  await sleep(60);
  assert.deepEqual(told, ['short', 'short']);
  await sleep(150);
  assert.deepEqual(told, ['short', 'short', 'long']);
  t.stop();
});
