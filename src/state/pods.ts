import type { Database } from 'better-sqlite3';
import { stmt } from './db.js';

export interface PodRow {
  id: string;
  name: string;
  /** ISO 8601, as stored. */
  created: string;
  /** The pod's config as JSON (engine/pods/types.ts PodConfig). */
  config: string;
  /** '' without an infra container. */
  infraId: string;
}

interface Raw {
  id: string;
  name: string;
  created: string;
  config: string;
  infra_id: string;
}

const fromRaw = (r: Raw): PodRow => ({ id: r.id, name: r.name, created: r.created, config: r.config, infraId: r.infra_id });

/** All pod SQL; callers compose these inside `tx` (one connection with the container store). */
export class PodStore {
  constructor(readonly db: Database) {}

  tx<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /** False when the name is taken. */
  insert(r: PodRow): boolean {
    const res = stmt(this.db, 'INSERT OR IGNORE INTO pods (id, name, created, config, infra_id) VALUES (?, ?, ?, ?, ?)').run(r.id, r.name, r.created, r.config, r.infraId);
    return res.changes === 1;
  }

  get(id: string): PodRow | undefined {
    const r = stmt(this.db, 'SELECT * FROM pods WHERE id = ?').get(id) as Raw | undefined;
    return r && fromRaw(r);
  }

  byName(name: string): PodRow | undefined {
    const r = stmt(this.db, 'SELECT * FROM pods WHERE name = ?').get(name) as Raw | undefined;
    return r && fromRaw(r);
  }

  /** Pods whose ID starts with `prefix`. */
  byPrefix(prefix: string): PodRow[] {
    return (stmt(this.db, "SELECT * FROM pods WHERE id LIKE ? ESCAPE '\\'").all(`${prefix.replace(/[%_\\]/g, '\\$&')}%`) as Raw[]).map(fromRaw);
  }

  list(): PodRow[] {
    return (stmt(this.db, 'SELECT * FROM pods ORDER BY created, id').all() as Raw[]).map(fromRaw);
  }

  nameTaken(name: string): boolean {
    return stmt(this.db, 'SELECT 1 FROM pods WHERE name = ?').get(name) !== undefined;
  }

  setInfra(id: string, infraId: string): void {
    stmt(this.db, 'UPDATE pods SET infra_id = ? WHERE id = ?').run(infraId, id);
  }

  delete(id: string): void {
    stmt(this.db, 'DELETE FROM pods WHERE id = ?').run(id);
  }
}
