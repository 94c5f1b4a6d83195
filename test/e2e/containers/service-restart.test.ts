// Containers outlive the service: --rm and restart work with no service, the next one takes over.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBerth, waitFor, run, FIXTURES, type Berth } from '../../helpers/berth.js';

const NET = ['--network', 'none'];
const cleanups: Berth[] = [];
after(async () => {
  for (const b of cleanups.reverse()) await b.cleanup();
});

async function fresh(root?: Berth): Promise<Berth> {
  const b = await startBerth(root ? { root: root.root, runRoot: root.runRoot } : {});
  cleanups.push(b);
  if (!root) {
    const r = await b.docker(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
    assert.equal(r.code, 0, r.stderr);
  }
  return b;
}

const mountsUnder = (dir: string) => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(dir)).length;
const conmonsFor = async (id: string) => (await run('pgrep', ['-f', `conmon .*-c ${id}`])).stdout.trim();

test('--rm is applied when the service is gone before the container exits', async () => {
  const a = await fresh();
  const id = (await a.docker(['run', '-d', '--rm', ...NET, 'busybox', 'sh', '-c', 'sleep 1; exit 0'])).stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  await a.stop('SIGKILL');
  // conmon runs `berth container cleanup`, which unmounts and removes with no service around.
  assert.ok(await waitFor(() => !existsSync(join(a.root, 'containers', id)), 10_000), 'container dir removed');
  assert.ok(await waitFor(async () => (await conmonsFor(id)) === '', 5000), 'conmon gone');
  assert.equal(mountsUnder(join(a.runRoot, 'containers', id)), 0);
  const b = await fresh(a);
  assert.equal((await b.docker(['ps', '-aq'])).stdout.trim(), '');
});

test('restart policy is applied by the cleanup process without a service', async () => {
  const a = await fresh();
  await a.docker(['run', '-d', ...NET, '--name', 'fl', '--restart', 'on-failure:1', 'busybox', 'sh', '-c', 'sleep 0.5; exit 2']);
  await a.stop('SIGTERM');
  await new Promise((r) => setTimeout(r, 3000));
  const b = await fresh(a);
  const i = JSON.parse((await b.docker(['inspect', 'fl'])).stdout)[0];
  assert.equal(i.RestartCount, 1);
  assert.equal(i.State.Status, 'exited');
  assert.equal(i.State.ExitCode, 2);
});

test('a container started by one service is controlled by the next; two services agree', async () => {
  const a = await fresh();
  await a.docker(['run', '-d', ...NET, '--name', 'lasting', 'busybox', 'sh', '-c', "trap 'echo bye; exit 0' TERM; echo hello; while true; do sleep 0.1; done"]);
  const before = JSON.parse((await a.docker(['inspect', 'lasting'])).stdout)[0];
  await a.stop('SIGKILL');
  assert.ok(existsSync(`/proc/${before.State.Pid}`), 'container survives the service');

  const b = await fresh(a);
  // A second service on the same storage at the same time sees the same containers.
  const c = await fresh(a);
  let i = JSON.parse((await b.docker(['inspect', 'lasting'])).stdout)[0];
  assert.equal(i.State.Status, 'running');
  assert.equal(i.State.Pid, before.State.Pid);
  assert.equal((await b.docker(['logs', 'lasting'])).stdout, 'hello\n');
  const waiter = c.docker(['wait', 'lasting']);
  const stop = await b.docker(['stop', 'lasting']);
  assert.equal(stop.code, 0, stop.stderr);
  assert.equal((await waiter).stdout.trim(), '0');
  i = JSON.parse((await c.docker(['inspect', 'lasting'])).stdout)[0];
  assert.equal(i.State.Status, 'exited');
  assert.equal((await c.docker(['logs', 'lasting'])).stdout, 'hello\nbye\n');
  await c.docker(['run', '-d', ...NET, '--name', 'other', 'busybox', 'sleep', '100']);
  assert.match((await b.docker(['ps', '--format', '{{.Names}}'])).stdout, /other/);
  const rm = await b.docker(['rm', '-f', 'other', 'lasting']);
  assert.equal(rm.code, 0, rm.stderr);
  assert.equal(mountsUnder(join(a.runRoot, 'containers')), 0);
  assert.deepEqual(readdirSync(join(a.runRoot, 'containers')), []);
  assert.ok(await waitFor(async () => (await run('pgrep', ['-f', `conmon .*${a.runRoot}`])).stdout.trim() === '', 5000), 'no conmon left');
});

test('exits nobody recorded (conmon killed too) are reconciled; always comes back', async () => {
  const a = await fresh();
  for (const [name, policy] of [['gone-no', 'no'], ['gone-always', 'always']]) {
    const r = await a.docker(['run', '-d', ...NET, '--name', name, '--restart', policy, 'busybox', 'sleep', '1000']);
    assert.equal(r.code, 0, r.stderr);
  }
  const info = async (b: Berth, n: string) => JSON.parse((await b.docker(['inspect', n])).stdout)[0];
  const pids: number[] = [];
  for (const n of ['gone-no', 'gone-always']) {
    const i = await info(a, n);
    pids.push(i.State.Pid, Number(readFileSync(join(a.runRoot, 'containers', i.Id, 'bundle', 'conmon.pid'), 'utf8')));
  }
  await a.stop('SIGKILL');
  for (const p of pids) process.kill(p, 'SIGKILL');
  const b = await fresh(a);
  assert.ok(await waitFor(async () => (await info(b, 'gone-no')).State.Status === 'exited', 10_000));
  assert.equal((await info(b, 'gone-no')).State.ExitCode, 137);
  assert.ok(await waitFor(async () => {
    const i = await info(b, 'gone-always');
    return i.State.Status === 'running' && i.State.Pid !== pids[2];
  }, 10_000));
  const rm = await b.docker(['rm', '-f', 'gone-no', 'gone-always']);
  assert.equal(rm.code, 0, rm.stderr);
});
