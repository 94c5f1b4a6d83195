// Pure rules for untrusted layer entries: which names are acceptable, and what a whiteout means.

export class UnsafeEntryError extends Error {}

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';

/**
 * The entry name as a relative path inside the layer ("" for the root itself). Absolute names and
 * any ".." component are refused outright: a layer has no business naming either.
 */
export function safeEntryPath(name: string, what = 'entry'): string {
  if (name.includes('\0')) throw new UnsafeEntryError(`unsafe tar ${what} ${JSON.stringify(name)}: NUL in name`);
  if (name.startsWith('/')) throw new UnsafeEntryError(`unsafe tar ${what} ${JSON.stringify(name)}: absolute path`);
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new UnsafeEntryError(`unsafe tar ${what} ${JSON.stringify(name)}: path traversal ("..")`);
  return parts.join('/');
}

export type Whiteout = { kind: 'none' } | { kind: 'opaque'; dir: string } | { kind: 'whiteout'; path: string } | { kind: 'aufs-meta' };

/** What an OCI whiteout entry stands for, given its safe relative path. */
export function classifyWhiteout(rel: string): Whiteout {
  const slash = rel.lastIndexOf('/');
  const dir = slash < 0 ? '' : rel.slice(0, slash);
  const base = rel.slice(slash + 1);
  if (!base.startsWith(WHITEOUT_PREFIX)) return { kind: 'none' };
  if (base === OPAQUE_MARKER) return { kind: 'opaque', dir };
  // aufs bookkeeping (.wh..wh.plnk, .wh..wh.aufs) carries nothing a container should see.
  if (base.startsWith(WHITEOUT_PREFIX + WHITEOUT_PREFIX)) return { kind: 'aufs-meta' };
  const target = base.slice(WHITEOUT_PREFIX.length);
  if (!target || target === '.' || target === '..') throw new UnsafeEntryError(`invalid whiteout entry ${JSON.stringify(rel)}`);
  return { kind: 'whiteout', path: dir ? `${dir}/${target}` : target };
}

/** The reverse, for exporting an overlay upper dir: a 0:0 char device at `rel` is `.wh.<name>`. */
export function whiteoutEntryName(rel: string): string {
  const slash = rel.lastIndexOf('/');
  return slash < 0 ? WHITEOUT_PREFIX + rel : `${rel.slice(0, slash)}/${WHITEOUT_PREFIX}${rel.slice(slash + 1)}`;
}

export function opaqueEntryName(dirRel: string): string {
  return dirRel ? `${dirRel}/${OPAQUE_MARKER}` : OPAQUE_MARKER;
}
