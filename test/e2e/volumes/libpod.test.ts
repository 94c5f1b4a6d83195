// Volumes through podman-remote and the libpod API: volume create/ls/inspect/rm/prune, podman's
// shapes, SpecGenerator volumes/mounts/image_volume_mode/volumes_from, rm -v and force, export
// and import as tar; and volumes surviving a service restart and kill -9.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, startBerth, FIXTURES, type Berth, removeAllContainers } from '../../helpers/berth.js';

let b: Berth;
const P = '/v5.4.2/libpod';
const NET = ['--network', 'none'];
const ok = (args: string[]) => b.dockerOk(args);
const podman = (args: string[]) => run('podman', ['--remote', '--url', `unix://${b.socket}`, ...args], { timeoutMs: 30_000 });
const podmanOk = async (args: string[]) => {
  const r = await podman(args);
  assert.equal(r.code, 0, `podman ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const volDir = (name: string) => join(b.root, 'volumes', name, '_data');

/** Creates a container from a SpecGenerator and answers its ID. */
async function specgen(body: Record<string, unknown>): Promise<string> {
  const r = await b.request('POST', `${P}/containers/create`, { image: 'busybox', netns: { nsmode: 'none' }, ...body });
  assert.equal(r.status, 201, r.text);
  return r.json.Id;
}

async function runToEnd(id: string): Promise<void> {
  assert.equal((await b.request('POST', `${P}/containers/${id}/start`)).status, 204);
  const w = await b.request('POST', `${P}/containers/${id}/wait?condition=exited`);
  assert.equal(w.json, 0, w.text);
}

before(async () => {
  b = await startBerth();
  await ok(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
  await ok(['run', ...NET, '--name', 'seedsrc', 'busybox', 'sh', '-c', 'mkdir -p /data && echo seeded > /data/s']);
  await ok(['commit', '--change', 'VOLUME /data', 'seedsrc', 'volimg']);
  await ok(['rm', 'seedsrc']);
});
after(async () => {
  await removeAllContainers(b);
  await b.cleanup();
});

test('podman-remote volume create, ls, inspect, rm, prune', async () => {
  assert.equal((await podmanOk(['volume', 'create', '--label', 'app=web', 'pv1'])).trim(), 'pv1');
  await podmanOk(['volume', 'create', '--opt', 'type=tmpfs', '--opt', 'device=tmpfs', '--opt', 'o=size=2m', 'pv2']);
  // podman refuses a second create of a name.
  const again = await podman(['volume', 'create', 'pv1']);
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /already exists/);

  const ls = await podmanOk(['volume', 'ls', '--format', '{{.Driver}} {{.Name}}']);
  assert.deepEqual(ls.trim().split('\n').sort(), ['local pv1', 'local pv2']);
  assert.equal((await podmanOk(['volume', 'ls', '-q', '--filter', 'label=app=web'])).trim(), 'pv1');

  const [v] = JSON.parse(await podmanOk(['volume', 'inspect', 'pv1']));
  assert.equal(v.Name, 'pv1');
  assert.equal(v.Driver, 'local');
  assert.equal(v.Mountpoint, volDir('pv1'));
  assert.deepEqual(v.Labels, { app: 'web' });
  assert.deepEqual(v.Options, {});
  assert.equal(v.Scope, 'local');
  assert.equal(v.MountCount, 0);
  const [t] = JSON.parse(await podmanOk(['volume', 'inspect', 'pv2']));
  assert.deepEqual(t.Options, { type: 'tmpfs', device: 'tmpfs', o: 'size=2m' });

  await podmanOk(['volume', 'rm', 'pv2']);
  const missing = await podman(['volume', 'inspect', 'pv2']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /no such volume/);

  await podmanOk(['volume', 'create', 'pv3']);
  const pruned = await podmanOk(['volume', 'prune', '-f', '--filter', 'label!=app=web']);
  assert.equal(pruned.trim(), 'pv3');
  assert.equal((await podmanOk(['volume', 'ls', '-q'])).trim(), 'pv1');
  await podmanOk(['volume', 'rm', 'pv1']);
});

test('libpod shapes: create (409 unless IgnoreIfExists), json with filters, exists, UID/GID from o=uid=,gid=', async () => {
  let r = await b.request('POST', `${P}/volumes/create`, { Name: 'shaped', Labels: { a: 'b' }, Options: { o: 'uid=1000,gid=1001' } });
  assert.equal(r.status, 201, r.text);
  for (const k of ['Name', 'Driver', 'Mountpoint', 'CreatedAt', 'Labels', 'Scope', 'Options', 'UID', 'GID', 'MountCount']) assert.ok(k in r.json, k);
  assert.equal(r.json.UID, 1000);
  assert.equal(r.json.GID, 1001);
  assert.equal(readFileSync('/proc/self/mountinfo', 'utf8').includes(volDir('shaped')), false);
  const { uid, gid } = await import('node:fs').then((fs) => fs.statSync(volDir('shaped')));
  assert.deepEqual([uid, gid], [1000, 1001]);
  r = await b.request('POST', `${P}/volumes/create`, { Name: 'shaped' });
  assert.equal(r.status, 409);
  assert.equal(r.json.response, 409);
  r = await b.request('POST', `${P}/volumes/create`, { Name: 'shaped', IgnoreIfExists: true });
  assert.equal(r.status, 201);
  assert.equal((await b.request('GET', `${P}/volumes/shaped/exists`)).status, 204);
  assert.equal((await b.request('GET', `${P}/volumes/nope/exists`)).status, 404);
  r = await b.request('GET', `${P}/volumes/json?filters=${encodeURIComponent('{"opt":["o=uid=1000,gid=1001"]}')}`);
  assert.deepEqual(r.json.map((v: { Name: string }) => v.Name), ['shaped']);
  r = await b.request('GET', `${P}/volumes/json?filters=${encodeURIComponent('{"until":["1h"]}')}`);
  assert.deepEqual(r.json, []);
  r = await b.request('POST', `${P}/volumes/create`, { Name: 'bad/name' });
  assert.equal(r.status, 400);
  assert.match(r.json.message, /invalid characters/);
  assert.equal((await b.request('DELETE', `${P}/volumes/shaped`)).status, 204);
  assert.equal((await b.request('DELETE', `${P}/volumes/shaped`)).status, 404);
});

test('SpecGenerator volumes (named and anonymous), mounts type volume, image volumes as anonymous, tmpfs or ignored', async () => {
  const id = await specgen({
    command: ['sh', '-c', 'echo n > /named/f; ls /data; grep -c " /data " /proc/mounts'],
    volumes: [{ Name: 'sgvol', Dest: '/named', Options: [] }, { Name: '', Dest: '/anon', Options: ['rw'] }],
    image: 'volimg',
  });
  await runToEnd(id);
  assert.equal(readFileSync(join(volDir('sgvol'), 'f'), 'utf8'), 'n\n');
  const info = (await b.request('GET', `${P}/containers/${id}/json`)).json;
  const m = Object.fromEntries(info.Mounts.map((x: { Destination: string }) => [x.Destination, x]));
  assert.equal(m['/named'].Type, 'volume');
  assert.equal(m['/named'].Name, 'sgvol');
  assert.equal(m['/named'].Driver, 'local');
  assert.match(m['/anon'].Name, /^[0-9a-f]{64}$/);
  // image_volume_mode defaults to anonymous: the image's /data is a seeded anonymous volume.
  assert.match(m['/data'].Name, /^[0-9a-f]{64}$/);
  assert.equal(readFileSync(join(volDir(m['/data'].Name), 's'), 'utf8'), 'seeded\n');

  const tmp = await specgen({ image: 'volimg', image_volume_mode: 'tmpfs', command: ['sh', '-c', 'grep " /data " /proc/mounts'] });
  const tinfo = (await b.request('GET', `${P}/containers/${tmp}/json`)).json;
  assert.equal(tinfo.Mounts.length, 0);
  await runToEnd(tmp);
  const logs = await b.request('GET', `${P}/containers/${tmp}/logs?stdout=true`);
  assert.match(logs.text, /tmpfs \/data tmpfs/);
  const ign = await specgen({ image: 'volimg', image_volume_mode: 'ignore', command: ['cat', '/data/s'] });
  assert.deepEqual((await b.request('GET', `${P}/containers/${ign}/json`)).json.Mounts, []);
  const mv = await specgen({ mounts: [{ type: 'volume', source: 'sgvol', destination: '/m', options: ['ro'] }], command: ['cat', '/m/f'] });
  const mm = (await b.request('GET', `${P}/containers/${mv}/json`)).json.Mounts[0];
  assert.deepEqual([mm.Type, mm.Name, mm.RW], ['volume', 'sgvol', false]);

  let r = await b.request('POST', `${P}/containers/create`, { image: 'busybox', image_volume_mode: 'sideways' });
  assert.equal(r.status, 400);
  assert.match(r.json.message, /image_volume_mode/);
  r = await b.request('POST', `${P}/containers/create`, { image: 'busybox', volumes: [{ Name: 'x', Dest: '/x', Options: ['U'] }] });
  assert.equal(r.status, 400);
  assert.match(r.json.message, /"volumes"/);
  r = await b.request('POST', `${P}/containers/create`, { image: 'busybox', volumes: [{ Name: 'x', Dest: 'rel' }] });
  assert.equal(r.status, 400);
  for (const c of [id, tmp, ign, mv]) await b.request('DELETE', `${P}/containers/${c}?force=true&v=true`);
  // rm -v took the anonymous volumes; the named one stays.
  const names = (await b.request('GET', `${P}/volumes/json`)).json.map((v: { Name: string }) => v.Name);
  assert.deepEqual(names, ['sgvol']);
});

test('SpecGenerator volumes_from; libpod rm of a volume in use is 409, with force it takes the containers along', async () => {
  const src = await specgen({ volumes: [{ Name: 'shared', Dest: '/s' }], command: ['sh', '-c', 'echo from-src > /s/f'] });
  await runToEnd(src);
  const user = await specgen({ volumes_from: [`${src}:ro`], command: ['sh', '-c', 'cat /s/f; touch /s/x'] });
  const um = (await b.request('GET', `${P}/containers/${user}/json`)).json.Mounts;
  assert.deepEqual(um.map((m: { Name: string; RW: boolean }) => [m.Name, m.RW]), [['shared', false]]);
  assert.equal((await b.request('POST', `${P}/containers/${user}/start`)).status, 204);
  assert.equal((await b.request('POST', `${P}/containers/${user}/wait?condition=exited`)).json, 1);
  const logs = await b.request('GET', `${P}/containers/${user}/logs?stdout=true&stderr=true`);
  assert.match(logs.text, /from-src/);
  assert.match(logs.text, /Read-only file system/);

  let r = await b.request('DELETE', `${P}/volumes/shared`);
  assert.equal(r.status, 409);
  assert.match(r.json.message, /in use/);
  const pv = await podman(['volume', 'rm', 'shared']);
  assert.notEqual(pv.code, 0);
  r = await b.request('DELETE', `${P}/volumes/shared?force=true`);
  assert.equal(r.status, 204, r.text);
  for (const c of [src, user]) assert.equal((await b.request('GET', `${P}/containers/${c}/exists`)).status, 404);
  assert.ok(!existsSync(join(b.root, 'volumes', 'shared')));
});

test('libpod volume export and import as tar', async () => {
  await b.request('POST', `${P}/volumes/create`, { Name: 'exp' });
  writeFileSync(join(volDir('exp'), 'hello'), 'exported\n');
  writeFileSync(join(volDir('exp'), 'bin'), Buffer.from([0, 0xff, 0x80, 0x7f]));
  const tarPath = join(b.dir, 'exp.tar');
  const curl = (args: string[]) => run('curl', ['-sS', '--unix-socket', b.socket, '-w', '%{http_code} %{content_type}', ...args]);
  let r = await curl(['-o', tarPath, `http://d${P}/volumes/exp/export`]);
  assert.equal(r.stdout, '200 application/x-tar', r.stderr);
  const listing = (await run('tar', ['-tvf', tarPath])).stdout;
  assert.match(listing, /\.\/hello/);
  await b.request('POST', `${P}/volumes/create`, { Name: 'imp' });
  r = await curl(['-o', '/dev/null', '-X', 'POST', '-H', 'Content-Type: application/x-tar', '--data-binary', `@${tarPath}`, `http://d${P}/volumes/imp/import`]);
  assert.match(r.stdout, /^204/, r.stderr);
  assert.deepEqual([...readFileSync(join(volDir('imp'), 'bin'))], [0, 0xff, 0x80, 0x7f]);
  assert.equal(readFileSync(join(volDir('imp'), 'hello'), 'utf8'), 'exported\n');
  assert.equal((await b.request('GET', `${P}/volumes/nope/export`)).status, 404);
  for (const n of ['exp', 'imp']) await b.request('DELETE', `${P}/volumes/${n}`);
});

