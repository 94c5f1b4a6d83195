import { MIGRATIONS, type Migration, type SqlDb } from './migrations.js';

/** The schema version this berth writes: the last numbered step. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** The database was upgraded by a newer berth: using it could corrupt what that berth relies on. */
export class SchemaTooNewError extends Error {
  constructor(readonly found: number, readonly known: number) {
    super(`the state database has schema version ${found}, newer than this berth knows (${known}): it was written by a newer berth; use that version or a newer one`);
    this.name = 'SchemaTooNewError';
  }
}

const userVersion = (db: SqlDb) => (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;

/**
 * Brings the database to `target` (default: the latest), one step per transaction. Several
 * processes open the same file (the service, `container cleanup`, a second service): each step
 * takes the write lock with BEGIN IMMEDIATE and reads user_version again under it, so a step
 * another process has just run is never run twice.
 */
export function migrate(db: SqlDb, { migrations = MIGRATIONS, target = migrations.length }: { migrations?: readonly Migration[]; target?: number } = {}): void {
  const known = migrations.length;
  let v = userVersion(db);
  if (v > known) throw new SchemaTooNewError(v, known);
  while (v < target) {
    db.exec('BEGIN IMMEDIATE');
    try {
      v = userVersion(db);
      if (v > known) throw new SchemaTooNewError(v, known);
      if (v < target) {
        const step = migrations[v];
        if (step.version !== v + 1) throw new Error(`schema step ${v + 1} is numbered ${step.version}`);
        try {
          step.up(db);
        } catch (e) {
          throw new Error(`upgrading the state database to schema version ${step.version} (${step.name}): ${(e as Error).message}`, { cause: e });
        }
        // PRAGMA cannot take a bound parameter; the value is our own integer.
        db.exec(`PRAGMA user_version = ${step.version}`);
        v = step.version;
      }
      db.exec('COMMIT');
    } catch (e) {
      // SQLite may have rolled back already (a full disk, say): the first error is the one to tell.
      try {
        db.exec('ROLLBACK');
      } catch {
        /* no transaction left */
      }
      throw e;
    }
  }
}
