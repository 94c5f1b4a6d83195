import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { heldSlots, resizeConsole } from '../../../src/oci/console-ctl.js';

function drain(fd: number): string {
  const buf = Buffer.alloc(4096);
  try {
    const n = readSync(fd, buf, 0, buf.length, null);
    return buf.subarray(0, n).toString();
  } catch {
    return '';
  }
}

test('resizes written back to back reach conmon one message per read, the latest last', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ctl-'));
  const ctl = join(dir, 'ctl');
  execFileSync('mkfifo', [ctl]);
  const rd = openSync(ctl, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    resizeConsole(ctl, 21, 71);
    resizeConsole(ctl, 30, 90);
    resizeConsole(ctl, 20, 70);
    assert.equal(drain(rd), '1 21 71\n', 'only the first is written at once');
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(drain(rd), '1 20 70\n', 'then the latest held size, alone');
    await new Promise((r) => setTimeout(r, 60));
    resizeConsole(ctl, 10, 40);
    assert.equal(drain(rd), '1 10 40\n', 'after the gap a resize is written at once');
  } finally {
    closeSync(rd);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('no reader: the resize fails at once with the reason', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ctl-'));
  const ctl = join(dir, 'ctl');
  execFileSync('mkfifo', [ctl]);
  try {
    assert.throws(() => resizeConsole(ctl, 1, 1), /ENXIO/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('nothing is kept per FIFO once its resizes are over (one slot per session would pile up)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ctl-'));
  const fds: number[] = [];
  try {
    for (let i = 0; i < 50; i++) {
      const ctl = join(dir, `ctl${i}`);
      execFileSync('mkfifo', [ctl]);
      fds.push(openSync(ctl, constants.O_RDONLY | constants.O_NONBLOCK));
      resizeConsole(ctl, 24, 80);
      resizeConsole(ctl, 25, 81);
    }
    // A FIFO that fails is not kept either.
    const dead = join(dir, 'dead');
    execFileSync('mkfifo', [dead]);
    assert.throws(() => resizeConsole(dead, 1, 1), /ENXIO/);
    assert.ok(heldSlots() >= 50);
    // Each slot lives for at most two gaps (the held size, then a quiet one).
    for (let i = 0; i < 100 && heldSlots() > 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(heldSlots(), 0);
    for (const fd of fds) assert.equal(drain(fd), '1 24 80\n1 25 81\n');
  } finally {
    for (const fd of fds) closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
});
