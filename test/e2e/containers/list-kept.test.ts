// Lists keep what they shaped (engine/containers/lookups.ts, api/containers/list-text.ts): every
// change shows in the very next list, whether this service made it or another process did (a
// second service on the same storage), in both layers; the kept answer is the one JSON.stringify
// gives.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startBerth, FIXTURES, removeAllContainers, type Berth } from '../../helpers/berth.js';

let b: Berth;
let other: Berth | undefined;
const tag = `berth-req-${process.pid}`;
const net = `${tag}-net`;
const ok = (args: string[]) => b.dockerOk(args);

type Entry = Record<string, any>;
const compat = async (s: Berth = b, q = 'all=1'): Promise<Entry[]> => {
  const r = await s.request('GET', `/containers/json?${q}`);
  assert.equal(r.status, 200, r.text);
  return r.json;
};
const libpod = async (s: Berth = b): Promise<Entry[]> => {
  const r = await s.request('GET', '/libpod/containers/json?all=true');
  assert.equal(r.status, 200, r.text);
  return r.json;
};
const byId = (l: Entry[], id: string) => l.find((e) => e.Id === id);

before(async () => {
  b = await startBerth();
  await ok(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
});
after(async () => {
  await removeAllContainers(b);
  await b.docker(['network', 'rm', net]);
  await other?.stop();
  await b.cleanup();
});

test('start, stop, rename, update and network connect each show in the next list (compat and libpod)', async () => {
  const id = (await ok(['create', '--network', 'none', '--name', `${tag}-a`, '--label', 'k=v', 'busybox', 'sleep', '600'])).trim();
  // Listed twice first, so the next lists are the ones that must notice the change.
  for (let i = 0; i < 2; i++) {
    assert.equal(byId(await compat(), id)?.State, 'created');
    assert.equal(byId(await libpod(), id)?.State, 'created');
  }
  await ok(['start', id]);
  let c = byId(await compat(), id)!;
  assert.equal(c.State, 'running');
  assert.match(c.Status, /^Up /);
  assert.equal(byId(await compat(b, 'all=0'), id)?.State, 'running', 'a list of running ones has it now');
  let p = byId(await libpod(), id)!;
  assert.equal(p.State, 'running');
  assert.ok(p.Pid > 0);

  await ok(['stop', '-t', '0', id]);
  c = byId(await compat(), id)!;
  assert.equal(c.State, 'exited');
  assert.match(c.Status, /^Exited \(137\) /);
  assert.equal(byId(await compat(b, 'all=0'), id), undefined);
  p = byId(await libpod(), id)!;
  assert.equal(p.State, 'exited');
  assert.equal(p.ExitCode, 137);

  await ok(['rename', `${tag}-a`, `${tag}-b`]);
  assert.deepEqual(byId(await compat(), id)?.Names, [`/${tag}-b`]);
  assert.deepEqual(byId(await libpod(), id)?.Names, [`${tag}-b`]);

  // A change of the stored spec only (no other column changes).
  const filter = (f: object) => `all=1&filters=${encodeURIComponent(JSON.stringify(f))}`;
  assert.equal(byId(await compat(b, filter({ 'restart-policy': ['always'] })), id), undefined);
  await ok(['update', '--restart', 'always', id]);
  assert.ok(byId(await compat(b, filter({ 'restart-policy': ['always'] })), id), 'the updated restart policy is filtered on');

  await ok(['network', 'create', net]);
  const d = (await ok(['create', '--name', `${tag}-d`, 'busybox', 'true'])).trim();
  assert.deepEqual(Object.keys(byId(await compat(), d)!.NetworkSettings.Networks), ['bridge']);
  await ok(['network', 'connect', net, d]);
  assert.deepEqual(Object.keys(byId(await compat(), d)!.NetworkSettings.Networks).sort(), ['bridge', net].sort());
  assert.deepEqual(byId(await libpod(), d)!.Networks.sort(), ['podman', net].sort());
  await ok(['network', 'disconnect', net, d]);
  assert.deepEqual(Object.keys(byId(await compat(), d)!.NetworkSettings.Networks), ['bridge']);

  await ok(['rm', d]);
  assert.equal(byId(await compat(), d), undefined);
  assert.equal(byId(await libpod(), d), undefined);
});

test('a change another process makes shows in the next list', async () => {
  const id = (await ok(['create', '--network', 'none', '--name', `${tag}-x`, 'busybox', 'true'])).trim();
  for (let i = 0; i < 2; i++) assert.ok(byId(await compat(), id));
  other = await startBerth({ root: b.root, runRoot: b.runRoot });
  assert.equal((await other.request('POST', `/containers/${id}/rename?name=${tag}-y`)).status, 204);
  assert.deepEqual(byId(await compat(), id)?.Names, [`/${tag}-y`]);
  assert.deepEqual(byId(await libpod(), id)?.Names, [`${tag}-y`]);
  const made = await other.request('POST', `/containers/create?name=${tag}-z`, { Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'none' } });
  assert.equal(made.status, 201, made.text);
  assert.ok(byId(await compat(), made.json.Id), 'created by the other service');
  assert.equal((await other.request('DELETE', `/containers/${id}`)).status, 204);
  assert.equal(byId(await compat(), id), undefined, 'removed by the other service');
  assert.equal(byId(await libpod(), id), undefined);
  await other.stop();
  other = undefined;
});

test('the kept list is the JSON the entries stringify to, Status in its place', async () => {
  await ok(['create', '--network', 'none', '--label', 'text=caf\u00e9 \u2603 "quoted" \\ end', '-v', '/data', '--name', `${tag}-t`, 'busybox', 'true']);
  // size=1 shapes every entry afresh and stringifies the whole list.
  const plain = await b.request('GET', '/containers/json?all=1');
  const sized = await b.request('GET', '/containers/json?all=1&size=1');
  assert.equal(plain.text, JSON.stringify(plain.json), 'canonical JSON');
  const strip = (l: Entry[], keys: string[]) => JSON.stringify(l.map((e) => Object.fromEntries(Object.entries(e).filter(([k]) => !keys.includes(k)))));
  assert.equal(strip(plain.json, ['Status']), strip(sized.json, ['Status', 'SizeRw', 'SizeRootFs']));
  assert.deepEqual(Object.keys(plain.json[0]), ['Id', 'Names', 'Image', 'ImageID', 'Command', 'Created', 'Ports', 'Labels', 'State', 'Status', 'HostConfig', 'NetworkSettings', 'Mounts']);
  const lp = await b.request('GET', '/libpod/containers/json?all=true');
  const lpSized = await b.request('GET', '/libpod/containers/json?all=true&size=true');
  assert.equal(lp.text, JSON.stringify(lp.json));
  assert.equal(strip(lp.json, ['Size']), strip(lpSized.json, ['Size']));
});
