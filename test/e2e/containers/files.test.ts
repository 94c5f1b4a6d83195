// docker cp in and out (running, stopped, never started), the symlink escapes docker has had
// CVEs for, archive HEAD stat, top, stats, export, diff, commit, and the libpod equivalents.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readlinkSync, lstatSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startBerth, run, FIXTURES, type Berth } from '../../helpers/berth.js';

let b: Berth;
let work: string;
const NET = ['--network', 'none'];
const P = '/v5.4.2/libpod';

const ok = (args: string[], opts?: { input?: string | Buffer; timeoutMs?: number }) => b.dockerOk(args, opts);

/** A file on the host that containers' links point at; nothing may read or change it. */
let hostSecret: string;
let hostDir: string;

before(async () => {
  b = await startBerth();
  work = join(b.dir, 'work');
  mkdirSync(work);
  hostDir = join(b.dir, 'host-only');
  mkdirSync(hostDir);
  hostSecret = join(hostDir, 'secret');
  writeFileSync(hostSecret, 'HOST-SECRET\n');
  await ok(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
  await ok(['run', '-d', ...NET, '--name', 'files', 'busybox', 'sleep', '3600']);
  // Links that would reach the host if resolved against the host's root.
  await ok(['exec', 'files', 'sh', '-c', [
    'mkdir -p /data/sub && echo one > /data/a && echo two > /data/sub/b && ln -s a /data/rel',
    'ln -s / /escape', 'ln -s ../../../../../../../.. /up', `ln -s ${hostSecret} /leak`, `ln -s ${hostDir} /leakdir`,
    `ln -s ../../../../../../../..${hostDir} /updir`,
  ].join(' && ')]);
});
after(async () => {
  await b.docker(['rm', '-f', ...(await b.docker(['ps', '-aq'])).stdout.split('\n').filter(Boolean)]);
  await b.cleanup();
});

test('docker cp out of a running container: a file, a directory, dir/. contents, a link kept as a link', async () => {
  await ok(['cp', 'files:/data/a', join(work, 'a.txt')]);
  assert.equal(readFileSync(join(work, 'a.txt'), 'utf8'), 'one\n');
  await ok(['cp', 'files:/data', join(work, 'datadir')]);
  assert.equal(readFileSync(join(work, 'datadir', 'sub', 'b'), 'utf8'), 'two\n');
  assert.equal(readlinkSync(join(work, 'datadir', 'rel')), 'a');
  mkdirSync(join(work, 'contents'));
  await ok(['cp', 'files:/data/.', join(work, 'contents')]);
  assert.equal(readFileSync(join(work, 'contents', 'a'), 'utf8'), 'one\n');
  await ok(['cp', 'files:/etc/hostname', join(work, 'hostname')]);
  assert.match(readFileSync(join(work, 'hostname'), 'utf8'), /^[0-9a-f]{12}\n$/);
});

test('docker cp into a running container, with ownership reset to root unless -a', async () => {
  writeFileSync(join(work, 'in.txt'), 'into-running\n');
  mkdirSync(join(work, 'indir', 'deep'), { recursive: true });
  writeFileSync(join(work, 'indir', 'deep', 'x'), 'x\n');
  await run('chown', ['-R', '1234:2345', join(work, 'indir')]);
  await ok(['cp', join(work, 'in.txt'), 'files:/tmp/']);
  await ok(['cp', join(work, 'indir'), 'files:/tmp/indir']);
  assert.equal(await ok(['exec', 'files', 'cat', '/tmp/in.txt', '/tmp/indir/deep/x']), 'into-running\nx\n');
  assert.equal((await ok(['exec', 'files', 'stat', '-c', '%u:%g', '/tmp/indir/deep/x'])).trim(), '0:0');
  await ok(['cp', '-a', join(work, 'indir'), 'files:/tmp/keep']);
  assert.equal((await ok(['exec', 'files', 'stat', '-c', '%u:%g', '/tmp/keep/deep/x'])).trim(), '1234:2345');
  const bad = await b.docker(['cp', join(work, 'in.txt'), 'files:/no/such/dir/']);
  assert.notEqual(bad.code, 0);
});

test('docker cp in and out of a stopped and a never-started container', async () => {
  await ok(['run', ...NET, '--name', 'stopped', 'busybox', 'sh', '-c', 'echo made > /made']);
  writeFileSync(join(work, 'late.txt'), 'late\n');
  await ok(['cp', join(work, 'late.txt'), 'stopped:/late.txt']);
  await ok(['cp', 'stopped:/made', join(work, 'made')]);
  assert.equal(readFileSync(join(work, 'made'), 'utf8'), 'made\n');
  await ok(['start', '-a', 'stopped']);
  await ok(['create', ...NET, '--name', 'fresh', 'busybox', 'cat', '/late.txt']);
  await ok(['cp', join(work, 'late.txt'), 'fresh:/']);
  assert.equal(await ok(['start', '-a', 'fresh']), 'late\n');
  // Nothing stays mounted for a stopped container after a copy.
  const id = (await ok(['inspect', '-f', '{{.Id}}', 'fresh'])).trim();
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
  assert.equal(mounts.includes(`${id}/merged`), false);
});

test('symlink escapes: reading through links to / and ../.. stays inside the container', async () => {
  // /escape -> /, /up -> ../../..: both name the container's root, where the host file does not exist.
  for (const p of [`/escape${hostSecret}`, `/up${hostSecret}`, '/leak/.', `/leakdir/secret`, `/updir/secret`]) {
    const r = await b.docker(['cp', `files:${p}`, join(work, 'stolen')]);
    assert.notEqual(r.code, 0, `cp ${p} must fail`);
    assert.match(r.stderr, /Could not find the file|no such file|not a directory/i);
    assert.equal(existsSync(join(work, 'stolen')), false);
  }
  // -L follows the link inside the container: still not the host file.
  const l = await b.docker(['cp', '-L', 'files:/leak', join(work, 'stolen')]);
  assert.notEqual(l.code, 0);
  assert.equal(existsSync(join(work, 'stolen')), false);
  // Without -L the link itself is copied, as a link.
  await ok(['cp', 'files:/leak', join(work, 'leaklink')]);
  assert.ok(lstatSync(join(work, 'leaklink')).isSymbolicLink());
  // And through /escape the container's own files are found, as docker finds them.
  await ok(['cp', 'files:/escape/data/a', join(work, 'via-escape')]);
  assert.equal(readFileSync(join(work, 'via-escape'), 'utf8'), 'one\n');
  const head = await b.request('HEAD', `/v1.41/containers/files/archive?path=${encodeURIComponent(`/escape${hostSecret}`)}`);
  assert.equal(head.status, 404);
});

test('symlink escapes: writing through links never touches host files', async () => {
  writeFileSync(join(work, 'secret'), 'OVERWRITTEN\n');
  writeFileSync(join(work, 'evil'), 'EVIL\n');
  // The links' targets do not exist in the container: nothing to write to, and the host is left alone.
  const none = await b.docker(['cp', join(work, 'secret'), `files:/leakdir/`]);
  assert.notEqual(none.code, 0);
  assert.equal(readFileSync(hostSecret, 'utf8'), 'HOST-SECRET\n');
  await ok(['exec', 'files', 'mkdir', '-p', hostDir]);
  await ok(['cp', join(work, 'secret'), `files:/leakdir/`]);
  await ok(['cp', join(work, 'evil'), `files:/updir/evil`]);
  await ok(['cp', join(work, 'evil'), `files:/escape${hostDir}/evil2`]).catch(() => '');
  await b.docker(['cp', join(work, 'secret'), 'files:/leak']);
  assert.equal(readFileSync(hostSecret, 'utf8'), 'HOST-SECRET\n');
  assert.equal(existsSync(join(hostDir, 'evil')), false);
  assert.equal(existsSync(join(hostDir, 'evil2')), false);
  // What was written landed inside the container, at the in-container meaning of the path.
  assert.equal(await ok(['exec', 'files', 'cat', `${hostDir}/secret`]), 'OVERWRITTEN\n');
  assert.equal(await ok(['exec', 'files', 'cat', `${hostDir}/evil`]), 'EVIL\n');
  // A tar carrying its own escaping link, then a file through it: the link resolves in the container.
  const tarDir = join(work, 'tarsrc');
  mkdirSync(tarDir);
  await run('ln', ['-s', '/', join(tarDir, 'root')]);
  mkdirSync(join(tarDir, 'plain'));
  await run('tar', ['-C', tarDir, '-cf', join(work, 'link.tar'), 'root']);
  const t1 = await b.request('PUT', '/v1.41/containers/files/archive?path=/tmp', readFileSync(join(work, 'link.tar')), { 'Content-Type': 'application/x-tar' });
  assert.equal(t1.status, 200, t1.text);
  // A second archive naming root/<host path>: written under the container's root, not the host's.
  const t2src = join(work, 't2');
  mkdirSync(join(t2src, 'root', hostDir.slice(1)), { recursive: true });
  writeFileSync(join(t2src, 'root', hostDir.slice(1), 'viatar'), 'via-tar\n');
  await run('tar', ['-C', t2src, '-cf', join(work, 't2.tar'), `root${hostDir}/viatar`]);
  const t2 = await b.request('PUT', '/v1.41/containers/files/archive?path=/tmp', readFileSync(join(work, 't2.tar')), { 'Content-Type': 'application/x-tar' });
  assert.equal(t2.status, 200, t2.text);
  assert.equal(existsSync(join(hostDir, 'viatar')), false);
  assert.equal(await ok(['exec', 'files', 'cat', `${hostDir}/viatar`]), 'via-tar\n');
  // Names with .. are refused outright.
  const dotdot = Buffer.alloc(2048);
  dotdot.write('../../../../../../../tmp/berth-dotdot', 0);
  dotdot.write('0000644\0', 100);
  dotdot.write('0000000\0', 108);
  dotdot.write('0000000\0', 116);
  dotdot.write('00000000000\0', 124);
  dotdot.write('00000000000\0', 136);
  dotdot.write('0', 156);
  dotdot.write('ustar\x0000', 257);
  dotdot.write('        ', 148);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += dotdot[i];
  dotdot.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  const t3 = await b.request('PUT', '/v1.41/containers/files/archive?path=/tmp', dotdot, { 'Content-Type': 'application/x-tar' });
  assert.equal(t3.status, 400);
  assert.equal(existsSync('/tmp/berth-dotdot'), false);
  rmSync('/tmp/berth-dotdot', { force: true });
});

test('symlink races: a container swapping a directory for a link to a host path while we copy', async () => {
  // CVE-2018-15664's shape: the swap lands between the engine's check and its use.
  await ok(['run', '-d', ...NET, '--name', 'racer', 'busybox', 'sh', '-c', `mkdir -p /race; while :; do rm -rf /race/x; mkdir /race/x; rm -rf /race/x; ln -s ${hostDir} /race/x; done`]);
  writeFileSync(join(work, 'raced'), 'RACED\n');
  for (let i = 0; i < 25; i++) {
    await b.docker(['cp', join(work, 'raced'), 'racer:/race/x/raced']);
    const r = await b.docker(['cp', 'racer:/race/x/secret', join(work, `read${i}`)]);
    if (r.code === 0 && existsSync(join(work, `read${i}`))) {
      assert.notEqual(readFileSync(join(work, `read${i}`), 'utf8'), 'HOST-SECRET\n', 'read the host file through a raced link');
    }
  }
  await ok(['rm', '-f', 'racer']);
  assert.equal(existsSync(join(hostDir, 'raced')), false, 'wrote the host dir through a raced link');
  assert.equal(readFileSync(hostSecret, 'utf8'), 'HOST-SECRET\n');
});

test('HEAD and GET archive carry the X-Docker-Container-Path-Stat header', async () => {
  const h = await b.request('HEAD', '/v1.41/containers/files/archive?path=/data/rel');
  assert.equal(h.status, 200);
  const st = JSON.parse(Buffer.from(String(h.headers['x-docker-container-path-stat']), 'base64').toString());
  assert.equal(st.name, 'rel');
  assert.equal(st.linkTarget, '/data/a');
  assert.ok(st.mode & 2 ** 27, 'symlink bit of Go FileMode');
  const d = await b.request('HEAD', '/v1.41/containers/files/archive?path=/data');
  const ds = JSON.parse(Buffer.from(String(d.headers['x-docker-container-path-stat']), 'base64').toString());
  assert.equal(ds.name, 'data');
  assert.ok(ds.mode >= 2 ** 31, 'directory bit');
  assert.match(ds.mtime, /^\d{4}-\d\d-\d\dT/);
  assert.equal((await b.request('HEAD', '/v1.41/containers/files/archive?path=/nope')).status, 404);
  assert.equal((await b.request('GET', '/v1.41/containers/files/archive')).status, 400);
  const lp = await b.request('HEAD', `${P}/containers/files/archive?path=/data/a`);
  assert.equal(lp.status, 200);
  assert.equal(JSON.parse(Buffer.from(String(lp.headers['x-docker-container-path-stat']), 'base64').toString()).size, 4);
});

test('docker top lists the container processes only; ps_args are honoured', async () => {
  const out = await ok(['top', 'files']);
  const lines = out.trim().split('\n');
  assert.match(lines[0], /UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD/);
  assert.equal(lines.length, 2);
  assert.match(lines[1], /sleep 3600/);
  const aux = (await b.request('GET', '/v1.41/containers/files/top?ps_args=aux')).json;
  assert.ok(aux.Titles.includes('%MEM'));
  assert.equal(aux.Processes.length, 1);
  const lp = (await b.request('GET', `${P}/containers/files/top`)).json;
  assert.deepEqual(lp.Titles, ['USER', 'PID', 'PPID', '%CPU', 'ELAPSED', 'TTY', 'TIME', 'COMMAND']);
  assert.equal(lp.Processes[0][7], 'sleep 3600');
  assert.equal((await b.request('GET', '/v1.41/containers/stopped/top')).status, 409);
});

test('docker stats --no-stream and the stats API (one-shot, stream) read the cgroups', async () => {
  const out = await ok(['stats', '--no-stream', 'files'], { timeoutMs: 20_000 });
  const lines = out.trim().split('\n');
  assert.match(lines[0], /CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT/);
  assert.match(lines[1], /files\s+\d+\.\d+%\s+[\d.]+[KMG]?i?B \/ [\d.]+[KMG]iB/);
  const s = (await b.request('GET', '/v1.41/containers/files/stats?stream=false&one-shot=true')).json;
  assert.equal(s.name, '/files');
  assert.ok(s.cpu_stats.cpu_usage.total_usage > 0);
  assert.ok(s.cpu_stats.system_cpu_usage > 0);
  assert.ok(s.cpu_stats.online_cpus >= 1);
  assert.equal(s.precpu_stats.cpu_usage.total_usage, 0);
  assert.ok(s.memory_stats.usage > 0);
  assert.ok(s.memory_stats.limit > 0);
  assert.ok(Object.keys(s.memory_stats.stats).length > 0);
  assert.equal(s.pids_stats.current, 1);
  assert.ok('blkio_stats' in s);
  const two = (await b.request('GET', '/v1.41/containers/files/stats?stream=false')).json;
  assert.ok(two.precpu_stats.system_cpu_usage > 0, 'stream=false primes precpu_stats');
  assert.ok(two.cpu_stats.system_cpu_usage >= two.precpu_stats.system_cpu_usage);
  // stream: JSON lines, one per second; the client ends it.
  const lines2: string[] = await new Promise((resolve, reject) => {
    import('node:http').then(({ default: http }) => {
      const req = http.get({ socketPath: b.socket, path: '/v1.41/containers/files/stats' }, (res) => {
        let buf = '';
        res.on('data', (c) => {
          buf += c;
          const ls = buf.split('\n').filter(Boolean);
          if (ls.length >= 2) {
            req.destroy();
            resolve(ls);
          }
        });
      });
      req.on('error', reject);
    });
  });
  const [a, c] = lines2.map((l) => JSON.parse(l));
  assert.equal(c.precpu_stats.cpu_usage.total_usage, a.cpu_stats.cpu_usage.total_usage);
  const lp = (await b.request('GET', `${P}/containers/stats?containers=files&stream=false`)).json;
  assert.equal(lp.Error, null);
  assert.equal(lp.Stats.length, 1);
  assert.equal(lp.Stats[0].Name, 'files');
  assert.ok(lp.Stats[0].MemUsage > 0);
  assert.equal(lp.Stats[0].PIDs, 1);
  const stopped = (await b.request('GET', '/v1.41/containers/stopped/stats?stream=false&one-shot=true')).json;
  assert.equal(stopped.memory_stats.usage, undefined);
  assert.equal(stopped.read, '0001-01-01T00:00:00Z');
  assert.equal((await b.request('GET', '/v1.41/containers/nope/stats?stream=false')).status, 404);
});

test('docker export | tar t lists the whole root filesystem', async () => {
  const r = await run('sh', ['-c', `DOCKER_HOST=unix://${b.socket} docker export files | tar t`]);
  assert.equal(r.code, 0, r.stderr);
  const names = r.stdout.split('\n');
  for (const n of ['bin/busybox', 'etc/passwd', 'data/a', 'data/sub/b', 'escape', 'tmp/in.txt']) assert.ok(names.includes(n), `export lacks ${n}`);
  assert.equal(names.some((n) => n.startsWith('/') || n.includes('..')), false);
  const lp = await b.request('GET', `${P}/containers/stopped/export`);
  assert.equal(lp.status, 200);
  assert.equal(lp.headers['content-type'], 'application/x-tar');
});

test('docker diff: added, changed and deleted paths, without the runtime placeholders', async () => {
  await ok(['run', '-d', ...NET, '--name', 'differ', 'busybox', 'sh', '-c', 'echo x >> /etc/passwd; rm /etc/group; mkdir /newdir; touch /newdir/f; sleep 3600']);
  let out = '';
  for (let i = 0; i < 50 && !/newdir\/f/.test(out); i++) {
    out = await ok(['diff', 'differ']);
    await new Promise((r) => setTimeout(r, 100));
  }
  const lines = out.trim().split('\n').sort();
  assert.deepEqual(lines, ['A /newdir', 'A /newdir/f', 'C /etc', 'C /etc/passwd', 'D /etc/group']);
  const lp = (await b.request('GET', `${P}/containers/differ/changes`)).json;
  assert.deepEqual(lp.find((c: { Path: string }) => c.Path === '/etc/group'), { Path: '/etc/group', Kind: 2 });
});

test('docker commit, then run the new image; commit with changes; POST /commit without a body', async () => {
  await ok(['exec', 'files', 'sh', '-c', 'echo committed > /data/c']);
  const id = (await ok(['commit', '-m', 'a message', '-a', 'me', '-c', 'ENV ADDED=yes', 'files', 'committed:v1'])).trim();
  assert.match(id, /^sha256:[0-9a-f]{64}$/);
  assert.equal(await ok(['run', '--rm', ...NET, 'committed:v1', 'sh', '-c', 'cat /data/c; echo $ADDED']), 'committed\nyes\n');
  const i = JSON.parse(await ok(['image', 'inspect', 'committed:v1']))[0];
  assert.equal(i.Comment, 'a message');
  assert.equal(i.Author, 'me');
  assert.deepEqual(i.Config.Cmd, ['sleep', '3600']);
  // The committed layer does not carry the runtime's mount-point placeholders or bind mounts' content.
  const rc = await ok(['run', '--rm', ...NET, 'committed:v1', 'cat', '/etc/hosts']);
  assert.match(rc, /localhost/);
  const raw = await b.request('POST', '/v1.41/commit?container=files&repo=nobody&tag=nobody');
  assert.equal(raw.status, 201, raw.text);
  assert.match(raw.json.Id, /^sha256:/);
  const lp = await b.request('POST', `${P}/commit?container=files&repo=lpcommit&changes=${encodeURIComponent('CMD ["cat","/data/c"]')}`);
  assert.equal(lp.status, 201, lp.text);
  assert.match(lp.json.Id, /^[0-9a-f]{64}$/);
  assert.equal(await ok(['run', '--rm', ...NET, 'lpcommit', ]), 'committed\n');
  assert.equal((await b.request('POST', '/v1.41/commit?container=nope')).status, 404);
  // The container keeps running (commit paused it only while reading).
  assert.equal(JSON.parse(await ok(['inspect', 'files']))[0].State.Status, 'running');
});
