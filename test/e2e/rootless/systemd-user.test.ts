// contrib/systemd/user/ as `systemctl --user` would run it, without a user manager (there is none
// here): the socket unit's ListenStream with %t as the user's XDG_RUNTIME_DIR, the service's
// ExecStart through an `npm install -g` style link to bin/berth.js (which finds the package's
// Node), both run as the user by systemd-socket-activate. The idle exit comes from the user's own
// ~/.config/containers/containers.conf; containers outlive it and the next activation sees them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BERTH_BIN, DOCKER, FIXTURES, REPO, unixRequest, waitFor } from '../../helpers/berth.js';
import { startRootlessBerth, type RootlessBerth } from '../support/rootless.js';

// No rootless network yet (rl-net): the one place to change.
const NET = ['--network', 'none'];
const UNITS = join(REPO, 'contrib', 'systemd', 'user');

/** `Key=value` lines of one unit section (later lines of a key after earlier ones). */
function unitSection(file: string, section: string): [string, string][] {
  const out: [string, string][] = [];
  let cur = '';
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const m = /^\[(.+)\]$/.exec(line);
    if (m) cur = m[1];
    else if (cur === section) {
      const i = line.indexOf('=');
      out.push([line.slice(0, i), line.slice(i + 1)]);
    }
  }
  return out;
}
const one = (kv: [string, string][], key: string) => kv.filter(([k]) => k === key).map(([, v]) => v);

let b: RootlessBerth;
let socketPath: string;
let argv: string[];
const activators: ChildProcess[] = [];

before(async () => {
  // The harness makes the user, its home and XDG_RUNTIME_DIR; its own service is stopped at once
  // (its pause process stays, as one left by an earlier service would).
  b = await startRootlessBerth();
  await b.stop();
});
after(async () => {
  for (const a of activators) if (a.exitCode === null && a.signalCode === null) a.kill('SIGTERM');
  // The namespace goes with everything in it (containers too).
  await b?.cleanup();
});

