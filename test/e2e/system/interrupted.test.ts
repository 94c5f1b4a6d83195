// A service killed in the middle of a load or a commit leaves half-made files and, for a commit,
// a paused container: the next instance on that storage removes the one and resumes the other,
// and keeps what a live instance sharing the storage is still working on.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { startBerth, waitFor, run, FIXTURES, type Berth } from '../../helpers/berth.js';

const NET = ['--network', 'none'];
const cleanups: Berth[] = [];
after(async () => {
  const last = cleanups.at(-1);
  if (last && last.proc.exitCode === null) {
    const ids = (await last.docker(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
    if (ids.length) await last.docker(['unpause', ...ids]);
    if (ids.length) await last.docker(['rm', '-f', ...ids]);
  }
  for (const b of cleanups.reverse()) await b.cleanup();
});

async function instance(on?: Berth): Promise<Berth> {
  const b = await startBerth(on ? { root: on.root, runRoot: on.runRoot } : {});
  cleanups.push(b);
  return b;
}

const entries = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);
const spools = (b: Berth) => entries(join(b.root, 'tmp'));
const scratchLayers = (b: Berth) => entries(join(b.root, 'overlay')).filter((e) => e.startsWith('.tmp-'));
const kill9 = async (b: Berth) => {
  b.proc.kill('SIGKILL');
  await b.exited;
};
const runtimeState = async (b: Berth, id: string) => JSON.parse((await run('runc', ['--root', join(b.runRoot, 'runtime'), 'state', id])).stdout || '{}').status;

/** Starts `docker load` over the API and sends only the first half of the archive, then stalls. */
function stalledLoad(b: Berth): { req: http.ClientRequest } {
  const tar = readFileSync(join(FIXTURES, 'busybox-legacy.tar'));
  const req = http.request({ socketPath: b.socket, method: 'POST', path: '/v1.41/images/load', headers: { 'Content-Type': 'application/x-tar', 'Transfer-Encoding': 'chunked' } });
  req.on('error', () => undefined);
  req.write(tar.subarray(0, tar.length >> 1));
  return { req };
}

test('kill -9 during a load: a live instance keeps the spool, the next instance removes it', async () => {
  const a = await instance();
  const { req } = stalledLoad(a);
  assert.ok(await waitFor(() => spools(a).length === 1 && statSync(join(a.root, 'tmp', spools(a)[0])).isDirectory(), 10_000), 'the upload is being spooled');
  const spool = spools(a)[0];
  // A second instance on the same storage while the first still loads: the spool is not its debris.
  const b = await instance(a);
  await b.docker(['images']);
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(spools(a), [spool], 'a live instance\'s spool was removed');
  await kill9(a);
  req.destroy();
  await b.stop('SIGKILL');
  const c = await instance(a);
  assert.ok(await waitFor(() => spools(c).length === 0, 10_000), `spool left: ${spools(c).join(' ')}`);
  assert.deepEqual(scratchLayers(c), []);
  // And the storage works: the same archive loads whole.
  assert.match(await c.dockerOk(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]), /Loaded image/);
  await c.stop();
});

test('kill -9 during a commit: the next instance removes the half-made layer and resumes the container; a user\'s pause stays', async () => {
  const a = await instance();
  await a.dockerOk(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
  const id = (await a.dockerOk(['run', '-d', ...NET, 'busybox', 'sh', '-c', 'dd if=/dev/zero of=/big bs=1M count=400 2>/dev/null; touch /ready; sleep 1000'])).trim();
  assert.ok(await waitFor(() => existsSync(join(a.root, 'containers', id, 'upper', 'ready')), 60_000), 'the container wrote its data');
  const user = (await a.dockerOk(['run', '-d', ...NET, 'busybox', 'sleep', '1000'])).trim();
  await a.dockerOk(['pause', user]);

  const commit = a.request('POST', `/v1.41/commit?container=${id}&repo=halfmade`).catch(() => undefined);
  const caught = await waitFor(async () => {
    if (!scratchLayers(a).length) return false;
    const i = await a.request('GET', `/v1.41/containers/${id}/json`);
    return i.json?.State?.Paused === true;
  }, 30_000, 10);
  assert.ok(caught, 'the commit was caught paused and unpacking');
  await kill9(a);
  await commit;
  assert.equal(await runtimeState(a, id), 'paused', 'the kill left the container frozen');

  const b = await instance(a);
  assert.ok(await waitFor(async () => (await runtimeState(b, id)) === 'running', 10_000), 'the runtime resumed it');
  const i = JSON.parse(await b.dockerOk(['inspect', id]))[0];
  assert.equal(i.State.Status, 'running');
  assert.equal(i.State.Paused, false);
  assert.equal(await b.dockerOk(['exec', id, 'echo', 'alive']), 'alive\n');
  assert.ok(await waitFor(() => scratchLayers(b).length === 0, 10_000), `scratch left: ${scratchLayers(b).join(' ')}`);
  assert.deepEqual(spools(b), []);
  assert.equal((await b.docker(['image', 'inspect', 'halfmade'])).code, 1);
  // The pause a user asked for is theirs: not undone by the restart.
  assert.equal(JSON.parse(await b.dockerOk(['inspect', user]))[0].State.Status, 'paused');
  assert.equal(await runtimeState(b, user), 'paused');
  // A commit through the new instance works and leaves the container running.
  await b.dockerOk(['commit', id, 'whole:v1']);
  assert.equal(JSON.parse(await b.dockerOk(['inspect', id]))[0].State.Status, 'running');
});
