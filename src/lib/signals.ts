// Signal names as docker and podman accept them, dialect-free: the engine validates requests with
// it, the libpod layer reports a container's stop signal as a number.
import { constants } from 'node:os';

const SIGNALS = constants.signals as Record<string, number>;

/** "SIGUSR1", "USR1", "usr1", "10", "SIGRTMIN+3" → the signal number; undefined when none. */
export function signalNumber(s: string | number): number | undefined {
  if (typeof s === 'number' || /^\d+$/.test(s)) {
    const n = Number(s);
    return n >= 1 && n <= 64 ? n : undefined;
  }
  const u = s.toUpperCase();
  const name = u.startsWith('SIG') ? u : `SIG${u}`;
  const rt = /^SIGRTMIN(?:\+(\d+))?$/.exec(name) ?? /^SIGRTMAX(?:-(\d+))?$/.exec(name);
  if (rt) return name.startsWith('SIGRTMIN') ? 34 + Number(rt[1] ?? 0) : 64 - Number(rt[1] ?? 0);
  return SIGNALS[name];
}

/** 15 → "SIGTERM" (the first of the names sharing a number), real-time ones as "SIGRTMIN+n"; else the number. */
export function signalName(n: number): string {
  for (const [name, num] of Object.entries(SIGNALS)) if (num === n) return name;
  if (n >= 34 && n <= 64) return n === 34 ? 'SIGRTMIN' : `SIGRTMIN+${n - 34}`;
  return String(n);
}
