import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeState, openState } from '../../../src/state/db.js';
import { ContainerStore } from '../../../src/state/containers.js';
import { EventBus } from '../../../src/engine/events.js';
import { EngineError } from '../../../src/engine/errors.js';
import { VolumeService } from '../../../src/engine/volumes/service.js';
import { checkOptions } from '../../../src/engine/volumes/local-driver.js';
import { pruneFilter, volumeFilter } from '../../../src/engine/volumes/filters.js';
import { MountedError, removeTree } from '../../../src/engine/volumes/remove-tree.js';
import type { VolumeView } from '../../../src/engine/volumes/types.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'berth-vol-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  closeState();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const bad = (fn: () => unknown, re: RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof EngineError && e.kind === 'bad-parameter' && re.test(e.message));

function service(root: string) {
  const db = openState(root);
  const events = new EventBus();
  const seen: string[] = [];
  events.subscribe((e) => seen.push(`${e.Action} ${e.Actor.ID}`));
  const removed: string[] = [];
  const containers = new ContainerStore(db);
  const svc = new VolumeService({
    db, paths: { root, runRoot: join(root, 'run') } as never, events, sweep: true,
    removeContainer: async (id) => {
      removed.push(id);
      containers.tx(() => containers.delete(id));
    },
  });
  const addContainer = (id: string, state: 'created' | 'running' = 'created') =>
    containers.insert({
      id, name: `c-${id.slice(0, 6)}`, image: 'busybox', imageId: 'i'.repeat(64), created: new Date().toISOString(), spec: '{}', state, pid: 0, conmonPid: 0,
      exitCode: 0, error: '', oomKilled: false, startedAt: '', finishedAt: '', restartCount: 0, stopRequested: false, generation: 0,
    });
  return { svc, seen, removed, addContainer, containers };
}

test('driver options: the keys dockerd knows, each with what it needs; podman\'s uid/gid in o alone', () => {
  assert.deepEqual(checkOptions({ type: 'tmpfs', device: 'tmpfs', o: 'size=1m,uid=1000' }), { options: { type: 'tmpfs', device: 'tmpfs', o: 'size=1m,uid=1000' }, uid: 0, gid: 0 });
  assert.deepEqual(checkOptions({ o: 'uid=5,gid=6' }), { options: { o: 'uid=5,gid=6' }, uid: 5, gid: 6 });
  assert.deepEqual(checkOptions(undefined).options, {});
  bad(() => checkOptions({ size: '1g' }), /invalid option key: "size"/);
  bad(() => checkOptions({ type: 'tmpfs' }), /missing required option: "device"/);
  bad(() => checkOptions({ device: '/dev/sda' }), /missing required option: "type"/);
  bad(() => checkOptions({ o: 'size=1m' }), /missing required option: "device"/);
  bad(() => checkOptions({ type: 'none', device: '/no/such/dir', o: 'bind' }), /not an existing directory/);
  bad(() => checkOptions({ type: 'ext4', device: '-oremount' }), /invalid option "device"/);
  bad(() => checkOptions({ type: 'tmpfs', device: 'tmpfs', o: 'size=1m; reboot' }), /invalid option "o"/);
  bad(() => checkOptions({ type: 3 } as never), /expected a string/);
});

const view = (o: Partial<VolumeView>): VolumeView => ({
  name: 'v', driver: 'local', mountpoint: '/x', createdAt: new Date().toISOString(), labels: {}, options: {}, anonymous: false, uid: 0, gid: 0,
  users: [], liveUsers: 0, mounted: false, ...o,
});

test('list filters: name (anywhere, or a pattern), label, label!, dangling, driver, opt, until; unknown keys refused', () => {
  const a = view({ name: 'alpha', labels: { tier: 'db' }, users: ['c1'] });
  const b = view({ name: 'beta', options: { type: 'tmpfs', device: 'tmpfs' }, anonymous: true, createdAt: '2000-01-01T00:00:00Z' });
  const pick = (f: Record<string, string[]>) => [a, b].filter(volumeFilter(f)).map((v) => v.name);
  assert.deepEqual(pick({ name: ['lph'] }), ['alpha']);
  assert.deepEqual(pick({ name: ['^b'] }), ['beta']);
  assert.deepEqual(pick({ label: ['tier=db'] }), ['alpha']);
  assert.deepEqual(pick({ label: ['tier'] }), ['alpha']);
  assert.deepEqual(pick({ 'label!': ['tier'] }), ['beta']);
  assert.deepEqual(pick({ dangling: ['true'] }), ['beta']);
  assert.deepEqual(pick({ dangling: ['0'] }), ['alpha']);
  assert.deepEqual(pick({ driver: ['local'] }), ['alpha', 'beta']);
  assert.deepEqual(pick({ opt: ['type=tmpfs'] }), ['beta']);
  assert.deepEqual(pick({ until: ['2010-01-01'] }), ['beta']);
  assert.deepEqual(pick({ anonymous: ['true'] }), ['beta']);
  bad(() => volumeFilter({ colour: ['red'] }), /Invalid filter 'colour'/);
  bad(() => volumeFilter({ dangling: ['maybe'] }), /invalid filter 'dangling=maybe'/);
});