/** systemd-socket-activate as the user on the unit's socket, with what a user manager sets. */
async function activate(): Promise<ChildProcess> {
  rmSync(socketPath, { force: true });
  const env: Record<string, string> = {
    HOME: b.home,
    USER: b.user.name,
    LOGNAME: b.user.name,
    XDG_RUNTIME_DIR: b.xdg,
    // systemd's default PATH for the user manager: the package's Node is not on it.
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  };
  const a = spawn('systemd-socket-activate', ['-l', socketPath, ...Object.keys(env).flatMap((k) => ['-E', k]), ...argv], {
    env,
    uid: b.user.uid,
    gid: b.user.gid,
    cwd: b.home,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  a.stderr!.on('data', (c) => (err += c));
  activators.push(a);
  assert.ok(await waitFor(() => existsSync(socketPath) || a.exitCode !== null, 10_000), `systemd-socket-activate did not listen: ${err}`);
  (a as ChildProcess & { err: () => string }).err = () => err;
  return a;
}
const docker = (args: string[], timeoutMs = 60_000) => b.runAs(DOCKER, args, { env: { DOCKER_HOST: `unix://${socketPath}` }, timeoutMs });
const dockerOk = async (args: string[], timeoutMs = 60_000) => {
  const r = await docker(args, timeoutMs);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}\nservice: ${activators.map((a) => (a as ChildProcess & { err: () => string }).err()).join('\n')}`);
  return r.stdout;
};

test('the user units: %t socket, a service systemd --user can run (Type=exec, KillMode=process)', () => {
  const sock = unitSection(join(UNITS, 'berth.socket'), 'Socket');
  assert.deepEqual(one(sock, 'ListenStream'), ['%t/berth/berth.sock']);
  assert.deepEqual(one(unitSection(join(UNITS, 'berth.socket'), 'Install'), 'WantedBy'), ['sockets.target']);
  const svc = unitSection(join(UNITS, 'berth.service'), 'Service');
  assert.deepEqual(one(svc, 'Type'), ['exec']);
  // Containers, their conmon and the pause process stay when systemd stops the service.
  assert.deepEqual(one(svc, 'KillMode'), ['process']);
  assert.deepEqual(one(unitSection(join(UNITS, 'berth.service'), 'Unit'), 'Requires'), ['berth.socket']);
  assert.deepEqual(one(unitSection(join(UNITS, 'berth.service'), 'Install'), 'WantedBy'), ['default.target']);
  const [exec] = one(svc, 'ExecStart');
  assert.match(exec, /^\/usr\/local\/bin\/berth\b.* system service$/);

  // ExecStart as systemd expands it: $VAR from Environment= as separate words, %t the runtime dir.
  const vars = new Map<string, string>();
  for (const e of one(svc, 'Environment')) {
    // systemd takes "VAR=value" and VAR="value" alike (one assignment each here).
    const m = /^([A-Za-z_]\w*)=(.*)$/.exec(e.replace(/^"(.*)"$/, '$1'));
    if (m) vars.set(m[1], m[2].replace(/^"(.*)"$/, '$1'));
  }
  // `npm install -g --prefix /usr/local .` links /usr/local/bin/berth to the checkout's bin/berth.js.
  const link = join(b.dir, 'usr-local-bin-berth');
  symlinkSync(BERTH_BIN, link);
  argv = exec.split(/\s+/).flatMap((w) => (w.startsWith('$') ? (vars.get(w.slice(1)) ?? '').split(/\s+/).filter(Boolean) : [w]));
  argv[0] = link;
  socketPath = one(sock, 'ListenStream')[0].replace('%t', b.xdg);
  // systemd makes the socket's directory; the service's runroot is the same one.
  mkdirSync(join(b.xdg, 'berth'), { recursive: true, mode: 0o755 });
  chownSync(join(b.xdg, 'berth'), b.user.uid, b.user.gid);
});

test('socket activation as the user: answered, idle exit, containers survive, the next activation sees them', { skip: !existsSync('/usr/bin/systemd-socket-activate') && 'no systemd-socket-activate' }, async () => {
  assert.ok(argv, 'the units were read');
  // The user's containers.conf sets the idle timeout (nothing else does: CONTAINERS_CONF is unset).
  const conf = join(b.home, '.config', 'containers');
  mkdirSync(conf, { recursive: true });
  writeFileSync(join(conf, 'containers.conf'), '[engine]\nservice_timeout = 2\n');
  for (const d of [join(b.home, '.config'), conf, join(conf, 'containers.conf')]) chownSync(d, b.user.uid, b.user.gid);

  const first = await activate();
  const ino = statSync(socketPath).ino;
  assert.match(await dockerOk(['version', '--format', '{{.Server.Version}}']), /\d/);
  // berth served on the passed fd: the socket is still systemd's (not made again by berth).
  assert.equal(statSync(socketPath).ino, ino);
  const srvPid = first.pid!;
  assert.match(readFileSync(`/proc/${srvPid}/cmdline`, 'utf8'), /berth\.js\0.*system\0service/);
  assert.equal(readFileSync(`/proc/${srvPid}/status`, 'utf8').match(/^Uid:\s+(\d+)/m)?.[1], String(b.user.uid));

  await dockerOk(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
  const id = (await dockerOk(['run', '-d', ...NET, '--name', 'rlfeat-sd', 'busybox', 'sleep', '600'])).trim();
  const pid = Number((await dockerOk(['inspect', '-f', '{{.State.Pid}}', id])).trim());
  assert.ok(pid > 0);

  // Idle: the service exits by itself (2 s of the user's containers.conf); the container stays.
  const code = await new Promise<number | null>((r) => (first.exitCode !== null ? r(first.exitCode) : first.once('exit', (c) => r(c))));
  assert.equal(code, 0, (first as ChildProcess & { err: () => string }).err());
  assert.ok(existsSync(`/proc/${pid}`), 'the container outlived the service');

  // The next connection starts a new service, in the same pause process, and it finds the container.
  const pause = b.pausePid();
  const second = await activate();
  assert.match(await dockerOk(['ps', '--format', '{{.Names}} {{.Status}}']), /^rlfeat-sd Up/m);
  assert.equal((await dockerOk(['exec', 'rlfeat-sd', 'echo', 'same container'])).trim(), 'same container');
  assert.equal(b.pausePid(), pause);
  assert.equal((await unixRequest(socketPath, 'GET', '/_ping')).status, 200);
  await dockerOk(['rm', '-f', 'rlfeat-sd']);
  // Its idle exit too, so after() starts from nothing running.
  await new Promise((r) => (second.exitCode !== null ? r(null) : second.once('exit', r)));
});
