import { signalNumber } from '../../lib/signals.js';
import { quote } from '../../lib/clip.js';
import { badParameter } from '../errors.js';

/** Docker accepts "SIGUSR1", "USR1", "usr1" or "10"; anything else is a 400. */
export function parseSignal(s: string | number | undefined, fallback = 'SIGKILL'): number {
  if (s === undefined || s === '') s = fallback;
  const n = signalNumber(s);
  if (n === undefined) throw badParameter(`Invalid signal: ${quote(s)}`);
  return n;
}
