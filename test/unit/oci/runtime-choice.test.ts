import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chooseRuntime, cgroupsV2Unified, knownRuntimes, RuntimeChoiceError } from '../../../src/oci/runtime-choice.js';
import { findBinary } from '../../../src/oci/binaries.js';

const fakeRuntime = () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-rt-'));
  const p = join(dir, 'my-runc');
  writeFileSync(p, '#!/bin/sh\nexit 0\n');
  chmodSync(p, 0o755);
  return p;
};

test('one resolver: PATH first, then the helper dirs; preferred paths win; missing is undefined', () => {
  assert.ok(findBinary('sh')!.endsWith('/sh'));
  const p = fakeRuntime();
  assert.equal(findBinary('runc', [p]), p);
  assert.equal(findBinary('surely-not-a-binary-here'), undefined);
  assert.equal(findBinary('/does/not/exist'), undefined);
});

test('runtime choice: the first that works here, unless one is asked for', { skip: !findBinary('runc') && 'runc not installed' }, () => {
  const auto = chooseRuntime({}, {});
  assert.equal(auto.name, cgroupsV2Unified() && findBinary('crun') ? 'crun' : 'runc');
  // containers.conf `runtime` with a path listed under [engine.runtimes].
  const p = fakeRuntime();
  assert.deepEqual(chooseRuntime({ runtime: 'custom', runtimes: { custom: [p] } }, {}), { name: 'custom', path: p });
  assert.equal(knownRuntimes({ runtimes: { custom: [p] } }).custom, p);
  // BERTH_RUNTIME overrides containers.conf.
  assert.equal(chooseRuntime({ runtime: 'custom', runtimes: { custom: [p] } }, { BERTH_RUNTIME: 'runc' }).name, 'runc');
});

test('a runtime that was asked for and cannot work is a clear error, never silently replaced', () => {
  assert.throws(() => chooseRuntime({ runtime: 'nosuch-runtime' }, {}), (e: unknown) => e instanceof RuntimeChoiceError && /"nosuch-runtime" \(containers.conf runtime\) not found/.test(e.message));
  assert.throws(() => chooseRuntime({}, { BERTH_RUNTIME: '/nope/runc' }), /BERTH_RUNTIME/);
  if (!cgroupsV2Unified()) {
    const p = fakeRuntime();
    assert.throws(() => chooseRuntime({ runtime: 'crun', runtimes: { crun: [p] } }, {}), /crun does not support cgroup v1 or hybrid hosts/);
  }
});
