import type { IdMapEntry } from './rootless.js';

/** One range a user owns in /etc/subuid or /etc/subgid. */
export interface SubIdRange {
  start: number;
  count: number;
}

/**
 * The ranges /etc/subuid (or subgid) text gives a user: lines `name:start:count`, where the
 * name may also be the numeric uid (shadow's tools accept both). Comments and junk are skipped.
 */
export function parseSubIds(text: string, user: string, uid: number): SubIdRange[] {
  const out: SubIdRange[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const f = line.split(':');
    if (f.length !== 3) continue;
    if (f[0] !== user && f[0] !== String(uid)) continue;
    const start = Number(f[1]);
    const count = Number(f[2]);
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(count) || start < 0 || count <= 0) continue;
    out.push({ start, count });
  }
  return out;
}

/**
 * The user namespace's map as podman makes it: 0 is the user itself, 1.. the subordinate
 * ranges one after the other. These are newuidmap's triples (inside, outside, count).
 */
export function namespaceMap(ownId: number, ranges: SubIdRange[]): IdMapEntry[] {
  const out: IdMapEntry[] = [{ inside: 0, outside: ownId, count: 1 }];
  let next = 1;
  for (const r of ranges) {
    out.push({ inside: next, outside: r.start, count: r.count });
    next += r.count;
  }
  return out;
}

/** newuidmap/newgidmap's arguments after the pid. */
export function mapArgs(m: IdMapEntry[]): string[] {
  return m.flatMap((e) => [String(e.inside), String(e.outside), String(e.count)]);
}
