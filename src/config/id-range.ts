// Which ids this berth can give files and processes: those its user namespace maps. Rootful
// (the identity map) that is every id; rootless 0 (the user) and the user's subordinate range.
import { hostIdOf, idMap } from './rootless.js';

/** Whether `id` exists in this namespace (unreadable maps: assume so, and let the kernel say). */
export function isMappedId(kind: 'uid' | 'gid', id: number): boolean {
  const m = idMap(kind);
  return m.length === 0 || hostIdOf(m, id) !== undefined;
}

/** The ids inside, as `0-65536` (ranges joined by commas), for messages. */
export function mappedIdRanges(kind: 'uid' | 'gid'): string {
  const spans: [number, number][] = [];
  for (const e of idMap(kind).slice().sort((a, b) => a.inside - b.inside)) {
    const last = spans.at(-1);
    // Adjacent entries (0 -> the user, 1.. -> the subordinate range) read as one span.
    if (last && last[1] + 1 === e.inside) last[1] = e.inside + e.count - 1;
    else spans.push([e.inside, e.inside + e.count - 1]);
  }
  return spans.map(([a, b]) => (a === b ? String(a) : `${a}-${b}`)).join(',');
}

/** A message for an id the namespace does not map, or undefined when it does. */
export function unmappedIdProblem(kind: 'uid' | 'gid', id: number): string | undefined {
  if (isMappedId(kind, id)) return undefined;
  return `${kind} ${id} is not mapped in berth's user namespace (it maps ${mappedIdRanges(kind)}; a rootless berth has the user's /etc/sub${kind} range)`;
}
