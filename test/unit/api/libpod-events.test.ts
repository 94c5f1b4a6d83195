// libpod events in podman's words: renamed actions, containerExitCode on every event, and events
// podman has no status for left out (its clients fail on them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { libpodEvent } from '../../../src/api/system/libpod-events.js';
import type { EngineEvent } from '../../../src/engine/events/types.js';

const ev = (Type: EngineEvent['Type'], Action: string, Attributes: Record<string, string> = {}): EngineEvent => ({
  Type, Action, Actor: { ID: 'x', Attributes }, scope: 'local', time: 1, timeNano: 1,
});

test("docker's actions become podman's statuses", () => {
  assert.equal(libpodEvent(ev('container', 'die', { exitCode: '3' }))?.Action, 'died');
  assert.equal(libpodEvent(ev('container', 'die', { exitCode: '3' }))?.Actor.Attributes.containerExitCode, '3');
  assert.equal(libpodEvent(ev('container', 'destroy'))?.status, 'remove');
  assert.equal(libpodEvent(ev('image', 'delete'))?.Action, 'remove');
  assert.equal(libpodEvent(ev('image', 'load'))?.Action, 'loadfromarchive');
  assert.equal(libpodEvent(ev('container', 'exec_start: sh -c true'))?.Action, 'exec');
  assert.equal(libpodEvent(ev('container', 'exec_die', { exitCode: '0' }))?.Action, 'exec_died');
  assert.equal(libpodEvent(ev('network', 'destroy'))?.Action, 'remove');
});

test('every event carries containerExitCode; a volume its name', () => {
  assert.equal(libpodEvent(ev('network', 'create'))?.Actor.Attributes.containerExitCode, '0');
  const v = libpodEvent({ ...ev('volume', 'create'), Actor: { ID: 'data', Attributes: {} } });
  assert.equal(v?.Actor.Attributes.name, 'data');
});

test('what podman has no status for is left out', () => {
  assert.equal(libpodEvent(ev('container', 'oom')), undefined);
  assert.equal(libpodEvent(ev('container', 'resize')), undefined);
});

test('words and types later podmans added reach only clients of that API level', () => {
  assert.equal(libpodEvent(ev('container', 'update'), 4.03), undefined);
  assert.equal(libpodEvent(ev('container', 'update'), 5.04)?.Action, 'update');
  assert.equal(libpodEvent(ev('secret', 'create'), 5.04), undefined);
  assert.equal(libpodEvent(ev('secret', 'create'), 5.05)?.Action, 'create');
  assert.equal(libpodEvent(ev('secret', 'create'))?.Action, 'create');
});
