// `docker run -it`, `docker exec -it`, detach keys and `docker attach` in a real terminal: the
// docker CLI runs under `script` (util-linux), which gives it a pseudo-terminal of a set size.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { startBerth, waitFor, FIXTURES, DOCKER, type Berth } from '../../helpers/berth.js';

let b: Berth;
const NET = ['--network', 'none'];

const ok = (args: string[], opts?: { input?: string | Buffer; timeoutMs?: number }) => b.dockerOk(args, opts);

interface Term {
  out(): string;
  write(s: string): void;
  expect(re: RegExp, ms?: number): Promise<void>;
  exit: Promise<number | null>;
  kill(): void;
}

/** Runs `docker ARGS` in a terminal of `rows` x `cols` (script's pty, sized with stty). */
function terminal(args: string[], rows = 33, cols = 101): Term {
  const cmd = `stty rows ${rows} cols ${cols}; exec ${DOCKER} ${args.map((a) => `'${a}'`).join(' ')}`;
  const env = { ...process.env, DOCKER_HOST: `unix://${b.socket}`, DOCKER_CONFIG: join(b.dir, 'docker-config') };
  const p = spawn('script', ['-qfec', cmd, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((r) => p.on('exit', (code) => r(code)));
  return {
    out: () => out,
    write: (s) => p.stdin.write(s),
    async expect(re, ms = 10_000) {
      const seen = await waitFor(() => re.test(out), ms);
      assert.ok(seen, `terminal never showed ${re}; got: ${JSON.stringify(out)}`);
    },
    exit,
    kill: () => p.kill('SIGKILL'),
  };
}

/**
 * The docker CLI sends the terminal size in a resize of its own after the stream is up, so a
 * command run right after the prompt may still see the earlier size: ask until it has landed.
 */
async function askUntil(t: Term, cmd: string, re: RegExp): Promise<void> {
  const seen = await waitFor(() => {
    if (re.test(t.out())) return true;
    t.write(cmd);
    return false;
  }, 10_000, 500);
  assert.ok(seen, `terminal never showed ${re} for ${JSON.stringify(cmd)}: ${JSON.stringify(t.out())}`);
}

before(async () => {
  b = await startBerth();
  await ok(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
});
after(async () => {
  await b.docker(['rm', '-f', ...(await b.docker(['ps', '-aq'])).stdout.split('\n').filter(Boolean)]);
  await b.cleanup();
});

test('docker run -it: prompt, typed input echoed, stty size of the terminal, exit code', async () => {
  const t = terminal(['run', '-it', '--rm', ...NET, 'busybox', 'sh'], 33, 101);
  try {
    await t.expect(/\/ # /);
    t.write('echo typed-$((6*7))\n');
    await t.expect(/echo typed-\$\(\(6\*7\)\)/); // the terminal echoes what was typed
    await t.expect(/typed-42/);
    await askUntil(t, 'stty size\n', /33 101/);
    t.write('exit 7\n');
    assert.equal(await t.exit, 7);
  } finally {
    t.kill();
  }
});

test('docker exec -it: prompt, input, stty size follows the terminal, exit code', async () => {
  await ok(['run', '-d', ...NET, '--name', 'shell', 'busybox', 'sleep', '3600']);
  const t = terminal(['exec', '-it', 'shell', 'sh'], 27, 93);
  try {
    await t.expect(/\/ # /);
    await askUntil(t, 'stty size; tty\n', /27 93/);
    await t.expect(/\/dev\/pts\/\d+/);
    t.write('echo $TERM; exit 5\n');
    await t.expect(/xterm/);
    assert.equal(await t.exit, 5);
  } finally {
    t.kill();
  }
  // A terminal that changes size while attached: the resize reaches the exec's TTY.
  const c = await b.request('POST', '/v1.41/containers/shell/exec', { Cmd: ['sh', '-c', 'sleep 0.5; stty size'], Tty: true, AttachStdout: true });
  const s = b.request('POST', `/v1.41/exec/${c.json.Id}/start`, { Tty: true });
  await new Promise((r) => setTimeout(r, 150));
  assert.equal((await b.request('POST', `/v1.41/exec/${c.json.Id}/resize?h=11&w=44`)).status, 200);
  assert.match((await s).text, /11 44/);
});

test('ctrl-p ctrl-q detaches docker exec -it, leaving the process running', async () => {
  await ok(['run', '-d', ...NET, '--name', 'exdetach', 'busybox', 'sleep', '3600']);
  const t = terminal(['exec', '-it', 'exdetach', 'sh', '-c', 'echo ready; sleep 30']);
  try {
    await t.expect(/ready/);
    t.write('\x10\x11');
    const code = await Promise.race([t.exit, new Promise((r) => setTimeout(() => r('timeout'), 8000))]);
    assert.notEqual(code, 'timeout', `exec -it did not detach: ${t.out()}`);
  } finally {
    t.kill();
  }
  const top = await ok(['top', 'exdetach']);
  assert.match(top, /sleep 30/);
});

test('ctrl-p ctrl-q detaches docker run -it; docker attach reconnects to the same shell', async () => {
  const t = terminal(['run', '-it', ...NET, '--name', 'detachme', 'busybox', 'sh']);
  try {
    await t.expect(/\/ # /);
    t.write('MARK=kept-$((2+3))\n');
    await new Promise((r) => setTimeout(r, 300));
    t.write('\x10\x11');
    const code = await Promise.race([t.exit, new Promise((r) => setTimeout(() => r('timeout'), 8000))]);
    assert.equal(code, 0, `run -it did not detach: ${t.out()}`);
  } finally {
    t.kill();
  }
  const i = JSON.parse(await ok(['inspect', 'detachme']))[0];
  assert.equal(i.State.Running, true);
  const a = terminal(['attach', 'detachme'], 20, 70);
  try {
    a.write('\n');
    await a.expect(/\/ # /);
    a.write('echo $MARK\n');
    await a.expect(/kept-5/);
    // docker attach first resizes to rows+1 x cols+1 (to make the shell redraw), then to the real size.
    await askUntil(a, 'stty size\n', /\b20 70\b/);
    a.write('exit 3\n');
    assert.equal(await a.exit, 3);
  } finally {
    a.kill();
  }
  const after = JSON.parse(await ok(['inspect', 'detachme']))[0];
  assert.equal(after.State.ExitCode, 3);
});

test('websocket attach: output as binary messages, messages are stdin, detach keys keep it running', async () => {
  const { default: WebSocket } = await import('ws');
  await ok(['run', '-d', '-it', ...NET, '--name', 'wsc', 'busybox', 'sh']);
  const ws = new WebSocket(`ws+unix://${b.socket}:/v1.41/containers/wsc/attach/ws?stream=1&stdin=1&stdout=1&stderr=1`);
  let out = '';
  ws.on('message', (d: Buffer) => (out += d.toString()));
  await new Promise((r, j) => {
    ws.once('open', r);
    ws.once('error', j);
  });
  ws.send(Buffer.from('echo ws-$((3*3))\n'));
  assert.ok(await waitFor(() => /ws-9/.test(out), 8000), `no echo over the websocket: ${JSON.stringify(out)}`);
  const closed = new Promise((r) => ws.once('close', r));
  ws.send(Buffer.from([16, 17]));
  await closed;
  assert.equal(JSON.parse(await ok(['inspect', 'wsc']))[0].State.Running, true);
  const bad = await b.request('GET', '/v1.41/containers/wsc/attach/ws?stream=1');
  assert.equal(bad.status, 400);
});
