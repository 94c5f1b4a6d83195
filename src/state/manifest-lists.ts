import type { Database } from 'better-sqlite3';
import { stmt } from './db.js';

/** Where an instance of a list comes from: a local image, or a repository of a registry. */
export interface InstanceSource {
  /** Hex ID of the local image. */
  image?: string;
  /** `registry/path` the manifest was found in (its blobs are there too). */
  repo?: string;
}

export interface ManifestListRow {
  id: string;
  doc: Buffer;
  sources: Record<string, InstanceSource>;
  created: number;
  names: string[];
}

export class ManifestListState {
  constructor(readonly db: Database) {}

  private row(r: { id: string; doc: Buffer; sources: string; created: number } | undefined): ManifestListRow | undefined {
    if (!r) return undefined;
    const names = (stmt(this.db, 'SELECT name FROM manifest_list_names WHERE list_id = ? ORDER BY name').all(r.id) as { name: string }[]).map((n) => n.name);
    return { id: r.id, doc: r.doc, sources: JSON.parse(r.sources), created: r.created, names };
  }

  get(id: string): ManifestListRow | undefined {
    return this.row(stmt(this.db, 'SELECT * FROM manifest_lists WHERE id = ?').get(id) as never);
  }

  byName(name: string): ManifestListRow | undefined {
    const r = stmt(this.db, 'SELECT list_id FROM manifest_list_names WHERE name = ?').get(name) as { list_id: string } | undefined;
    return r ? this.get(r.list_id) : undefined;
  }

  idsWithPrefix(prefix: string): string[] {
    return (stmt(this.db, "SELECT id FROM manifest_lists WHERE id >= ? AND id < ? || 'g' LIMIT 2").all(prefix, prefix) as { id: string }[]).map((r) => r.id);
  }

  insert(id: string, doc: Buffer, name: string): void {
    this.db.transaction(() => {
      stmt(this.db, 'INSERT INTO manifest_lists (id, doc, sources, created) VALUES (?, ?, ?, ?)').run(id, doc, '{}', Date.now());
      stmt(this.db, 'INSERT INTO manifest_list_names (name, list_id) VALUES (?, ?)').run(name, id);
    })();
  }

  update(id: string, doc: Buffer, sources: Record<string, InstanceSource>): void {
    stmt(this.db, 'UPDATE manifest_lists SET doc = ?, sources = ? WHERE id = ?').run(doc, JSON.stringify(sources), id);
  }

  delete(id: string): void {
    stmt(this.db, 'DELETE FROM manifest_list_names WHERE list_id = ?').run(id);
    stmt(this.db, 'DELETE FROM manifest_lists WHERE id = ?').run(id);
  }
}
