// Exec through the real docker CLI, dockerode and the libpod API: output, exit codes, stdin,
// errors, sessions that outlive the service instance that started them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { startBerth, waitFor, FIXTURES, type Berth } from '../../helpers/berth.js';

let b: Berth;
const NET = ['--network', 'none'];

const ok = (args: string[], opts?: { input?: string | Buffer; timeoutMs?: number }) => b.dockerOk(args, opts);

before(async () => {
  b = await startBerth();
  await ok(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
  await ok(['run', '-d', ...NET, '--name', 'ex', 'busybox', 'sleep', '3600']);
});
after(async () => {
  await b.docker(['rm', '-f', ...(await b.docker(['ps', '-aq'])).stdout.split('\n').filter(Boolean)]);
  await b.cleanup();
});

test('docker exec: stdout, stderr and the exit code come back separately', async () => {
  const r = await b.docker(['exec', 'ex', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
  assert.equal(r.code, 3);
  assert.equal(r.stdout, 'out\n');
  assert.equal(r.stderr, 'err\n');
  const t = await b.docker(['exec', 'ex', 'true']);
  assert.equal(t.code, 0);
  assert.equal(t.stdout, '');
});

test('docker exec: user, working dir and env apply; the container env is inherited', async () => {
  const out = await ok(['exec', '-u', 'nobody', '-w', '/tmp', '-e', 'FOO=bar', 'ex', 'sh', '-c', 'id -u; pwd; echo $FOO; echo $PATH']);
  assert.deepEqual(out.trim().split('\n'), ['65534', '/tmp', 'bar', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
});

test('docker exec: 126 for a command not found or not executable (dockerd\'s code for any exec that cannot start)', async () => {
  const nf = await b.docker(['exec', 'ex', 'no-such-command']);
  assert.equal(nf.code, 126);
  assert.match(nf.stdout + nf.stderr, /executable file not found/);
  const ne = await b.docker(['exec', 'ex', '/etc/passwd']);
  assert.equal(ne.code, 126);
  assert.match(ne.stdout + ne.stderr, /permission denied/);
  const nu = await b.docker(['exec', '-u', 'nosuchuser', 'ex', 'true']);
  assert.equal(nu.code, 126);
  assert.match(nu.stdout + nu.stderr, /unable to find user nosuchuser/);
});

test('docker exec -i: piped stdin reaches the process and its end closes stdin', async () => {
  const r = await b.docker(['exec', '-i', 'ex', 'sh', '-c', 'cat; echo done'], { input: 'line1\nline2\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'line1\nline2\ndone\n');
  const wc = await b.docker(['exec', '-i', 'ex', 'wc', '-c'], { input: 'x'.repeat(1_000_000) });
  assert.equal(wc.stdout.trim(), '1000000');
});

test('docker run -i: piped stdin, half-close ends cat', async () => {
  const r = await b.docker(['run', '-i', '--rm', ...NET, 'busybox', 'cat'], { input: 'hi\n', timeoutMs: 20_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'hi\n');
  // More than conmon's 32 KiB packet: every byte arrives.
  const big = await b.docker(['run', '-i', '--rm', ...NET, 'busybox', 'wc', '-c'], { input: 'y'.repeat(1_000_000), timeoutMs: 20_000 });
  assert.equal(big.stdout.trim(), '1000000');
});

test('exec in a stopped or paused container is a 409, as docker answers', async () => {
  await ok(['create', ...NET, '--name', 'stopped', 'busybox', 'sleep', '10']);
  const s = await b.request('POST', '/v1.41/containers/stopped/exec', { Cmd: ['true'] });
  assert.equal(s.status, 409);
  assert.match(s.json.message, /is not running/);
  await ok(['pause', 'ex']);
  try {
    const p = await b.request('POST', '/v1.41/containers/ex/exec', { Cmd: ['true'] });
    assert.equal(p.status, 409);
    assert.match(p.json.message, /paused/);
    const cli = await b.docker(['exec', 'ex', 'true']);
    assert.notEqual(cli.code, 0);
  } finally {
    await ok(['unpause', 'ex']);
  }
  assert.equal((await b.request('POST', '/v1.41/containers/nope/exec', { Cmd: ['true'] })).status, 404);
  assert.equal((await b.request('GET', '/v1.41/exec/0123456789abcdef/json')).status, 404);
  assert.equal((await b.request('POST', '/v1.41/containers/ex/exec', {})).status, 400);
});

test('exec inspect: ProcessConfig, Running, Pid, ExitCode; a session runs once', async () => {
  const c = await b.request('POST', '/v1.41/containers/ex/exec', { Cmd: ['sh', '-c', 'exit 9'], AttachStdout: true, User: 'nobody' });
  assert.equal(c.status, 201);
  const id = c.json.Id;
  let i = (await b.request('GET', `/v1.41/exec/${id}/json`)).json;
  assert.equal(i.Running, false);
  assert.equal(i.ExitCode, null);
  assert.equal(i.OpenStdout, true);
  assert.equal(i.OpenStdin, false);
  assert.deepEqual(i.ProcessConfig, { arguments: ['-c', 'exit 9'], entrypoint: 'sh', privileged: false, tty: false, user: 'nobody' });
  assert.match(i.ContainerID, /^[0-9a-f]{64}$/);
  const s = await b.request('POST', `/v1.41/exec/${id}/start`, { Detach: true });
  assert.equal(s.status, 200);
  assert.ok(await waitFor(async () => (await b.request('GET', `/v1.41/exec/${id}/json`)).json.Running === false, 5000));
  i = (await b.request('GET', `/v1.41/exec/${id}/json`)).json;
  assert.equal(i.ExitCode, 9);
  assert.ok(i.Pid > 0);
  const again = await b.request('POST', `/v1.41/exec/${id}/start`, { Detach: true });
  assert.equal(again.status, 409);
  const ci = (await b.request('GET', '/v1.41/containers/ex/json')).json;
  assert.equal(ci.State.Running, true);
});

test('an exec started by one service instance is inspected by the next', async () => {
  const c = await b.request('POST', '/v1.41/containers/ex/exec', { Cmd: ['sh', '-c', 'sleep 1; exit 4'] });
  const id = c.json.Id;
  assert.equal((await b.request('POST', `/v1.41/exec/${id}/start`, { Detach: true })).status, 200);
  assert.equal((await b.request('GET', `/v1.41/exec/${id}/json`)).json.Running, true);
  await b.stop();
  const b2 = await startBerth({ root: b.root, runRoot: b.runRoot });
  try {
    assert.ok(await waitFor(async () => (await b2.request('GET', `/v1.41/exec/${id}/json`)).json.Running === false, 8000));
    const i = (await b2.request('GET', `/v1.41/exec/${id}/json`)).json;
    assert.equal(i.ExitCode, 4);
    assert.equal(i.ID, id);
    assert.equal(existsSync(join(b.runRoot, 'exec', id)), false);
  } finally {
    await b2.stop();
  }
  // Carry on with a fresh instance on the same storage for the remaining tests.
  const first = b;
  const b3 = await startBerth({ root: first.root, runRoot: first.runRoot });
  const ownCleanup = b3.cleanup;
  b3.cleanup = async () => {
    await ownCleanup();
    await first.cleanup();
  };
  b = b3;
});

test('an exec created and never started runs nothing when its service is gone; the next one starts it', async () => {
  const c = await b.request('POST', '/v1.41/containers/ex/exec', { Cmd: ['sh', '-c', 'echo ran >> /tmp/spare-ran'] });
  const id = c.json.Id;
  // The service holds a monitor ready for the start by now; killed, it lets go of it.
  await new Promise((r) => setTimeout(r, 300));
  await b.stop('SIGKILL');
  await new Promise((r) => setTimeout(r, 500));
  const first = b;
  const b2 = await startBerth({ root: first.root, runRoot: first.runRoot });
  const ownCleanup = b2.cleanup;
  b2.cleanup = async () => {
    await ownCleanup();
    await first.cleanup();
  };
  b = b2;
  const before = await b.docker(['exec', 'ex', 'cat', '/tmp/spare-ran']);
  assert.notEqual(before.code, 0, `the exec ran without a start: ${before.stdout}`);
  assert.equal((await b.request('GET', `/v1.41/exec/${id}/json`)).json.Running, false);
  assert.equal((await b.request('POST', `/v1.41/exec/${id}/start`, { Detach: true })).status, 200);
  assert.ok(await waitFor(async () => (await b.request('GET', `/v1.41/exec/${id}/json`)).json.ExitCode === 0, 8000));
  assert.equal(await ok(['exec', 'ex', 'cat', '/tmp/spare-ran']), 'ran\n');
});

test('dockerode: exec with demultiplexed stdout and stderr, exit code from inspect', async () => {
  const d = new Docker({ socketPath: b.socket });
  const c = d.getContainer('ex');
  const e = await c.exec({ Cmd: ['sh', '-c', 'echo to-out; echo to-err >&2; echo more-out; exit 2'], AttachStdout: true, AttachStderr: true });
  const stream = await e.start({ hijack: true, stdin: false });
  const out = new PassThrough();
  const err = new PassThrough();
  const o: Buffer[] = [];
  const er: Buffer[] = [];
  out.on('data', (x: Buffer) => o.push(x));
  err.on('data', (x: Buffer) => er.push(x));
  d.modem.demuxStream(stream, out, err);
  await new Promise((r) => stream.on('end', r));
  assert.equal(Buffer.concat(o).toString(), 'to-out\nmore-out\n');
  assert.equal(Buffer.concat(er).toString(), 'to-err\n');
  const i = await e.inspect();
  assert.equal(i.ExitCode, 2);
  assert.equal(i.Running, false);
});

test('dockerode: exec with a TTY is a raw stream; stdin through the hijacked connection', async () => {
  const d = new Docker({ socketPath: b.socket });
  const e = await d.getContainer('ex').exec({ Cmd: ['sh', '-c', 'read x; echo got-$x'], AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: true });
  const stream = await e.start({ hijack: true, stdin: true, Tty: true });
  const chunks: Buffer[] = [];
  stream.on('data', (x: Buffer) => chunks.push(x));
  stream.write('abc\n');
  await new Promise((r) => stream.on('end', r));
  const text = Buffer.concat(chunks).toString();
  // A TTY echoes the input; no 8-byte frame headers appear.
  assert.match(text, /got-abc/);
  assert.equal(text.includes('\u0001\u0000\u0000\u0000'), false);
  assert.equal((await e.inspect()).ExitCode, 0);
});

test('libpod exec: create, start, inspect, resize', async () => {
  const P = '/v5.4.2/libpod';
  const c = await b.request('POST', `${P}/containers/ex/exec`, { Cmd: ['sh', '-c', 'echo lp; exit 6'], AttachStdout: true, Env: ['A=1'], WorkingDir: '/tmp' });
  assert.equal(c.status, 201, c.text);
  const id = c.json.Id;
  const s = await b.request('POST', `${P}/exec/${id}/start`, { Detach: false });
  assert.equal(s.status, 200);
  // Multiplexed: one stdout frame with the text.
  const raw = Buffer.from(s.text, 'latin1');
  assert.equal(raw[0], 1);
  assert.match(s.text, /lp\n/);
  const i = (await b.request('GET', `${P}/exec/${id}/json`)).json;
  assert.equal(i.ExitCode, 6);
  assert.equal(i.Running, false);
  assert.deepEqual(i.ProcessConfig.env, ['A=1']);
  assert.equal(i.ProcessConfig.workDir, '/tmp');
  const t = await b.request('POST', `${P}/containers/ex/exec`, { Cmd: ['sleep', '2'], Tty: true, AttachStdout: true });
  assert.equal((await b.request('POST', `${P}/exec/${t.json.Id}/start`, { Detach: true })).status, 200);
  assert.equal((await b.request('POST', `${P}/exec/${t.json.Id}/resize?h=40&w=120`)).status, 201);
  assert.equal((await b.request('POST', `${P}/exec/nope/resize?h=40&w=120`)).status, 404);
  // podman sends the terminal size with the start: the process sees it from its first instruction.
  const sz = await b.request('POST', `${P}/containers/ex/exec`, { Cmd: ['stty', 'size'], Tty: true, AttachStdout: true });
  const out = await b.request('POST', `${P}/exec/${sz.json.Id}/start`, { Detach: false, Tty: true, h: 17, w: 71 });
  assert.match(out.text, /^17 71\r?\n$/);
});

test('exec sessions go with their container', async () => {
  await ok(['run', '-d', ...NET, '--name', 'gone', 'busybox', 'sleep', '100']);
  const c = await b.request('POST', '/v1.41/containers/gone/exec', { Cmd: ['true'] });
  await ok(['rm', '-f', 'gone']);
  assert.equal((await b.request('GET', `/v1.41/exec/${c.json.Id}/json`)).status, 404);
});

test('exec start without Upgrade (podman bindings): stdin after the 200 reaches the process, half-close ends it', async () => {
  const { createConnection } = await import('node:net');
  const c = await b.request('POST', '/v5.4.2/libpod/containers/ex/exec', { Cmd: ['sh', '-c', 'cat; echo end'], AttachStdin: true, AttachStdout: true, AttachStderr: true });
  const body = JSON.stringify({ Detach: false, Tty: false });
  const sock = createConnection(b.socket);
  const chunks: Buffer[] = [];
  sock.on('data', (d: Buffer) => chunks.push(d));
  sock.write(`POST /v5.4.2/libpod/exec/${c.json.Id}/start HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  assert.ok(await waitFor(() => Buffer.concat(chunks).includes('\r\n\r\n'), 5000));
  assert.match(Buffer.concat(chunks).toString(), /^HTTP\/1\.1 200/);
  sock.write('from-stdin\n');
  await new Promise((r) => setTimeout(r, 100));
  sock.end();
  await new Promise((r) => sock.on('close', r));
  const all = Buffer.concat(chunks);
  const stream = all.subarray(all.indexOf('\r\n\r\n') + 4);
  let text = '';
  for (let off = 0; off + 8 <= stream.length; ) {
    const len = stream.readUInt32BE(off + 4);
    assert.equal(stream[off], 1);
    text += stream.subarray(off + 8, off + 8 + len).toString();
    off += 8 + len;
  }
  assert.equal(text, 'from-stdin\nend\n');
  assert.doesNotMatch(all.toString(), /400 Bad Request/);
  assert.equal((await b.request('GET', `/v5.4.2/libpod/exec/${c.json.Id}/json`)).json.ExitCode, 0);
});
