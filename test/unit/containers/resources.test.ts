import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCpuList, runtimeResources, verifyResources, type HostCgroups } from '../../../src/engine/containers/resources.js';
import { planUpdate } from '../../../src/engine/containers/update.js';
import { deviceCgroupRule, deviceCgroupRules } from '../../../src/engine/containers/devices.js';
import { systemPaths } from '../../../src/engine/containers/runspec.js';
import { MASKED, READONLY } from '../../../src/oci/spec.js';
import { EngineError } from '../../../src/engine/errors.js';
import type { HostConfig } from '../../../src/engine/containers/types.js';

const fails = (fn: () => unknown, kind: string, re: RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof EngineError && e.kind === kind && re.test(e.message));

const HOST: HostCgroups = { cpus: '0-1', mems: '0', blkioWeight: false, blkioWeightDevice: false, oomKillDisable: true, cpuRealtime: true, rtBudget: () => 0 };

const base = {
  Memory: 0, MemorySwap: 0, MemoryReservation: 0, NanoCpus: 0, CpuShares: 0, CpuPeriod: 0, CpuQuota: 0, CpusetCpus: '',
  RestartPolicy: { Name: 'no', MaximumRetryCount: 0 }, AutoRemove: false, CgroupParent: '',
} as unknown as HostConfig;

test('cpuset lists as docker parses them', () => {
  assert.deepEqual([...parseCpuList('0-2,5')], [0, 1, 2, 5]);
  assert.deepEqual([...parseCpuList('')], []);
  assert.throws(() => parseCpuList('2-1'), /invalid format: 2-1/);
  assert.throws(() => parseCpuList('a'), /invalid format/);
});

test('verifyResources: dockerd\'s refusals and warnings', () => {
  fails(() => verifyResources({ CpusetCpus: '0-99' }, false, '', HOST), 'bad-parameter', /^Requested CPUs are not available - requested 0-99, available: 0-1$/);
  fails(() => verifyResources({ CpusetMems: '1' }, false, '', HOST), 'bad-parameter', /^Requested memory nodes are not available/);
  fails(() => verifyResources({ CpusetCpus: 'x' }, false, '', HOST), 'bad-parameter', /^Invalid value x for cpuset cpus: invalid format: x$/);
  fails(() => verifyResources({ MemorySwap: 1 << 30 }, false, '', HOST), 'bad-parameter', /You should always set the Memory limit/);
  assert.deepEqual(verifyResources({ MemorySwap: 1 << 30 }, true, '', HOST), []);
  fails(() => verifyResources({ CpuPeriod: 10 }, false, '', HOST), 'bad-parameter', /CPU cfs period can not be less than 1ms/);
  fails(() => verifyResources({ CpuQuota: 10 }, false, '', HOST), 'bad-parameter', /CPU cfs quota can not be less than 1ms/);
  fails(() => verifyResources({ NanoCpus: 3e9 }, false, '', HOST), 'bad-parameter', /Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available/);
  fails(() => verifyResources({ MemoryReservation: 1000 }, false, '', HOST), 'bad-parameter', /Minimum memory reservation allowed is 6MB/);
  fails(() => verifyResources({ MemorySwappiness: 101 }, false, '', HOST), 'bad-parameter', /^Invalid value: 101, valid memory swappiness range is 0-100$/);
  assert.deepEqual(verifyResources({ MemorySwappiness: -1 }, false, '', HOST), []);
  fails(() => verifyResources({ CpuRealtimeRuntime: 1000 }, false, '', HOST), 'bad-parameter', /more than the cgroup \/berth may hand out/);
  fails(() => verifyResources({ CpuRealtimeRuntime: 1000 }, false, '', { ...HOST, cpuRealtime: false }), 'bad-parameter', /does not support CPU real-time scheduler/);
  assert.deepEqual(verifyResources({ CpuRealtimeRuntime: 1000 }, false, '/rt', { ...HOST, rtBudget: (p) => (p === '/rt' ? 950000 : 0) }), []);
  const r: Partial<HostConfig> = { BlkioWeight: 300, KernelMemory: 64 << 20, OomKillDisable: true };
  assert.deepEqual(verifyResources(r, false, '', HOST), [
    'OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.',
    'Specifying a kernel memory limit is deprecated and will be removed in a future release.',
    'Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.',
  ]);
  assert.equal(r.BlkioWeight, 0);
  fails(() => verifyResources({ BlkioWeight: 5 }, false, '', { ...HOST, blkioWeight: true }), 'bad-parameter', /Range of blkio weight is from 10 to 1000/);
});

