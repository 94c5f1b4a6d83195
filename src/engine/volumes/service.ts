// The volume store: records in the state DB, files under the storage root through the local
// driver. Containers reach it as their VolumeSource (create makes and claims volumes, start
// mounts them, rm -v and --rm remove anonymous ones); the API layers through VolumesPort.
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import type { StoragePaths } from '../../config/paths.js';
import { clip } from '../../lib/clip.js';
import { isLive } from '../../state/container-states.js';
import { VolumeStore, type VolumeRow, type VolumeUser } from '../../state/volumes.js';
import { badParameter, conflict, notFound } from '../errors.js';
import type { EventBus } from '../events.js';
import { ContainerFs } from '../containers/files/container-fs.js';
import { contentTar, extractInto } from '../containers/files/archive.js';
import type { MountSpec, VolumeSource } from '../containers/types.js';
import { dirSize } from '../containers/util.js';
import { pruneFilter, volumeFilter } from './filters.js';
import { checkOptions, LOCAL, LocalDriver, mountsSomething } from './local-driver.js';
import { generatedVolumeName, validateVolumeName } from './names.js';
import type { VolumesPort } from './port.js';
import type { VolumeCreateRequest, VolumePruneOptions, VolumePruneResult, VolumeUsage, VolumeView } from './types.js';

export interface VolumeServiceDeps {
  db: Database;
  paths: StoragePaths;
  events: EventBus;
  /** Removes a container by force: a forced volume removal takes the containers using it along (podman's). */
  removeContainer(id: string): Promise<void>;
  /** The service clears what interrupted removals left; `container cleanup` does not. */
  sweep: boolean;
}

const noSuchVolume = (name: string) => notFound(`get ${clip(name)}: no such volume`);

function checkDriver(driver: string | undefined): string {
  const d = driver || LOCAL;
  if (d !== LOCAL) throw badParameter(`volume driver "${clip(d)}" is not available: berth has the "local" driver only`);
  return d;
}

function checkLabels(labels: unknown, what = 'Labels'): Record<string, string> {
  if (labels == null) return {};
  if (typeof labels !== 'object' || Array.isArray(labels)) throw badParameter(`${what} must be an object of strings`);
  for (const [k, v] of Object.entries(labels)) if (typeof v !== 'string') throw badParameter(`${what}: the value of "${clip(k)}" must be a string`);
  return labels as Record<string, string>;
}

export class VolumeService implements VolumesPort, VolumeSource {
  private readonly store: VolumeStore;
  readonly driver: LocalDriver;

  constructor(private readonly deps: VolumeServiceDeps) {
    this.store = new VolumeStore(deps.db);
    this.driver = new LocalDriver(join(deps.paths.root, 'volumes'));
    if (deps.sweep) this.driver.sweep((n) => this.store.get(n) !== undefined);
  }

  // ---- views ---------------------------------------------------------------------------------

  private view(r: VolumeRow, users: VolumeUser[]): VolumeView {
    return {
      name: r.name,
      driver: r.driver,
      mountpoint: this.driver.dataDir(r.name),
      createdAt: r.created,
      labels: r.labels,
      options: r.options,
      anonymous: r.anonymous,
      uid: r.uid,
      gid: r.gid,
      users: users.map((u) => u.id),
      liveUsers: users.filter((u) => isLive(u.state) || u.state === 'initialized').length,
      mounted: mountsSomething(r.options),
    };
  }

  find(name: string): VolumeView | undefined {
    const r = this.store.get(name);
    return r && this.view(r, this.store.users(name));
  }

  get(name: string): VolumeView {
    const v = this.find(name);
    if (!v) throw noSuchVolume(name);
    return v;
  }

  list(filters: Record<string, string[]> = {}): VolumeView[] {
    const keep = volumeFilter(filters);
    const users = this.store.usersByVolume();
    return this.store.list().map((r) => this.view(r, users.get(r.name) ?? [])).filter(keep);
  }

  usage(): VolumeUsage[] {
    return this.list().map((volume) => ({ volume, size: dirSize(volume.mountpoint), refCount: volume.users.length }));
  }

  // ---- create --------------------------------------------------------------------------------

  async create(req: VolumeCreateRequest): Promise<{ volume: VolumeView; created: boolean }> {
    const r = this.make({ name: req.name, driver: req.driver, labels: req.labels, options: req.options, anonymous: false }, req.ifExists ?? 'return');
    return { volume: this.get(r.name), created: r.created };
  }

  /** Records a volume (or finds it) and gives it its directory. */
  private make(
    o: { name?: string; driver?: string; labels?: unknown; options?: unknown; anonymous: boolean },
    ifExists: 'return' | 'conflict',
  ): { name: string; created: boolean } {
    const name = o.name ? validateVolumeName(o.name) : generatedVolumeName();
    const driver = checkDriver(o.driver);
    const labels = checkLabels(o.labels);
    if (o.options != null && (typeof o.options !== 'object' || Array.isArray(o.options))) throw badParameter('DriverOpts must be an object of strings');
    const { options, uid, gid } = checkOptions(o.options as Record<string, unknown> | undefined);
    const created = this.store.tx(() =>
      this.store.insert({ name, driver, created: new Date().toISOString(), labels, options, anonymous: o.anonymous, uid, gid }),
    );
    if (!created) {
      if (ifExists === 'conflict') throw conflict(`volume with name ${name} already exists: volume already exists`);
      return { name, created: false };
    }
    this.driver.create(name, { uid, gid });
    this.deps.events.publish('volume', 'create', name, { driver });
    return { name, created: true };
  }

