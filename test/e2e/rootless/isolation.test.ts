// Root's berth and a user's side by side: neither sees the other's containers, images or volumes
// (lists leave them out, their IDs are 404), and the user cannot reach root's socket or storage,
// not even from a container that is root inside its namespace. Root can read anything on the
// host, so the other direction is asserted through the APIs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, startBerth, type Berth } from '../../helpers/berth.js';
import { startRootlessBerth, type RootlessBerth } from '../support/rootless.js';

// No rootless network yet (rl-net): the one place to change.
const NET = ['--network', 'none'];

let root: Berth;
let user: RootlessBerth;
const ids = { rootCtr: '', rootImg: '', userCtr: '', userImg: '' };

before(async () => {
  [root, user] = await Promise.all([startBerth(), startRootlessBerth()]);
  await Promise.all([root.dockerOk(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]), user.dockerOk(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')])]);
  // Each side makes a container, an image of its own (a commit: an ID only it has) and a volume.
  for (const [b, side] of [[root, 'root'], [user, 'user']] as const) {
    const ctr = (await b.dockerOk(['create', ...NET, '--name', `rlfeat-${side}-ctr`, '-v', `rlfeat-${side}-vol:/v`, 'busybox', 'sh', '-c', `echo ${side} > /mark`])).trim();
    await b.dockerOk(['start', '-a', ctr]);
    const img = (await b.dockerOk(['commit', ctr, `rlfeat-${side}-img`])).trim();
    ids[`${side}Ctr`] = ctr;
    ids[`${side}Img`] = img;
  }
});
after(async () => {
  await Promise.all([root?.cleanup(), user?.cleanup()]);
});

/** What each service answers for the other's objects, over the compat and libpod APIs. */
async function assertUnseen(b: { request: Berth['request'] }, other: 'root' | 'user') {
  const ctr = ids[`${other}Ctr`];
  const img = ids[`${other}Img`];
  for (const path of [
    `/v1.41/containers/${ctr}/json`,
    `/v1.41/containers/rlfeat-${other}-ctr/json`,
    `/v1.41/images/${img}/json`,
    `/v1.41/images/rlfeat-${other}-img/json`,
    `/v1.41/volumes/rlfeat-${other}-vol`,
    `/v5.4.2/libpod/containers/${ctr}/json`,
    `/v5.4.2/libpod/images/${img}/json`,
  ]) {
    assert.equal((await b.request('GET', path)).status, 404, path);
  }
  // Touching is refused the same way: nothing to stop, remove or start.
  assert.equal((await b.request('DELETE', `/v1.41/containers/${ctr}?force=1`)).status, 404);
  assert.equal((await b.request('DELETE', `/v1.41/images/${img}?force=1`)).status, 404);
  assert.equal((await b.request('POST', `/v1.41/containers/${ctr}/start`)).status, 404);
  const list = JSON.stringify((await b.request('GET', '/v1.41/containers/json?all=1')).json);
  assert.ok(!list.includes(ctr), 'container list');
  const images = JSON.stringify((await b.request('GET', '/v1.41/images/json?all=1')).json);
  assert.ok(!images.includes(img) && !images.includes(`rlfeat-${other}-img`), 'image list');
  const vols = JSON.stringify((await b.request('GET', '/v1.41/volumes')).json);
  assert.ok(!vols.includes(`rlfeat-${other}-vol`), 'volume list');
}

test("the user's berth cannot see or touch root's containers, images and volumes", async () => {
  await assertUnseen(user, 'root');
  // The same through the docker CLI run as the user.
  const ps = await user.dockerOk(['ps', '-a', '--format', '{{.ID}} {{.Names}}']);
  assert.match(ps, /rlfeat-user-ctr/);
  assert.doesNotMatch(ps, /rlfeat-root-ctr/);
  const insp = await user.docker(['inspect', ids.rootCtr]);
  assert.notEqual(insp.code, 0);
  assert.match(insp.stderr, /no such object/i);
  // Root's objects are all still there.
  assert.equal((await root.request('GET', `/v1.41/containers/${ids.rootCtr}/json`)).status, 200);
  assert.equal((await root.request('GET', `/v1.41/images/${ids.rootImg}/json`)).status, 200);
});

test("root's berth cannot see the user's", async () => {
  await assertUnseen(root, 'user');
  assert.equal((await user.request('GET', `/v1.41/containers/${ids.userCtr}/json`)).status, 200);
  assert.equal((await user.request('GET', `/v1.41/images/${ids.userImg}/json`)).status, 200);
});

test("the user cannot open root's socket or storage, not even as root inside a container", async () => {
  const connect = (socket: string) =>
    user.runAs(process.execPath, ['-e', `require('net').connect(${JSON.stringify(socket)}).on('connect',()=>process.exit(0)).on('error',(e)=>{console.log(e.code);process.exit(3)})`]);
  const r = await connect(root.socket);
  assert.equal(r.code, 3);
  assert.match(r.stdout, /EACCES/);
  // ...while its own socket answers it.
  assert.equal((await connect(user.socket)).code, 0);
  for (const p of [root.root, join(root.root, 'state.db')]) {
    const c = await user.runAs('cat', [p]);
    assert.notEqual(c.code, 0, p);
    assert.match(c.stderr, /Permission denied/, p);
  }
  // uid 0 in the user's namespace is the user on the host: root's storage stays closed.
  const inside = await user.docker(['run', '--rm', ...NET, '-v', `${root.root}:/rootstore`, 'busybox', 'ls', '/rootstore']);
  assert.notEqual(inside.code, 0);
  // Said as it is: the path is there but not the user's to reach (not a failed attempt to make it).
  assert.match(inside.stderr, /EACCES: permission denied, stat/);

  // A root-only directory the service can name: the bind is made, but root inside cannot read it.
  const closed = mkdtempSync(join(tmpdir(), 'rlfeat-rootonly-'));
  writeFileSync(join(closed, 'secret'), 'root only\n', { mode: 0o600 });
  try {
    const r2 = await user.docker(['run', '--rm', ...NET, '-v', `${closed}:/closed`, 'busybox', 'sh', '-c', 'id -u; cat /closed/secret; ls /closed']);
    assert.notEqual(r2.code, 0);
    assert.doesNotMatch(r2.stdout, /root only/);
    assert.match(r2.stdout + r2.stderr, /permission denied/i);
  } finally {
    rmSync(closed, { recursive: true, force: true });
  }

  // The user's own files are the user's alone: the socket and storage owner-only.
  const sock = statSync(user.socket);
  assert.equal(sock.uid, user.user.uid);
  assert.equal(sock.mode & 0o077, 0, `socket mode ${(sock.mode & 0o777).toString(8)}`);
  const store = statSync(user.root);
  assert.equal(store.uid, user.user.uid);
  assert.equal(store.mode & 0o077, 0, `storage mode ${(store.mode & 0o777).toString(8)}`);
});
