// Error answers of the container endpoints: status codes and messages as docker clients expect.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Docker from 'dockerode';
import { startBerth, FIXTURES, type Berth } from '../../helpers/berth.js';

let b: Berth;
const create = (body: Record<string, unknown>, name?: string, prefix = '/v1.41') =>
  b.request('POST', `${prefix}/containers/create${name ? `?name=${name}` : ''}`, { Image: 'busybox', Cmd: ['sleep', '100'], HostConfig: { NetworkMode: 'none' }, ...body });

before(async () => {
  b = await startBerth();
  const r = await b.docker(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
  assert.equal(r.code, 0, r.stderr);
});
after(async () => {
  await b.docker(['rm', '-f', ...(await b.docker(['ps', '-aq'])).stdout.split('\n').filter(Boolean)]);
  await b.cleanup();
});

test('no such image is a 404 naming the image', async () => {
  const r = await create({ Image: 'nosuchimage:1.0' });
  assert.equal(r.status, 404);
  assert.match(r.json.message, /nosuchimage:1\.0/);
});

test('a name in use is a 409, a bad name a 400', async () => {
  assert.equal((await create({}, 'dup')).status, 201);
  const r = await create({}, 'dup');
  assert.equal(r.status, 409);
  assert.match(r.json.message, /already in use/);
  assert.equal((await create({}, 'bad%20name')).status, 400);
  const cli = await b.docker(['create', '--name', 'dup', 'busybox']);
  assert.notEqual(cli.code, 0);
  assert.match(cli.stderr, /Conflict/);
});

test('bad restart policy, bad memory, bad signal are 400', async () => {
  assert.equal((await create({ HostConfig: { RestartPolicy: { Name: 'sometimes' } } })).status, 400);
  assert.equal((await create({ HostConfig: { RestartPolicy: { Name: 'always', MaximumRetryCount: 3 } } })).status, 400);
  assert.equal((await create({ HostConfig: { AutoRemove: true, RestartPolicy: { Name: 'always' } } })).status, 400);
  assert.equal((await create({ HostConfig: { Memory: 1024 } })).status, 400);
  assert.equal((await create({ HostConfig: { Memory: -5 } })).status, 400);
  assert.equal((await create({ StopSignal: 'SIGNOPE' })).status, 400);
  const c = await create({}, 'sig');
  await b.request('POST', '/v1.41/containers/sig/start');
  const k = await b.request('POST', '/v1.41/containers/sig/kill?signal=NOPE');
  assert.equal(k.status, 400);
  assert.match(k.json.message, /Invalid signal/);
  const cli = await b.docker(['run', '--memory', '1k', 'busybox', 'true']);
  assert.notEqual(cli.code, 0);
  assert.match(cli.stderr, /Minimum memory limit/);
  await b.request('DELETE', `/v1.41/containers/${c.json.Id}?force=1`);
});

test('start/kill/wait of a removed container are 404; state conflicts answer like docker', async () => {
  const c = await create({}, 'gone');
  assert.equal((await b.request('DELETE', '/v1.41/containers/gone')).status, 204);
  assert.equal((await b.request('POST', `/v1.41/containers/${c.json.Id}/start`)).status, 404);
  assert.equal((await b.request('POST', '/v1.41/containers/gone/kill')).status, 404);
  assert.equal((await b.request('DELETE', '/v1.41/containers/gone')).status, 404);

  await create({}, 'st');
  assert.equal((await b.request('POST', '/v1.41/containers/st/kill')).status, 409); // not running
  assert.equal((await b.request('POST', '/v1.41/containers/st/stop')).status, 304);
  assert.equal((await b.request('POST', '/v1.41/containers/st/start')).status, 204);
  assert.equal((await b.request('POST', '/v1.41/containers/st/start')).status, 304);
  assert.equal((await b.request('DELETE', '/v1.41/containers/st')).status, 409); // running
  assert.equal((await b.request('POST', '/v1.41/containers/st/pause')).status, 204);
  assert.equal((await b.request('POST', '/v1.41/containers/st/start')).status, 409);
  assert.equal((await b.request('DELETE', '/v1.41/containers/st')).status, 409);
  assert.equal((await b.request('POST', '/v1.41/containers/st/stop?t=0')).status, 204);
  const i = await b.request('GET', '/v1.41/containers/st/json');
  assert.equal(i.json.State.Status, 'exited');
  assert.equal((await b.request('DELETE', '/v1.41/containers/st')).status, 204);
  // libpod's error body shape
  const lp = await b.request('POST', '/v5.4.2/libpod/containers/nosuch/start');
  assert.equal(lp.status, 404);
  assert.equal(lp.json.response, 404);
});

test('an executable that does not exist: 127 and a truthful state', async () => {
  const r = await b.docker(['run', '--name', 'noexec', '--network', 'none', 'busybox', 'nosuchcmd']);
  assert.equal(r.code, 127);
  assert.match(r.stderr, /executable file not found/);
  const i = await b.request('GET', '/v1.41/containers/noexec/json');
  assert.equal(i.json.State.Running, false);
  assert.equal(i.json.State.ExitCode, 127);
  assert.match(i.json.State.Error, /nosuchcmd/);
  const count = async () => (await b.docker(['ps', '-aq'])).stdout.trim().split('\n').filter(Boolean).length;
  const n = await count();
  const perm = await b.docker(['run', '--rm', '--network', 'none', 'busybox', '/etc/passwd']);
  assert.equal(perm.code, 126);
  assert.match(perm.stderr, /permission denied/);
  // --rm containers that never ran are removed too
  assert.equal(await count(), n);
});

test('dockerode drives create, start, wait and logs', async () => {
  const d = new Docker({ socketPath: b.socket });
  const c = await d.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'echo from-dockerode; echo to-err >&2; exit 4'], HostConfig: { NetworkMode: 'none' } });
  const waiter = c.wait({ condition: 'next-exit' });
  await c.start();
  const w = await waiter;
  assert.equal(w.StatusCode, 4);
  const buf = (await c.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
  // Multiplexed frames: [stream, 0, 0, 0, len32] + payload
  const frames: [number, string][] = [];
  for (let off = 0; off < buf.length; ) {
    const len = buf.readUInt32BE(off + 4);
    frames.push([buf[off], buf.subarray(off + 8, off + 8 + len).toString()]);
    off += 8 + len;
  }
  assert.deepEqual(frames.sort(), [[1, 'from-dockerode\n'], [2, 'to-err\n']]);
  const info = await c.inspect();
  assert.equal(info.State.ExitCode, 4);
  await c.remove();
  await assert.rejects(c.inspect(), (e: { statusCode?: number }) => e.statusCode === 404);
});
