// Events are shared by every berth process on one storage: a second service, cleanup processes,
// and the next service instance all see them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startBerth, type Berth } from '../../helpers/berth.js';
import { buildFixtures, fixture } from '../../fixtures/index.js';

let a: Berth;
let b: Berth;
before(async () => {
  await buildFixtures();
  a = await startBerth();
  b = await startBerth({ root: a.root, runRoot: a.runRoot });
  assert.equal((await a.docker(['load', '-i', fixture('busybox-legacy.tar')])).code, 0);
});
after(async () => {
  await b?.cleanup();
  await a?.cleanup();
});

function stream(x: Berth, query: string) {
  const got: any[] = [];
  const req = http.request({ socketPath: x.socket, path: `/v1.41/events?${query}` });
  const ready = new Promise<void>((r) =>
    req.on('response', (res) => {
      let buf = '';
      res.on('data', (c) => {
        buf += c;
        const lines = buf.split('\n');
        buf = lines.pop()!;
        for (const l of lines) if (l) got.push(JSON.parse(l));
      });
      r();
    }),
  );
  req.end();
  return { got, ready, close: () => req.destroy() };
}

async function until(pred: () => boolean, ms = 8000) {
  const end = Date.now() + ms;
  while (!pred() && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
  return pred();
}

test('a container run through one service shows in the other service\'s /events', async () => {
  const s = stream(a, 'filters=' + encodeURIComponent('{"type":["container"]}'));
  await s.ready;
  const r = await b.docker(['run', '--rm', '--network', 'none', '--name', 'evx', 'busybox', 'true']);
  assert.equal(r.code, 0, r.stderr);
  const actions = () => s.got.filter((e) => e.Actor.Attributes.name === 'evx').map((e) => e.Action);
  assert.ok(await until(() => ['create', 'start', 'die', 'destroy'].every((x) => actions().includes(x))), `got ${actions()}`);
  const die = s.got.find((e) => e.Action === 'die' && e.Actor.Attributes.name === 'evx');
  assert.equal(die.Actor.Attributes.exitCode, '0');
  s.close();
});

test('a new service instance replays events of earlier ones with since', async () => {
  const since = Math.floor(Date.now() / 1000) - 60;
  await b.stop();
  const c = await startBerth({ root: a.root, runRoot: a.runRoot });
  try {
    const r = await c.request('GET', `/v1.41/events?since=${since}&until=${Math.floor(Date.now() / 1000) + 1}`);
    assert.equal(r.status, 200);
    const evs = r.text.trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(evs.some((e) => e.Type === 'image' && e.Action === 'load'), 'load event from the first instance');
    assert.ok(evs.some((e) => e.Type === 'container' && e.Action === 'destroy'), 'destroy from the second');
    const times = evs.map((e) => e.timeNano);
    assert.deepEqual(times, [...times].sort((x, y) => x - y), 'in order');
  } finally {
    await c.cleanup();
  }
});
