// Where dockerd (compat) and podman (libpod) answer in a way clients depend on, through the docker
// CLI, podman-remote and plain HTTP: exec terminals and codes, kill and restart timing, init,
// events without a stream, load errors in the stream, swarm endpoints on a non-swarm node.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, startBerth, waitFor, FIXTURES, type Berth, removeAllContainers } from '../../helpers/berth.js';

let b: Berth;
const NET = ['--network', 'none'];
const P = '/v5.4.2/libpod';
const ok = (args: string[]) => b.dockerOk(args);
const podman = (args: string[]) => run('podman', ['--remote', '--url', `unix://${b.socket}`, ...args], { timeoutMs: 30_000 });

before(async () => {
  b = await startBerth();
  await ok(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
  await ok(['run', '-d', ...NET, '--name', 'cf', 'busybox', 'sleep', '3600']);
});
after(async () => {
  await removeAllContainers(b);
  await b.cleanup();
});

test('docker exec -t writes through a terminal (onlcr): hi\\r\\n', async () => {
  assert.equal(await ok(['exec', '-t', 'cf', 'sh', '-c', 'echo hi']), 'hi\r\n');
  assert.equal(await ok(['exec', 'cf', 'sh', '-c', 'echo hi']), 'hi\n');
});

test('exec that cannot start: compat inspect says 126 (dockerd), libpod the runtime\'s 127 / 126 (podman)', async () => {
  for (const [cmd, libpodCode] of [['no-such-command', 127], ['/etc/passwd', 126]] as const) {
    const c = await b.request('POST', '/v1.41/containers/cf/exec', { Cmd: [cmd], AttachStdout: true, AttachStderr: true });
    const s = await b.request('POST', `/v1.41/exec/${c.json.Id}/start`, { Detach: false, Tty: false });
    assert.match(s.text, /OCI runtime exec failed/);
    assert.equal((await b.request('GET', `/v1.41/exec/${c.json.Id}/json`)).json.ExitCode, 126, cmd);
    assert.equal((await b.request('GET', `${P}/exec/${c.json.Id}/json`)).json.ExitCode, libpodCode, cmd);
    // A session that never ran has run all the same: it cannot be started again.
    assert.equal((await b.request('POST', `/v1.41/exec/${c.json.Id}/start`, { Detach: true })).status, 409);
  }
  // docker run of a missing command stays 127.
  const r = await b.docker(['run', '--rm', ...NET, 'busybox', 'no-such-command']);
  assert.equal(r.code, 127);
});

test('compat exec start frames by its own Tty: multiplexed when the start omits it, raw when it asks', async () => {
  const c = await b.request('POST', '/v1.41/containers/cf/exec', { Cmd: ['sh', '-c', 'echo hi'], Tty: true, AttachStdout: true });
  const muxed = await b.request('POST', `/v1.41/exec/${c.json.Id}/start`, { Detach: false });
  const buf = Buffer.from(muxed.text, 'latin1');
  assert.equal(buf[0], 1);
  assert.equal(buf.subarray(8).toString(), 'hi\r\n');
  const n = await b.request('POST', '/v1.41/containers/cf/exec', { Cmd: ['sh', '-c', 'echo hi'], Tty: false, AttachStdout: true });
  // A terminal is the session's to have: a start asking for one gets raw output, still without.
  assert.equal((await b.request('POST', `/v1.41/exec/${n.json.Id}/start`, { Detach: false, Tty: true })).text, 'hi\n');
});

test('kill answers once the container is dead: inspect right after shows exited', async () => {
  for (let i = 0; i < 3; i++) {
    await ok(['run', '-d', ...NET, '--name', `k${i}`, 'busybox', 'sleep', '1000']);
    assert.equal((await b.request('POST', `/v1.41/containers/k${i}/kill`)).status, 204);
    const st = (await b.request('GET', `/v1.41/containers/k${i}/json`)).json.State;
    assert.equal(st.Status, 'exited');
    assert.equal(st.ExitCode, 137);
  }
  // Another signal answers once sent; the container stays up for a trapped one.
  await ok(['run', '-d', ...NET, '--name', 'k-usr', 'busybox', 'sh', '-c', "trap 'echo got' USR1; while true; do sleep 0.1; done"]);
  assert.equal((await b.request('POST', '/v1.41/containers/k-usr/kill?signal=USR1')).status, 204);
  assert.equal((await b.request('GET', '/v1.41/containers/k-usr/json')).json.State.Status, 'running');
});

test('restart takes the stop and a start, nothing more (issue 11: never less than 5 s before)', async () => {
  await ok(['run', '-d', ...NET, '--name', 'rs-term', 'busybox', 'sh', '-c', "trap 'exit 0' TERM; while true; do sleep 0.1; done"]);
  let t = Date.now();
  await ok(['restart', 'rs-term']);
  assert.ok(Date.now() - t < 2500, `docker restart took ${Date.now() - t} ms`);
  await ok(['run', '-d', ...NET, '--name', 'rs-ign', 'busybox', 'sh', '-c', "trap '' TERM; while true; do sleep 0.1; done"]);
  const before = (await b.request('GET', '/v1.41/containers/rs-ign/json')).json.State.StartedAt;
  t = Date.now();
  assert.equal((await b.request('POST', '/v1.41/containers/rs-ign/restart?t=1')).status, 204);
  const took = Date.now() - t;
  assert.ok(took >= 900 && took < 3000, `restart?t=1 took ${took} ms`);
  const st = (await b.request('GET', '/v1.41/containers/rs-ign/json')).json.State;
  assert.equal(st.Status, 'running');
  assert.notEqual(st.StartedAt, before);
});

test('HostConfig fields dockerd applies are applied: --device, --oom-kill-disable, --memory-swappiness, blkio throttles, systempaths', async () => {
  // A block device to throttle: loop0 is there on these machines (loop is built in).
  const disk = existsSync('/dev/loop0') ? '/dev/loop0' : undefined;
  const throttle = disk ? ['--device-read-bps', `${disk}:1mb`, '--device-write-iops', `${disk}:100`] : [];
  const id = (await ok([
    'run', '-d', ...NET, '--device', '/dev/fuse:/dev/myfuse:r', '--oom-kill-disable', '-m', '64m', '--memory-swappiness', '10',
    ...throttle, 'busybox', 'sleep', '1000',
  ])).trim();
  assert.match(await ok(['exec', id, 'ls', '-l', '/dev/myfuse']), /^c.* 10,\s+229 /);
  // r only (fuse is no default device): opening it to read works, to write the device cgroup refuses.
  assert.equal((await b.docker(['exec', id, 'sh', '-c', ': < /dev/myfuse'])).code, 0);
  const w = await b.docker(['exec', id, 'sh', '-c', ': > /dev/myfuse']);
  assert.notEqual(w.code, 0);
  assert.match(w.stderr, /Operation not permitted/);
  const i = (await b.request('GET', `/v1.41/containers/${id}/json`)).json.HostConfig;
  assert.deepEqual(i.Devices, [{ PathOnHost: '/dev/fuse', PathInContainer: '/dev/myfuse', CgroupPermissions: 'r' }]);
  assert.equal(i.OomKillDisable, true);
  assert.equal(i.MemorySwappiness, 10);
  assert.ok(i.MaskedPaths.includes('/proc/kcore'));
  const cg = (ctrl: string, f: string) => {
    const p = `/sys/fs/cgroup/${ctrl}/berth/berth-${id}/${f}`;
    return existsSync(p) ? readFileSync(p, 'utf8') : undefined;
  };
  if (cg('memory', 'memory.swappiness') !== undefined) {
    assert.equal(cg('memory', 'memory.swappiness')!.trim(), '10');
    assert.match(cg('memory', 'memory.oom_control')!, /^oom_kill_disable 1$/m);
    assert.match(cg('devices', 'devices.list')!, /^c 10:229 r$/m);
    if (disk) {
      assert.equal(cg('blkio', 'blkio.throttle.read_bps_device')!.trim(), '7:0 1048576');
      assert.equal(cg('blkio', 'blkio.throttle.write_iops_device')!.trim(), '7:0 100');
    }
  }
  const chr = await b.docker(['create', ...NET, '--device-read-bps', '/dev/null:1mb', 'busybox', 'true']);
  assert.match(chr.stderr, /\/dev\/null is not a block device/);
  const masked = await ok(['run', '--rm', ...NET, 'busybox', 'grep', '-c', ' /proc/keys ', '/proc/mounts']);
  assert.equal(masked.trim(), '1');
  const open = await b.docker(['run', '--rm', ...NET, '--security-opt', 'systempaths=unconfined', 'busybox', 'grep', '-c', ' /proc/keys ', '/proc/mounts']);
  assert.equal(open.stdout.trim(), '0');
  const missing = await b.docker(['create', ...NET, '--device', '/dev/no-such-device', 'busybox', 'true']);
  assert.match(missing.stderr, /error gathering device information while adding custom device "\/dev\/no-such-device": no such file or directory/);
  const swap = await b.request('POST', '/v1.41/containers/create', { Image: 'busybox', HostConfig: { MemorySwappiness: 101 } });
  assert.deepEqual([swap.status, swap.json.message], [400, 'Invalid value: 101, valid memory swappiness range is 0-100']);
});

test('stop during the restart policy\'s back-off acts at once and ends the restarts', async () => {
  await ok(['run', '-d', ...NET, '--name', 'flap', '--restart', 'always', 'busybox', 'false']);
  const count = async () => (await b.request('GET', '/v1.41/containers/flap/json')).json.RestartCount as number;
  // From the fifth restart on the back-off is over 3 s: a stop that waited for it would show.
  assert.ok(await waitFor(async () => (await count()) >= 5, 30_000, 100));
  const t = Date.now();
  await ok(['stop', '-t', '0', 'flap']);
  assert.ok(Date.now() - t < 1500, `stop took ${Date.now() - t} ms`);
  const n = await count();
  await new Promise((r) => setTimeout(r, 3500));
  const st = (await b.request('GET', '/v1.41/containers/flap/json')).json;
  assert.equal(st.State.Status, 'exited');
  assert.equal(st.RestartCount, n);
  await ok(['rm', 'flap']);
});

test('libpod init: the container is created in the runtime, initialized, and start runs it', async () => {
  await ok(['create', ...NET, '--name', 'in1', 'busybox', 'sh', '-c', 'echo started; sleep 100']);
  assert.equal((await b.request('POST', `${P}/containers/in1/init`)).status, 204);
  const i = (await b.request('GET', `${P}/containers/in1/json`)).json;
  assert.equal(i.State.Status, 'initialized');
  assert.ok(i.State.Pid > 0 && i.State.ConmonPid > 0);
  assert.equal((await b.request('GET', '/v1.41/containers/in1/json')).json.State.Status, 'created');
  // Its process waits for the start: nothing ran yet.
  assert.equal(await ok(['logs', 'in1']), '');
  assert.equal((await b.request('POST', `${P}/containers/in1/init`)).status, 304);
  assert.equal((await b.request('GET', `${P}/containers/json?all=true&filters=${encodeURIComponent('{"name":["in1"]}')}`)).json[0].State, 'initialized');
  assert.equal((await b.request('GET', `${P}/containers/json`)).json.some((c: { Names: string[] }) => c.Names[0] === 'in1'), false);
  assert.equal((await b.request('POST', `${P}/containers/in1/start`)).status, 204);
  assert.equal((await b.request('GET', `${P}/containers/in1/json`)).json.State.Status, 'running');
  assert.equal(await ok(['logs', 'in1']), 'started\n');
  assert.equal((await b.request('POST', `${P}/containers/in1/init`)).status, 304);
  assert.equal((await b.request('POST', `${P}/containers/nope/init`)).status, 404);
  await ok(['rm', '-f', 'in1']);
});

test('podman-remote init, then stop, init again and rm without force', async () => {
  await ok(['create', ...NET, '--name', 'in2', 'busybox', 'sleep', '100']);
  let r = await podman(['container', 'init', 'in2']);
  assert.equal(r.code, 0, r.stderr);
  r = await podman(['ps', '-a', '--filter', 'name=in2', '--format', '{{.State}}']);
  assert.match(r.stdout, /^Initialized/i);
  r = await podman(['stop', 'in2']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await podman(['inspect', '-f', '{{.State.Status}}', 'in2'])).stdout.trim(), 'exited');
  assert.equal((await podman(['init', 'in2'])).code, 0);
  r = await podman(['start', 'in2']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await podman(['inspect', '-f', '{{.State.Status}}', 'in2'])).stdout.trim(), 'running');
  await podman(['stop', '-t', '0', 'in2']);
  assert.equal((await podman(['init', 'in2'])).code, 0);
  r = await podman(['rm', 'in2']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await b.request('GET', '/v1.41/containers/in2/json')).status, 404);
});

