// Nothing leaks: no file descriptor per attached run or exec, no host file's content in an
// error, no secret in a file others may read, no client input echoed back whole.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { startBerth, waitFor, FIXTURES, type Berth } from '../../helpers/berth.js';

let b: Berth;
const NET = ['--network', 'none'];
const ok = (args: string[], opts?: { input?: string }) => b.dockerOk(args, opts);

before(async () => {
  b = await startBerth();
  await ok(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
});
after(async () => {
  await b.docker(['rm', '-f', ...(await b.docker(['ps', '-aq'])).stdout.split('\n').filter(Boolean)]);
  await b.cleanup();
});

/** The service's open fds by what they point at (socket:[..], pipe:[..], a path, anon_inode:..). */
function openFds(): string[] {
  const dir = `/proc/${b.proc.pid}/fd`;
  const out: string[] = [];
  for (const fd of readdirSync(dir)) {
    try {
      out.push(readlinkSync(join(dir, fd)));
    } catch {
      /* closed while listing */
    }
  }
  return out;
}
const sockets = (fds: string[]) => fds.filter((f) => f.startsWith('socket:')).length;

test('100 attached runs and 100 execs leave the service with the fds it had', async () => {
  await ok(['run', '-d', ...NET, '--name', 'fds', 'busybox', 'sleep', '1000']);
  // Warm every lazy part first (state DB, exit watcher, exec store), so the baseline has them.
  await ok(['run', '--rm', ...NET, 'busybox', 'true']);
  await ok(['exec', 'fds', 'true']);
  await new Promise((r) => setTimeout(r, 300));
  const before = openFds();
  for (let i = 0; i < 100; i++) {
    assert.equal(await ok(['run', '--rm', ...NET, 'busybox', 'echo', `run${i}`]), `run${i}\n`);
    // Half the execs with stdin attached: that path half-closes the socket from our side.
    assert.equal(await ok(i % 2 ? ['exec', 'fds', 'echo', `exec${i}`] : ['exec', '-i', 'fds', 'cat'], i % 2 ? undefined : { input: `exec${i}\n` }), `exec${i}\n`);
  }
  // Closing a client connection is seen a moment later: settle, then compare. Slack of 3 is for
  // keep-alive HTTP sockets that may still be open; the leak was one socket per session (200).
  let after: string[] = [];
  await waitFor(() => {
    after = openFds();
    return after.length <= before.length + 3;
  }, 5000, 100);
  const diff = after.filter((f) => !before.includes(f));
  assert.ok(after.length <= before.length + 3, `fds ${before.length} → ${after.length}; new: ${diff.slice(0, 20).join(' ')}`);
  assert.ok(sockets(after) <= sockets(before) + 3, `sockets ${sockets(before)} → ${sockets(after)}`);
  // Nor does a session leave its dir behind (conmon writes into it until it exits).
  assert.ok(await waitFor(() => readdirSync(join(b.runRoot, 'exec')).length === 0, 5000), `exec dirs left: ${readdirSync(join(b.runRoot, 'exec')).length}`);
  await ok(['rm', '-f', 'fds']);
});

test('libpod seccomp_profile_path never quotes the named file; a device or non-profile is refused', async () => {
  for (const [path, why] of [['/etc/shadow', /not JSON/], ['/etc/passwd', /not JSON/], ['/dev/zero', /not a regular file/], ['/nonexistent', /ENOENT/]] as const) {
    const r = await b.request('POST', '/v5.4.2/libpod/containers/create', { image: 'busybox', command: ['true'], seccomp_profile_path: path });
    assert.equal(r.status, 400, r.text);
    assert.match(r.json.message, why);
    assert.ok(!r.text.includes('root:'), `the body quotes ${path}: ${r.text}`);
  }
  // Inline, as the docker CLI sends a profile file it read: not echoed either.
  const r = await b.request('POST', '/v1.41/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'none', SecurityOpt: ['seccomp=root:x:0:0:secret-line'] } });
  assert.equal(r.status, 400, r.text);
  assert.ok(!r.text.includes('secret-line'), r.text);
});

test('errors quote at most a short prefix of what the client sent', async () => {
  const long = 'a'.repeat(20_000);
  const asks: [string, string, unknown][] = [
    ['POST', `/v1.41/containers/create?name=-${long.slice(0, 8000)}`, { Image: 'busybox', Cmd: ['true'] }],
    ['POST', '/v1.41/containers/create', { Image: `busybox:${long}`, Cmd: ['true'] }],
    ['POST', '/v1.41/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: long } }],
    ['POST', '/v1.41/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { Binds: [`/${long}:/x`] } }],
    ['POST', '/v1.41/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { Tmpfs: { '/t': `size=1m,${long}` } } }],
    ['POST', '/v1.41/containers/create', { Image: 'busybox', Cmd: ['true'], StopSignal: long }],
    ['POST', '/v1.41/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { LogConfig: { Type: long } } }],
    ['GET', `/v1.41/containers/json?filters=${encodeURIComponent(JSON.stringify({ [long.slice(0, 8000)]: ['x'] }))}`, undefined],
    ['GET', `/v1.41/images/json?filters=${encodeURIComponent(JSON.stringify({ until: [long.slice(0, 8000)] }))}`, undefined],
    ['GET', `/v1.41/containers/json?limit=${long.slice(0, 8000)}`, undefined],
    ['POST', '/v5.4.2/libpod/containers/create', { image: 'busybox', command: ['true'], seccomp_policy: long }],
  ];
  for (const [method, path, body] of asks) {
    const r = await b.request(method, path, body);
    assert.ok(r.status >= 400 && r.status < 500, `${method} ${path.slice(0, 60)}: ${r.status} ${r.text.slice(0, 200)}`);
    assert.ok(r.text.length < 1024, `${method} ${path.slice(0, 60)} answered ${r.text.length} bytes: ${r.text.slice(0, 300)}`);
  }
});

test("a container's bundle, state, logs and exec specs are its owner's only", async () => {
  const SECRET = 'SECRET=s3cr3t-value-4711';
  const id = (await ok(['run', '-d', ...NET, '-e', SECRET, 'busybox', 'sh', '-c', `echo ${SECRET}; sleep 1000`])).trim();
  await ok(['exec', '-d', '-e', 'EXEC_SECRET=s3cr3t-value-4711', id, 'sleep', '30']);
  // The session's process spec: process.json, or process-<nonce>.json when a spare monitor ran it.
  const execSpec = () => {
    for (const d of readdirSync(join(b.runRoot, 'exec'))) {
      const dir = join(b.runRoot, 'exec', d);
      for (const f of readdirSync(dir).filter((n) => /^process(-[0-9a-f]+)?\.json$/.test(n))) {
        if (readFileSync(join(dir, f), 'utf8').includes('EXEC_SECRET')) return join(dir, f);
      }
    }
    return undefined;
  };
  assert.ok(await waitFor(() => execSpec() !== undefined, 5000), 'the exec session has its process spec');
  const mode = (p: string) => statSync(p).mode & 0o777;
  const run = join(b.runRoot, 'containers', id);
  const data = join(b.root, 'containers', id);
  const specFile = execSpec()!;
  const execDir = dirname(specFile);
  const want: [string, number][] = [
    [join(b.runRoot, 'containers'), 0o700], [run, 0o700], [join(run, 'bundle'), 0o700], [join(run, 'bundle', 'config.json'), 0o600],
    [join(b.root, 'containers'), 0o700], [data, 0o700], [join(data, 'userdata'), 0o700], [join(data, 'userdata', 'ctr.log'), 0o600],
    [join(b.runRoot, 'exec'), 0o700], [execDir, 0o700], [specFile, 0o600],
    [join(b.runRoot, 'exits'), 0o700], [join(b.root, 'state.db'), 0o600], [join(b.root, 'state.db-wal'), 0o600],
  ];
  for (const [p, m] of want) assert.equal(mode(p).toString(8), m.toString(8), p);

  // Every file of berth's own (not a container's filesystem) that holds the secret: owner only.
  const holders: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (!['merged', 'upper', 'work', 'diff'].includes(e.name)) walk(p);
      } else if (e.isFile() && readFileSync(p).includes('s3cr3t-value-4711')) holders.push(p);
    }
  };
  walk(b.root);
  walk(b.runRoot);
  assert.ok(holders.some((p) => p.endsWith('config.json')) && holders.some((p) => /process(-[0-9a-f]+)?\.json$/.test(p)), holders.join(' '));
  for (const p of holders) assert.equal(mode(p) & 0o077, 0, `${p} is mode ${mode(p).toString(8)}`);

  // The container's processes still read what is bind-mounted into it.
  assert.match(await ok(['exec', '--user', '1000', id, 'cat', '/etc/hosts']), /localhost/);
  await ok(['rm', '-f', id]);
});

/** Cgroup dirs named for container `id` in any hierarchy (runc's cgroupsPath is /berth/berth-ID). */
function cgroupDirsOf(id: string): string[] {
  const out: string[] = [];
  const root = '/sys/fs/cgroup';
  for (const h of readdirSync(root)) {
    for (const d of [join(root, h, 'berth', `berth-${id}`), join(root, h, `berth-${id}`)]) if (existsSync(d)) out.push(d);
  }
  return out;
}

test('an exited run leaves no runtime state and no cgroup behind; it runs again', async () => {
  const runtimeDir = join(b.runRoot, 'runtime');
  const rm = await ok(['run', '-d', ...NET, 'busybox', 'sh', '-c', 'exit 3']);
  const id = rm.trim();
  assert.equal((await b.docker(['wait', id])).stdout.trim(), '3');
  await ok(['rm', id]);
  const kept = (await ok(['run', '-d', ...NET, '--name', 'leaks-again', 'busybox', 'sh', '-c', 'echo ran; exit 4'])).trim();
  assert.equal((await b.docker(['wait', kept])).stdout.trim(), '4');
  for (const c of [id, kept]) {
    assert.ok(await waitFor(() => !existsSync(join(runtimeDir, c)) && cgroupDirsOf(c).length === 0), `state or cgroups of ${c} left: ${cgroupDirsOf(c).join(' ')}`);
  }
  // Started again: the runtime knows nothing of the first run, the second one runs and exits alike.
  const again = await b.docker(['start', '-a', 'leaks-again']);
  assert.equal(again.code, 4);
  assert.equal(again.stdout.trim(), 'ran');
  assert.ok(await waitFor(() => !existsSync(join(runtimeDir, kept)) && cgroupDirsOf(kept).length === 0));
  const known = new Set(readdirSync(runtimeDir));
  const auto = await b.docker(['run', '--rm', ...NET, 'busybox', 'sh', '-c', 'echo gone; exit 5']);
  assert.equal(auto.code, 5);
  assert.equal(auto.stdout.trim(), 'gone');
  assert.ok(await waitFor(() => readdirSync(runtimeDir).every((d) => known.has(d))), 'an --rm run left its runtime state');
  await ok(['rm', 'leaks-again']);
});
