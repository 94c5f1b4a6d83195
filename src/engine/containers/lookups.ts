import type { StoragePaths } from '../../config/paths.js';
import type { ContainerRow, ContainerStore } from '../../state/containers.js';
import { badParameter } from '../errors.js';
import { containerDirs } from './rootfs.js';
import { containerMounts } from './mounts.js';
import type { ContainerDirs, ContainerSpec, ContainerView, MountSpec } from './types.js';
import { noSuchContainer } from './util.js';

/** Cached views past which the cache is checked against the containers that exist. */
const VIEWS_SOFT_LIMIT = 256;

/**
 * Containers by reference (ID, ID prefix or name) as views: the row with its parsed spec and
 * paths. A spec only changes on update, so listing a thousand containers parses none of them
 * again (the stored text is compared, not trusted to be fresh).
 *
 * The cache holds views of containers that exist, plus a bounded number of gone ones: a view is
 * some kilobytes (the spec's text and its parse), and a service that runs `docker run --rm` all
 * day must not keep one per container it ever ran (measured: 100 runs kept 100 views, ~1.9 MiB).
 *
 * Lists keep their views: while the database's stamp (state/db.ts) stays the same no row is read
 * again, and a row read again unchanged keeps its view object, so what the API shaped from it
 * (api/containers/list-text.ts) can be kept with it. Those views are shared between lists and
 * frozen: a caller that changed one would change every later list.
 */
export class ContainerLookups {
  private views = new Map<string, CachedView>();
  private listed?: { stamp: string; views: ContainerView[] };
  /** Past this size the next new view first drops the views of containers that are gone. */
  private limit: number;

  constructor(
    private readonly store: Pick<ContainerStore, 'lookup' | 'list' | 'ids' | 'stamp'>,
    private readonly paths: StoragePaths,
    private readonly softLimit = VIEWS_SOFT_LIMIT,
  ) {
    this.limit = softLimit;
  }

  /** How many views are cached (for tests of the bound). */
  get size(): number {
    return this.views.size;
  }

  private cached(row: ContainerRow): CachedView {
    let c = this.views.get(row.id);
    if (!c || c.spec !== row.spec) {
      const parsed = JSON.parse(row.spec) as ContainerSpec;
      if (!c && this.views.size >= this.limit) this.sweep();
      c = { spec: row.spec, parsed, dirs: c?.dirs ?? containerDirs(this.paths, row.id), mounts: containerMounts(parsed) };
      this.views.set(row.id, c);
    }
    return c;
  }

  view(row: ContainerRow): ContainerView {
    const c = this.cached(row);
    // A starting row's pid names the process that starts it, not a process of the container.
    const pid = row.state === 'starting' ? 0 : row.pid;
    return { ...row, pid, parsed: c.parsed, dirs: c.dirs, mounts: c.mounts };
  }

  /** The row's shared view: the one made before while every column is the same. */
  private listView(row: ContainerRow): ContainerView {
    const c = this.cached(row);
    if (c.row && sameRow(c.row, row)) return c.shared!;
    c.row = row;
    return (c.shared = Object.freeze(this.view(row)));
  }

  find(ref: string): ContainerView | undefined {
    const r = this.store.lookup(ref);
    if (r === 'ambiguous') throw badParameter(`multiple containers found with prefix ${ref}`);
    // Asked for by its full ID and gone (removed by another process): its view goes too.
    if (!r) this.views.delete(ref);
    return r && this.view(r);
  }

  get(ref: string): ContainerView {
    const v = this.find(ref);
    if (!v) throw noSuchContainer(ref);
    return v;
  }

  /** Every container, newest first. */
  all(): ContainerView[] {
    // The stamp first: a change committed between it and the read only makes the next list read again.
    const stamp = this.store.stamp();
    if (stamp !== undefined && this.listed?.stamp === stamp) return this.listed.views.slice();
    const rows = this.store.list();
    // Containers removed by other processes leave cached views behind: drop them now and then.
    if (this.views.size > rows.length + 64) {
      const live = new Set(rows.map((r) => r.id));
      for (const id of this.views.keys()) if (!live.has(id)) this.views.delete(id);
    }
    // Every row is live: no sweep while their views go in.
    this.limit = Math.max(this.softLimit, rows.length * 2);
    const views = rows.map((r) => this.listView(r));
    this.listed = stamp === undefined ? undefined : { stamp, views };
    return views.slice();
  }

  forget(id: string): void {
    this.views.delete(id);
    this.listed = undefined;
  }

  /**
   * Drops the views of containers that no longer exist. When the live ones alone fill the cache,
   * the limit follows their number (twice it): what stays cached is proportional to what exists.
   */
  private sweep(): void {
    const live = new Set(this.store.ids());
    for (const id of this.views.keys()) if (!live.has(id)) this.views.delete(id);
    this.limit = Math.max(this.softLimit, this.views.size * 2);
  }
}

interface CachedView {
  spec: string;
  parsed: ContainerSpec;
  dirs: ContainerDirs;
  mounts: MountSpec[];
  /** The row `shared` was made from. */
  row?: ContainerRow;
  shared?: ContainerView;
}

function sameRow(a: ContainerRow, b: ContainerRow): boolean {
  for (const k in b) if (a[k as keyof ContainerRow] !== b[k as keyof ContainerRow]) return false;
  return true;
}
