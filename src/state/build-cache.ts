import type { Database } from 'better-sqlite3';
import { stmt } from './db.js';

/** Build cache entries: a step's key and the image it made (see engine/build/cache.ts). */
export class BuildCacheState {
  constructor(readonly db: Database) {}

  get(key: string): string | undefined {
    return (stmt(this.db, 'SELECT image_id FROM build_cache WHERE key = ?').get(key) as { image_id: string } | undefined)?.image_id;
  }

  put(key: string, imageId: string): void {
    stmt(this.db, 'INSERT INTO build_cache (key, image_id, created) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET image_id = excluded.image_id, created = excluded.created').run(key, imageId, Date.now());
  }
}
