// Image events carry full names; compat shows them familiar, and filters find either form.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventBus, matchesEvent } from '../../../src/engine/events.js';
import { familiarImageEvent } from '../../../src/api/system/events.js';

test('compat shows image event names as docker does; other events are left alone', () => {
  const bus = new EventBus();
  const tag = bus.publish('image', 'tag', 'sha256:abc', { name: 'docker.io/library/busybox:latest' });
  assert.equal(familiarImageEvent(tag).Actor.Attributes.name, 'busybox:latest');
  assert.equal(tag.Actor.Attributes.name, 'docker.io/library/busybox:latest');
  const local = bus.publish('image', 'tag', 'sha256:abc', { name: 'localhost/mine:1' });
  assert.equal(familiarImageEvent(local), local);
  const c = bus.publish('container', 'start', 'c1', { name: 'docker.io/x', image: 'docker.io/library/busybox' });
  assert.equal(familiarImageEvent(c), c);
});

test('an image filter matches the full and the familiar name', () => {
  const bus = new EventBus();
  const e = bus.publish('image', 'tag', 'sha256:abc', { name: 'docker.io/library/busybox:latest' });
  assert.ok(matchesEvent(e, { image: ['busybox'] }));
  assert.ok(matchesEvent(e, { image: ['busybox:latest'] }));
  assert.ok(matchesEvent(e, { image: ['docker.io/library/busybox'] }));
  assert.ok(!matchesEvent(e, { image: ['alpine'] }));
});
