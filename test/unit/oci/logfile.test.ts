import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLog, readLogBatches } from '../../../src/oci/logfile.js';
import { encodeLines } from '../../../src/api/containers/streams.js';

const dir = mkdtempSync(join(tmpdir(), 'logfile-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const ts = (i: number) => `2026-01-01T00:00:${String(i % 60).padStart(2, '0')}.${String(i).padStart(9, '0')}+00:00`;

async function all(path: string, o = {}) {
  const out: string[] = [];
  for await (const l of readLog(path, o)) out.push(`${l.stream}:${l.data.toString()}`);
  return out;
}

test('whole lines, partial records joined, both streams in order', async () => {
  const p = join(dir, 'a.log');
  writeFileSync(
    p,
    [
      `${ts(1)} stdout F one`,
      `${ts(2)} stderr P tw`,
      `${ts(3)} stdout F three`,
      `${ts(4)} stderr F o`,
      `${ts(5)} stdout P `,
      `${ts(6)} stdout F five`,
      `${ts(7)} stdout F`,
      '',
    ].join('\n'),
  );
  assert.deepEqual(await all(p), ['stdout:one\n', 'stdout:three\n', 'stderr:two\n', 'stdout:five\n', 'stdout:\n']);
  assert.deepEqual(await all(p, { tail: 2 }), ['stdout:five\n', 'stdout:\n']);
  assert.deepEqual(await all(p, { tail: 3 }), ['stderr:two\n', 'stdout:five\n', 'stdout:\n'], 'a partial record is never cut from its line');
  assert.deepEqual(await all(p, { tail: 0 }), []);
  assert.deepEqual(await all(p, { tail: 100 }), await all(p));
  const t3 = 1767225603n * 1_000_000_000n + 3n;
  assert.deepEqual(await all(p, { sinceNs: t3, untilNs: t3 }), ['stdout:three\n']);
});

test('big logs: chunk boundaries, tail from the end, batches', async () => {
  const p = join(dir, 'big.log');
  const n = 40_000;
  const lines: string[] = [];
  for (let i = 0; i < n; i++) lines.push(`${ts(i)} ${i % 7 ? 'stdout' : 'stderr'} F line ${i} ${'x'.repeat(i % 97)}`);
  writeFileSync(p, lines.join('\n') + '\n');
  const got = await all(p);
  assert.equal(got.length, n);
  assert.equal(got[12345], `stdout:line 12345 ${'x'.repeat(12345 % 97)}\n`);
  const t = await all(p, { tail: 5 });
  assert.deepEqual(t, got.slice(-5));
  const t2 = await all(p, { tail: 30_000 });
  assert.deepEqual(t2, got.slice(-30_000));
  let batches = 0;
  for await (const b of readLogBatches(p)) batches += b.length ? 1 : 0;
  assert.ok(batches > 1 && batches < 20, `${batches} batches`);
});

test('frames: stdcopy headers without a TTY, raw with one, timestamps prefixed', async () => {
  const p = join(dir, 'f.log');
  writeFileSync(p, `${ts(1)} stdout F hi\n${ts(2)} stderr F err\n`);
  const batch: any[] = [];
  for await (const b of readLogBatches(p)) batch.push(...b);
  const mux = encodeLines(batch, { stdout: true, stderr: true, timestamps: false, tty: false });
  assert.deepEqual([...mux.subarray(0, 8)], [1, 0, 0, 0, 0, 0, 0, 3]);
  assert.equal(mux.subarray(8, 11).toString(), 'hi\n');
  assert.deepEqual([...mux.subarray(11, 19)], [2, 0, 0, 0, 0, 0, 0, 4]);
  const raw = encodeLines(batch, { stdout: true, stderr: false, timestamps: true, tty: true });
  assert.equal(raw.toString(), '2026-01-01T00:00:01.000000001Z hi\n');

  writeFileSync(p, `${ts(1)} stdout F a\n${ts(2)} stdout F b\n${ts(3)} stderr F c\n${ts(4)} stdout F d\n`);
  const b2: any[] = [];
  for await (const b of readLogBatches(p)) b2.push(...b);
  const perLine = encodeLines(b2, { stdout: true, stderr: true, timestamps: false, tty: false });
  assert.deepEqual([...perLine.subarray(0, 10)], [1, 0, 0, 0, 0, 0, 0, 2, ...Buffer.from('a\n')], 'a frame per line by default');
  assert.equal(perLine.length, 4 * 8 + 8);
  const merged = encodeLines(b2, { stdout: true, stderr: true, timestamps: false, tty: false, mergeFrames: true });
  // stdout "a\nb\n" in one frame, then stderr, then stdout again.
  assert.deepEqual([...merged], [1, 0, 0, 0, 0, 0, 0, 4, ...Buffer.from('a\nb\n'), 2, 0, 0, 0, 0, 0, 0, 2, ...Buffer.from('c\n'), 1, 0, 0, 0, 0, 0, 0, 2, ...Buffer.from('d\n')]);
  const stamped = encodeLines(b2.slice(0, 1), { stdout: true, stderr: true, timestamps: true, tty: false });
  assert.equal(stamped.readUInt32BE(4), stamped.length - 8);
  assert.equal(stamped.subarray(8).toString(), '2026-01-01T00:00:01.000000001Z a\n');
});