test('events?stream=false answers the events so far and ends, on both paths', async () => {
  for (const path of ['/v1.41/events?stream=false', `${P}/events?stream=false`]) {
    const r = await b.request('GET', path);
    assert.equal(r.status, 200);
    const evs = r.text.trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(evs.some((e) => e.Type === 'container' && e.Action === 'start'), path);
  }
  const since = Math.floor(Date.now() / 1000) + 3600;
  assert.equal((await b.request('GET', `/v1.41/events?stream=false&since=${since}`)).text, '');
});

test('compat images/load of bytes that are no archive: 200 with the error in the JSON stream (libpod: 400)', async () => {
  const r = await b.request('POST', '/v1.41/images/load', Buffer.from('these bytes are no archive'), { 'Content-Type': 'application/x-tar' });
  assert.equal(r.status, 200);
  const m = JSON.parse(r.text.trim());
  assert.equal(typeof m.error, 'string');
  assert.deepEqual(m.errorDetail, { message: m.error });
  const l = await b.request('POST', `${P}/images/load`, Buffer.from('these bytes are no archive'), { 'Content-Type': 'application/x-tar' });
  assert.equal(l.status, 400);
  const cli = await b.docker(['load'], { input: 'these bytes are no archive' });
  assert.notEqual(cli.code, 0);
});

