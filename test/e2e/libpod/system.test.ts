// The rest of libpod through podman-remote and the API: container init, mount/unmount/showmounted
// (podman-remote has no mount command: the API), checkpoint and restore without CRIU, system df,
// prune and reset, and events of several object types in podman's words, read by podman-remote.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, startBerth, FIXTURES, type Berth, removeAllContainers } from '../../helpers/berth.js';

let b: Berth;
const P = '/v5.4.2/libpod';
const NET = ['--network', 'none'];
const podman = (args: string[]) => run('podman', ['--remote', '--url', `unix://${b.socket}`, ...args], { timeoutMs: 60_000 });
const podmanOk = async (args: string[]) => {
  const r = await podman(args);
  assert.equal(r.code, 0, `podman ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const isMounted = (p: string) => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === p);

before(async () => {
  b = await startBerth();
  await b.dockerOk(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
});
after(async () => {
  await removeAllContainers(b);
  await b.cleanup();
});

test('podman-remote container init, then start; mount, showmounted and unmount through the API', async () => {
  const id = (await podmanOk(['create', ...NET, '--name', 'lp-init', 'busybox', 'sh', '-c', 'cat /from-host; sleep 60'])).trim();
  // A stopped container's root mounted for the user: written through, read by the container.
  const m = await b.request('POST', `${P}/containers/lp-init/mount`);
  assert.equal(m.status, 200, m.text);
  assert.equal(typeof m.json, 'string');
  assert.ok(isMounted(m.json), 'the root is mounted');
  writeFileSync(join(m.json, 'from-host'), 'written-through-mount\n');
  assert.deepEqual((await b.request('GET', `${P}/containers/showmounted`)).json, { [id]: m.json });
  assert.equal((await b.request('POST', `${P}/containers/lp-init/unmount`)).status, 204);
  assert.ok(!isMounted(m.json));
  assert.deepEqual((await b.request('GET', `${P}/containers/showmounted`)).json, {});
  assert.equal((await b.request('POST', `${P}/containers/nosuch/mount`)).status, 404);

  await podmanOk(['container', 'init', 'lp-init']);
  assert.equal(JSON.parse(await podmanOk(['inspect', 'lp-init']))[0].State.Status, 'initialized');
  // Init again: podman's 304, which podman-remote reports as an error.
  assert.equal((await b.request('POST', `${P}/containers/lp-init/init`)).status, 304);
  // The runtime holds an initialized container's root: it stays mounted.
  const busy = await b.request('POST', `${P}/containers/lp-init/unmount`);
  assert.equal(busy.status, 409);
  assert.match(busy.json.message, /initialized/);
  await podmanOk(['start', 'lp-init']);
  await podmanOk(['exec', 'lp-init', 'true']);
  assert.match(await podmanOk(['logs', 'lp-init']), /written-through-mount/);
  assert.ok(Object.keys((await b.request('GET', `${P}/containers/showmounted`)).json).includes(id));
  await podmanOk(['rm', '-f', 'lp-init']);
});

test('checkpoint and restore without CRIU: a 501 that names CRIU; an unknown container is a 404', async () => {
  await podmanOk(['run', '-d', ...NET, '--name', 'lp-cr', 'busybox', 'sleep', '60']);
  const cp = await podman(['container', 'checkpoint', 'lp-cr']);
  assert.notEqual(cp.code, 0);
  assert.match(cp.stderr, /CRIU/);
  const r = await b.request('POST', `${P}/containers/lp-cr/checkpoint`);
  assert.equal(r.status, 501);
  assert.match(r.json.message, /checkpoint is not available in this berth build: CRIU/);
  assert.equal(r.json.response, 501);
  const rs = await b.request('POST', `${P}/containers/lp-cr/restore`);
  assert.equal(rs.status, 501);
  assert.match(rs.json.message, /CRIU/);
  assert.equal((await b.request('POST', `${P}/containers/nosuch/checkpoint`)).status, 404);
  // The container runs on untouched.
  assert.equal(JSON.parse(await podmanOk(['inspect', 'lp-cr']))[0].State.Status, 'running');
  await podmanOk(['rm', '-f', 'lp-cr']);
});

test('podman-remote system df: images, containers and volumes with their sizes', async () => {
  await podmanOk(['volume', 'create', 'lp-dfv']);
  await podmanOk(['run', ...NET, '--name', 'lp-df', '-v', 'lp-dfv:/data', 'busybox', 'sh', '-c', 'head -c 100000 /dev/zero > /data/f; head -c 50000 /dev/zero > /rw']);
  const out = await podmanOk(['system', 'df']);
  assert.match(out, /^Images\s+1\s+1\s+/m);
  assert.match(out, /^Containers\s+1\s+0\s+/m);
  assert.match(out, /^Local Volumes\s+1\s+1\s+/m);
  const r = await b.request('GET', `${P}/system/df`);
  assert.equal(r.status, 200);
  const img = r.json.Images[0];
  assert.equal(img.Repository, 'docker.io/library/busybox');
  assert.equal(img.Tag, 'latest');
  assert.ok(img.Size > 1_000_000);
  assert.equal(img.Containers, 1);
  assert.ok(r.json.ImagesSize >= img.Size);
  const c = r.json.Containers.find((x: any) => x.Names === 'lp-df');
  assert.equal(c.LocalVolumes, 1);
  assert.ok(c.RWSize >= 50_000, `RWSize ${c.RWSize}`);
  assert.equal(c.Status, 'exited');
  const v = r.json.Volumes.find((x: any) => x.VolumeName === 'lp-dfv');
  assert.equal(v.Links, 1);
  assert.ok(v.Size >= 100_000);
  assert.equal(v.ReclaimableSize, 0);
  const verbose = await podmanOk(['system', 'df', '-v']);
  assert.match(verbose, /lp-dfv/);
  assert.match(verbose, /lp-df/);
});

test('podman-remote system prune: stopped containers, unused networks, then volumes and all images when asked', async () => {
  await podmanOk(['network', 'create', 'berth-libpod-prune']);
  await podmanOk(['run', '-d', ...NET, '--name', 'lp-keep', 'busybox', 'sleep', '60']);
  await podmanOk(['create', ...NET, '--name', 'lp-stopped', '--label', 'keep=no', 'busybox', 'true']);
  const r = await b.request('POST', `${P}/system/prune`);
  assert.equal(r.status, 200, r.text);
  assert.ok(r.json.ContainerPruneReports.length >= 2, 'lp-df and lp-stopped');
  assert.ok(r.json.NetworkPruneReports.some((n: any) => n.Name === 'berth-libpod-prune'));
  assert.deepEqual(r.json.VolumePruneReports, []);
  assert.deepEqual(r.json.ImagePruneReports, [], 'busybox is used by lp-keep');
  assert.ok((await podmanOk(['ps', '-a', '--format', '{{.Names}}'])).trim() === 'lp-keep');
  assert.match(await podmanOk(['volume', 'ls', '-q']), /lp-dfv/);
  const badFilter = await b.request('POST', `${P}/system/prune?filters=${encodeURIComponent('{"colour":["red"]}')}`);
  assert.equal(badFilter.status, 400);

  await podmanOk(['rm', '-f', 'lp-keep']);
  await podmanOk(['system', 'prune', '--all', '--volumes', '--force']);
  assert.equal((await podmanOk(['images', '-q'])).trim(), '');
  assert.equal((await podmanOk(['volume', 'ls', '-q'])).trim(), '');
  await b.dockerOk(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
});

test('system reset: everything removed, the service still answering', async () => {
  await podmanOk(['run', '-d', ...NET, '--name', 'lp-reset', '-v', 'lp-rv:/v', 'busybox', 'sleep', '60']);
  await podmanOk(['network', 'create', 'berth-libpod-reset']);
  await b.request('POST', `${P}/secrets/create?name=lp-rs`, 'x');
  const r = await b.request('POST', `${P}/system/reset`);
  assert.equal(r.status, 204, r.text);
  assert.equal((await podmanOk(['ps', '-aq'])).trim(), '');
  assert.equal((await podmanOk(['images', '-q'])).trim(), '');
  assert.equal((await podmanOk(['volume', 'ls', '-q'])).trim(), '');
  assert.deepEqual((await podmanOk(['network', 'ls', '--format', '{{.Name}}'])).trim().split('\n'), ['podman']);
  assert.deepEqual((await b.request('GET', `${P}/secrets/json`)).json, []);
  assert.ok(!existsSync(join(b.root, 'volumes', 'lp-rv')));
  assert.equal((await b.request('GET', '/_ping')).status, 200);
  // And works on: a new image and container.
  await b.dockerOk(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
  assert.equal((await podmanOk(['run', '--rm', ...NET, 'busybox', 'echo', 'after-reset'])).trim(), 'after-reset');
});

test('podman-remote events of containers, images, volumes and networks, in podman words', async () => {
  const since = String(Math.floor(Date.now() / 1000) - 1);
  await podmanOk(['volume', 'create', 'lp-evv']);
  await podmanOk(['network', 'create', 'berth-libpod-ev']);
  await podman(['run', ...NET, '--name', 'lp-ev', 'busybox', 'sh', '-c', 'exit 3']);
  await podmanOk(['rm', 'lp-ev']);
  // An update and an exec: podman-remote 4.3 knows `exec` but crashes on `update` (a later word).
  await podmanOk(['run', '-d', ...NET, '--name', 'lp-ev2', 'busybox', 'sleep', '60']);
  await podmanOk(['update', '--memory', '64m', 'lp-ev2']);
  await podmanOk(['exec', 'lp-ev2', 'true']);
  await podmanOk(['rm', '-f', 'lp-ev2']);
  await podmanOk(['tag', 'busybox', 'lp-ev-tag']);
  await podmanOk(['untag', 'lp-ev-tag']);
  await podmanOk(['volume', 'rm', 'lp-evv']);
  await podmanOk(['network', 'rm', 'berth-libpod-ev']);
  const until = String(Math.floor(Date.now() / 1000) + 1);
  const out = await podmanOk(['events', '--since', since, '--until', until, '--format', '{{.Type}} {{.Status}} {{.Name}} {{.ContainerExitCode}}']);
  const lines = out.trim().split('\n');
  assert.ok(!lines.some((l) => / update /.test(` ${l} `)), 'no update event for a 4.3 client');
  assert.ok(lines.some((l) => l.startsWith('container exec lp-ev2')), out);
  const v5 = (await b.request('GET', `/v5.4.2/libpod/events?stream=false&since=${since}&until=${until}`)).text;
  assert.match(v5, /"Action":"update"/);
  for (const want of ['volume create lp-evv', 'network create berth-libpod-ev', 'container create lp-ev', 'container start lp-ev', 'container died lp-ev 3', 'container remove lp-ev', 'image tag', 'image untag', 'volume remove lp-evv', 'network remove berth-libpod-ev']) {
    assert.ok(lines.some((l) => l.startsWith(want)), `${want} in:\n${out}`);
  }
  // Filters take podman's words.
  const died = (await podmanOk(['events', '--since', since, '--until', until, '--filter', 'event=died', '--format', '{{.Status}} {{.Name}}'])).trim().split('\n');
  assert.ok(died.includes('died lp-ev'), died.join('\n'));
  assert.ok(died.every((l) => l.startsWith('died ')));
  // The compat layer keeps docker's words.
  const docker = await b.dockerOk(['events', '--since', since, '--until', until, '--filter', 'container=lp-ev', '--format', '{{.Action}}']);
  assert.match(docker, /^die$/m);
  assert.match(docker, /^destroy$/m);
});

test('podman-remote generate systemd: a unit whose ExecStart and ExecStop drive the container through berth', async () => {
  await b.dockerOk(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
  await podmanOk(['create', ...NET, '--name', 'lp-unit', 'busybox', 'sleep', '600']);
  const unit = await podmanOk(['generate', 'systemd', '--name', '--restart-policy', 'always', '--stop-timeout', '3', '--env', 'A=b', 'lp-unit']);
  assert.match(unit, /^# container-lp-unit\.service$/m);
  assert.match(unit, /^Restart=always$/m);
  assert.match(unit, /^Environment=A=b$/m);
  assert.match(unit, /^Type=forking$/m);
  const exec = (k: string) => unit.match(new RegExp(`^${k}=(.*)$`, 'm'))![1];
  assert.ok(exec('ExecStart').includes(`unix://${b.socket}`));
  // What systemd would run: the start, then the main PID from the pid file, then the stop.
  const start = await run('sh', ['-c', exec('ExecStart')]);
  assert.equal(start.code, 0, start.stderr);
  const c = JSON.parse(await podmanOk(['inspect', 'lp-unit']))[0];
  assert.equal(c.State.Status, 'running');
  assert.equal(Number(readFileSync(exec('PIDFile'), 'utf8')), c.State.ConmonPid);
  const stop = await run('sh', ['-c', exec('ExecStop')]);
  assert.equal(stop.code, 0, stop.stderr);
  assert.equal(JSON.parse(await podmanOk(['inspect', 'lp-unit']))[0].State.Status, 'exited');
  // The API's own answer: unit name → text; new=true cannot be made without the creating command.
  const r = await b.request('GET', `${P}/generate/lp-unit/systemd?useName=true&noHeader=true`);
  assert.deepEqual(Object.keys(r.json), ['container-lp-unit']);
  assert.match(r.json['container-lp-unit'], /^\[Unit\]/);
  const n = await b.request('GET', `${P}/generate/lp-unit/systemd?new=true`);
  assert.equal(n.status, 400);
  assert.match(n.json.message, /new=true/);
  assert.equal((await b.request('GET', `${P}/generate/lp-unit/systemd?restartPolicy=sometimes`)).status, 400);
  assert.equal((await b.request('GET', `${P}/generate/nosuch/systemd`)).status, 404);
  await podmanOk(['rm', '-f', 'lp-unit']);
});

