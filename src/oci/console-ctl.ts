import { closeSync, constants, openSync, writeSync } from 'node:fs';

/**
 * Terminal resizes go to conmon's `ctl` FIFO as `1 HEIGHT WIDTH\n`. conmon acts on one message
 * per read, so two resizes written back to back (the docker CLI sends rows+1 x cols+1, then the
 * real size, on every attach) can arrive in one read and the second, the one that matters, is
 * lost. Writes to one FIFO are therefore spaced out; a resize that comes too soon is held and
 * only the latest held size is written.
 */
const GAP_MS = 25;

interface Slot {
  last: number;
  timer?: NodeJS.Timeout;
  pending?: [number, number];
}
const slots = new Map<string, Slot>();

function write(ctl: string, h: number, w: number): void {
  const fd = openSync(ctl, constants.O_WRONLY | constants.O_NONBLOCK);
  try {
    writeSync(fd, `1 ${h} ${w}\n`);
  } finally {
    closeSync(fd);
  }
}

/** Throws when the FIFO cannot be written now (no conmon reading it). */
export function resizeConsole(ctl: string, h: number, w: number): void {
  const now = Date.now();
  const s = slots.get(ctl) ?? { last: 0 };
  slots.set(ctl, s);
  if (!s.timer && now - s.last >= GAP_MS) {
    write(ctl, h, w);
    s.last = now;
    return;
  }
  s.pending = [h, w];
  s.timer ??= setTimeout(() => {
    s.timer = undefined;
    const p = s.pending;
    s.pending = undefined;
    if (!p) return;
    try {
      write(ctl, p[0], p[1]);
    } catch {
      // The session ended meanwhile: nothing left to resize.
    }
    s.last = Date.now();
    if (!s.timer) slots.delete(ctl);
  }, Math.max(0, s.last + GAP_MS - now));
}
