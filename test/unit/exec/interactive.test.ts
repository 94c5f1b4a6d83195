// Pure pieces of issue 5: in-container path resolution, detach keys, ps parsing, Go file modes,
// exec failure codes, stat header modes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readlinkSync, rmSync, symlinkSync, writeFileSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContainerFs, goFileMode } from '../../../src/engine/containers/files/container-fs.js';
import { DetachScanner, parseDetachKeys } from '../../../src/api/http/detach.js';
import { parsePs } from '../../../src/engine/containers/top.js';
import { execFailureCode } from '../../../src/oci/exec.js';

/** The host file a container path reaches (links followed in the container). */
function hostOf(fs: ContainerFs, p: string): string {
  const e = fs.locate(p, true);
  try {
    const dir = readlinkSync(`/proc/self/fd/${e.dirFd}`);
    return e.name ? `${dir}/${e.name}` : dir;
  } finally {
    e.close();
  }
}

function rootfs() {
  const root = mkdtempSync(join(tmpdir(), 'berth-fs-'));
  mkdirSync(join(root, 'etc'));
  mkdirSync(join(root, 'data', 'sub'), { recursive: true });
  writeFileSync(join(root, 'etc', 'passwd'), 'root:x:0:0\n');
  symlinkSync('/', join(root, 'escape'));
  symlinkSync('../../../../../../..', join(root, 'data', 'up'));
  symlinkSync('/etc/passwd', join(root, 'data', 'pw'));
  symlinkSync('sub', join(root, 'data', 'rel'));
  symlinkSync('loop2', join(root, 'loop1'));
  symlinkSync('loop1', join(root, 'loop2'));
  return root;
}

