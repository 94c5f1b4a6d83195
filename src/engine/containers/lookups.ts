import type { StoragePaths } from '../../config/paths.js';
import type { ContainerRow, ContainerStore } from '../../state/containers.js';
import { badParameter } from '../errors.js';
import { containerDirs } from './rootfs.js';
import { containerMounts } from './mounts.js';
import type { ContainerDirs, ContainerSpec, ContainerView, MountSpec } from './types.js';
import { noSuchContainer } from './util.js';

/**
 * Containers by reference (ID, ID prefix or name) as views: the row with its parsed spec and
 * paths. A spec only changes on update, so listing a thousand containers parses none of them
 * again (the stored text is compared, not trusted to be fresh).
 */
export class ContainerLookups {
  private views = new Map<string, { spec: string; parsed: ContainerSpec; dirs: ContainerDirs; mounts: MountSpec[] }>();

  constructor(
    private readonly store: ContainerStore,
    private readonly paths: StoragePaths,
  ) {}

  view(row: ContainerRow): ContainerView {
    let c = this.views.get(row.id);
    if (!c || c.spec !== row.spec) {
      const parsed = JSON.parse(row.spec) as ContainerSpec;
      c = { spec: row.spec, parsed, dirs: c?.dirs ?? containerDirs(this.paths, row.id), mounts: containerMounts(parsed) };
      this.views.set(row.id, c);
    }
    // A starting row's pid names the process that starts it, not a process of the container.
    const pid = row.state === 'starting' ? 0 : row.pid;
    return { ...row, pid, parsed: c.parsed, dirs: c.dirs, mounts: c.mounts };
  }

  find(ref: string): ContainerView | undefined {
    const r = this.store.lookup(ref);
    if (r === 'ambiguous') throw badParameter(`multiple containers found with prefix ${ref}`);
    return r && this.view(r);
  }

  get(ref: string): ContainerView {
    const v = this.find(ref);
    if (!v) throw noSuchContainer(ref);
    return v;
  }

  /** Every container, newest first. */
  all(): ContainerView[] {
    const rows = this.store.list();
    // Containers removed by other processes leave cached views behind: drop them now and then.
    if (this.views.size > rows.length + 64) {
      const live = new Set(rows.map((r) => r.id));
      for (const id of this.views.keys()) if (!live.has(id)) this.views.delete(id);
    }
    return rows.map((r) => this.view(r));
  }

  forget(id: string): void {
    this.views.delete(id);
  }
}
