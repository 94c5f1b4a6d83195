import { closeSync, constants, openSync, writeSync } from 'node:fs';

/**
 * Terminal resizes go to conmon's `ctl` FIFO as `1 HEIGHT WIDTH\n`. conmon acts on one message
 * per read, so two resizes written back to back (the docker CLI sends rows+1 x cols+1, then the
 * real size, on every attach) can arrive in one read and the second, the one that matters, is
 * lost. Writes to one FIFO are therefore spaced out; a resize that comes too soon is held and
 * only the latest held size is written.
 */
const GAP_MS = 25;

/**
 * A FIFO written to within the last GAP_MS, with the size held for it. A slot lives only as long
 * as its timer: a quiet FIFO has none, so nothing stays behind per session that was ever resized.
 */
interface Slot {
  pending?: [number, number];
}
const slots = new Map<string, Slot>();

/** FIFOs with a slot now (for tests of the bound). */
export function heldSlots(): number {
  return slots.size;
}

function write(ctl: string, h: number, w: number): void {
  const fd = openSync(ctl, constants.O_WRONLY | constants.O_NONBLOCK);
  try {
    writeSync(fd, `1 ${h} ${w}\n`);
  } finally {
    closeSync(fd);
  }
}

/** After GAP_MS: the latest held size goes out (and the slot waits another gap), or the slot goes. */
function arm(ctl: string, s: Slot): void {
  setTimeout(() => {
    const p = s.pending;
    s.pending = undefined;
    if (!p) return void slots.delete(ctl);
    try {
      write(ctl, p[0], p[1]);
    } catch {
      // The session ended meanwhile: nothing left to resize.
      return void slots.delete(ctl);
    }
    arm(ctl, s);
  }, GAP_MS);
}

/** Throws when the FIFO cannot be written now (no conmon reading it). */
export function resizeConsole(ctl: string, h: number, w: number): void {
  const held = slots.get(ctl);
  if (held) {
    held.pending = [h, w];
    return;
  }
  write(ctl, h, w);
  const s: Slot = {};
  slots.set(ctl, s);
  arm(ctl, s);
}
