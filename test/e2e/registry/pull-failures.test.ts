// Pulls that go wrong: a corrupted or truncated blob is a digest error and stores nothing; the
// registry killed mid-pull is a clear error, and a retry completes, skipping what was stored; a
// hung registry times out; two pulls of one image at once share the download.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startBerth, waitFor, type Berth } from '../../helpers/berth.js';
import { buildFixtures } from '../../fixtures/index.js';
import { fixtureImage, uploadImage } from '../support/images.js';
import { startRegistry, type Registry } from '../support/registry.js';
import { bigImage } from './big-image.js';
import { startFaultProxy } from './fault-proxy.js';
import http from 'node:http';

let b: Berth;
let reg: Registry;
const layerDirs = () => (existsSync(join(b.root, 'overlay')) ? readdirSync(join(b.root, 'overlay')) : []).filter((d) => /^[a-f0-9]{64}$/.test(d)).sort();
const scratch = () => [...(existsSync(join(b.root, 'overlay')) ? readdirSync(join(b.root, 'overlay')) : []).filter((d) => d.startsWith('.tmp-')), ...(existsSync(join(b.root, 'tmp')) ? readdirSync(join(b.root, 'tmp')) : [])];

/** A pull over the socket, its lines handed to `onLine` as they come. */
function pullStream(ref: string, onLine: (l: any) => void = () => undefined): Promise<{ status: number; lines: any[] }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: b.socket, method: 'POST', path: `/v1.41/images/create?fromImage=${encodeURIComponent(ref)}` }, (res) => {
      const lines: any[] = [];
      let buf = '';
      res.on('data', (c: Buffer) => {
        buf += c.toString();
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const l = JSON.parse(buf.slice(0, i));
          buf = buf.slice(i + 1);
          lines.push(l);
          onLine(l);
        }
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, lines }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

before(async () => {
  await buildFixtures();
  reg = await startRegistry();
  b = await startBerth({ env: { BERTH_REGISTRY_TIMEOUT: '3', REGISTRY_AUTH_FILE: '/nonexistent/berth-pull-auth.json', CONTAINERS_REGISTRIES_CONF: '/nonexistent/berth-pull-registries.conf' } });
});
after(async () => {
  await b?.cleanup();
  await reg?.stop();
});

test('a corrupted blob fails with a digest error and stores nothing; so does a truncated one', async () => {
  for (const mode of ['flip', 'truncate'] as const) {
    const repo = `berth-fail/corrupt-${mode}`;
    const up = await uploadImage(reg, repo, 'latest', await fixtureImage('layered', { compress: 'keep' }));
    reg.corruptBlob(up.layers[1].digest, mode);
    const before = layerDirs();
    const r = await b.docker(['pull', `${reg.host}/${repo}`], { timeoutMs: 60_000 });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`filesystem layer verification failed for digest ${up.layers[1].digest}`));
    const images = await b.dockerOk(['images', '-q', `${reg.host}/${repo}`]);
    assert.equal(images.trim(), '');
    assert.deepEqual(scratch(), [], 'no scratch dirs left');
    // Layers below the damaged one may be complete (a retry reuses them); the damaged one is not there.
    for (const d of layerDirs()) if (!before.includes(d)) assert.ok(existsSync(join(b.root, 'overlay', d, 'diff')));
    assert.ok(layerDirs().length - before.length < 3, 'not every layer stored');
  }
});

test('the registry killed mid-pull: a clear error, nothing half-stored; a retry completes and skips the stored layers', async () => {
  const img = await bigImage('killed', 24);
  await uploadImage(reg, 'berth-fail/killed', 'latest', img);
  const proxy = await startFaultProxy(reg.port, 6 << 20);
  try {
    const ref = `${proxy.host}/berth-fail/killed:latest`;
    let killed = false;
    const r = await pullStream(ref, (l) => {
      if (!killed && l.status === 'Downloading' && l.progressDetail.current > 2 << 20) {
        killed = true;
        void reg.kill().then(() => proxy.cut());
      }
    });
    assert.equal(r.status, 200);
    assert.ok(killed, 'killed while downloading');
    const last = r.lines.at(-1);
    assert.ok(last.error, JSON.stringify(last));
    assert.equal(last.errorDetail.message, last.error);
    assert.match(last.error, /closed the connection|ECONNRESET|aborted|socket hang up|sent \d+ of \d+ bytes/);
    assert.deepEqual(scratch(), []);
    assert.equal((await b.dockerOk(['images', '-q', ref])).trim(), '');

    await reg.start();
    proxy.rate = 0;
    const again = await pullStream(ref);
    const text = JSON.stringify(again.lines);
    assert.match(text, /Downloaded newer image/, text);
    assert.match(text, /Already exists/, 'the small layer finished before the kill');
    assert.equal(JSON.parse(await b.dockerOk(['inspect', ref]))[0].Id, `sha256:${img.id}`);
  } finally {
    await proxy.close();
  }
});

test('a registry that stops answering times out with a clear error', async () => {
  const img = await bigImage('hung', 8);
  await uploadImage(reg, 'berth-fail/hung', 'latest', img);
  const proxy = await startFaultProxy(reg.port, 2 << 20);
  try {
    let hung = false;
    const t0 = Date.now();
    const r = await pullStream(`${proxy.host}/berth-fail/hung:latest`, (l) => {
      if (!hung && l.status === 'Downloading') {
        hung = true;
        proxy.hang();
      }
    });
    assert.ok(hung);
    assert.match(r.lines.at(-1).error ?? '', /no (data for|answer within) 3s/);
    assert.ok(Date.now() - t0 < 20_000);
    assert.deepEqual(scratch(), []);
  } finally {
    await proxy.close();
  }
});

test('two pulls of one image at once: both succeed, each blob downloaded once', async () => {
  const img = await bigImage('twice', 16);
  const up = await uploadImage(reg, 'berth-fail/twice', 'latest', img);
  const proxy = await startFaultProxy(reg.port, 8 << 20);
  try {
    const ref = `${proxy.host}/berth-fail/twice:latest`;
    const [a, c] = await Promise.all([b.docker(['pull', ref], { timeoutMs: 60_000 }), b.docker(['pull', ref], { timeoutMs: 60_000 })]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(JSON.parse(await b.dockerOk(['inspect', ref]))[0].Id, `sha256:${img.id}`);
    const big = up.layers[1].digest;
    const gets = reg.output().split('\n').filter((l) => l.includes(`GET /v2/berth-fail/twice/blobs/${big}`));
    assert.equal(gets.length, 1, gets.join('\n'));
  } finally {
    await proxy.close();
  }
  assert.ok(await waitFor(() => scratch().length === 0, 5_000));
});
