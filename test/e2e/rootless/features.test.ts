// Rootless berth as rootful, with the clients run as the unprivileged user: named volumes (their
// owners inside and outside, surviving container removal and a service restart, options a user
// namespace cannot mount refused), docker build (RUN, COPY --chown, USER, the cache), secrets,
// healthchecks and exits handled while no service runs, containers outliving the service, and
// docker-compose (build, volume, up, down -v).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chownSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, waitFor } from '../../helpers/berth.js';
import { startRootlessBerth, type RootlessBerth } from '../support/rootless.js';

// Containers here run on the rootless default network (pasta), as users' do; the network
// itself is tested in networks.test.ts.
const NET: string[] = [];

let b: RootlessBerth;
const ok = (args: string[], opts?: { input?: string | Buffer; timeoutMs?: number }) => b.dockerOk(args, opts);
// podman reads DOCKER_CONFIG's file when the variable is set (the harness sets it for docker).
const podman = (args: string[]) => b.runAs('podman', ['--remote', '--url', `unix://${b.socket}`, ...args], { timeoutMs: 60_000, env: { DOCKER_CONFIG: undefined } });
/** A host id as the user's namespace maps it: 0 is the user, n > 0 the user's subordinate n-1. */
const hostUid = (inside: number) => (inside === 0 ? b.user.uid : b.user.sub!.start + inside - 1);
const hostGid = (inside: number) => (inside === 0 ? b.user.gid : b.user.sub!.start + inside - 1);

