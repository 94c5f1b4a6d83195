// Containers through the real docker CLI: lifecycle, logs, signals, filters, resources.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startBerth, waitFor, FIXTURES, type Berth } from '../../helpers/berth.js';

let b: Berth;
const NET = ['--network', 'none'];

const ok = (args: string[], opts?: { input?: string | Buffer; timeoutMs?: number }) => b.dockerOk(args, opts);

const inspect = async (id: string) => JSON.parse(await ok(['inspect', id]))[0];

before(async () => {
  b = await startBerth();
  await ok(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
});
after(async () => {
  await b.docker(['rm', '-f', ...(await b.docker(['ps', '-aq'])).stdout.split('\n').filter(Boolean)]);
  await b.cleanup();
});

test('docker run --rm busybox echo hi prints hi and leaves nothing behind', async () => {
  const r = await b.docker(['run', '--rm', 'busybox', 'echo', 'hi']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'hi\n');
  // The default network is a real bridge: nothing to warn about, nothing mixed into stderr.
  assert.equal(r.stderr, '');
  assert.equal((await ok(['ps', '-aq'])).trim(), '');
});

test('exit codes propagate, also with --rm', async () => {
  const r = await b.docker(['run', '--rm', ...NET, 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
  assert.equal(r.code, 3);
  assert.equal(r.stdout, 'out\n');
  assert.equal(r.stderr, 'err\n');
  const r2 = await b.docker(['run', ...NET, '--name', 'exit7', 'busybox', 'sh', '-c', 'exit 7']);
  assert.equal(r2.code, 7);
  const i = await inspect('exit7');
  assert.equal(i.State.Status, 'exited');
  assert.equal(i.State.ExitCode, 7);
  assert.equal((await ok(['wait', 'exit7'])).trim(), '7');
  await ok(['rm', 'exit7']);
});

test('run -d, logs -f follows until exit, logs --tail --timestamps --since', async () => {
  const id = (await ok(['run', '-d', ...NET, 'busybox', 'sh', '-c', 'for i in 1 2 3 4 5; do echo line$i; sleep 0.2; done; echo bye >&2'])).trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  const f = await b.docker(['logs', '-f', id], { timeoutMs: 10_000 });
  assert.equal(f.code, 0);
  assert.equal(f.stdout, 'line1\nline2\nline3\nline4\nline5\n');
  assert.equal(f.stderr, 'bye\n');
  const tail = await b.docker(['logs', '--tail', '2', '--timestamps', id]);
  const lines = (tail.stdout + tail.stderr).trim().split('\n');
  assert.equal(lines.length, 2);
  for (const l of lines) assert.match(l, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (line5|bye)$/);
  const ts = (await b.docker(['logs', '--timestamps', id])).stdout.trim().split('\n');
  const third = ts[2].split(' ')[0];
  const since = await b.docker(['logs', '--since', third, id]);
  assert.equal(since.stdout, 'line3\nline4\nline5\n');
  await ok(['rm', id]);
});

test('stop honours SIGTERM handlers and kills after -t', async () => {
  await ok(['run', '-d', ...NET, '--name', 'termy', 'busybox', 'sh', '-c', "trap 'echo got TERM; exit 0' TERM; while true; do sleep 0.1; done"]);
  await waitFor(async () => (await inspect('termy')).State.Running === true);
  await new Promise((r) => setTimeout(r, 300));
  let t0 = Date.now();
  await ok(['stop', '-t', '5', 'termy']);
  assert.ok(Date.now() - t0 < 4000, 'SIGTERM handler should end it quickly');
  let i = await inspect('termy');
  assert.equal(i.State.Status, 'exited');
  assert.equal(i.State.ExitCode, 0);
  assert.match((await ok(['logs', 'termy'])), /got TERM/);

  // PID 1 without a handler ignores SIGTERM: stop must fall back to SIGKILL after -t.
  await ok(['run', '-d', ...NET, '--name', 'stubborn', 'busybox', 'sleep', '1000']);
  t0 = Date.now();
  await ok(['stop', '-t', '1', 'stubborn']);
  const took = Date.now() - t0;
  assert.ok(took >= 900 && took < 5000, `stop took ${took}ms`);
  i = await inspect('stubborn');
  assert.equal(i.State.ExitCode, 137);
  await ok(['rm', 'termy', 'stubborn']);
});

test('kill -s USR1 delivers the signal and the container keeps running', async () => {
  await ok(['run', '-d', ...NET, '--name', 'usr1', 'busybox', 'sh', '-c', "trap 'echo got USR1' USR1; while true; do sleep 0.1; done"]);
  await new Promise((r) => setTimeout(r, 300));
  await ok(['kill', '-s', 'USR1', 'usr1']);
  assert.ok(await waitFor(async () => /got USR1/.test((await b.docker(['logs', 'usr1'])).stdout), 5000));
  assert.equal((await inspect('usr1')).State.Running, true);
  await ok(['kill', 'usr1']);
  assert.ok(await waitFor(async () => (await inspect('usr1')).State.Status === 'exited', 5000));
  assert.equal((await inspect('usr1')).State.ExitCode, 137);
  await ok(['rm', 'usr1']);
});

test('ps filters, limit and formats', async () => {
  const a = (await ok(['run', '-d', ...NET, '--name', 'fa', '--label', 'team=red', 'busybox', 'sleep', '1000'])).trim();
  await ok(['run', ...NET, '--name', 'fb', '--label', 'team=blue', 'busybox', 'sh', '-c', 'exit 3']).catch(() => undefined);
  await b.docker(['run', ...NET, '--name', 'fb2', 'busybox', 'true']);
  const names = async (args: string[]) => (await ok(['ps', ...args, '--format', '{{.Names}}'])).trim().split('\n').filter(Boolean).sort();
  assert.deepEqual(await names([]), ['fa']);
  assert.deepEqual(await names(['-a', '--filter', 'label=team=blue']), ['fb']);
  assert.deepEqual(await names(['-a', '--filter', 'label=team']), ['fa', 'fb']);
  assert.deepEqual(await names(['-a', '--filter', 'status=exited']), ['fb', 'fb2']);
  assert.deepEqual(await names(['-a', '--filter', 'exited=3']), ['fb']);
  assert.deepEqual(await names(['-a', '--filter', 'name=fb']), ['fb', 'fb2']);
  assert.deepEqual(await names(['-a', '--filter', `id=${a.slice(0, 10)}`]), ['fa']);
  assert.deepEqual(await names(['-a', '--filter', 'ancestor=busybox', '--filter', 'status=running']), ['fa']);
  assert.deepEqual(await names(['-a', '--filter', 'since=fa']), ['fb', 'fb2']);
  assert.deepEqual(await names(['-a', '--filter', 'before=fb']), ['fa']);
  assert.deepEqual(await names(['-a', '--filter', 'health=none', '--filter', 'status=running']), ['fa']);
  assert.deepEqual(await names(['-a', '-n', '1']), ['fb2']);
  const bad = await b.request('GET', '/v1.41/containers/json?filters=' + encodeURIComponent('{"bogus":["x"]}'));
  assert.equal(bad.status, 400);
  const st = (await ok(['ps', '-a', '--filter', 'name=fb2', '--format', '{{.Status}}'])).trim();
  assert.match(st, /^Exited \(0\) .* ago$/);
  await ok(['rm', '-f', 'fa', 'fb', 'fb2']);
});

test('inspect reports true values', async () => {
  await ok(['run', '-d', ...NET, '--name', 'insp', '--memory', '64m', '--label', 'k=v', '-e', 'FOO=bar', '-w', '/tmp', '--restart', 'unless-stopped', 'busybox', 'sleep', '1000']);
  const i = await inspect('insp');
  assert.equal(i.Name, '/insp');
  assert.equal(i.State.Status, 'running');
  assert.equal(i.State.Running, true);
  assert.ok(i.State.Pid > 0);
  assert.ok(existsSync(`/proc/${i.State.Pid}`));
  assert.notEqual(i.State.StartedAt, '0001-01-01T00:00:00Z');
  assert.equal(i.State.FinishedAt, '0001-01-01T00:00:00Z');
  assert.deepEqual(i.Config.Cmd, ['sleep', '1000']);
  assert.equal(i.Config.WorkingDir, '/tmp');
  assert.ok(i.Config.Env.includes('FOO=bar'));
  assert.equal(i.Config.Labels.k, 'v');
  assert.equal(i.HostConfig.Memory, 64 * 1024 * 1024);
  assert.equal(i.HostConfig.NetworkMode, 'none');
  assert.deepEqual(i.HostConfig.RestartPolicy, { Name: 'unless-stopped', MaximumRetryCount: 0 });
  assert.equal(i.RestartCount, 0);
  assert.ok(existsSync(i.LogPath));
  assert.equal(i.Path, 'sleep');
  assert.deepEqual(i.Args, ['1000']);
  assert.match(i.Image, /^sha256:[0-9a-f]{64}$/);
  assert.ok(i.GraphDriver.Data.MergedDir);
  assert.equal((await ok(['inspect', '-f', '{{.Config.Hostname}}', 'insp'])).trim(), i.Id.slice(0, 12));
  assert.equal((await ok(['inspect', '-f', '{{.State.Paused}}', 'insp'])).trim(), 'false');
  await ok(['rm', '-f', 'insp']);
});

test('pause, unpause, rename, restart', async () => {
  await ok(['run', '-d', ...NET, '--name', 'pp', 'busybox', 'sleep', '1000']);
  await ok(['pause', 'pp']);
  let i = await inspect('pp');
  assert.equal(i.State.Status, 'paused');
  assert.equal(i.State.Paused, true);
  assert.match((await ok(['ps', '--filter', 'name=pp', '--format', '{{.Status}}'])).trim(), /\(Paused\)$/);
  const again = await b.request('POST', '/v1.41/containers/pp/pause');
  assert.equal(again.status, 409);
  await ok(['unpause', 'pp']);
  assert.equal((await inspect('pp')).State.Status, 'running');
  const un = await b.request('POST', '/v1.41/containers/pp/unpause');
  assert.equal(un.status, 409);

  await ok(['rename', 'pp', 'qq']);
  assert.equal((await inspect('qq')).Name, '/qq');
  assert.equal((await b.request('GET', '/v1.41/containers/pp/json')).status, 404);

  i = await inspect('qq');
  await ok(['restart', '-t', '1', 'qq']);
  const j = await inspect('qq');
  assert.equal(j.State.Status, 'running');
  assert.notEqual(j.State.Pid, i.State.Pid);
  assert.ok(Date.parse(j.State.StartedAt) > Date.parse(i.State.StartedAt));
  await ok(['rm', '-f', 'qq']);
});

test('restart policy on-failure:2 restarts twice and counts', async () => {
  await ok(['run', '-d', ...NET, '--name', 'flaky', '--restart', 'on-failure:2', 'busybox', 'sh', '-c', 'echo run; exit 1']);
  assert.ok(
    await waitFor(async () => {
      const i = await inspect('flaky');
      return i.State.Status === 'exited' && i.RestartCount === 2;
    }, 15_000),
  );
  const i = await inspect('flaky');
  assert.equal(i.State.ExitCode, 1);
  assert.equal(i.RestartCount, 2);
  assert.equal((await ok(['logs', 'flaky'])), 'run\nrun\nrun\n');
  await ok(['rm', 'flaky']);
});

test('20 concurrent docker run --rm all succeed', async () => {
  const runs = await Promise.all(
    Array.from({ length: 20 }, (_, n) => b.docker(['run', '--rm', ...NET, 'busybox', 'sh', '-c', `echo run${n}`], { timeoutMs: 60_000 })),
  );
  runs.forEach((r, n) => {
    assert.equal(r.code, 0, `run ${n}: ${r.stderr}`);
    assert.equal(r.stdout, `run${n}\n`);
  });
  assert.equal((await ok(['ps', '-aq'])).trim(), '');
});

test('--ulimit is applied, and clamped to what this host allows', async () => {
  const r = await b.docker(['run', '--rm', ...NET, '--ulimit', 'nofile=1024:2048', 'busybox', 'sh', '-c', 'ulimit -n; ulimit -Hn']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '1024\n2048\n');
  // Above our own hard limit (no CAP_SYS_RESOURCE here): runc would fail; berth clamps.
  const big = await b.docker(['run', '--rm', ...NET, '--ulimit', 'nofile=99999999:99999999', 'busybox', 'sh', '-c', 'ulimit -Hn']);
  assert.equal(big.code, 0, big.stderr);
  assert.ok(Number(big.stdout.trim()) > 0);
});

test('--memory sets the cgroup limit', async () => {
  const r = await b.docker(['run', '--rm', ...NET, '--memory', '64m', 'busybox', 'sh', '-c', 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), String(64 * 1024 * 1024));
  // Exceeding it is an OOM kill, reported as such.
  const oom = await b.docker(['run', '--name', 'oomy', ...NET, '--memory', '8m', '--memory-swap', '8m', 'busybox', 'sh', '-c', 'x=$(head -c 50000000 /dev/zero | tr "\\0" a); echo ${#x}']);
  assert.equal(oom.code, 137);
  const i = await inspect('oomy');
  assert.equal(i.State.OOMKilled, true);
  assert.equal(i.State.ExitCode, 137);
  await ok(['rm', 'oomy']);
});

test('--user nobody, --read-only, --cap-drop ALL, --init', async () => {
  const u = await b.docker(['run', '--rm', ...NET, '--user', 'nobody', 'busybox', 'sh', '-c', 'id -u; id -g']);
  assert.equal(u.stdout, '65534\n65534\n');
  const ro = await b.docker(['run', '--rm', ...NET, '--read-only', 'busybox', 'sh', '-c', 'touch /x']);
  assert.equal(ro.code, 1);
  assert.match(ro.stderr, /Read-only file system/);
  const rw = await b.docker(['run', '--rm', ...NET, 'busybox', 'sh', '-c', 'touch /x && echo ok']);
  assert.equal(rw.stdout, 'ok\n');
  const caps = await b.docker(['run', '--rm', ...NET, '--cap-drop', 'ALL', 'busybox', 'grep', 'CapEff', '/proc/self/status']);
  assert.match(caps.stdout, /CapEff:\s+0000000000000000/);
  const dflt = await b.docker(['run', '--rm', ...NET, 'busybox', 'grep', 'CapEff', '/proc/self/status']);
  assert.match(dflt.stdout, /CapEff:\s+00000000a80425fb/); // docker's default set
  const init = await b.docker(['run', '--rm', ...NET, '--init', 'busybox', 'sh', '-c', 'cat /proc/1/cmdline | tr "\\0" " "']);
  assert.equal(init.code, 0, init.stderr);
  assert.match(init.stdout, /^\/run\/berth-init -- sh -c/);
});

test('stdin with -i, start -a, privileged devices', async () => {
  const r = await b.docker(['run', '-i', '--rm', ...NET, 'busybox', 'sh', '-c', 'cat; echo done'], { input: 'from stdin\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'from stdin\ndone\n');
  await ok(['create', '--name', 'again', ...NET, 'busybox', 'echo', 'once more']);
  assert.equal(await ok(['start', '-a', 'again']), 'once more\n');
  assert.equal(await ok(['start', '-a', 'again']), 'once more\n');
  assert.equal(await ok(['logs', 'again']), 'once more\nonce more\n');
  await ok(['rm', 'again']);
  const priv = await b.docker(['run', '--rm', ...NET, '--privileged', 'busybox', 'sh', '-c', 'test -c /dev/tty0 -o -c /dev/loop-control -o -b /dev/vda && echo devices']);
  assert.equal(priv.stdout, 'devices\n', priv.stderr);
});

test('update changes resources of a running container and its restart policy', async () => {
  const id = (await ok(['run', '-d', ...NET, '--memory', '64m', 'busybox', 'sleep', '1000'])).trim();
  await ok(['update', '--memory', '128m', '--memory-swap', '256m', '--restart', 'on-failure:3', id]);
  const i = await inspect(id);
  assert.equal(i.HostConfig.Memory, 128 * 1024 * 1024);
  assert.deepEqual(i.HostConfig.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 3 });
  const limit = `/sys/fs/cgroup/memory/berth/berth-${id}/memory.limit_in_bytes`;
  if (existsSync(limit)) assert.equal((await import('node:fs')).readFileSync(limit, 'utf8').trim(), String(128 * 1024 * 1024));
  await ok(['rm', '-f', id]);
});

test('every lifecycle step is an event', async () => {
  const since = (Date.now() / 1000).toFixed(3);
  await ok(['run', '--rm', ...NET, '--name', 'evt', 'busybox', 'true']);
  await ok(['run', '-d', ...NET, '--name', 'evt2', 'busybox', 'sleep', '100']);
  await ok(['pause', 'evt2']);
  await ok(['unpause', 'evt2']);
  await ok(['rename', 'evt2', 'evt3']);
  await ok(['stop', '-t', '0', 'evt3']);
  await ok(['rm', 'evt3']);
  const until = (Date.now() / 1000 + 0.5).toFixed(3);
  const out = await ok(['events', '--since', since, '--until', until, '--filter', 'type=container', '--format', '{{.Actor.Attributes.name}} {{.Action}}']);
  const lines = out.trim().split('\n');
  for (const want of ['evt create', 'evt attach', 'evt start', 'evt die', 'evt destroy', 'evt2 create', 'evt2 start', 'evt2 pause', 'evt2 unpause', 'evt3 rename', 'evt3 kill', 'evt3 die', 'evt3 stop', 'evt3 destroy']) {
    assert.ok(lines.includes(want), `missing "${want}" in:\n${out}`);
  }
});

test('--network container:X joins that container network namespace; -p conflicts with it', async () => {
  await ok(['run', '-d', ...NET, '--name', 'netowner', 'busybox', 'sh', '-c', 'ip link set lo up; nc -l -p 8080 -e echo hello-from-owner']);
  await new Promise((r) => setTimeout(r, 300));
  const r = await b.docker(['run', '--rm', '--network', 'container:netowner', 'busybox', 'nc', '127.0.0.1', '8080']);
  assert.equal(r.stdout, 'hello-from-owner\n', r.stderr);
  const bad = await b.docker(['run', '--rm', '--network', 'container:nosuch', 'busybox', 'true']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /no such container/);
  // Ports are published on a network of the container's own (test/e2e/networks/ports.test.ts).
  const pub = await b.docker(['run', '--rm', '--network', 'container:netowner', '-p', '8080:80', 'busybox', 'true']);
  assert.notEqual(pub.code, 0);
  assert.match(pub.stderr, /conflicting options: port publishing and the container type network mode/);
  await ok(['rm', '-f', 'netowner']);
});

test('-v host binds, --mount bind/tmpfs/volume, -v named volumes', async () => {
  const dir = join(b.dir, 'hostdir');
  (await import('node:fs')).mkdirSync(dir, { recursive: true });
  (await import('node:fs')).writeFileSync(join(dir, 'f'), 'hostfile\n');
  const rw = await b.docker(['run', '--rm', ...NET, '-v', `${dir}:/h`, 'busybox', 'sh', '-c', 'cat /h/f; echo w > /h/w']);
  assert.equal(rw.stdout, 'hostfile\n', rw.stderr);
  assert.equal((await import('node:fs')).readFileSync(join(dir, 'w'), 'utf8'), 'w\n');
  const ro = await b.docker(['run', '--rm', ...NET, '--mount', `type=bind,src=${dir},dst=/h,readonly`, '--mount', 'type=tmpfs,dst=/t,tmpfs-size=1m', 'busybox', 'sh', '-c', 'touch /h/x; grep " /t " /proc/mounts']);
  assert.match(ro.stderr, /Read-only file system/);
  assert.match(ro.stdout, /tmpfs \/t tmpfs .*size=1024k/);
  const vol = await b.docker(['run', '--rm', ...NET, '--mount', 'type=volume,src=vv,dst=/v', 'busybox', 'sh', '-c', 'echo in-v > /v/f']);
  assert.equal(vol.code, 0, vol.stderr);
  const named = await b.docker(['run', '--rm', ...NET, '-v', 'vv:/named', 'busybox', 'cat', '/named/f']);
  assert.equal(named.stdout, 'in-v\n', named.stderr);
  await ok(['volume', 'rm', 'vv']);
});

test('mounts: inspect lists each as docker does; propagation reaches the runtime; bad specs are 400s', async () => {
  const fs = await import('node:fs');
  const dir = join(b.dir, 'mountsdir');
  fs.mkdirSync(dir, { recursive: true });
  const c = await ok(['create', ...NET, '-v', `${dir}:/b:ro,rslave`, '--mount', `type=bind,src=${dir},dst=/m`, '--mount', 'type=tmpfs,dst=/t', '--tmpfs', '/run:size=1m', 'busybox', 'sleep', '30']);
  const id = c.trim();
  const info = JSON.parse(await ok(['inspect', id]))[0];
  // --mount stays in HostConfig.Mounts (docker does not fold it into Binds).
  assert.deepEqual(info.HostConfig.Binds, [`${dir}:/b:ro,rslave`]);
  assert.equal(info.HostConfig.Mounts.length, 2);
  assert.deepEqual(
    info.Mounts.map((m: Record<string, unknown>) => [m.Type, m.Source, m.Destination, m.Mode, m.RW, m.Propagation]),
    [['bind', dir, '/b', 'ro,rslave', false, 'rslave'], ['bind', dir, '/m', '', true, 'rprivate'], ['tmpfs', '', '/t', '', true, '']],
  );
  await ok(['start', id]);
  const pm = await ok(['exec', id, 'cat', '/proc/self/mountinfo']);
  const line = (dst: string) => pm.split('\n').find((l: string) => l.split(' ')[4] === dst) ?? '';
  assert.match(line('/b'), / ro[, ]/);
  assert.match(line('/run'), /tmpfs/);
  const config = JSON.parse(fs.readFileSync(join(b.runRoot, 'containers', id, 'bundle', 'config.json'), 'utf8'));
  const ociB = config.mounts.find((m: { destination: string }) => m.destination === '/b');
  assert.deepEqual(ociB.options, ['rbind', 'ro', 'rslave']);
  await ok(['rm', '-f', id]);

  for (const [spec, msg] of [
    [`${dir}:/`, /destination can't be '\/'/],
    [`${dir}:/x:rw,zz`, /unknown option 'zz'/],
    [`${dir}:relative`, /must be absolute/],
  ] as const) {
    const r = await b.request('POST', '/v1.41/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'none', Binds: [spec] } });
    assert.equal(r.status, 400, `${spec}: ${r.text}`);
    assert.match(r.json.message, msg);
  }
  const dup = await b.request('POST', '/v1.41/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'none', Binds: [`${dir}:/x`], Tmpfs: { '/x': '' } } });
  assert.equal(dup.status, 400);
  assert.match(dup.json.message, /Duplicate mount point: \/x/);
});
