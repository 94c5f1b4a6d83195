// A stopped runc container is forgotten without runc only when runc's delete would do no more
// than remove its cgroup dirs and state dir; every other case is left to runc.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deleteStoppedRunc } from '../../../src/oci/runc-delete.js';

const dir = mkdtempSync(join(tmpdir(), 'berth-runc-delete-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const stateDir = join(dir, 'state');
const cgroupRoot = join(dir, 'cgroup') + '/';

/** This process's start time (stat field 22): a pid with it is alive. */
function ownStart(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
}

let n = 0;
function container(o: { pid?: number; start?: number; pidNsPath?: string; hooks?: Record<string, unknown[] | null>; systemd?: boolean } = {}) {
  const id = `c${n++}`;
  const cg = { memory: join(cgroupRoot, 'memory', id), pids: join(cgroupRoot, 'pids', id), 'name=systemd': join(cgroupRoot, 'systemd', id) };
  for (const p of Object.values(cg)) mkdirSync(p, { recursive: true });
  mkdirSync(join(stateDir, id), { recursive: true });
  const state = {
    id,
    // A pid past the kernel's limit: no such process.
    init_process_pid: o.pid ?? 4194304 + 1,
    init_process_start: o.start ?? 12345,
    cgroup_paths: cg,
    intel_rdt_path: '',
    config: {
      namespaces: [{ type: 'NEWNS', path: '' }, { type: 'NEWPID', path: o.pidNsPath ?? '' }],
      Hooks: o.hooks ?? { prestart: null, poststop: null },
      cgroups: { Systemd: !!o.systemd },
    },
  };
  writeFileSync(join(stateDir, id, 'state.json'), JSON.stringify(state));
  return { id, cg: Object.values(cg) };
}

test('an exited init with a pid namespace of its own: cgroup dirs and state dir removed', async () => {
  const c = container();
  assert.equal(await deleteStoppedRunc(stateDir, c.id, cgroupRoot), true);
  assert.equal(existsSync(join(stateDir, c.id)), false);
  for (const p of c.cg) assert.equal(existsSync(p), false, p);
});

test('an init still alive (same pid, same start time) is left to runc', async () => {
  const c = container({ pid: process.pid, start: ownStart() });
  assert.equal(await deleteStoppedRunc(stateDir, c.id, cgroupRoot), false);
  assert.ok(existsSync(join(stateDir, c.id, 'state.json')));
  for (const p of c.cg) assert.ok(existsSync(p));
});

test('a reused pid (another start time) counts as exited', async () => {
  const c = container({ pid: process.pid, start: ownStart() + 1 });
  assert.equal(await deleteStoppedRunc(stateDir, c.id, cgroupRoot), true);
});

test('a shared pid namespace, poststop hooks or a systemd cgroup are left to runc', async () => {
  for (const o of [{ pidNsPath: '/proc/1/ns/pid' }, { hooks: { poststop: [{ path: '/bin/true' }] } }, { systemd: true }]) {
    const c = container(o);
    assert.equal(await deleteStoppedRunc(stateDir, c.id, cgroupRoot), false, JSON.stringify(o));
    for (const p of c.cg) assert.ok(existsSync(p));
  }
});

test('a cgroup still busy (not empty): left to runc, the state stays', async () => {
  const c = container();
  writeFileSync(join(c.cg[1], 'busy'), '');
  assert.equal(await deleteStoppedRunc(stateDir, c.id, cgroupRoot), false);
  assert.ok(existsSync(join(stateDir, c.id, 'state.json')));
});

test('a cgroup path outside the cgroup mounts, or no state at all: left to runc', async () => {
  const c = container();
  const s = JSON.parse(readFileSync(join(stateDir, c.id, 'state.json'), 'utf8'));
  s.cgroup_paths.memory = join(dir, 'elsewhere');
  writeFileSync(join(stateDir, c.id, 'state.json'), JSON.stringify(s));
  assert.equal(await deleteStoppedRunc(stateDir, c.id, cgroupRoot), false);
  assert.equal(await deleteStoppedRunc(stateDir, 'nosuch', cgroupRoot), false);
});