before(async () => {
  b = await startRootlessBerth();
  await ok(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
});
after(async () => {
  await b?.cleanup();
});

test('a named volume: docker volume ls/inspect/rm as the user, owned inside by the container, outside by the user', async () => {
  assert.equal((await ok(['volume', 'create', '--label', 'area=rlfeat', 'rlfeat-vol'])).trim(), 'rlfeat-vol');
  const [v] = JSON.parse(await ok(['volume', 'inspect', 'rlfeat-vol']));
  assert.equal(v.Mountpoint, join(b.root, 'volumes', 'rlfeat-vol', '_data'));
  assert.deepEqual(v.Labels, { area: 'rlfeat' });
  assert.deepEqual((await ok(['volume', 'ls', '-q', '--filter', 'label=area=rlfeat'])).split('\n').filter(Boolean), ['rlfeat-vol']);

  await ok(['run', '--rm', ...NET, '-v', 'rlfeat-vol:/data', 'busybox', 'sh', '-c', 'echo kept > /data/f && mkdir /data/app && chown 1000:1000 /data/app && echo app > /data/app/g && chown 1000:1000 /data/app/g']);
  // Inside, the container's root and uid 1000; outside, the user and its subordinate id.
  const inside = await ok(['run', '--rm', ...NET, '-v', 'rlfeat-vol:/data', 'busybox', 'ls', '-ln', '/data']);
  assert.match(inside, /^d\S+\s+\d+\s+1000\s+1000\s.*app$/m);
  assert.match(inside, /^-\S+\s+\d+\s+0\s+0\s.*f$/m);
  const data = v.Mountpoint as string;
  assert.equal(statSync(join(data, 'f')).uid, b.user.uid);
  assert.equal(statSync(join(data, 'f')).gid, b.user.gid);
  assert.equal(statSync(join(data, 'app')).uid, hostUid(1000));
  assert.equal(statSync(join(data, 'app', 'g')).gid, hostGid(1000));
  assert.equal(statSync(data).uid, b.user.uid);

  // A volume seeded from an image directory takes its owner (copy-up): 1000 inside.
  await ok(['run', ...NET, '--name', 'rlfeat-seed', 'busybox', 'sh', '-c', 'mkdir -p /seed && echo s > /seed/s && chown -R 1000:1000 /seed']);
  await ok(['commit', '--change', 'VOLUME /seed', 'rlfeat-seed', 'rlfeat-seedimg']);
  await ok(['rm', 'rlfeat-seed']);
  await ok(['run', '--rm', ...NET, '-v', 'rlfeat-seeded:/seed', 'rlfeat-seedimg', 'true']);
  const seeded = join(b.root, 'volumes', 'rlfeat-seeded', '_data');
  assert.equal(statSync(seeded).uid, hostUid(1000));
  assert.equal(readFileSync(join(seeded, 's'), 'utf8'), 's\n');

  // It survives the service: stopped and started again, the volume and its data are there.
  await b.stop();
  await b.restart();
  assert.ok((await ok(['volume', 'ls', '-q'])).split('\n').includes('rlfeat-vol'));
  assert.equal((await ok(['run', '--rm', ...NET, '-v', 'rlfeat-vol:/data', 'busybox', 'cat', '/data/f', '/data/app/g'])).trim(), 'kept\napp');

  await ok(['volume', 'rm', 'rlfeat-vol', 'rlfeat-seeded']);
  assert.ok(!existsSync(join(b.root, 'volumes', 'rlfeat-vol')));
  const gone = await b.docker(['volume', 'inspect', 'rlfeat-vol']);
  assert.notEqual(gone.code, 0);
  assert.match(gone.stderr, /no such volume/i);
});

test('volume options: tmpfs and binds mount in the user namespace; what needs root is a clear 400 at create', async () => {
  await ok(['volume', 'create', '-o', 'type=tmpfs', '-o', 'device=tmpfs', '-o', 'o=size=2m,uid=1000', 'rlfeat-tmpfs']);
  const out = await ok(['run', '--rm', ...NET, '-v', 'rlfeat-tmpfs:/t', 'busybox', 'sh', '-c', 'grep " /t " /proc/mounts; stat -c "%u" /t']);
  assert.match(out, /^tmpfs \/t tmpfs .*size=2048k/m);
  assert.match(out, /^1000$/m);

  // podman's owner options for a plain volume directory: 1000 inside, the subordinate id outside.
  await ok(['volume', 'create', '-o', 'o=uid=1000,gid=1000', 'rlfeat-owned']);
  assert.equal(statSync(join(b.root, 'volumes', 'rlfeat-owned', '_data')).uid, hostUid(1000));
  assert.match(await ok(['run', '--rm', ...NET, '-v', 'rlfeat-owned:/o', 'busybox', 'stat', '-c', '%u:%g', '/o']), /^1000:1000$/m);

  const host = join(b.home, 'rlfeat-bindsrc');
  mkdirSync(host);
  writeFileSync(join(host, 'h'), 'from the host\n');
  chownSync(host, b.user.uid, b.user.gid);
  await ok(['volume', 'create', '-o', 'type=none', '-o', `device=${host}`, '-o', 'o=bind', 'rlfeat-bind']);
  assert.equal((await ok(['run', '--rm', ...NET, '-v', 'rlfeat-bind:/b', 'busybox', 'cat', '/b/h'])).trim(), 'from the host');

  const dev = await b.docker(['volume', 'create', '-o', 'type=ext4', '-o', 'device=/dev/rlfeat-nodev', 'rlfeat-ext4']);
  assert.notEqual(dev.code, 0);
  assert.match(dev.stderr, /rootless berth cannot mount a "ext4" filesystem \(that needs root\); rootless volumes take type=tmpfs or o=bind/);
  const unmapped = await b.docker(['volume', 'create', '-o', 'type=tmpfs', '-o', 'device=tmpfs', '-o', 'o=uid=70000', 'rlfeat-unmapped']);
  assert.notEqual(unmapped.code, 0);
  assert.match(unmapped.stderr, /uid 70000 is not mapped in berth's user namespace \(it maps 0-65536/);
  // The same for a container's own tmpfs: a 400 at create, not the runtime's EINVAL at start.
  const tmpfs = await b.docker(['create', ...NET, '--tmpfs', '/x:size=1m,uid=70000', 'busybox', 'true']);
  assert.notEqual(tmpfs.code, 0);
  assert.match(tmpfs.stderr, /invalid tmpfs option uid=70000 for \/x: uid 70000 is not mapped/);
  assert.match(await ok(['run', '--rm', ...NET, '--tmpfs', '/x:size=1m,uid=1000', 'busybox', 'stat', '-c', '%u', '/x']), /^1000$/m);
  // The API says 400, not 500.
  const r = await b.request('POST', '/v1.41/volumes/create', { Name: 'rlfeat-nfs', DriverOpts: { type: 'nfs', device: ':/export', o: 'addr=127.0.0.1' } });
  assert.equal(r.status, 400);
  assert.ok(!(await ok(['volume', 'ls', '-q'])).split('\n').some((n) => n === 'rlfeat-ext4' || n === 'rlfeat-unmapped' || n === 'rlfeat-nfs'));
  await ok(['volume', 'rm', 'rlfeat-tmpfs', 'rlfeat-bind', 'rlfeat-owned']);
});

test('docker build as the user: RUN, COPY --chown, USER; the image runs and a second build comes from the cache', async () => {
  const ctx = join(b.home, 'rlfeat-ctx');
  mkdirSync(ctx);
  writeFileSync(join(ctx, 'Dockerfile'), [
    'FROM busybox',
    'RUN echo "rlapp:x:1500:1500::/home/rlapp:/bin/sh" >> /etc/passwd && echo "rlapp:x:1500:" >> /etc/group && mkdir /srv && echo by-run > /srv/run.txt',
    'COPY --chown=rlapp:rlapp hello.txt /srv/hello.txt',
    'COPY plain.txt /srv/plain.txt',
    'USER rlapp',
    'RUN id -u > /tmp/built-as && cat /srv/hello.txt',
    'CMD ["sh", "-c", "id -u; stat -c \\"%n %u:%g\\" /srv/run.txt /srv/hello.txt /srv/plain.txt; cat /tmp/built-as"]',
    '',
  ].join('\n'));
  writeFileSync(join(ctx, 'hello.txt'), 'hello\n');
  writeFileSync(join(ctx, 'plain.txt'), 'plain\n');
  for (const f of ['', 'Dockerfile', 'hello.txt', 'plain.txt']) chownSync(join(ctx, f), b.user.uid, b.user.gid);

  const first = await ok(['build', ...NET, '-t', 'rlfeat-built', ctx], { timeoutMs: 120_000 });
  assert.match(first, /Successfully tagged rlfeat-built:latest/);
  assert.match(first, /^hello$/m, 'the RUN as USER printed the --chown file');
  const out = (await ok(['run', '--rm', ...NET, 'rlfeat-built'])).trim().split('\n');
  assert.deepEqual(out, ['1500', '/srv/run.txt 0:0', '/srv/hello.txt 1500:1500', '/srv/plain.txt 0:0', '1500']);

  const again = await ok(['build', ...NET, '-t', 'rlfeat-built', ctx], { timeoutMs: 120_000 });
  assert.equal(again.match(/Using cache/g)?.length, 6, again);
  assert.equal(JSON.parse(await ok(['image', 'inspect', 'rlfeat-built']))[0].Config.User, 'rlapp');
});

test('a secret mounted into a container, owned and moded as asked', async () => {
  const src = join(b.home, 'rlfeat-secret.txt');
  writeFileSync(src, 'rl-s3cret');
  chownSync(src, b.user.uid, b.user.gid);
  let r = await podman(['secret', 'create', 'rlfeat-sec', src]);
  assert.equal(r.code, 0, r.stderr);
  r = await podman(['run', '--rm', ...NET, '--secret', 'rlfeat-sec,uid=1000,gid=1000,mode=0440', 'busybox', 'sh', '-c', 'stat -c "%u:%g %a" /run/secrets/rlfeat-sec; cat /run/secrets/rlfeat-sec']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), ['1000:1000 440', 'rl-s3cret']);
  // An owner the namespace does not have is the caller's mistake, said as such.
  r = await podman(['create', ...NET, '--secret', 'rlfeat-sec,uid=70000', 'busybox', 'true']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /secret rlfeat-sec: uid 70000 is not mapped in berth's user namespace/);
  assert.equal((await podman(['secret', 'rm', 'rlfeat-sec'])).code, 0);
});

test('containers outlive the service; healthchecks tick and exits are handled while none runs', async () => {
  await ok(['volume', 'create', 'rlfeat-ticks']);
  const ticks = join(b.root, 'volumes', 'rlfeat-ticks', '_data', 'ticks');
  const count = () => (existsSync(ticks) ? readFileSync(ticks, 'utf8').split('\n').filter(Boolean).length : 0);
  await ok(['run', '-d', ...NET, '--name', 'rlfeat-hc', '-v', 'rlfeat-ticks:/v', '--health-cmd', 'date +%s >> /v/ticks', '--health-interval', '1s', 'busybox', 'sleep', '600']);
  assert.ok(await waitFor(async () => (await ok(['inspect', '-f', '{{.State.Health.Status}}', 'rlfeat-hc'])).trim() === 'healthy', 20_000), 'turns healthy');
  await ok(['run', '-d', ...NET, '--name', 'rlfeat-exits', 'busybox', 'sh', '-c', 'sleep 2; exit 3']);
  await ok(['run', '-d', '--rm', ...NET, '--name', 'rlfeat-rm', 'busybox', 'sleep', '2']);

  await b.stop();
  const atStop = count();
  // No service: the schedule's loop and conmon's exit command run in the namespace by themselves.
  assert.ok(await waitFor(() => count() >= atStop + 3, 15_000), `healthchecks went on without a service (${atStop} -> ${count()})`);
  // Both short containers have ended (2 s) and conmon ran their exit commands.
  await new Promise((r) => setTimeout(r, 3000));
  await b.restart();

  assert.match(await ok(['inspect', '-f', '{{.State.Status}} {{.State.Health.Status}}', 'rlfeat-hc']), /^running healthy/);
  assert.equal((await ok(['exec', 'rlfeat-hc', 'echo', 'still here'])).trim(), 'still here');
  const ex = JSON.parse(await ok(['inspect', 'rlfeat-exits']))[0];
  assert.equal(ex.State.Status, 'exited');
  assert.equal(ex.State.ExitCode, 3);
  // Its exit was recorded when it happened, not when the service came back.
  assert.ok(Date.parse(ex.State.FinishedAt) < Date.now() - 1500, ex.State.FinishedAt);
  assert.equal((await b.docker(['inspect', 'rlfeat-rm'])).code, 1, '--rm removed it without a service');
  await ok(['rm', '-f', 'rlfeat-hc', 'rlfeat-exits']);
  await ok(['volume', 'rm', 'rlfeat-ticks']);
});

test('docker-compose as the user: build, a named volume, up and down -v', async () => {
  const dir = join(b.home, 'rlfeat-compose');
  mkdirSync(dir);
  // On the project's own network: a user network in the rootless network namespace.
  writeFileSync(join(dir, 'docker-compose.yml'), [
    'services:',
    '  web:',
    '    build: .',
    '    volumes:',
    '      - data:/data',
    '    command: ["sh", "-c", "echo composed > /data/c; id -u; cat /srv/hello.txt"]',
    'volumes:',
    '  data:',
    '',
  ].join('\n'));
  writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox\nCOPY hello.txt /srv/hello.txt\n');
  writeFileSync(join(dir, 'hello.txt'), 'hello from compose\n');
  for (const f of ['', 'docker-compose.yml', 'Dockerfile', 'hello.txt']) chownSync(join(dir, f), b.user.uid, b.user.gid);
  const compose = (args: string[]) => b.runAs('docker-compose', ['--project-directory', dir, '-f', join(dir, 'docker-compose.yml'), '-p', 'rlfeatc', ...args], { timeoutMs: 120_000 });
  const up = await compose(['up', '--abort-on-container-exit']);
  assert.equal(up.code, 0, up.stderr);
  // (compose colours its log prefixes whatever it is told)
  const logs = up.stdout.replace(/\x1b\[[0-9;]*m/g, '');
  assert.match(logs, /web_1\s+\|\s+0$/m);
  assert.match(logs, /web_1\s+\|\s+hello from compose$/m);
  assert.equal(readFileSync(join(b.root, 'volumes', 'rlfeatc_data', '_data', 'c'), 'utf8'), 'composed\n');
  const down = await compose(['down', '-v']);
  assert.equal(down.code, 0, down.stderr);
  assert.ok(!existsSync(join(b.root, 'volumes', 'rlfeatc_data')));
});
