// Large logs: every line arrives, tail reads from the end, frames stay one per line for SDKs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBerth, type Berth } from '../../helpers/berth.js';
import { buildFixtures, fixture } from '../../fixtures/index.js';

let b: Berth;
before(async () => {
  await buildFixtures();
  b = await startBerth();
  assert.equal((await b.docker(['load', '-i', fixture('busybox-legacy.tar')])).code, 0);
  const r = await b.docker(['run', '--network', 'none', '--name', 'chatty', 'busybox', 'sh', '-c', 'seq 1 50000; sleep 0.3; echo to-stderr >&2; sleep 0.3; echo last']);
  assert.equal(r.code, 0, r.stderr);
});
after(async () => b?.cleanup());

test('docker logs returns all 50,002 lines in order, split by stream', async () => {
  const r = await b.docker(['logs', 'chatty']);
  assert.equal(r.code, 0);
  const out = r.stdout.split('\n');
  assert.equal(out.length, 50_002, 'seq + last + final empty split');
  assert.equal(out[0], '1');
  assert.equal(out[49_999], '50000');
  assert.equal(out[50_000], 'last');
  assert.equal(r.stderr, 'to-stderr\n');
});

test('--tail reads only the last lines, across streams', async () => {
  const r = await b.docker(['logs', '--tail', '3', 'chatty']);
  assert.equal(r.stdout, '50000\nlast\n');
  assert.equal(r.stderr, 'to-stderr\n');
  const one = await b.docker(['logs', '--tail', '1', 'chatty']);
  assert.equal(one.stdout, 'last\n');
  assert.equal(one.stderr, '');
});

test('the raw API sends one stdcopy frame per line', async () => {
  const r = await b.request('GET', '/v1.41/containers/chatty/logs?stdout=1&stderr=1&tail=5');
  assert.equal(r.status, 200);
  const buf = Buffer.from(r.text, 'latin1');
  const frames: [number, string][] = [];
  for (let at = 0; at < buf.length; ) {
    const len = buf.readUInt32BE(at + 4);
    frames.push([buf[at], buf.subarray(at + 8, at + 8 + len).toString()]);
    at += 8 + len;
  }
  assert.deepEqual(frames, [
    [1, '49998\n'],
    [1, '49999\n'],
    [1, '50000\n'],
    [2, 'to-stderr\n'],
    [1, 'last\n'],
  ]);
});
