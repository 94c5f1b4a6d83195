import { readFileSync } from 'node:fs';

/**
 * Whether this berth runs rootless. Inside the user namespace the launcher joins, berth is uid 0,
 * so `getuid() === 0` does not mean rootful: the one test is here, and everyone uses it.
 * Cheap on purpose: a non-zero uid answers at once; the launcher's marker answers for the
 * service and everything it spawns; only a uid 0 without it reads /proc/self/uid_map (once).
 */
export function isRootless(): boolean {
  return (cached ??= detect());
}

let cached: boolean | undefined;

/** Set by the launcher in the environment it re-executes with: the user's uid outside. */
export const ROOTLESS_UID_ENV = '_BERTH_ROOTLESS_UID';

function detect(): boolean {
  if ((process.getuid?.() ?? 0) !== 0) return true;
  if (process.env[ROOTLESS_UID_ENV]) return true;
  const m = idMap('uid');
  return m.length > 0 && !isIdentityMap(m);
}

/**
 * The uid of the user berth runs for, as the host sees it: getuid() outside the namespace, the
 * launcher's marker or the host id mapped to 0 inside it. Rootful: 0.
 */
export function rootlessUid(): number {
  const uid = process.getuid?.() ?? 0;
  if (uid !== 0 || !isRootless()) return uid;
  const marked = Number(process.env[ROOTLESS_UID_ENV]);
  if (Number.isInteger(marked) && marked > 0) return marked;
  return hostIdOf(idMap('uid'), 0) ?? 0;
}

/** One line of /proc/PID/uid_map or gid_map: `count` ids from `inside` map to `outside`... */
export interface IdMapEntry {
  inside: number;
  outside: number;
  count: number;
}

/** Parses /proc/PID/{uid,gid}_map (three whitespace-separated numbers a line). */
export function parseIdMap(text: string): IdMapEntry[] {
  const out: IdMapEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length !== 3) continue;
    const [inside, outside, count] = f.map(Number);
    if ([inside, outside, count].every((n) => Number.isSafeInteger(n) && n >= 0)) out.push({ inside, outside, count });
  }
  return out;
}

/** The initial namespace's map: every id is itself (`0 0 4294967295`). */
export function isIdentityMap(m: IdMapEntry[]): boolean {
  return m.length === 1 && m[0].inside === 0 && m[0].outside === 0 && m[0].count === 4294967295;
}

/** The host id an id inside maps to, or undefined when it is not mapped. */
export function hostIdOf(m: IdMapEntry[], inside: number): number | undefined {
  for (const e of m) if (inside >= e.inside && inside < e.inside + e.count) return e.outside + (inside - e.inside);
  return undefined;
}

const maps: Partial<Record<'uid' | 'gid', IdMapEntry[]>> = {};

/**
 * This process's uid or gid map, read once: a process never changes user namespace after the
 * launcher's re-exec (which starts a new process image). Empty when it cannot be read.
 */
export function idMap(kind: 'uid' | 'gid'): IdMapEntry[] {
  if (!maps[kind]) {
    try {
      maps[kind] = parseIdMap(readFileSync(`/proc/self/${kind}_map`, 'utf8'));
    } catch {
      maps[kind] = [];
    }
  }
  return maps[kind];
}

/** This process's uid and gid maps (for /info); empty when they cannot be read. */
export function currentIdMaps(): { uid: IdMapEntry[]; gid: IdMapEntry[] } {
  return { uid: idMap('uid'), gid: idMap('gid') };
}