test('SpecGenerator image_volumes: an image\'s files at a path, read-only unless ReadWrite; the image cannot be removed meanwhile', async () => {
  const ro = await specgen({ image_volumes: [{ Destination: '/img', Source: 'volimg' }], command: ['sh', '-c', 'cat /img/data/s; touch /img/x'] });
  assert.equal((await b.request('POST', `${P}/containers/${ro}/start`)).status, 204);
  assert.equal((await b.request('POST', `${P}/containers/${ro}/wait?condition=exited`)).json, 1);
  const logs = (await b.request('GET', `${P}/containers/${ro}/logs?stdout=true&stderr=true`)).text;
  assert.match(logs, /seeded/);
  assert.match(logs, /Read-only file system/);
  const im = (await b.request('GET', `${P}/containers/${ro}/json`)).json.Mounts[0];
  assert.equal(im.Type, 'image');
  assert.equal(im.RW, false);
  // The container is stopped: its image mount is gone with its root.
  assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes(join(b.runRoot, 'containers', ro, 'image-mounts')));
  const rw = await specgen({ image_volumes: [{ Destination: '/img', Source: 'volimg', ReadWrite: true }], command: ['sh', '-c', 'echo w > /img/data/s && cat /img/data/s'] });
  await runToEnd(rw);
  assert.match((await b.request('GET', `${P}/containers/${rw}/logs?stdout=true`)).text, /w/);
  // The image itself is unchanged.
  assert.equal(await ok(['run', '--rm', ...NET, 'volimg', 'cat', '/data/s']), 'seeded\n');
  assert.equal((await b.request('DELETE', `${P}/images/volimg`)).status, 409);
  const missing = await b.request('POST', `${P}/containers/create`, { image: 'busybox', image_volumes: [{ Destination: '/i', Source: 'no-such-image' }] });
  assert.equal(missing.status, 400);
  for (const c of [ro, rw]) await b.request('DELETE', `${P}/containers/${c}?force=true`);
});