  // ---- remove and prune ----------------------------------------------------------------------

  async remove(name: string, opts: { force?: boolean } = {}): Promise<void> {
    const v = this.get(name);
    if (v.users.length && opts.force) for (const id of v.users) await this.deps.removeContainer(id).catch(() => undefined);
    this.checkUnused(name);
    // Unmounted while the record stays: a volume that cannot be unmounted is kept whole.
    await this.driver.unmount(name);
    this.dropRecord(name);
    await this.driver.destroy(name);
    this.deps.events.publish('volume', 'destroy', name, { driver: v.driver });
  }

  private checkUnused(name: string): void {
    const users = this.store.users(name);
    if (users.length) throw conflict(`remove ${name}: volume is in use - [${users.map((u) => u.id).join(', ')}]`);
  }

  /** Deletes the record unless a container uses the volume (checked in the transaction that deletes). */
  private dropRecord(name: string): void {
    this.store.tx(() => {
      if (!this.store.get(name)) throw noSuchVolume(name);
      this.checkUnused(name);
      this.store.delete(name);
    });
  }

  async prune(o: VolumePruneOptions = {}): Promise<VolumePruneResult> {
    const selected = pruneFilter(o.filters ?? {}, o.anonymousOnly ?? false);
    const deleted: { name: string; size: number }[] = [];
    for (const v of this.list().filter(selected)) {
      const size = dirSize(v.mountpoint);
      try {
        this.dropRecord(v.name);
      } catch {
        continue; // a container took it meanwhile
      }
      await this.driver.destroy(v.name).catch(() => undefined);
      this.deps.events.publish('volume', 'destroy', v.name, { driver: v.driver });
      deleted.push({ name: v.name, size });
    }
    this.deps.events.publish('volume', 'prune', '', { reclaimed: String(deleted.reduce((n, d) => n + d.size, 0)) });
    return { deleted, reclaimed: deleted.reduce((n, d) => n + d.size, 0) };
  }

  // ---- content -------------------------------------------------------------------------------

  async exportTar(name: string): Promise<AsyncIterable<Buffer>> {
    const v = this.get(name);
    const dir = await this.driver.mount(name, v.options);
    return contentTar(new ContainerFs(dir).locate('/', false));
  }

  async importTar(name: string, body: AsyncIterable<Buffer>): Promise<void> {
    const v = this.get(name);
    const dir = await this.driver.mount(name, v.options);
    await extractInto(new ContainerFs(dir), '/', body, { noOverwriteDirNonDir: false, copyUIDGID: true });
  }

  // ---- for containers (VolumeSource) ---------------------------------------------------------

  provide(mounts: MountSpec[]): string[] {
    const made: string[] = [];
    try {
      for (const m of mounts) {
        if (m.type !== 'volume') continue;
        const o = m.volumeOptions ?? {};
        const r = this.make({ name: m.name, driver: o.driver, labels: o.labels, options: o.driverOpts, anonymous: !m.name }, 'return');
        if (r.created) made.push(r.name);
        const row = this.store.get(r.name);
        m.anonymous = row?.anonymous ?? !m.name;
        m.name = r.name;
        m.source = this.driver.dataDir(r.name);
        m.driver = row?.driver ?? LOCAL;
      }
    } catch (e) {
      void this.discard(made);
      throw e;
    }
    return made;
  }

  claim(containerId: string, names: string[]): void {
    try {
      this.store.addUser(containerId, names);
    } catch (e) {
      if (/FOREIGN KEY/.test(String(e))) throw conflict(`a volume of the container was removed while it was being created: ${names.join(', ')}`);
      throw e;
    }
  }

  async mount(m: MountSpec, containerId: string): Promise<string> {
    const name = m.name!;
    let r = this.store.get(name);
    if (!r) {
      // Its record is gone (a removal interrupted before): made again, empty, as docker does on demand.
      this.make({ name, anonymous: !!m.anonymous }, 'return');
      this.store.tx(() => this.store.addUser(containerId, [name]));
      r = this.store.get(name)!;
    }
    const dir = await this.driver.mount(name, r.options);
    this.deps.events.publish('volume', 'mount', name, {
      container: containerId, destination: m.destination, driver: r.driver, propagation: m.propagation ?? '', 'read/write': String(!m.readOnly),
    });
    return dir;
  }

  removeAnonymous(names: string[]): Promise<void> {
    return this.destroy(this.store.tx(() => this.dropAnonymous(names)));
  }

  dropAnonymous(names: string[]): string[] {
    return this.dropUnused(names.filter((n) => this.store.get(n)?.anonymous));
  }

  discard(names: string[]): Promise<void> {
    return this.destroy(this.store.tx(() => this.dropUnused(names)));
  }

  /** Deletes the records of those of these volumes no container uses; the caller holds the transaction. */
  private dropUnused(names: string[]): string[] {
    const dropped: string[] = [];
    for (const name of new Set(names)) {
      if (!this.store.get(name) || this.store.users(name).length) continue;
      this.store.delete(name);
      dropped.push(name);
    }
    return dropped;
  }

  /** Removes the directories of volumes whose records are gone. */
  async destroy(names: string[]): Promise<void> {
    for (const name of names) {
      await this.driver.destroy(name).catch(() => undefined);
      this.deps.events.publish('volume', 'destroy', name, { driver: LOCAL });
    }
  }
}
