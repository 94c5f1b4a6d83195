// `docker system df` and /info counts reflect images and containers that really exist.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBerth, type Berth } from '../../helpers/berth.js';
import { buildFixtures, fixture } from '../../fixtures/index.js';

let b: Berth;
before(async () => {
  await buildFixtures();
  b = await startBerth();
});
after(async () => b?.cleanup());

test('system df and info count images and containers', async () => {
  assert.equal((await b.docker(['load', '-i', fixture('busybox-legacy.tar')])).code, 0);
  const c = await b.docker(['create', '--network', 'none', '--name', 'dfc', 'busybox', 'true']);
  assert.equal(c.code, 0, c.stderr);

  const df = await b.request('GET', '/v1.41/system/df');
  assert.equal(df.status, 200);
  assert.equal(df.json.Images.length, 1);
  assert.deepEqual(df.json.Images[0].RepoTags, ['busybox:latest']);
  assert.equal(df.json.Images[0].Containers, 1);
  assert.ok(df.json.LayersSize > 0);
  assert.equal(df.json.Containers.length, 1);
  assert.deepEqual(df.json.Containers[0].Names, ['/dfc']);
  assert.deepEqual(df.json.Volumes, []);

  const cli = await b.docker(['system', 'df', '--format', '{{.Type}} {{.TotalCount}} {{.Active}}']);
  assert.equal(cli.code, 0, cli.stderr);
  const lines = cli.stdout.trim().split('\n');
  assert.ok(lines.includes('Images 1 1'), cli.stdout);
  assert.ok(lines.includes('Containers 1 0'), cli.stdout);

  const info = await b.request('GET', '/v1.41/info');
  assert.equal(info.json.Images, 1);
  assert.equal(info.json.Containers, 1);
  assert.equal(info.json.ContainersStopped, 1);
  const linfo = await b.request('GET', '/libpod/info');
  assert.equal(linfo.json.store.imageStore.number, 1);
  assert.equal(linfo.json.store.containerStore.number, 1);
});

test('events: loading and tagging publish image events that /events replays with since/until', async () => {
  const since = Math.floor(Date.now() / 1000) - 1;
  assert.equal((await b.docker(['tag', 'busybox', 'evt:one'])).code, 0);
  const until = Math.floor(Date.now() / 1000) + 1;
  const r = await b.request('GET', `/v1.41/events?since=${since}&until=${until}&filters=${encodeURIComponent('{"type":["image"],"event":["tag"]}')}`);
  assert.equal(r.status, 200);
  const evs = r.text.trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(evs.length >= 1);
  assert.equal(evs[0].Type, 'image');
  assert.equal(evs[0].Action, 'tag');
  assert.ok(evs.every((e) => e.Action === 'tag'));

  const cli = await b.docker(['events', '--since', String(since), '--until', String(until), '--filter', 'type=image', '--format', '{{.Action}}']);
  assert.equal(cli.code, 0, cli.stderr);
  assert.match(cli.stdout, /tag/);

  const lp = await b.request('GET', `/libpod/events?stream=false&since=${since}`);
  assert.equal(lp.status, 200);
  assert.ok(lp.text.trim().split('\n').some((l) => JSON.parse(l).Action === 'tag'));
});

test('a live /events stream receives events as they happen', async () => {
  const http = await import('node:http');
  const got: any[] = [];
  const req = http.request({ socketPath: b.socket, path: '/v1.41/events?filters=' + encodeURIComponent('{"type":["image"]}') });
  const res = await new Promise<import('node:http').IncomingMessage>((r) => {
    req.on('response', r);
    req.end();
  });
  let buf = '';
  res.on('data', (c) => {
    buf += c;
    const lines = buf.split('\n');
    buf = lines.pop()!;
    for (const l of lines) if (l) got.push(JSON.parse(l));
  });
  assert.equal((await b.docker(['tag', 'busybox', 'evt:live'])).code, 0);
  const end = Date.now() + 5000;
  while (!got.some((e) => e.Action === 'tag') && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  req.destroy();
  const tagEv = got.find((e) => e.Action === 'tag');
  assert.ok(tagEv, 'tag event streamed');
  assert.equal(tagEv.Actor.Attributes.name, 'evt:live');
});