test('swarm endpoints answer 503 as on a dockerd node outside a swarm, never 404', async () => {
  const manager = 'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.';
  const routes: [string, string][] = [
    ['GET', '/swarm'], ['GET', '/swarm/unlockkey'], ['POST', '/swarm/update'], ['POST', '/swarm/unlock'],
    ['GET', '/nodes'], ['GET', '/nodes/x'], ['DELETE', '/nodes/x'], ['POST', '/nodes/x/update'],
    ['GET', '/services'], ['GET', '/services/x'], ['POST', '/services/create'], ['POST', '/services/x/update'], ['DELETE', '/services/x'], ['GET', '/services/x/logs'],
    ['GET', '/tasks'], ['GET', '/tasks/x'], ['GET', '/tasks/x/logs'],
    ['GET', '/configs'], ['GET', '/configs/x'], ['POST', '/configs/create'], ['DELETE', '/configs/x'], ['POST', '/configs/x/update'],
  ];
  for (const [m, p] of routes) {
    for (const prefix of ['/v1.41', '']) {
      const r = await b.request(m, prefix + p);
      assert.equal(r.status, 503, `${m} ${prefix}${p}`);
      assert.deepEqual(r.json, { message: manager }, `${m} ${p}`);
    }
  }
  assert.deepEqual((await b.request('POST', '/v1.41/swarm/leave?force=true')).json, { message: 'This node is not part of a swarm' });
  for (const p of ['/swarm/init', '/swarm/join']) assert.equal((await b.request('POST', `/v1.41${p}`, {})).status, 503);
  const cli = await b.docker(['node', 'ls']);
  assert.notEqual(cli.code, 0);
  assert.match(cli.stderr, /This node is not a swarm manager/);
});
