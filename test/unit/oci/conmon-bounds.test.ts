// Waits on conmon are bounded: a runtime that writes an error of over 64 KiB blocks on the pipe
// conmon reads only after it exited (the deadlock a long CpusetCpus caused), and the start must
// fail in bounded time with conmon and the runtime killed, not hang.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startConmon, type ConmonOptions } from '../../../src/oci/conmon.js';
import { startExecConmon } from '../../../src/oci/exec.js';
import { cleanMessage } from '../../../src/oci/runtime.js';

const dir = mkdtempSync(join(tmpdir(), 'berth-conmon-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const CONMON = ['/usr/bin/conmon', '/usr/libexec/podman/conmon'].find((p) => existsSync(p));

/** A runtime that records its pid, then writes 100 KB of error to stderr and exits 1, as runc does. */
function verboseRuntime(name: string): { path: string; pidFile: string } {
  const pidFile = join(dir, `${name}.pid`);
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\necho $$ > ${pidFile}\nhead -c 100000 /dev/zero | tr '\\0' a >&2\nexit 1\n`);
  chmodSync(path, 0o755);
  return { path, pidFile };
}

function options(name: string, runtimePath: string): ConmonOptions {
  const bundle = join(dir, name, 'bundle');
  mkdirSync(join(dir, name, 'exit'), { recursive: true });
  mkdirSync(bundle, { recursive: true });
  writeFileSync(join(bundle, 'config.json'), '{}');
  return {
    conmonPath: CONMON!, runtimePath, runtimeArgs: [], id: `${name}${'0'.repeat(64 - name.length)}`, name, bundle,
    pidFile: join(bundle, 'pidfile'), conmonPidFile: join(bundle, 'conmon.pid'), exitDir: join(dir, name, 'exit'),
    logPath: undefined, terminal: false, stdin: false, stdinOnce: false, exitCommand: [], timeoutMs: 1500,
  };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

test('a runtime blocked on a 100 KB error: create fails within its bound, conmon and runtime killed', { skip: !CONMON && 'no conmon' }, async () => {
  const rt = verboseRuntime('create-rt');
  const o = options('create', rt.path);
  const t0 = Date.now();
  await assert.rejects(startConmon(o), /did not create the container within 1.5 s/);
  assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
  const rtPid = Number(readFileSync(rt.pidFile, 'utf8'));
  const conmonPid = Number(readFileSync(o.conmonPidFile, 'utf8'));
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(alive(rtPid), false, 'runtime killed');
  assert.equal(alive(conmonPid), false, 'conmon killed');
});

test('an aborted start kills conmon and the runtime at once', { skip: !CONMON && 'no conmon' }, async () => {
  const rt = verboseRuntime('abort-rt');
  const o = options('abort', rt.path);
  const ac = new AbortController();
  const p = startConmon({ ...o, timeoutMs: 60_000, signal: ac.signal });
  setTimeout(() => ac.abort('the container is being removed'), 300);
  const t0 = Date.now();
  await assert.rejects(p, /being removed/);
  assert.ok(Date.now() - t0 < 3000);
});

test('an exec whose runtime blocks: the pid wait is bounded too', { skip: !CONMON && 'no conmon' }, async () => {
  const rt = verboseRuntime('exec-rt');
  const o = options('exec', rt.path);
  writeFileSync(join(o.bundle, 'process.json'), '{}');
  const cm = startExecConmon({
    conmonPath: CONMON!, runtimePath: rt.path, runtimeArgs: [], containerId: o.id, sessionId: o.id, name: 'exec', bundle: o.bundle,
    processSpec: join(o.bundle, 'process.json'), pidFile: o.pidFile, conmonPidFile: o.conmonPidFile, exitDir: o.exitDir,
    terminal: false, stdin: false, attach: false, timeoutMs: 1500,
  });
  const t0 = Date.now();
  await assert.rejects(cm.pid, /did not start the exec process within 1.5 s/);
  assert.ok(Date.now() - t0 < 5000);
});

test('runtime messages keep what failed and why, with the long value clipped where it stands', () => {
  const long = 'a'.repeat(100_000);
  const runc = `time="x" level=error msg="runc create failed: unable to apply cgroup configuration: failed to write \\"${long}\\": write /sys/fs/cgroup/cpuset/cpuset.cpus: invalid argument"`;
  const msg = cleanMessage(runc);
  assert.ok(msg.length < 400, `${msg.length} characters`);
  assert.match(msg, /^runc create failed: unable to apply cgroup configuration: failed to write "a+\.\.\.\(\d+ more characters\)": write \/sys\/fs\/cgroup\/cpuset\/cpuset\.cpus: invalid argument$/);
});