test('prune filter: unused only; anonymous only unless all (API 1.42), labels and until', () => {
  const named = view({ name: 'named', labels: { keep: '1' } });
  const anon = view({ name: 'anon', anonymous: true });
  const used = view({ name: 'used', users: ['c'] });
  const pick = (f: Record<string, string[]>, anonymousOnly: boolean) => [named, anon, used].filter(pruneFilter(f, anonymousOnly)).map((v) => v.name);
  assert.deepEqual(pick({}, false), ['named', 'anon']);
  assert.deepEqual(pick({}, true), ['anon']);
  assert.deepEqual(pick({ all: ['true'] }, true), ['named', 'anon']);
  assert.deepEqual(pick({ 'label!': ['keep'] }, false), ['anon']);
  assert.deepEqual(pick({ label: ['keep=1'] }, false), ['named']);
  bad(() => pruneFilter({ dangling: ['true'] }, false), /Invalid filter 'dangling'/);
});

test('removeTree unlinks links and never follows them; it refuses while something is mounted below', () => {
  const d = tmp();
  const outside = join(d, 'outside');
  mkdirSync(join(outside, 'sub'), { recursive: true });
  writeFileSync(join(outside, 'keep'), 'keep');
  const vol = join(d, 'vol');
  mkdirSync(join(vol, 'a', 'b'), { recursive: true });
  symlinkSync(outside, join(vol, 'dirlink'));
  symlinkSync(join(outside, 'keep'), join(vol, 'a', 'filelink'));
  symlinkSync('/', join(vol, 'a', 'b', 'root'));
  writeFileSync(join(vol, 'a', 'b', 'f'), 'x');
  removeTree(vol);
  assert.ok(!existsSync(vol));
  assert.equal(readFileSync(join(outside, 'keep'), 'utf8'), 'keep');
  assert.ok(existsSync(join(outside, 'sub')));
  removeTree(join(d, 'never-there'));
  // A filesystem mounted inside (a bind of host files, say) is never walked into.
  const busy = join(d, 'busy');
  mkdirSync(join(busy, 'm'), { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', join(busy, 'm')]);
  try {
    writeFileSync(join(busy, 'm', 'host-file'), 'h');
    assert.throws(() => removeTree(busy), MountedError);
    assert.ok(existsSync(join(busy, 'm', 'host-file')));
  } finally {
    execFileSync('umount', [join(busy, 'm')]);
  }
});

test('the volume service: create (generated names, existing names), in-use removal, forced removal, prune, events', async () => {
  const root = tmp();
  const { svc, seen, removed, addContainer } = service(root);
  const { volume, created } = await svc.create({ name: 'data', labels: { a: 'b' } });
  assert.ok(created);
  assert.equal(volume.mountpoint, join(root, 'volumes', 'data', '_data'));
  assert.ok(existsSync(volume.mountpoint));
  assert.equal((await svc.create({ name: 'data' })).created, false);
  await assert.rejects(svc.create({ name: 'data', ifExists: 'conflict' }), (e: EngineError) => e.kind === 'conflict');
  await assert.rejects(svc.create({ name: 'x', driver: 'rexray' }), (e: EngineError) => e.kind === 'bad-parameter' && /rexray/.test(e.message));
  const gen = (await svc.create({})).volume.name;
  assert.match(gen, /^[0-9a-f]{64}$/);

  const cid = 'c'.repeat(64);
  addContainer(cid, 'running');
  // A container's claim: in the transaction that records it.
  const mounts = [{ type: 'volume' as const, name: 'data', source: '', destination: '/d', readOnly: false, options: [], origin: 'binds' as const }];
  assert.deepEqual(svc.provide(mounts), []);
  svc.claim(cid, ['data']);
  assert.equal(mounts[0].source, volume.mountpoint);
  assert.deepEqual(svc.get('data').users, [cid]);
  assert.equal(svc.get('data').liveUsers, 1);
  await assert.rejects(svc.remove('data'), (e: EngineError) => e.kind === 'conflict' && e.message.includes(cid));
  assert.throws(() => svc.claim(cid, ['no-such-volume']), (e: EngineError) => e.kind === 'conflict');
  const pr = await svc.prune();
  assert.deepEqual(pr.deleted.map((d) => d.name), [gen]);
  await svc.remove('data', { force: true });
  assert.deepEqual(removed, [cid]);
  assert.equal(svc.find('data'), undefined);
  assert.ok(!existsSync(join(root, 'volumes', 'data')));
  await assert.rejects(svc.remove('data'), (e: EngineError) => e.kind === 'not-found');
  assert.deepEqual(seen.filter((s) => s.startsWith('create') || s.startsWith('destroy')), ['create data', `create ${gen}`, `destroy ${gen}`, 'destroy data']);
});

test('anonymous volumes go with their last user; a directory left by an interrupted removal is swept, never reused', async () => {
  const root = tmp();
  const { svc, addContainer, containers } = service(root);
  const mounts = [{ type: 'volume' as const, name: '', source: '', destination: '/a', readOnly: false, options: [], origin: 'volumes' as const }];
  const made = svc.provide(mounts);
  assert.equal(made.length, 1);
  const anon = mounts[0].name;
  assert.equal(svc.get(anon).anonymous, true);
  const [c1, c2] = ['1'.repeat(64), '2'.repeat(64)];
  addContainer(c1);
  addContainer(c2);
  svc.claim(c1, [anon]);
  svc.claim(c2, [anon]);
  containers.tx(() => containers.delete(c1));
  await svc.removeAnonymous([anon]);
  assert.ok(svc.find(anon), 'still used by the second container');
  containers.tx(() => containers.delete(c2));
  await svc.removeAnonymous([anon]);
  assert.equal(svc.find(anon), undefined);

  // A removal killed after its record went: the next service sweeps the directory away.
  mkdirSync(join(root, 'volumes', 'ghost', '_data'), { recursive: true });
  writeFileSync(join(root, 'volumes', 'ghost', '_data', 'old'), 'old');
  closeState();
  service(root);
  assert.ok(!existsSync(join(root, 'volumes', 'ghost')));
});