test('planUpdate: dockerd\'s merge (zero keeps), conflicts named with the container, PidsLimit 0 or less is unlimited', () => {
  const cur = { ...base, Memory: 64 << 20, MemorySwap: 128 << 20, CpuPeriod: 50000 } as HostConfig;
  const p = planUpdate('abc', cur, { CpuShares: 512, Memory: 0, CpusetCpus: '' });
  assert.equal(p.hostConfig.CpuShares, 512);
  assert.equal(p.hostConfig.Memory, 64 << 20);
  assert.equal(p.runtime?.cpu.shares, 512);
  assert.equal(p.runtime?.memory.limit, 0);
  fails(() => planUpdate('abc', cur, { NanoCpus: 5e8 }), 'conflict', /^Cannot update container abc: Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set$/);
  fails(() => planUpdate('abc', cur, { Memory: 256 << 20 }), 'conflict', /Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time/);
  assert.equal(planUpdate('abc', cur, { Memory: 256 << 20, MemorySwap: 512 << 20 }).hostConfig.Memory, 256 << 20);
  fails(() => planUpdate('abc', cur, { MemorySwap: 32 << 20 }), 'bad-parameter', /Minimum memoryswap limit should be larger than memory limit/);
  const pids = planUpdate('abc', cur, { PidsLimit: -1 });
  assert.equal(pids.hostConfig.PidsLimit, 0);
  assert.equal(pids.runtime?.pids.limit, -1);
  assert.equal(planUpdate('abc', cur, { RestartPolicy: { Name: 'always', MaximumRetryCount: 0 } }).runtime, undefined);
  fails(() => planUpdate('abc', { ...cur, AutoRemove: true }, { RestartPolicy: { Name: 'always', MaximumRetryCount: 0 } }), 'conflict', /Restart policy cannot be updated because AutoRemove is enabled/);
});

test('runtimeResources: NanoCpus as a 100 ms period, every other field as given', () => {
  const r = runtimeResources({ NanoCpus: 1.5e9, CpusetMems: '0', BlkioWeight: 300, CpuRealtimePeriod: 1000 });
  assert.deepEqual(r.cpu, { shares: 0, quota: 150000, period: 100000, realtimeRuntime: 0, realtimePeriod: 1000, cpus: '', mems: '0' });
  assert.deepEqual(r.blockIO, { weight: 300 });
  assert.deepEqual(r.pids, { limit: 0 });
});

test('device cgroup rules: docker\'s syntax, dockerd\'s error', () => {
  assert.deepEqual(deviceCgroupRule('c 1:3 rwm'), { allow: true, type: 'c', access: 'rwm', major: 1, minor: 3 });
  assert.deepEqual(deviceCgroupRule('b *:* m'), { allow: true, type: 'b', access: 'm' });
  assert.deepEqual(deviceCgroupRule('a 7:* r'), { allow: true, type: 'a', access: 'r', major: 7 });
  for (const bad of ['a', 'c 1:3', 'x 1:3 rwm', 'c 1:3 rwx', 'c -1:3 r']) fails(() => deviceCgroupRule(bad), 'bad-parameter', /^invalid device cgroup rule format: '/);
  fails(() => deviceCgroupRules('c 1:3 rwm'), 'bad-parameter', /must be a list/);
  assert.deepEqual(deviceCgroupRules(null), []);
});

test('masked and read-only paths: HostConfig lists, systempaths=unconfined, podman\'s mask and unmask', () => {
  assert.deepEqual(systemPaths(undefined, undefined, []), { masked: undefined, readonly: undefined });
  assert.deepEqual(systemPaths(['/x'], null, []), { masked: ['/x'], readonly: undefined });
  assert.deepEqual(systemPaths(undefined, undefined, ['systempaths=unconfined']), { masked: [], readonly: [] });
  assert.deepEqual(systemPaths(undefined, undefined, ['unmask=ALL']), { masked: [], readonly: [] });
  const u = systemPaths(undefined, undefined, ['unmask=/proc/kcore:/proc/sys']);
  assert.deepEqual(u.masked, MASKED.filter((p) => p !== '/proc/kcore'));
  assert.deepEqual(u.readonly, READONLY.filter((p) => p !== '/proc/sys'));
  assert.deepEqual(systemPaths(undefined, undefined, ['mask=/opt/secret'])?.masked, [...MASKED, '/opt/secret']);
});
