import type { Database } from 'better-sqlite3';
import { stmt } from './db.js';

export interface SecretRow {
  id: string;
  name: string;
  driver: string;
  driverOptions: Record<string, string>;
  labels: Record<string, string>;
  created: string;
  updated: string;
}

interface Raw {
  id: string;
  name: string;
  driver: string;
  driver_options: string;
  labels: string;
  created: string;
  updated: string;
}

const fromRaw = (r: Raw): SecretRow => ({
  id: r.id,
  name: r.name,
  driver: r.driver,
  driverOptions: JSON.parse(r.driver_options) as Record<string, string>,
  labels: JSON.parse(r.labels) as Record<string, string>,
  created: r.created,
  updated: r.updated,
});

/** All secret SQL (records only: the data is the driver's). */
export class SecretStore {
  constructor(readonly db: Database) {}

  tx<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  insert(r: SecretRow): void {
    stmt(this.db, 'INSERT INTO secrets (id, name, driver, driver_options, labels, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(r.id, r.name, r.driver, JSON.stringify(r.driverOptions), JSON.stringify(r.labels), r.created, r.updated);
  }

  replace(id: string, r: Pick<SecretRow, 'driverOptions' | 'labels' | 'updated'>): void {
    stmt(this.db, 'UPDATE secrets SET driver_options = ?, labels = ?, updated = ? WHERE id = ?').run(JSON.stringify(r.driverOptions), JSON.stringify(r.labels), r.updated, id);
  }

  byName(name: string): SecretRow | undefined {
    const r = stmt(this.db, 'SELECT * FROM secrets WHERE name = ?').get(name) as Raw | undefined;
    return r && fromRaw(r);
  }

  /** Rows whose ID starts with `prefix` (at most two: enough to tell a unique prefix). */
  byIdPrefix(prefix: string): SecretRow[] {
    const esc = prefix.replace(/[\\%_]/g, (c) => `\\${c}`);
    return (stmt(this.db, "SELECT * FROM secrets WHERE id LIKE ? ESCAPE '\\' LIMIT 2").all(`${esc}%`) as Raw[]).map(fromRaw);
  }

  all(): SecretRow[] {
    return (stmt(this.db, 'SELECT * FROM secrets ORDER BY created').all() as Raw[]).map(fromRaw);
  }

  delete(id: string): void {
    stmt(this.db, 'DELETE FROM secrets WHERE id = ?').run(id);
  }
}
