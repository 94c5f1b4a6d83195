// The bench harness runs: `bench/run.mjs --smoke` against berth alone (ping + one container list)
// writes a result file with the expected shape. Asserts nothing about time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, run } from '../../helpers/berth.js';

test('npm run bench -- --smoke writes a result file with the expected keys', async () => {
  const out = mkdtempSync(join(tmpdir(), 'berth-bench-smoke-'));
  try {
    const r = await run(process.execPath, [join(REPO, 'bench', 'run.mjs'), '--smoke', '--no-build', '--out', out], { timeoutMs: 90_000 });
    assert.equal(r.code, 0, `bench --smoke failed:\n${r.stderr}`);
    const file = join(out, 'latest-smoke.json');
    assert.ok(existsSync(file), 'latest-smoke.json written');
    assert.ok(existsSync(join(out, 'latest-smoke.md')), 'latest-smoke.md written');
    const res = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(res.mode, 'smoke');
    assert.deepEqual(res.engineNames, ['berth']);
    for (const k of ['date', 'machine', 'params', 'engines', 'metrics', 'durationS']) assert.ok(k in res, `key ${k}`);
    for (const id of ['ping.c1.rps', 'ping.c1.p50', 'ping.c1.p99', 'ping.c32.rps', 'list.N1']) {
      const m = res.metrics[id];
      assert.ok(m, `metric ${id}`);
      assert.ok(m.title && m.unit && m.better, `${id} has title, unit, better`);
      const b = m.results.berth;
      assert.ok(b, `${id} has a berth result`);
      assert.ok(Number.isFinite(b.median) || typeof b.na === 'string', `${id}: a number or an n/a reason`);
    }
    assert.ok(Number.isFinite(res.metrics['ping.c1.rps'].results.berth.median), 'ping measured');
    assert.match(readFileSync(join(out, 'latest-smoke.md'), 'utf8'), /\| figure \| unit \| berth \|/);
    // The harness cleaned up after itself: its temp storage is gone and nothing is mounted there.
    assert.equal(typeof res.scratch, 'string');
    assert.equal(existsSync(res.scratch), false, `${res.scratch} removed`);
    assert.equal(readFileSync('/proc/self/mounts', 'utf8').includes(res.scratch), false, 'no bench mounts left');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