test('podman-remote image diff: the top layer against the layers below it (asked on the containers path, as podman serves it)', async () => {
  await podmanOk(['run', ...NET, '--name', 'lp-diff', 'busybox', 'sh', '-c', 'mkdir /newdir; echo x > /newdir/f; rm /bin/ls; echo y >> /etc/passwd']);
  await podmanOk(['commit', 'lp-diff', 'lp-diff-img']);
  const want = ['C /bin', 'D /bin/ls', 'C /etc', 'C /etc/passwd', 'A /newdir', 'A /newdir/f'];
  assert.deepEqual((await podmanOk(['image', 'diff', 'lp-diff-img'])).trim().split('\n'), want);
  assert.deepEqual((await podmanOk(['diff', 'lp-diff'])).trim().split('\n'), want);
  const r = await b.request('GET', `${P}/images/lp-diff-img/changes`);
  assert.deepEqual(r.json.map((c: any) => `${['C', 'A', 'D'][c.Kind]} ${c.Path}`), want);
  assert.equal((await b.request('GET', `${P}/images/lp-diff-img/changes?parent=busybox`)).status, 400);
  assert.equal((await b.request('GET', `${P}/containers/lp-diff-img/changes?diffType=container`)).status, 404);
  assert.equal((await b.request('GET', `${P}/images/nosuch/changes`)).status, 404);
  await podmanOk(['rm', 'lp-diff']);
  await podmanOk(['rmi', 'lp-diff-img']);
});
