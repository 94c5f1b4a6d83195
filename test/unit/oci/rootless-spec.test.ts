import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSpec, type SpecInput } from '../../../src/oci/spec.js';
import { delegatedSubtree, delegationSummary, requestedLimits, rootlessLimitsWarning } from '../../../src/oci/cgroup-delegation.js';

const base = (o: Partial<SpecInput> = {}): SpecInput => ({
  rootfs: '/r', readonlyRootfs: false, args: ['sh'], env: [], cwd: '/', user: { uid: 0, gid: 0, additionalGids: [] },
  terminal: false, hostname: 'h', caps: [], privileged: false, noNewPrivileges: false, rlimits: [],
  memory: 64 << 20, memorySwap: 0, memoryReservation: 0, nanoCpus: 1e9, cpuShares: 0, cpuQuota: 0, cpuPeriod: 0, cpusetCpus: '',
  pidsLimit: 10, shmSize: 0, sysctls: {}, network: 'private', ipcHost: false, pidHost: false, utsHost: false,
  mounts: [], tmpfs: {}, cgroupsPath: '/berth/berth-abc', annotations: {}, oomScoreAdj: -500,
  ...o,
});

test('rootless without a delegated tree: no cgroup path, no resources, /sys/fs/cgroup bound read-only, oom_score_adj not lowered', () => {
  const s = buildSpec(base({ rootless: { oomScoreAdjMin: 0 } })) as any;
  assert.equal(s.linux.cgroupsPath, undefined);
  assert.equal(s.linux.resources, undefined);
  const cg = s.mounts.find((m: any) => m.destination === '/sys/fs/cgroup');
  assert.deepEqual(cg, { destination: '/sys/fs/cgroup', type: 'bind', source: '/sys/fs/cgroup', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] });
  assert.equal(s.process.oomScoreAdj, 0);
  // A higher one is kept.
  assert.equal((buildSpec(base({ oomScoreAdj: 300, rootless: { oomScoreAdjMin: 0 } })) as any).process.oomScoreAdj, 300);
});

test('rootless with a delegated v2 tree: the container cgroup goes under it, limits kept, device rules dropped', () => {
  const s = buildSpec(base({ rootless: { cgroupParent: '/user.slice/user-1000.slice/user@1000.service/berth', oomScoreAdjMin: 0 } })) as any;
  assert.equal(s.linux.cgroupsPath, '/user.slice/user-1000.slice/user@1000.service/berth/berth-abc');
  assert.equal(s.linux.resources.memory.limit, 64 << 20);
  assert.equal(s.linux.resources.devices, undefined);
  assert.equal(s.mounts.find((m: any) => m.destination === '/sys/fs/cgroup').type, 'cgroup');
});

test('rootful specs are unchanged', () => {
  const s = buildSpec(base()) as any;
  assert.equal(s.linux.cgroupsPath, '/berth/berth-abc');
  assert.equal(s.linux.resources.memory.limit, 64 << 20);
  assert.ok(s.linux.resources.devices.length > 1);
  assert.equal(s.process.oomScoreAdj, -500);
});

test('the limits a create asks for, and the warning when none can be applied', () => {
  assert.deepEqual(requestedLimits({ Memory: 1, NanoCpus: 0, PidsLimit: 0 }), ['memory']);
  assert.deepEqual(requestedLimits({ Memory: 0, CpuShares: 512, CpusetCpus: '0', PidsLimit: 5, BlkioWeight: 100 }), ['cpus', 'cpuset', 'pids', 'blkio']);
  assert.deepEqual(requestedLimits({ PidsLimit: -1, Memory: 0 }), []);
  assert.equal(rootlessLimitsWarning({}, { version: 1 }), undefined);
  assert.match(rootlessLimitsWarning({ Memory: 1 }, { version: 1 })!, /Resource limits \(memory\) are not applied: .*cgroup v1/);
  assert.match(rootlessLimitsWarning({ Memory: 1 }, { version: 2 })!, /delegated no cgroup v2 subtree/);
  assert.equal(rootlessLimitsWarning({ Memory: 1 }, { version: 2, delegated: { path: '/x', controllers: ['memory'] } }), undefined);
});

test('delegation: the own cgroup (or its parent) when writable with controllers to hand down', () => {
  const mount = mkdtempSync(join(tmpdir(), 'cg-'));
  const own = '/user.slice/user@1000.service/app.slice/berth.service';
  mkdirSync(join(mount, own), { recursive: true });
  writeFileSync(join(mount, own, 'cgroup.procs'), '');
  writeFileSync(join(mount, own, 'cgroup.subtree_control'), 'cpu memory pids\n');
  assert.deepEqual(delegatedSubtree(`0::${own}\n`, mount), { path: own, controllers: ['cpu', 'memory', 'pids'] });
  writeFileSync(join(mount, own, 'cgroup.subtree_control'), '\n');
  assert.equal(delegatedSubtree(`0::${own}\n`, mount), undefined);
  // v1 lines only: nothing delegated.
  assert.equal(delegatedSubtree('4:memory:/user.slice\n', mount), undefined);
  assert.equal(delegationSummary({ version: 1 }), 'none');
});