// Last: it kills the suite's service.
test('volumes and their data survive a service restart and kill -9; a container keeps using its volume', async () => {
  await ok(['volume', 'create', '--label', 'durable=yes', 'durable']);
  await ok(['run', '-d', ...NET, '--name', 'durable-user', '-v', 'durable:/d', '-v', '/anon-durable', 'busybox', 'sh', '-c', 'echo before > /d/f; sleep 600']);
  const anon = (JSON.parse(await ok(['inspect', '-f', '{{json .Mounts}}', 'durable-user'])) as { Destination: string; Name: string }[]).find((m) => m.Destination === '/anon-durable')!.Name;
  b.proc.kill('SIGKILL');
  await b.exited;
  const b2 = await startBerth({ root: b.root, runRoot: b.runRoot });
  try {
    const d2 = (args: string[]) => b2.dockerOk(args);
    const names = (await d2(['volume', 'ls', '-q'])).split('\n');
    assert.ok(names.includes('durable') && names.includes(anon));
    assert.deepEqual(JSON.parse(await d2(['volume', 'inspect', 'durable']))[0].Labels, { durable: 'yes' });
    assert.equal(await d2(['exec', 'durable-user', 'cat', '/d/f']), 'before\n');
    assert.match((await b2.docker(['volume', 'rm', 'durable'])).stderr, /in use/);
    await b2.stop('SIGTERM');
    const b3 = await startBerth({ root: b.root, runRoot: b.runRoot });
    try {
      await b3.dockerOk(['rm', '-f', '-v', 'durable-user']);
      assert.equal(await b3.dockerOk(['run', '--rm', ...NET, '-v', 'durable:/d', 'busybox', 'cat', '/d/f']), 'before\n');
      assert.ok(!(await b3.dockerOk(['volume', 'ls', '-q'])).includes(anon));
      await b3.dockerOk(['volume', 'rm', 'durable']);
    } finally {
      await b3.cleanup();
    }
  } finally {
    await b2.cleanup();
  }
});
