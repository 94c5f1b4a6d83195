// Volumes through the real docker CLI and dockerode: the volume commands with their filters, data
// kept between containers, copy-up, anonymous volumes and rm -v, binds with propagation, tmpfs,
// --volumes-from, docker cp into and out of a volume, export and diff around volumes, in-use refusals.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { run, startBerth, waitFor, FIXTURES, type Berth, removeAllContainers } from '../../helpers/berth.js';

let b: Berth;
const NET = ['--network', 'none'];
const ok = (args: string[], opts?: { input?: string | Buffer }) => b.dockerOk(args, opts);
const volDir = (name: string) => join(b.root, 'volumes', name, '_data');
const inspectVolume = async (name: string) => JSON.parse(await ok(['volume', 'inspect', name]))[0];
const mountsOf = async (ctr: string) => JSON.parse(await ok(['inspect', '-f', '{{json .Mounts}}', ctr])) as Record<string, unknown>[];

before(async () => {
  b = await startBerth();
  await ok(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
  // An image with content at a VOLUME path: owned by 1000, mode 0750, a file, a subdir and a link.
  await ok(['run', ...NET, '--name', 'seedsrc', 'busybox', 'sh', '-c',
    'mkdir -p /data/sub && echo seeded > /data/s && echo deep > /data/sub/d && ln -s /etc/passwd /data/link && chown -R 1000:1000 /data && chmod 750 /data']);
  await ok(['commit', '--change', 'VOLUME /data', 'seedsrc', 'volimg']);
  await ok(['rm', 'seedsrc']);
});
after(async () => {
  await removeAllContainers(b);
  await b.cleanup();
});

test('docker volume create, ls with filters, inspect, rm; creating an existing name returns it', async () => {
  assert.equal((await ok(['volume', 'create', '--label', 'tier=db', '--label', 'keep', 'vdb'])).trim(), 'vdb');
  await ok(['volume', 'create', 'vweb']);
  // Again: docker answers with the volume it has.
  assert.equal((await ok(['volume', 'create', 'vweb'])).trim(), 'vweb');
  const generated = (await ok(['volume', 'create'])).trim();
  assert.match(generated, /^[0-9a-f]{64}$/);

  const v = await inspectVolume('vdb');
  assert.equal(v.Name, 'vdb');
  assert.equal(v.Driver, 'local');
  assert.equal(v.Scope, 'local');
  assert.deepEqual(v.Labels, { tier: 'db', keep: '' });
  assert.deepEqual(v.Options, {});
  assert.equal(v.Mountpoint, volDir('vdb'));
  assert.match(v.CreatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.ok(existsSync(volDir('vdb')));

  const names = async (...filters: string[]) => (await ok(['volume', 'ls', '-q', ...filters.flatMap((f) => ['--filter', f])])).split('\n').filter(Boolean).sort();
  assert.deepEqual(await names('label=tier=db'), ['vdb']);
  assert.deepEqual(await names('label=keep'), ['vdb']);
  assert.deepEqual(await names('name=vw'), ['vweb']);
  assert.deepEqual(await names('driver=local', 'name=^v'), ['vdb', 'vweb']);
  await ok(['create', ...NET, '--name', 'user-web', '-v', 'vweb:/w', 'busybox', 'true']);
  assert.deepEqual(await names('dangling=false'), ['vweb']);
  assert.ok((await names('dangling=true')).includes('vdb'));
  assert.ok(!(await names('dangling=true')).includes('vweb'));
  const bad = await b.docker(['volume', 'ls', '--filter', 'colour=red']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /Invalid filter 'colour'/);

  await ok(['volume', 'rm', 'vdb', generated]);
  assert.ok(!existsSync(join(b.root, 'volumes', 'vdb')));
  const gone = await b.docker(['volume', 'inspect', 'vdb']);
  assert.notEqual(gone.code, 0);
  assert.match(gone.stderr, /no such volume/i);
  // -f forgives a missing volume, as dockerd does.
  await ok(['volume', 'rm', '-f', 'vdb']);
  await ok(['rm', 'user-web']);
  await ok(['volume', 'rm', 'vweb']);
});

test('a volume in use cannot be removed (running or not); prune leaves it and takes the unused ones', async () => {
  await ok(['volume', 'create', 'busy']);
  await ok(['run', '-d', ...NET, '--name', 'busy-user', '-v', 'busy:/b', 'busybox', 'sleep', '600']);
  let r = await b.docker(['volume', 'rm', 'busy']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /volume is in use/);
  const id = (await ok(['inspect', '-f', '{{.Id}}', 'busy-user'])).trim();
  assert.match(r.stderr, new RegExp(id));
  assert.equal((await b.request('DELETE', '/v1.41/volumes/busy')).status, 409);
  // dockerd's force does not take a volume from its container either.
  assert.equal((await b.request('DELETE', '/v1.41/volumes/busy?force=1')).status, 409);
  await ok(['stop', '-t', '0', 'busy-user']);
  r = await b.docker(['volume', 'rm', 'busy']);
  assert.match(r.stderr, /volume is in use/);

  await ok(['volume', 'create', '--label', 'prune=me', 'p1']);
  await ok(['volume', 'create', '--label', 'prune=me', 'p2']);
  await ok(['volume', 'create', 'p3']);
  writeFileSync(join(volDir('p1'), 'data'), 'x'.repeat(1000));
  const pr = await ok(['volume', 'prune', '-f', '--filter', 'label=prune=me']);
  assert.match(pr, /p1/);
  assert.match(pr, /p2/);
  assert.doesNotMatch(pr, /p3/);
  assert.match(pr, /Total reclaimed space: 1(\.0)?kB/);
  const left = (await ok(['volume', 'ls', '-q'])).split('\n');
  assert.ok(left.includes('busy') && left.includes('p3') && !left.includes('p1'));
  // API 1.41 (what the CLI speaks to berth): every unused volume; one in use stays.
  await ok(['volume', 'prune', '-f']);
  assert.deepEqual((await ok(['volume', 'ls', '-q'])).split('\n').filter(Boolean), ['busy']);
  await ok(['rm', 'busy-user']);
  await ok(['volume', 'rm', 'busy']);
});

test('API 1.42 prune takes anonymous volumes only unless all=true; 1.41 all unused', async () => {
  await ok(['volume', 'create', 'named-keep']);
  const anon = (await ok(['create', ...NET, '-v', '/anon', 'busybox', 'true'])).trim();
  const anonName = (await mountsOf(anon))[0].Name as string;
  await ok(['rm', anon]); // without -v: the anonymous volume stays, unused
  let r = await b.request('POST', '/v1.42/volumes/prune');
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.VolumesDeleted, [anonName]);
  r = await b.request('POST', `/v1.42/volumes/prune?filters=${encodeURIComponent('{"all":["true"]}')}`);
  assert.deepEqual(r.json.VolumesDeleted, ['named-keep']);
  r = await b.request('POST', '/v1.41/volumes/prune');
  assert.deepEqual(r.json, { VolumesDeleted: null, SpaceReclaimed: 0 });
});

test('data written to a named volume by one container is read by the next; the volume is made on demand', async () => {
  await ok(['run', '--rm', ...NET, '-v', 'ondemand:/data', 'busybox', 'sh', '-c', 'echo kept > /data/f']);
  assert.equal(readFileSync(join(volDir('ondemand'), 'f'), 'utf8'), 'kept\n');
  assert.equal(await ok(['run', '--rm', ...NET, '-v', 'ondemand:/other', 'busybox', 'cat', '/other/f']), 'kept\n');
  // --mount type=volume names the same volume; a read-only one refuses writes.
  const ro = await b.docker(['run', '--rm', ...NET, '--mount', 'type=volume,src=ondemand,dst=/ro,readonly', 'busybox', 'sh', '-c', 'cat /ro/f; echo x > /ro/g']);
  assert.equal(ro.stdout, 'kept\n');
  assert.match(ro.stderr, /Read-only file system/);
  await ok(['volume', 'rm', 'ondemand']);
});

test('copy-up: a fresh volume is seeded with the image content, owners and modes kept; nocopy and a used volume are not', async () => {
  const ls = await ok(['run', '--rm', ...NET, '-v', 'seeded:/data', 'volimg', 'sh', '-c', 'stat -c "%u:%g %a %n" /data /data/s /data/sub/d; readlink /data/link; cat /data/s']);
  assert.equal(ls, '1000:1000 750 /data\n1000:1000 644 /data/s\n1000:1000 644 /data/sub/d\n/etc/passwd\nseeded\n');
  assert.equal(readFileSync(join(volDir('seeded'), 'sub', 'd'), 'utf8'), 'deep\n');
  // The link was copied as a link: nothing of the host's /etc/passwd is in the volume.
  assert.equal(readdirSync(volDir('seeded')).sort().join(','), 'link,s,sub');
  // Seeded once: a later container's changes stay.
  await ok(['run', '--rm', ...NET, '-v', 'seeded:/data', 'volimg', 'sh', '-c', 'rm /data/s']);
  assert.equal((await b.docker(['run', '--rm', ...NET, '-v', 'seeded:/data', 'volimg', 'ls', '/data/s'])).code, 1);
  assert.equal(await ok(['run', '--rm', ...NET, '-v', 'plain:/data:nocopy', 'volimg', 'ls', '-A', '/data']), '');
  await ok(['volume', 'create', 'prefilled']);
  writeFileSync(join(volDir('prefilled'), 'mine'), 'mine\n');
  assert.equal(await ok(['run', '--rm', ...NET, '-v', 'prefilled:/data', 'volimg', 'ls', '/data']), 'mine\n');
  await ok(['volume', 'rm', 'seeded', 'plain', 'prefilled']);
});

test('-v /data and an image VOLUME are anonymous volumes: inspect shows them, rm -v removes them, named stay', async () => {
  await ok(['volume', 'create', 'stays']);
  const id = (await ok(['create', ...NET, '-v', '/data2', '-v', 'stays:/named', 'volimg', 'true'])).trim();
  const m = await mountsOf(id);
  const byDest = Object.fromEntries(m.map((x) => [x.Destination, x]));
  assert.equal(byDest['/named'].Name, 'stays');
  assert.equal(byDest['/named'].Mode, 'z');
  for (const d of ['/data', '/data2']) {
    assert.equal(byDest[d].Type, 'volume');
    assert.match(byDest[d].Name as string, /^[0-9a-f]{64}$/);
    assert.equal(byDest[d].Source, volDir(byDest[d].Name as string));
    assert.equal(byDest[d].Driver, 'local');
    assert.equal(byDest[d].Mode, '');
    assert.equal(byDest[d].RW, true);
    assert.equal(byDest[d].Propagation, '');
  }
  assert.deepEqual(JSON.parse(await ok(['inspect', '-f', '{{json .Config.Volumes}}', id])), { '/data': {}, '/data2': {} });
  // Before any start: the anonymous volume is there for cp (it was a 404 before volumes).
  const put = await b.request('PUT', `/v1.41/containers/${id}/archive?path=/data2`, await tarOf(join(b.dir, 'tarsrc'), 'early.txt', 'early\n'), { 'Content-Type': 'application/x-tar' });
  assert.equal(put.status, 200, put.text);
  assert.equal(readFileSync(join(volDir(byDest['/data2'].Name as string), 'early.txt'), 'utf8'), 'early\n');
  const anon = [byDest['/data'].Name, byDest['/data2'].Name] as string[];
  for (const a of anon) assert.ok((await ok(['volume', 'ls', '-q'])).includes(a));
  await ok(['rm', '-v', id]);
  const left = await ok(['volume', 'ls', '-q']);
  for (const a of anon) assert.ok(!left.includes(a), `anonymous ${a} removed`);
  assert.ok(left.includes('stays'));
  // --rm takes the anonymous volumes along too.
  const before = (await ok(['volume', 'ls', '-q'])).split('\n').filter(Boolean).length;
  await ok(['run', '--rm', ...NET, '-v', '/scratch', 'volimg', 'true']);
  assert.equal((await ok(['volume', 'ls', '-q'])).split('\n').filter(Boolean).length, before);
  await ok(['volume', 'rm', 'stays']);
});

test('binds: ro and rw, propagation reaches the mount, a missing Binds path is made, a missing --mount source is 400', async () => {
  const host = join(b.dir, 'bindsrc');
  mkdirSync(host, { recursive: true });
  writeFileSync(join(host, 'f'), 'host\n');
  const r = await b.docker(['run', '--rm', ...NET, '-v', `${host}:/ro:ro`, '-v', `${host}:/rw:rw,rshared`, 'busybox', 'sh', '-c',
    'cat /ro/f; echo w > /rw/w; touch /ro/x; grep -E " /(ro|rw) " /proc/self/mountinfo']);
  assert.match(r.stdout, /^host\n/);
  assert.match(r.stderr, /Read-only file system/);
  assert.equal(readFileSync(join(host, 'w'), 'utf8'), 'w\n');
  const lines = r.stdout.split('\n');
  assert.match(lines.find((l) => / \/ro /.test(l))!, / ro[, ]/);
  assert.match(lines.find((l) => / \/rw /.test(l))!, /shared:/);
  const made = join(b.dir, 'not', 'yet');
  await ok(['run', '--rm', ...NET, '-v', `${made}:/m`, 'busybox', 'touch', '/m/x']);
  assert.ok(existsSync(join(made, 'x')));
  const missing = await b.request('POST', '/v1.41/containers/create', { Image: 'busybox', HostConfig: { NetworkMode: 'none', Mounts: [{ Type: 'bind', Source: join(b.dir, 'nope'), Target: '/x' }] } });
  assert.equal(missing.status, 400);
  assert.match(missing.json.message, /bind source path does not exist/);
});

test('tmpfs with a size, and a volume made with tmpfs driver options', async () => {
  const t = await ok(['run', '--rm', ...NET, '--tmpfs', '/t1:size=2m', '--mount', 'type=tmpfs,dst=/t2,tmpfs-size=1048576,tmpfs-mode=1770', 'busybox', 'sh', '-c',
    'grep -E " /t[12] " /proc/mounts; stat -c %a /t2']);
  assert.match(t, /tmpfs \/t1 tmpfs [^ ]*size=2048k/);
  assert.match(t, /tmpfs \/t2 tmpfs [^ ]*size=1024k/);
  assert.match(t, /1770\n$/);
  await ok(['volume', 'create', '--opt', 'type=tmpfs', '--opt', 'device=tmpfs', '--opt', 'o=size=1m', 'tvol']);
  const v = await inspectVolume('tvol');
  assert.deepEqual(v.Options, { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' });
  const inside = await ok(['run', '--rm', ...NET, '-v', 'tvol:/t', 'busybox', 'sh', '-c', 'grep " /t " /proc/mounts; echo kept > /t/f']);
  assert.match(inside, /^tmpfs \/t tmpfs [^ ]*size=1024k/);
  assert.equal(await ok(['run', '--rm', ...NET, '-v', 'tvol:/t', 'busybox', 'cat', '/t/f']), 'kept\n');
  await ok(['volume', 'rm', 'tvol']);
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
  assert.ok(!mounts.includes(join(b.root, 'volumes', 'tvol')), 'unmounted on removal');
  const badOpt = await b.docker(['volume', 'create', '--opt', 'colour=red', 'badopt']);
  assert.notEqual(badOpt.code, 0);
  assert.match(badOpt.stderr, /invalid option key: "colour"/);
  const noDevice = await b.docker(['volume', 'create', '--opt', 'type=tmpfs', 'nodev']);
  assert.match(noDevice.stderr, /missing required option: "device"/);
  const badDriver = await b.request('POST', '/v1.41/volumes/create', { Name: 'x1', Driver: 'nfs-plugin' });
  assert.equal(badDriver.status, 400);
  assert.match(badDriver.json.message, /nfs-plugin/);
  assert.equal((await ok(['volume', 'ls', '-q'])).split('\n').filter((n) => ['badopt', 'nodev', 'x1'].includes(n)).length, 0);
});

test('--volumes-from: the same volumes and binds, read-only when asked', async () => {
  const host = join(b.dir, 'vf-host');
  mkdirSync(host, { recursive: true });
  await ok(['run', '-d', ...NET, '--name', 'vf-src', '-v', 'vfvol:/shared', '-v', `${host}:/hostdir`, '-v', '/anonvf', 'busybox', 'sh', '-c', 'echo from-src > /shared/f; echo a > /anonvf/a; sleep 600']);
  assert.ok(await waitFor(() => existsSync(join(volDir('vfvol'), 'f'))));
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(await ok(['run', '--rm', ...NET, '--volumes-from', 'vf-src', 'busybox', 'sh', '-c', 'cat /shared/f /anonvf/a; echo b > /hostdir/b']), 'from-src\na\n');
  assert.ok(existsSync(join(host, 'b')));
  const ro = await b.docker(['run', '--rm', ...NET, '--volumes-from', 'vf-src:ro', 'busybox', 'sh', '-c', 'cat /shared/f; echo x > /shared/x']);
  assert.equal(ro.stdout, 'from-src\n');
  assert.match(ro.stderr, /Read-only file system/);
  const id = (await ok(['create', ...NET, '--volumes-from', 'vf-src', 'busybox', 'true'])).trim();
  const info = JSON.parse(await ok(['inspect', id]))[0];
  assert.deepEqual(info.HostConfig.VolumesFrom, ['vf-src']);
  assert.deepEqual(info.Mounts.map((m: { Destination: string }) => m.Destination).sort(), ['/anonvf', '/hostdir', '/shared']);
  // rm -v of the borrower leaves the anonymous volume its owner still uses.
  await ok(['rm', '-v', id]);
  const anon = (await mountsOf('vf-src')).find((m) => m.Destination === '/anonvf')!.Name as string;
  assert.ok((await ok(['volume', 'ls', '-q'])).includes(anon));
  const missing = await b.docker(['create', ...NET, '--volumes-from', 'no-such', 'busybox', 'true']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /No such container: no-such/);
  await ok(['rm', '-f', '-v', 'vf-src']);
  assert.ok(!(await ok(['volume', 'ls', '-q'])).includes(anon));
  await ok(['volume', 'rm', 'vfvol']);
});

test('docker cp into and out of a volume path (running and stopped); export and diff leave volumes out', async () => {
  await ok(['run', '-d', ...NET, '--name', 'cpv', '-v', 'cpvol:/vol', 'busybox', 'sh', '-c', 'echo inside > /vol/in; echo root > /rootfile; sleep 600']);
  assert.ok(await waitFor(() => existsSync(join(volDir('cpvol'), 'in'))));
  await new Promise((r) => setTimeout(r, 100));
  const src = join(b.dir, 'cp-src.txt');
  writeFileSync(src, 'copied in\n');
  await ok(['cp', src, 'cpv:/vol/copied.txt']);
  assert.equal(readFileSync(join(volDir('cpvol'), 'copied.txt'), 'utf8'), 'copied in\n');
  assert.equal(await ok(['exec', 'cpv', 'cat', '/vol/copied.txt']), 'copied in\n');
  await ok(['cp', 'cpv:/vol/in', join(b.dir, 'out.txt')]);
  assert.equal(readFileSync(join(b.dir, 'out.txt'), 'utf8'), 'inside\n');

  const diff = await ok(['diff', 'cpv']);
  assert.match(diff, /A \/rootfile/);
  assert.doesNotMatch(diff, /\/vol/);
  const tarFile = join(b.dir, 'cpv.tar');
  await ok(['export', '-o', tarFile, 'cpv']);
  const listing = (await run('tar', ['-tf', tarFile])).stdout.split('\n');
  assert.ok(listing.includes('rootfile'));
  assert.ok(!listing.some((l) => l.startsWith('vol/') && l !== 'vol/'), 'volume content is not exported');

  await ok(['stop', '-t', '0', 'cpv']);
  writeFileSync(src, 'while stopped\n');
  await ok(['cp', src, 'cpv:/vol/stopped.txt']);
  assert.equal(readFileSync(join(volDir('cpvol'), 'stopped.txt'), 'utf8'), 'while stopped\n');
  await ok(['cp', 'cpv:/vol/copied.txt', join(b.dir, 'out2.txt')]);
  assert.equal(readFileSync(join(b.dir, 'out2.txt'), 'utf8'), 'copied in\n');
  await ok(['rm', 'cpv']);
  await ok(['volume', 'rm', 'cpvol']);
});

test('removing a volume never follows a link out of it, nor deletes what a bound host directory holds', async () => {
  const hostDir = join(b.dir, 'precious');
  mkdirSync(join(hostDir, 'inner'), { recursive: true });
  writeFileSync(join(hostDir, 'keep'), 'keep\n');
  writeFileSync(join(hostDir, 'inner', 'keep2'), 'keep2\n');
  await ok(['run', '--rm', ...NET, '-v', `${hostDir}:/host:ro`, '-v', 'linky:/v', 'busybox', 'sh', '-c',
    `ln -s ${hostDir} /v/dirlink; ln -s ${hostDir}/keep /v/filelink; ln -s ../../../../../../../../${hostDir} /v/uplink; mkdir -p /v/d/e; ln -s / /v/d/e/root; echo x > /v/d/e/f`]);
  await ok(['volume', 'rm', 'linky']);
  assert.ok(!existsSync(join(b.root, 'volumes', 'linky')));
  assert.equal(readFileSync(join(hostDir, 'keep'), 'utf8'), 'keep\n');
  assert.equal(readFileSync(join(hostDir, 'inner', 'keep2'), 'utf8'), 'keep2\n');
  assert.ok(existsSync('/etc/passwd'));
  // A volume that binds a host directory (o=bind): its removal unmounts it and leaves the directory's files alone.
  await ok(['volume', 'create', '--opt', 'type=none', '--opt', 'o=bind', '--opt', `device=${hostDir}`, 'hostbound']);
  assert.equal(await ok(['run', '--rm', ...NET, '-v', 'hostbound:/h', 'busybox', 'sh', '-c', 'cat /h/keep; echo added > /h/added']), 'keep\n');
  await ok(['volume', 'rm', 'hostbound']);
  assert.equal(readFileSync(join(hostDir, 'keep'), 'utf8'), 'keep\n');
  assert.equal(readFileSync(join(hostDir, 'added'), 'utf8'), 'added\n');
  assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes(join(b.root, 'volumes', 'hostbound')));
  const bad = await b.docker(['volume', 'create', '--opt', 'type=none', '--opt', 'o=bind', '--opt', `device=${join(b.dir, 'absent')}`, 'nobind']);
  assert.match(bad.stderr, /not an existing directory/);
});

test('bad input is a 400 naming the field, and nothing is created', async () => {
  const before = (await ok(['volume', 'ls', '-q'])).split('\n').filter(Boolean).sort();
  const ctrsBefore = (await ok(['ps', '-aq'])).split('\n').filter(Boolean).length;
  const create = (hc: Record<string, unknown>, cfg: Record<string, unknown> = {}) =>
    b.request('POST', '/v1.41/containers/create', { Image: 'busybox', ...cfg, HostConfig: { NetworkMode: 'none', ...hc } });
  const cases: [Record<string, unknown>, RegExp, Record<string, unknown>?][] = [
    [{ Binds: ['newvol:/a', 'rel/path:/b'] }, /"rel\/path" includes invalid characters for a local volume name/],
    [{ Binds: ['newvol:/a', '..:/b'] }, /invalid characters for a local volume name/],
    [{ Binds: ['newvol:relative'] }, /mount path must be absolute/],
    [{ Binds: ['newvol:/a', 'other:/a'] }, /Duplicate mount point: \/a/],
    [{ Binds: ['newvol:/a:rw,sideways'] }, /unknown option 'sideways'/],
    [{ Binds: ['newvol:/a'], Mounts: [{ Type: 'volume', Source: 'x', Target: '/a/' }] }, /Duplicate mount point/],
    [{ Mounts: [{ Type: 'cluster', Target: '/c' }] }, /mount type "cluster" is not supported/],
    [{ Mounts: [{ Type: 'volume', Source: 'newvol', Target: 'c' }] }, /Target|absolute/],
    [{ Mounts: [{ Type: 'volume', Source: 'newvol', Target: '/c', VolumeOptions: { DriverConfig: { Name: 'flocker' } } }] }, /flocker/],
    [{ Mounts: [{ Type: 'volume', Source: 'newvol', Target: '/c', VolumeOptions: { DriverConfig: { Options: { bogus: '1' } } } }] }, /invalid option key: "bogus"/],
    [{ VolumesFrom: ['nosuchctr'] }, /No such container: nosuchctr/],
    [{ Binds: ['newvol:/a'] }, /Volumes of type map/, { Volumes: ['/x'] }],
  ];
  for (const [hc, re, cfg] of cases) {
    const r = await create(hc, cfg);
    assert.equal(r.status, 400, `${JSON.stringify(hc)}: ${r.text}`);
    assert.match(r.json.message, re, JSON.stringify(hc));
  }
  for (const body of [{ Name: '../etc' }, { Name: 'a/b' }, { Name: '.hidden' }, { Name: 'x', Labels: { a: 1 } }, { Name: 'x', DriverOpts: { o: 'size=1m' } }]) {
    const r = await b.request('POST', '/v1.41/volumes/create', body);
    assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
  }
  assert.deepEqual((await ok(['volume', 'ls', '-q'])).split('\n').filter(Boolean).sort(), before);
  assert.equal((await ok(['ps', '-aq'])).split('\n').filter(Boolean).length, ctrsBefore);
  assert.ok(!existsSync(join(b.root, 'volumes', 'newvol')));
});

test('dockerode: a container with Mounts (volume, anonymous volume, bind, tmpfs) and the volume API', async () => {
  const d = new Docker({ socketPath: b.socket });
  const host = join(b.dir, 'dockerode-bind');
  mkdirSync(host, { recursive: true });
  await d.createVolume({ Name: 'dode', Labels: { by: 'dockerode' } });
  const c = await d.createContainer(<Docker.ContainerCreateOptions>{
    Image: 'busybox', Cmd: ['sh', '-c', 'echo via-dockerode > /vol/f; echo b > /bind/b; grep " /tmp2 " /proc/mounts'],
    HostConfig: {
      NetworkMode: 'none',
      Mounts: [
        { Type: 'volume', Source: 'dode', Target: '/vol' },
        { Type: 'volume', Target: '/anon', VolumeOptions: { NoCopy: true, Labels: { anon: 'yes' } } },
        { Type: 'bind', Source: host, Target: '/bind', BindOptions: { Propagation: 'rslave' } },
        { Type: 'tmpfs', Target: '/tmp2', TmpfsOptions: { SizeBytes: 2 * 1024 * 1024 } },
      ],
    },
  });
  await c.start();
  assert.equal((await c.wait()).StatusCode, 0);
  assert.equal(readFileSync(join(volDir('dode'), 'f'), 'utf8'), 'via-dockerode\n');
  assert.equal(readFileSync(join(host, 'b'), 'utf8'), 'b\n');
  const info = await c.inspect();
  const m = Object.fromEntries(info.Mounts.map((x: Docker.ContainerInspectInfo['Mounts'][number]) => [x.Destination, x]));
  assert.equal(m['/vol'].Type, 'volume');
  assert.equal(m['/vol'].Name, 'dode');
  assert.equal(m['/anon'].Type, 'volume');
  assert.equal(m['/bind'].Propagation, 'rslave');
  assert.equal(m['/tmp2'].Type, 'tmpfs');
  const anonVol = await d.getVolume(m['/anon'].Name!).inspect();
  assert.deepEqual(anonVol.Labels, { anon: 'yes' });
  const list = await d.listVolumes({ filters: { label: ['by=dockerode'] } });
  assert.deepEqual(list.Volumes.map((v) => v.Name), ['dode']);
  assert.deepEqual(list.Warnings, []);
  await assert.rejects(d.getVolume('dode').remove(), (e: { statusCode?: number }) => e.statusCode === 409);
  await c.remove({ v: true });
  await d.getVolume('dode').remove();
  await assert.rejects(d.getVolume(m['/anon'].Name!).inspect(), (e: { statusCode?: number }) => e.statusCode === 404);
});

test('system df lists volumes with their sizes and reference counts; volume events', async () => {
  const since = Math.floor(Date.now() / 1000) - 1;
  await ok(['volume', 'create', 'dfv']);
  writeFileSync(join(volDir('dfv'), 'blob'), Buffer.alloc(4096, 1));
  await ok(['create', ...NET, '--name', 'dfuser', '-v', 'dfv:/d', 'busybox', 'true']);
  const df = await b.request('GET', '/v1.41/system/df');
  const v = df.json.Volumes.find((x: { Name: string }) => x.Name === 'dfv');
  assert.deepEqual(v.UsageData, { Size: 4096, RefCount: 1 });
  assert.equal(v.Mountpoint, volDir('dfv'));
  const cli = await ok(['system', 'df', '--format', '{{.Type}} {{.TotalCount}} {{.Active}}']);
  assert.match(cli, /Local Volumes \d+ 1/);
  await ok(['rm', 'dfuser']);
  await ok(['volume', 'rm', 'dfv']);
  const ev = await ok(['events', '--since', String(since), '--until', String(Math.floor(Date.now() / 1000) + 1), '--filter', 'type=volume', '--filter', 'volume=dfv', '--format', '{{.Action}}']);
  assert.deepEqual(ev.trim().split('\n'), ['create', 'destroy']);
});

/** A one-file tar made with the system's tar. */
async function tarOf(dir: string, name: string, content: string): Promise<Buffer> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, name), content);
  const r = await run('sh', ['-c', `tar -C ${dir} -cf - ${name} | base64 -w0`]);
  return Buffer.from(r.stdout, 'base64');
}
