import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ContainerLookups } from '../../../src/engine/containers/lookups.js';
import type { ContainerRow } from '../../../src/state/containers.js';

const row = (n: number): ContainerRow => ({
  id: n.toString(16).padStart(64, '0'),
  name: `c${n}`,
  image: 'busybox',
  imageId: 'sha256:x',
  created: '',
  spec: JSON.stringify({ Config: {}, HostConfig: { Binds: null }, n }),
  state: 'exited',
  pid: 0,
  conmonPid: 0,
  exitCode: 0,
  error: '',
  oomKilled: false,
  startedAt: '',
  finishedAt: '',
  restartCount: 0,
  stopRequested: false,
  generation: 0,
  seq: n,
});

/** A store holding the rows in `live` (what the lookups check their cache against). */
function fakeStore(live: Map<string, ContainerRow>) {
  return {
    lookup: (ref: string) => live.get(ref) ?? [...live.values()].find((r) => r.name === ref),
    list: () => [...live.values()],
    ids: () => [...live.keys()],
    // No stamp (as inside a transaction): every list reads the rows again.
    stamp: () => undefined,
  };
}

const paths = { root: '/nonexistent/root', runRoot: '/nonexistent/run' };

test('views of containers that are gone do not pile up: the cache stays bounded', () => {
  const live = new Map<string, ContainerRow>();
  const l = new ContainerLookups(fakeStore(live), paths, 32);
  // A thousand `run --rm`: each container viewed while it exists, then removed elsewhere
  // (no forget: as when another process removed it).
  for (let i = 0; i < 1000; i++) {
    const r = row(i);
    live.set(r.id, r);
    l.view(r);
    live.delete(r.id);
    assert.ok(l.size <= 32, `cache grew to ${l.size}`);
  }
});

test('live containers stay cached however many there are; the bound follows their number', () => {
  const live = new Map<string, ContainerRow>();
  const l = new ContainerLookups(fakeStore(live), paths, 32);
  for (let i = 0; i < 500; i++) {
    const r = row(i);
    live.set(r.id, r);
  }
  const first = l.all();
  assert.equal(first.length, 500);
  assert.equal(l.size, 500);
  // The same parse is reused: nothing re-parsed for a second list.
  const again = l.all();
  assert.ok(again.every((v, i) => v.parsed === first[i]!.parsed));
  // 450 of them go (removed by another process): the next new views drop them.
  for (let i = 0; i < 450; i++) live.delete(row(i).id);
  for (let i = 1000; i < 1000 + 1200; i++) {
    const r = row(i);
    live.set(r.id, r);
    l.view(r);
    live.delete(r.id);
  }
  assert.ok(l.size <= Math.max(32, 2 * 50) + 1, `cache holds ${l.size}`);
  // The 50 that still exist are found, with their views.
  for (let i = 450; i < 500; i++) assert.equal(l.find(row(i).id)?.name, `c${i}`);
});

test('a full ID that no longer exists drops its view', () => {
  const live = new Map<string, ContainerRow>();
  const l = new ContainerLookups(fakeStore(live), paths);
  const r = row(7);
  live.set(r.id, r);
  assert.equal(l.find(r.id)?.name, 'c7');
  assert.equal(l.size, 1);
  live.delete(r.id);
  assert.equal(l.find(r.id), undefined);
  assert.equal(l.size, 0);
});
