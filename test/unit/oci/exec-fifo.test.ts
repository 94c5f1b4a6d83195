import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startThroughFifo } from '../../../src/oci/exec-fifo.js';

function fifo(): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'berth-exec-fifo-'));
  const path = join(dir, 'exec.fifo');
  execFileSync('mkfifo', [path]);
  return { dir, path };
}

test('exec fifo: a waiting writer is released, the fifo removed once it closes', async () => {
  const { dir, path } = fifo();
  // As runc's init: blocks opening the fifo for writing, writes a byte, then closes it (its exec).
  const init = spawn('sh', ['-c', 'printf 0 > "$0"; sleep 0.1', path], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(await startThroughFifo(path), true);
  assert.equal(existsSync(path), false);
  await new Promise((r) => init.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
});

test('exec fifo: without a waiting writer or without a fifo the runtime is left to decide', async () => {
  const { dir, path } = fifo();
  assert.equal(await startThroughFifo(path), false);
  assert.equal(existsSync(path), true, 'the fifo stays for runc start');
  assert.equal(await startThroughFifo(join(dir, 'missing')), false);
  writeFileSync(join(dir, 'plain'), '0');
  assert.equal(await startThroughFifo(join(dir, 'plain')), false);
  rmSync(dir, { recursive: true, force: true });
});
