import { constants } from 'node:os';
import { badParameter } from '../errors.js';

const SIGNALS = constants.signals as Record<string, number>;

/** Docker accepts "SIGUSR1", "USR1", "usr1" or "10"; anything else is a 400. */
export function parseSignal(s: string | number | undefined, fallback = 'SIGKILL'): number {
  if (s === undefined || s === '') s = fallback;
  if (typeof s === 'number' || /^\d+$/.test(s)) {
    const n = Number(s);
    if (n < 1 || n > 64) throw badParameter(`Invalid signal: ${s}`);
    return n;
  }
  const u = s.toUpperCase();
  const name = u.startsWith('SIG') ? u : `SIG${u}`;
  const rt = /^SIGRTMIN(?:\+(\d+))?$/.exec(name) ?? /^SIGRTMAX(?:-(\d+))?$/.exec(name);
  if (rt) return name.startsWith('SIGRTMIN') ? 34 + Number(rt[1] ?? 0) : 64 - Number(rt[1] ?? 0);
  const n = SIGNALS[name];
  if (n === undefined) throw badParameter(`Invalid signal: ${s}`);
  return n;
}
