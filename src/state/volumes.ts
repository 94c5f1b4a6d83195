import type { Database } from 'better-sqlite3';
import { stmt } from './db.js';
import type { ContainerStatus } from './container-states.js';

export interface VolumeRow {
  name: string;
  driver: string;
  /** ISO 8601, as stored. */
  created: string;
  labels: Record<string, string>;
  /** The driver options it was created with (local: type, o, device). */
  options: Record<string, string>;
  /** Made for one container (docker's -v /path, an image's VOLUME): rm -v and --rm remove it. */
  anonymous: boolean;
  uid: number;
  gid: number;
}

interface Raw {
  name: string;
  driver: string;
  created: string;
  labels: string;
  options: string;
  anonymous: number;
  uid: number;
  gid: number;
}

const fromRaw = (r: Raw): VolumeRow => ({
  name: r.name,
  driver: r.driver,
  created: r.created,
  labels: JSON.parse(r.labels) as Record<string, string>,
  options: JSON.parse(r.options) as Record<string, string>,
  anonymous: r.anonymous !== 0,
  uid: r.uid,
  gid: r.gid,
});

/** A container that uses a volume, with its state (live ones keep a mounted volume busy). */
export interface VolumeUser {
  id: string;
  state: ContainerStatus;
}

/** All volume SQL; callers compose these inside `tx` (the container store's too: one connection). */
export class VolumeStore {
  constructor(readonly db: Database) {}

  tx<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /** False when the name is taken (the existing record stays as it is). */
  insert(r: VolumeRow): boolean {
    const res = stmt(this.db, 'INSERT OR IGNORE INTO volumes (name, driver, created, labels, options, anonymous, uid, gid) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(r.name, r.driver, r.created, JSON.stringify(r.labels), JSON.stringify(r.options), r.anonymous ? 1 : 0, r.uid, r.gid);
    return res.changes === 1;
  }

  get(name: string): VolumeRow | undefined {
    const r = stmt(this.db, 'SELECT * FROM volumes WHERE name = ?').get(name) as Raw | undefined;
    return r && fromRaw(r);
  }

  list(): VolumeRow[] {
    return (stmt(this.db, 'SELECT * FROM volumes ORDER BY created, name').all() as Raw[]).map(fromRaw);
  }

  delete(name: string): void {
    stmt(this.db, 'DELETE FROM volumes WHERE name = ?').run(name);
  }

  users(name: string): VolumeUser[] {
    return stmt(this.db, 'SELECT c.id AS id, c.state AS state FROM volume_users u JOIN containers c ON c.id = u.container_id WHERE u.volume = ? ORDER BY c.seq')
      .all(name) as VolumeUser[];
  }

  /** The users of every volume that has any, in one query (lists). */
  usersByVolume(): Map<string, VolumeUser[]> {
    const rows = stmt(this.db, 'SELECT u.volume AS volume, c.id AS id, c.state AS state FROM volume_users u JOIN containers c ON c.id = u.container_id ORDER BY c.seq')
      .all() as (VolumeUser & { volume: string })[];
    const out = new Map<string, VolumeUser[]>();
    for (const r of rows) {
      let l = out.get(r.volume);
      if (!l) out.set(r.volume, (l = []));
      l.push({ id: r.id, state: r.state });
    }
    return out;
  }

  /** Records that a container uses these volumes; a volume removed meanwhile fails the foreign key. */
  addUser(containerId: string, names: string[]): void {
    const ins = stmt(this.db, 'INSERT OR IGNORE INTO volume_users (volume, container_id) VALUES (?, ?)');
    for (const n of names) ins.run(n, containerId);
  }
}
