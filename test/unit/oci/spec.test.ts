import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSpec, type SpecInput } from '../../../src/oci/spec.js';
import { convertProfile, withoutDeadArches } from '../../../src/oci/seccomp.js';
import { clampRlimits } from '../../../src/oci/rlimits.js';
import { resolveCaps, DOCKER_DEFAULT_CAPS } from '../../../src/oci/caps.js';
import { parseSignal } from '../../../src/engine/containers/signals.js';
import { shouldRestart } from '../../../src/engine/containers/restart-policy.js';
import { parseLine, formatTimestamp } from '../../../src/oci/logfile.js';

const base = (o: Partial<SpecInput> = {}): SpecInput => ({
  rootfs: '/r', readonlyRootfs: false, args: ['sh'], env: ['PATH=/bin'], cwd: '/', user: { uid: 0, gid: 0, additionalGids: [] },
  terminal: false, hostname: 'h', caps: ['CAP_CHOWN'], privileged: false, noNewPrivileges: false, rlimits: [], memory: 0,
  memorySwap: 0, memoryReservation: 0, nanoCpus: 0, cpuShares: 0, cpuQuota: 0, cpuPeriod: 0, cpusetCpus: '', pidsLimit: 0,
  shmSize: 0, sysctls: {}, network: 'private', ipcHost: false, pidHost: false, utsHost: false, mounts: [], tmpfs: {},
  cgroupsPath: '/berth/x', annotations: {}, ...o,
});

test('spec: namespaces, masked paths and resources', () => {
  const s = buildSpec(base({ memory: 64 << 20, nanoCpus: 1.5e9, pidsLimit: 50, shmSize: 1 << 20 })) as any;
  const nsTypes = s.linux.namespaces.map((n: { type: string }) => n.type).sort();
  assert.deepEqual(nsTypes, ['cgroup', 'ipc', 'mount', 'network', 'pid', 'uts']);
  assert.ok(s.linux.maskedPaths.includes('/proc/kcore'));
  assert.ok(s.linux.readonlyPaths.includes('/proc/sys'));
  assert.equal(s.linux.resources.memory.limit, 64 << 20);
  assert.equal(s.linux.resources.memory.swap, 128 << 20);
  assert.deepEqual(s.linux.resources.cpu, { period: 100000, quota: 150000 });
  assert.equal(s.linux.resources.pids.limit, 50);
  const shm = s.mounts.find((m: { destination: string }) => m.destination === '/dev/shm');
  assert.ok(shm.options.includes('size=1048576'));
  assert.equal(s.hostname, 'h');
});

test('spec: host network binds /sys, host uts drops the hostname, privileged unmasks', () => {
  const s = buildSpec(base({ network: 'host', utsHost: true, privileged: true })) as any;
  assert.ok(!s.linux.namespaces.some((n: { type: string }) => n.type === 'network' || n.type === 'uts'));
  assert.equal(s.mounts.find((m: { destination: string }) => m.destination === '/sys').type, 'bind');
  assert.equal(s.hostname, undefined);
  assert.equal(s.linux.maskedPaths, undefined);
});

test('seccomp: moby profile converted for the caps and arch at hand', () => {
  const p = {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 38,
    archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] }],
    syscalls: [
      { names: ['read'], action: 'SCMP_ACT_ALLOW' },
      { names: ['arch_prctl'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['amd64'] } },
      { names: ['s390_only'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['s390x'] } },
      { names: ['bpf'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } },
      { names: ['bpf'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, excludes: { caps: ['CAP_SYS_ADMIN'] } },
    ],
  };
  const o = convertProfile(p, ['CAP_CHOWN'], 'amd64');
  assert.deepEqual(o.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  assert.deepEqual(o.syscalls.map((s) => s.names[0] + ':' + s.action), ['read:SCMP_ACT_ALLOW', 'arch_prctl:SCMP_ACT_ALLOW', 'bpf:SCMP_ACT_ERRNO']);
  const admin = convertProfile(p, ['SYS_ADMIN'], 'amd64');
  assert.ok(admin.syscalls.some((s) => s.names[0] === 'bpf' && s.action === 'SCMP_ACT_ALLOW'));
});

test('seccomp: the x32 filter is left out only where the kernel has no x32 ABI', () => {
  const p = { defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'], syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] };
  assert.deepEqual(withoutDeadArches(p, false).architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86']);
  assert.deepEqual(withoutDeadArches(p, false).syscalls, p.syscalls);
  assert.equal(withoutDeadArches(p, true), p);
});

test('rlimits are clamped to the hard limits we may set', () => {
  const hard = new Map([['RLIMIT_NOFILE', 20000]]);
  assert.deepEqual(clampRlimits([{ type: 'RLIMIT_NOFILE', soft: 1048576, hard: 1048576 }], hard, false), [{ type: 'RLIMIT_NOFILE', soft: 20000, hard: 20000 }]);
  assert.deepEqual(clampRlimits([{ type: 'RLIMIT_NOFILE', soft: 100, hard: 200 }], hard, false), [{ type: 'RLIMIT_NOFILE', soft: 100, hard: 200 }]);
  assert.deepEqual(clampRlimits([{ type: 'RLIMIT_NOFILE', soft: 1048576, hard: 1048576 }], hard, true)[0].hard, 1048576);
});

test('caps: docker semantics for ALL and names without CAP_', () => {
  assert.deepEqual(resolveCaps(DOCKER_DEFAULT_CAPS, [], ['ALL']), []);
  assert.deepEqual(resolveCaps(DOCKER_DEFAULT_CAPS, ['net_admin'], ['ALL']), ['CAP_NET_ADMIN']);
  assert.ok(!resolveCaps(DOCKER_DEFAULT_CAPS, [], ['NET_RAW']).includes('CAP_NET_RAW'));
  assert.throws(() => resolveCaps(DOCKER_DEFAULT_CAPS, ['BOGUS']));
});

test('signals by name or number; restart policies', () => {
  assert.equal(parseSignal('USR1'), 10);
  assert.equal(parseSignal('SIGTERM'), 15);
  assert.equal(parseSignal('9'), 9);
  assert.equal(parseSignal(undefined, 'SIGKILL'), 9);
  assert.throws(() => parseSignal('NOPE'));
  assert.throws(() => parseSignal('99'));
  const row = { stopRequested: false, restartCount: 0 };
  assert.equal(shouldRestart({ Name: 'on-failure', MaximumRetryCount: 2 }, 1, row), true);
  assert.equal(shouldRestart({ Name: 'on-failure', MaximumRetryCount: 2 }, 1, { ...row, restartCount: 2 }), false);
  assert.equal(shouldRestart({ Name: 'on-failure', MaximumRetryCount: 0 }, 0, row), false);
  assert.equal(shouldRestart({ Name: 'always', MaximumRetryCount: 0 }, 0, row), true);
  assert.equal(shouldRestart({ Name: 'always', MaximumRetryCount: 0 }, 0, { ...row, stopRequested: true }), false);
});

test('k8s-file lines parse to exact nanoseconds', () => {
  const r = parseLine(Buffer.from('2024-01-02T03:04:05.123456789+01:00 stderr P partial text'))!;
  assert.equal(r.stream, 'stderr');
  assert.equal(r.partial, true);
  assert.equal(r.text.toString(), 'partial text');
  assert.equal(formatTimestamp(r.timeNs), '2024-01-02T02:04:05.123456789Z');
  assert.equal(parseLine(Buffer.from('garbage')), undefined);
});