test('ContainerFs.resolve follows links inside the root, never the host', () => {
  const root = rootfs();
  try {
    const fs = new ContainerFs(root);
    assert.equal(fs.resolve('/escape/etc/passwd', true), '/etc/passwd');
    assert.equal(hostOf(fs, '/escape/etc/passwd'), join(root, 'etc', 'passwd'));
    assert.equal(fs.resolve('/data/up/etc', true), '/etc');
    assert.equal(fs.resolve('/data/up/../../..', true), '/');
    assert.equal(fs.resolve('../../etc/../etc/passwd', true), '/etc/passwd');
    assert.equal(fs.resolve('/data/pw', false), '/data/pw');
    assert.equal(fs.resolve('/data/pw', true), '/etc/passwd');
    assert.equal(fs.resolve('/data/rel/x', true), '/data/sub/x');
    assert.equal(fs.resolve('/escape/tmp/host-file', true), '/tmp/host-file');
    assert.throws(() => fs.locate('/data/up/tmp/whatever', true), /no such file or directory: \/tmp/);
    assert.equal(hostOf(fs, '/data/up/data/sub'), join(root, 'data', 'sub'));
    assert.equal(hostOf(fs, '/data/up'), root);
    assert.throws(() => fs.resolve('/loop1/x', true), /too many levels of symbolic links/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('ContainerFs maps bind-mounted files to their host sources', () => {
  const root = rootfs();
  const src = join(root, '..', `hosts-${process.pid}`);
  writeFileSync(src, '127.0.0.1 localhost\n');
  try {
    const fs = new ContainerFs(root, [{ dest: '/etc/hosts', source: src }, { dest: '/vol', source: '/nonexistent-berth-vol' }]);
    assert.equal(hostOf(fs, '/escape/etc/hosts'), src);
    assert.equal(hostOf(fs, '/escape/etc/../etc/passwd'), join(root, 'etc', 'passwd'));
    assert.throws(() => fs.locate('/vol/a/b', true), /not a directory/);
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(src, { force: true });
  }
});

test('goFileMode sets Go os.FileMode type bits', () => {
  const root = rootfs();
  try {
    assert.equal(goFileMode(lstatSync(join(root, 'etc'))), 2 ** 31 + (lstatSync(join(root, 'etc')).mode & 0o777));
    assert.equal(goFileMode(lstatSync(join(root, 'escape'))) - (lstatSync(join(root, 'escape')).mode & 0o777), 2 ** 27);
    assert.equal(goFileMode(lstatSync(join(root, 'etc', 'passwd'))), lstatSync(join(root, 'etc', 'passwd')).mode & 0o777);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('detach keys: the default ctrl-p ctrl-q, custom specs, held prefixes', () => {
  assert.deepEqual([...parseDetachKeys(undefined)], [16, 17]);
  assert.deepEqual([...parseDetachKeys('ctrl-x,a')], [24, 97]);
  assert.deepEqual([...parseDetachKeys('ctrl-@,ctrl-[')], [0, 27]);
  assert.throws(() => parseDetachKeys('ctrl-xx'), /Invalid detach keys/);
  const s = new DetachScanner(Buffer.from([16, 17]));
  assert.deepEqual(s.feed(Buffer.from('ab')), { forward: Buffer.from('ab'), detach: false });
  const held = s.feed(Buffer.from([99, 16]));
  assert.deepEqual([...held.forward], [99]);
  assert.equal(held.detach, false);
  // The held ctrl-p is released when the next byte breaks the sequence.
  assert.deepEqual([...s.feed(Buffer.from([100])).forward], [16, 100]);
  const split = new DetachScanner(Buffer.from([16, 17]));
  split.feed(Buffer.from([16]));
  assert.equal(split.feed(Buffer.from([17])).detach, true);
  const pp = new DetachScanner(Buffer.from([16, 17]));
  const r = pp.feed(Buffer.from([16, 16, 17]));
  assert.deepEqual([...r.forward], [16]);
  assert.equal(r.detach, true);
  assert.deepEqual([...new DetachScanner(Buffer.from([16, 17])).feed(Buffer.from([16])).forward], []);
});

test('parsePs keeps the last column whole and filters by pid', () => {
  const out = 'UID PID PPID C STIME TTY TIME CMD\nroot 10 1 0 10:00 ? 00:00:00 sleep 3600\nroot 11 1 0 10:00 ? 00:00:00 sh -c echo hi\nroot 99 1 0 10:00 ? 00:00:00 other\n';
  const r = parsePs(out, new Set([10, 11]));
  assert.deepEqual(r.Titles, ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
  assert.deepEqual(r.Processes.map((p) => p[7]), ['sleep 3600', 'sh -c echo hi']);
  assert.throws(() => parsePs('USER COMMAND\nroot x\n', new Set()), /PID/);
});

test('exec failures map to docker exit codes', () => {
  assert.equal(execFailureCode('exec: "nope": executable file not found in $PATH'), 127);
  assert.equal(execFailureCode('exec: "/etc": permission denied'), 126);
  assert.equal(execFailureCode('no such file or directory'), 127);
  assert.equal(execFailureCode('container not running'), 125);
});

test('cgroup readers: v2 unified files and v1 per-controller files in docker units', async () => {
  const { readCgroup } = await import('../../../src/engine/containers/cgroup.js');
  const { dockerStats, memUsed } = await import('../../../src/api/containers/stats.js');
  const dir = mkdtempSync(join(tmpdir(), 'berth-cg-'));
  try {
    const v2 = join(dir, 'v2');
    mkdirSync(v2);
    writeFileSync(join(v2, 'cpu.stat'), 'usage_usec 2500\nuser_usec 2000\nsystem_usec 500\nnr_periods 3\nnr_throttled 1\nthrottled_usec 7\n');
    writeFileSync(join(v2, 'memory.current'), '1048576\n');
    writeFileSync(join(v2, 'memory.max'), 'max\n');
    writeFileSync(join(v2, 'memory.stat'), 'anon 4096\nfile 8192\ninactive_file 4096\n');
    writeFileSync(join(v2, 'pids.current'), '2\n');
    writeFileSync(join(v2, 'pids.max'), '100\n');
    writeFileSync(join(v2, 'io.stat'), '8:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n');
    const a = readCgroup({ v2, v1: {} })!;
    assert.equal(a.v2, true);
    assert.equal(a.cpuTotal, 2_500_000);
    assert.equal(a.cpuUser, 2_000_000);
    assert.equal(a.cpuKernel, 500_000);
    assert.deepEqual(a.throttling, { periods: 3, throttled_periods: 1, throttled_time: 7000 });
    assert.equal(a.memUsage, 1048576);
    assert.equal(a.memLimit, 0);
    assert.equal(a.pids, 2);
    assert.equal(a.pidsLimit, 100);
    assert.deepEqual(a.ioBytes, [{ major: 8, minor: 0, op: 'read', value: 10 }, { major: 8, minor: 0, op: 'write', value: 20 }]);
    assert.equal(memUsed(a), 1048576 - 4096);
    const body = dockerStats({ id: 'x', name: 'n', running: true, readAt: new Date(), cg: a, system: { usage: 1e9, online: 2 }, net: {}, startedAt: '' }, undefined) as Record<string, any>;
    assert.equal(body.memory_stats.max_usage, undefined, 'v2 has no max_usage');
    assert.equal(body.cpu_stats.cpu_usage.percpu_usage, undefined);
    assert.equal(body.blkio_stats.io_service_bytes_recursive[1].op, 'Write');

    const cpu = join(dir, 'cpu');
    const mem = join(dir, 'memory');
    const pids = join(dir, 'pids');
    for (const d of [cpu, mem, pids]) mkdirSync(d);
    writeFileSync(join(cpu, 'cpuacct.usage'), '123456789\n');
    writeFileSync(join(cpu, 'cpuacct.usage_percpu'), '100000000 23456789 \n');
    writeFileSync(join(cpu, 'cpuacct.stat'), 'user 7\nsystem 3\n');
    writeFileSync(join(cpu, 'cpu.stat'), 'nr_periods 0\nnr_throttled 0\nthrottled_time 0\n');
    writeFileSync(join(mem, 'memory.usage_in_bytes'), '2097152\n');
    writeFileSync(join(mem, 'memory.max_usage_in_bytes'), '4194304\n');
    writeFileSync(join(mem, 'memory.limit_in_bytes'), '9223372036854771712\n');
    writeFileSync(join(mem, 'memory.stat'), 'cache 0\nrss 2097152\ntotal_inactive_file 1024\n');
    writeFileSync(join(pids, 'pids.current'), '3\n');
    writeFileSync(join(pids, 'pids.max'), 'max\n');
    const c = readCgroup({ v1: { cpu, cpuacct: cpu, memory: mem, pids } })!;
    assert.equal(c.v2, false);
    assert.equal(c.cpuTotal, 123456789);
    assert.deepEqual(c.perCpu, [100000000, 23456789]);
    assert.equal(c.cpuUser, 70_000_000);
    assert.equal(c.cpuKernel, 30_000_000);
    assert.equal(c.memMax, 4194304);
    assert.equal(c.pids, 3);
    assert.equal(memUsed(c), 2097152 - 1024);
    const b1 = dockerStats({ id: 'x', name: 'n', running: true, readAt: new Date(), cg: c, system: { usage: 1e9, online: 2 }, net: {}, startedAt: '' }, undefined) as Record<string, any>;
    // An unlimited cgroup reports the host's memory, as dockerd does.
    assert.ok(b1.memory_stats.limit < 9223372036854771712);
    assert.equal(b1.memory_stats.max_usage, 4194304);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
