import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Database as DB, Statement } from 'better-sqlite3';
import { createRequire } from 'node:module';
import { migrate } from './migrate.js';

// better-sqlite3 is loaded on first use: a cold start that only answers /_ping never pays for it.
const require = createRequire(import.meta.url);

let opened: { path: string; db: DB } | undefined;

/**
 * The state DB under `root`, its schema brought up to date (migrations.ts); WAL so readers
 * (list endpoints) never wait for writers. A database from a newer berth is refused.
 */
export function openState(root: string): DB {
  const path = join(root, 'state.db');
  if (opened?.path === path) return opened.db;
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const Database = require('better-sqlite3') as typeof import('better-sqlite3');
  const db = new Database(path);
  // Two service instances and cleanup processes share the file: wait for locks instead of failing
  // (from the first statement on: switching a new file to WAL takes a lock too).
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  try {
    migrate(db);
  } catch (e) {
    db.close();
    if (e instanceof Error) e.message = `${path}: ${e.message}`;
    throw e;
  }
  // Container specs (with their env) live here: the owner's only, whatever the umask made them.
  for (const f of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      chmodSync(f, 0o600);
    } catch {
      /* not there yet (SQLite gives it the database's mode), or not ours */
    }
  }
  opened = { path, db };
  return db;
}

/**
 * Hands back the state DB's page cache and other memory it can free, when the DB is open: an idle
 * service needs none of it, and the pages are read again from the OS's cache on the next query.
 * better-sqlite3 builds SQLite with a 16 MiB cache, which keeps every page a query read: an 8 MB
 * database read whole held 8.2 MiB of anonymous memory until this (measured: 34.3 -> 26.1 MiB).
 */
export function releaseStateMemory(): void {
  opened?.db.pragma('shrink_memory');
}

export function closeState(): void {
  opened?.db.close();
  opened = undefined;
}

const statements = new WeakMap<DB, Map<string, Statement>>();
/**
 * Statements kept per connection. The fixed queries are a few dozen; some SQL is built from its
 * input (`IN (?, ?, …)` with one mark per image of a list, `SET` of the columns an update
 * touches), and each prepared statement holds SQLite memory until it is finalized: the least
 * recently used go past this.
 */
export const STATEMENTS_MAX = 128;

/**
 * A prepared statement, compiled once per connection: list endpoints run the same few queries
 * thousands of times, and preparing is a good part of their cost.
 */
export function stmt(db: DB, sql: string): Statement {
  let m = statements.get(db);
  if (!m) statements.set(db, (m = new Map()));
  let s = m.get(sql);
  if (s) {
    // Most recently used last (a Map keeps insertion order): the first one is the one to drop.
    m.delete(sql);
    m.set(sql, s);
    return s;
  }
  m.set(sql, (s = db.prepare(sql)));
  if (m.size > STATEMENTS_MAX) m.delete(m.keys().next().value!);
  return s;
}

/** Statements cached for `db` (for tests of the bound). */
export function cachedStatements(db: DB): number {
  return statements.get(db)?.size ?? 0;
}

/**
 * A stamp of what the database holds as this connection sees it, for readers that keep what
 * they built from it (the container list's views): it changes with every commit another
 * connection makes (data_version: a second service, conmon's exit command, a healthcheck) and
 * with every row this one inserts, updates or deletes (total_changes, which data_version leaves
 * out; a rolled-back change still counts, which only costs a rebuild). Inside a transaction
 * there is none: what is read there may still be rolled back under the same stamp.
 */
export function dataStamp(db: DB): string | undefined {
  if (db.inTransaction) return undefined;
  const r = stmt(db, 'SELECT data_version AS v, total_changes() AS n FROM pragma_data_version').get() as { v: number; n: number };
  return `${r.v}:${r.n}`;
}
