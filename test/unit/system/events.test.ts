import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventBus, matchesEvent } from '../../../src/engine/events.js';

test('the bus delivers to subscribers and keeps history for since/until', () => {
  const bus = new EventBus();
  const seen: string[] = [];
  const off = bus.subscribe((e) => seen.push(e.Action));
  const a = bus.publish('image', 'tag', 'sha256:abc', { name: 'busybox:latest' });
  bus.publish('container', 'start', 'c1', { name: 'web', image: 'busybox' });
  off();
  bus.publish('container', 'die', 'c1', { name: 'web' });
  assert.deepEqual(seen, ['tag', 'start']);
  assert.equal(a.status, 'tag');
  assert.equal(a.id, 'sha256:abc');
  assert.equal(a.scope, 'local');
  assert.equal(a.time, Math.floor(a.timeNano / 1e9));
  assert.equal(bus.past(0).length, 3);
  assert.equal(bus.past(a.timeNano, a.timeNano).length, 1);
});

test('filters: type, event, container by id prefix or name, image, label', () => {
  const bus = new EventBus();
  const e = bus.publish('container', 'start', 'abcdef', { name: 'web', image: 'busybox:latest', tier: 'front' });
  assert.ok(matchesEvent(e, {}));
  assert.ok(matchesEvent(e, { type: ['container'] }));
  assert.ok(!matchesEvent(e, { type: ['image'] }));
  assert.ok(matchesEvent(e, { event: ['start', 'stop'] }));
  assert.ok(!matchesEvent(e, { event: ['die'] }));
  assert.ok(matchesEvent(e, { container: ['abc'] }));
  assert.ok(matchesEvent(e, { container: ['web'] }));
  assert.ok(!matchesEvent(e, { container: ['other'] }));
  assert.ok(matchesEvent(e, { image: ['busybox'] }));
  assert.ok(matchesEvent(e, { label: ['tier=front'] }));
  assert.ok(matchesEvent(e, { label: ['tier'] }));
  assert.ok(!matchesEvent(e, { label: ['tier=back'] }));
  const exec = bus.publish('container', 'exec_start: sh -c true', 'abcdef', {});
  assert.ok(matchesEvent(exec, { event: ['exec_start'] }));
});
