// The Python SDK (Debian's python3-docker 5.0.3) against berth: each check runs dockerpy.py,
// which prints what the SDK saw, and is asserted here against what dockerd answers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, run, startBerth, FIXTURES, type Berth, removeAllContainers } from '../../helpers/berth.js';

// Debian's interpreter, where python3-docker lives (a python3 earlier on PATH may have another SDK).
const PYTHON = '/usr/bin/python3';
const SCRIPT = join(REPO, 'test', 'e2e', 'clients', 'dockerpy.py');
const NET = ['--network', 'none'];

let b: Berth;

async function py(check: string, ...args: string[]): Promise<any> {
  const r = await run(PYTHON, [SCRIPT, b.socket, check, ...args], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, `dockerpy.py ${check} failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const cgroup = (ctrl: string, id: string, file: string) => {
  const p = `/sys/fs/cgroup/${ctrl}/berth/berth-${id}/${file}`;
  return existsSync(p) ? readFileSync(p, 'utf8').trim() : undefined;
};

before(async () => {
  b = await startBerth();
  await b.dockerOk(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
  await b.dockerOk(['run', '-d', ...NET, '--name', 'py-exec', 'busybox', 'sleep', '3600']);
});
after(async () => {
  await removeAllContainers(b);
  await b.cleanup();
});

test('docker-py exec: a Tty session writes through a terminal whatever exec_start asks; a command that cannot start exits 126', async () => {
  const r = await py('exec', 'py-exec');
  // exec_start(tty=False) of a session created with tty=True: dockerd still runs it on a terminal.
  assert.equal(r.created_tty, 'hi\r\n');
  assert.equal(r.run_tty, 'hi\r\n');
  assert.equal(r.plain, 'hi\n');
  assert.equal(r.missing, 126);
  assert.equal(r.not_exec, 126);
  // The shell itself ran: its own "not found" is its exit code, untouched.
  assert.equal(r.sh_missing, 127);
});

test('docker-py kill: the container is exited when kill returns', async () => {
  assert.deepEqual(await py('kill'), { status: 'exited', exit: 137 });
});

test('docker-py restart(timeout=1) of a container that ignores SIGTERM answers within the 4 s client timeout', async () => {
  const r = await py('restart');
  assert.equal(r.status, 'running');
  assert.equal(r.restarted, true);
  assert.ok(r.seconds < 3, `restart took ${r.seconds} s`);
});

test('docker-py update: every resource field reaches real runc, with dockerd\'s warnings and conflicts', async () => {
  const id = (await b.dockerOk(['run', '-d', ...NET, '--name', 'py-up', '-m', '64m', 'busybox', 'sleep', '3600'])).trim();
  const r = await py('update', 'py-up');
  for (const [k, v] of Object.entries(r.results as Record<string, { status: number }>)) {
    if (k !== 'nano_cpus_after_period') assert.equal(v.status, 200, `${k}: ${JSON.stringify(v)}`);
  }
  assert.deepEqual(r.results.kernel_memory.warnings, ['Specifying a kernel memory limit is deprecated and will be removed in a future release.']);
  assert.equal(r.results.nano_cpus_after_period.status, 409);
  assert.match(r.results.nano_cpus_after_period.message, /Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set/);
  const h = r.hostConfig;
  assert.equal(h.CpuShares, 512);
  assert.equal(h.CpuPeriod, 50000);
  assert.equal(h.CpuQuota, 25000);
  assert.equal(h.CpusetCpus, '0');
  assert.equal(h.CpusetMems, '0');
  assert.equal(h.Memory, 100 * 1024 * 1024);
  assert.equal(h.MemorySwap, 300 * 1024 * 1024);
  assert.equal(h.MemoryReservation, 50 * 1024 * 1024);
  assert.equal(h.KernelMemory, 50 * 1024 * 1024);
  assert.equal(h.PidsLimit, 64);
  assert.deepEqual(h.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 2 });
  // The cgroup of the running container says the same (cgroup v1 here; skipped where absent).
  const expect: [string, string, string][] = [
    ['cpu', 'cpu.shares', '512'],
    ['cpu', 'cpu.cfs_period_us', '50000'],
    ['cpu', 'cpu.cfs_quota_us', '25000'],
    ['cpuset', 'cpuset.cpus', '0'],
    ['cpuset', 'cpuset.mems', '0'],
    ['memory', 'memory.limit_in_bytes', String(100 * 1024 * 1024)],
    ['memory', 'memory.memsw.limit_in_bytes', String(300 * 1024 * 1024)],
    ['memory', 'memory.soft_limit_in_bytes', String(50 * 1024 * 1024)],
    ['pids', 'pids.max', '64'],
  ];
  for (const [ctrl, file, want] of expect) {
    const got = cgroup(ctrl, id, file);
    if (got !== undefined) assert.equal(got, want, `${ctrl}/${file}`);
  }
  // A weight where the blkio hierarchy has one (CFQ's or BFQ's file at its root, dockerd's test),
  // else dockerd's warning and nothing applied.
  const weight = cgroup('blkio', id, 'blkio.weight') ?? cgroup('blkio', id, 'blkio.bfq.weight');
  const supported = ['blkio.weight', 'blkio.bfq.weight'].some((f) => existsSync(`/sys/fs/cgroup/blkio/${f}`));
  if (supported) assert.match(weight ?? '', /300/);
  else {
    assert.deepEqual(r.results.blkio_weight.warnings, ['Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.']);
    assert.doesNotMatch(weight ?? '', /300/);
  }
  // Restarted, the container gets the updated limits from its spec.
  await b.dockerOk(['restart', '-t', '0', 'py-up']);
  if (cgroup('cpu', id, 'cpu.shares') !== undefined) {
    assert.equal(cgroup('cpu', id, 'cpu.shares'), '512');
    assert.equal(cgroup('memory', id, 'memory.limit_in_bytes'), String(100 * 1024 * 1024));
    assert.equal(cgroup('pids', id, 'pids.max'), '64');
  }
});

test('docker-py commit: the image names its source container and keeps its config (Container, ContainerConfig)', async () => {
  const r = await py('commit');
  assert.equal(r.container, r.id);
  assert.deepEqual(r.containerConfig.Cmd, ['sh', '-c', 'echo x > /committed']);
  assert.equal(r.containerConfig.Image, 'busybox');
  assert.deepEqual(r.containerConfig.Labels, { from: 'dockerpy' });
  assert.deepEqual(r.config.Cmd, ['sh', '-c', 'echo x > /committed']);
});

test('docker-py images.load of bytes that are no archive raises ImageLoadError (the error comes in the 200 stream)', async () => {
  const r = await py('load');
  assert.equal(r.raised, 'ImageLoadError');
  assert.match(r.message, /archive/);
});

test('docker-py swarm: leave(force) succeeds on a node outside a swarm; every swarm call is a 503', async () => {
  const r = await py('swarm');
  assert.equal(r.leave, true);
  const manager = /^This node is not a swarm manager\. Use "docker swarm init" or "docker swarm join"/;
  for (const k of ['inspect', 'nodes', 'services', 'tasks', 'configs', 'unlock_key']) {
    assert.equal(r[k].status, 503, k);
    assert.match(r[k].message, manager, k);
  }
  assert.deepEqual(r.leave_unforced, { status: 503, message: 'This node is not part of a swarm' });
});

test('docker-py create: dockerd\'s words for an unknown log driver, device rules applied, Runtime shown', async () => {
  const r = await py('create');
  assert.deepEqual(r.log_driver, { status: 400, message: "logger: no log driver named 'asdf' is registered" });
  assert.deepEqual(r.bad_rule, { status: 400, message: "invalid device cgroup rule format: 'x 1:2 rwm'" });
  assert.deepEqual(r.runtime, { status: 400, message: 'Unknown runtime specified no-such-runtime' });
  assert.equal(r.Runtime, (await b.request('GET', '/v1.41/info')).json.DefaultRuntime);
  assert.deepEqual(r.DeviceCgroupRules, ['c 42:* rmw', 'b 7:0 r']);
  assert.equal(r.MemorySwap, 128 * 1024 * 1024);
  const list = cgroup('devices', r.id, 'devices.list');
  if (list !== undefined) {
    // The kernel spells the access in its own order (rwm).
    assert.match(list, /^c 42:\* rwm$/m);
    assert.match(list, /^b 7:0 r$/m);
  }
});
