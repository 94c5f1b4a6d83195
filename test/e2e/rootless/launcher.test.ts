// The rootless launcher as an unprivileged user: the service runs in a user namespace held by a
// pause process (uid 0 inside), keeps its pid across the re-exec, the next instance joins the
// same pause process, and a user without /etc/subuid and /etc/subgid entries gets the fix.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chownSync, existsSync, readFileSync, readlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BERTH_BIN, DOCKER, unixRequest, waitFor } from '../../helpers/berth.js';
import { killNamespace, NOSUB_USER, runAsUser, startRootlessBerth, type RootlessBerth } from '../support/rootless.js';

const started: RootlessBerth[] = [];
after(async () => {
  for (const b of started) await b.cleanup();
});

test('a non-root service runs in a user namespace held by a pause process, in the same pid', async () => {
  const b = await startRootlessBerth();
  started.push(b);
  const pid = b.proc.pid!;
  const pause = b.pausePid();
  assert.ok(pause, 'pause pid file written under the runroot');
  // The spawned pid is berth itself (execve in place), inside the pause process's namespaces.
  assert.equal(readlinkSync(`/proc/${pid}/ns/user`), readlinkSync(`/proc/${pause}/ns/user`));
  assert.equal(readlinkSync(`/proc/${pid}/ns/mnt`), readlinkSync(`/proc/${pause}/ns/mnt`));
  assert.match(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), /berth\.js\0system\0service/);
  const uidMap = readFileSync(`/proc/${pid}/uid_map`, 'utf8').trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));
  assert.deepEqual(uidMap, [
    [0, b.user.uid, 1],
    [1, b.user.sub!.start, b.user.sub!.count],
  ]);
  assert.equal((await b.request('GET', '/_ping')).status, 200);

  // The next instance joins the same pause process.
  await b.stop();
  await b.restart();
  assert.equal(b.pausePid(), pause);
  assert.equal(readlinkSync(`/proc/${b.proc.pid}/ns/user`), readlinkSync(`/proc/${pause}/ns/user`));
});

test('a user with no /etc/subuid and /etc/subgid entry gets an error naming them and the fix', async () => {
  const b = await startRootlessBerth({ user: NOSUB_USER, wait: false });
  started.push(b);
  const code = await b.exited;
  assert.notEqual(code, 0);
  assert.match(b.stderr(), new RegExp(`no entry for user "${NOSUB_USER.name}" \\(uid \\d+\\) in /etc/subuid and /etc/subgid`));
  assert.match(b.stderr(), new RegExp(`usermod --add-subuids \\d+-\\d+ --add-subgids \\d+-\\d+ ${NOSUB_USER.name}`));
  assert.equal(b.pausePid(), undefined);
});

test('socket activation as the user: systemd\'s socket survives the re-exec into the namespace (same pid, fd 3)', async () => {
  const b = await startRootlessBerth();
  started.push(b);
  const sock = join(b.dir, 'activated.sock');
  // systemd-socket-activate passes only what -E names (systemd --user sets these for its units).
  const pass = ['HOME', 'XDG_RUNTIME_DIR', 'PATH', 'CONTAINERS_CONF'].flatMap((k) => ['-E', `${k}=${b.env[k]}`]);
  const sa = spawn('systemd-socket-activate', ['-l', sock, ...pass, process.execPath, BERTH_BIN, 'system', 'service', '--time', '0'], {
    env: b.env,
    uid: b.user.uid,
    gid: b.user.gid,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  sa.stderr!.on('data', (c) => (err += c));
  try {
    assert.ok(await waitFor(() => existsSync(sock)), `socket: ${err}`);
    const r = await runAsUser(b.user, DOCKER, ['run', '--rm', '--network', 'none', 'busybox', 'true'], { env: { ...b.env, DOCKER_HOST: `unix://${sock}` } });
    // No image yet: the daemon answered through the passed socket all the same.
    assert.match(r.stderr + r.stdout, /No such image|Unable to find image|pull/i, r.stderr);
    const info = await runAsUser(b.user, DOCKER, ['info', '--format', '{{json .SecurityOptions}}'], { env: { ...b.env, DOCKER_HOST: `unix://${sock}` } });
    assert.equal(info.code, 0, `${info.stderr} ${err}`);
    assert.match(info.stdout, /name=rootless/);
    // systemd-socket-activate exec'd berth in its own pid, which re-exec'd itself into the namespace.
    assert.equal(readlinkSync(`/proc/${sa.pid}/ns/user`), readlinkSync(`/proc/${b.pausePid()}/ns/user`));
    assert.match(readFileSync(`/proc/${sa.pid}/cmdline`, 'utf8'), /berth\.js\0system\0service/);
  } finally {
    sa.kill('SIGTERM');
    await new Promise((r) => sa.once('exit', r));
  }
});

test('two services starting at once make one pause process and both join it', async () => {
  const b = await startRootlessBerth();
  started.push(b);
  await b.stop();
  killNamespace(b.pausePid()!);
  const procs = [1, 2].map((i) => {
    const sock = join(b.dir, `twin${i}.sock`);
    const p = spawn(process.execPath, [BERTH_BIN, 'system', 'service', '--time', '0', `unix://${sock}`], { env: b.env, uid: b.user.uid, gid: b.user.gid, stdio: 'ignore' });
    return { p, sock };
  });
  try {
    for (const { sock } of procs) {
      assert.ok(await waitFor(async () => existsSync(sock) && (await unixRequest(sock, 'GET', '/_ping').catch(() => ({ status: 0 }))).status === 200, 20_000));
    }
    const pause = b.pausePid()!;
    for (const { p } of procs) assert.equal(readlinkSync(`/proc/${p.pid}/ns/user`), readlinkSync(`/proc/${pause}/ns/user`));
  } finally {
    for (const { p } of procs) p.kill('SIGTERM');
    await Promise.all(procs.map(({ p }) => new Promise((r) => (p.exitCode !== null ? r(null) : p.once('exit', r)))));
  }
});

test('a pause process left by a launcher killed before writing its pid is ended with the stale lock', async () => {
  const b = await startRootlessBerth();
  started.push(b);
  await b.stop();
  killNamespace(b.pausePid()!);
  // What a killed launcher leaves: an unshared holder, its pid in a lock older than any start.
  const orphan = spawn('unshare', ['--user', '--', 'sleep', '1000'], { uid: b.user.uid, gid: b.user.gid, stdio: 'ignore', detached: true });
  try {
    assert.ok(await waitFor(() => readlinkSync(`/proc/${orphan.pid}/ns/user`) !== readlinkSync('/proc/self/ns/user'), 5_000));
    const lock = join(b.runRoot, 'pause.pid.lock');
    writeFileSync(lock, `${orphan.pid}\n`);
    chownSync(lock, b.user.uid, b.user.gid);
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);
    await b.restart();
    assert.equal((await b.request('GET', '/_ping')).status, 200);
    assert.notEqual(b.pausePid(), orphan.pid);
    assert.ok(await waitFor(() => orphan.exitCode !== null || orphan.signalCode !== null, 5_000), 'the orphan holder was killed');
    assert.equal(orphan.signalCode, 'SIGKILL');
    assert.equal(existsSync(lock), false);
  } finally {
    orphan.kill('SIGKILL');
  }
});
