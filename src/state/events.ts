import type { Database, Statement } from 'better-sqlite3';

export interface EventRow {
  seq: number;
  origin: string;
  body: string;
}

/** How many events are kept; older ones are dropped as new ones arrive. */
const KEEP = 10_000;

/**
 * The event log every berth process shares: a service, a second service on the same storage,
 * and `container cleanup` processes all append here, so each service's /events sees them all.
 */
export class EventLog {
  private insert: Statement;
  private after: Statement;
  private range: Statement;
  private prune: Statement;
  private latest: Statement;
  private writes = 0;

  constructor(private readonly db: Database) {
    this.insert = db.prepare('INSERT INTO events (origin, time_nano, body) VALUES (?, ?, ?)');
    this.after = db.prepare('SELECT seq, origin, body FROM events WHERE seq > ? ORDER BY seq LIMIT 1000');
    this.range = db.prepare('SELECT seq, origin, body FROM events WHERE time_nano >= ? AND time_nano <= ? ORDER BY seq');
    this.prune = db.prepare('DELETE FROM events WHERE seq <= (SELECT max(seq) FROM events) - ?');
    this.latest = db.prepare('SELECT coalesce(max(seq), 0) AS seq FROM events');
  }

  append(origin: string, timeNano: number, body: string): number {
    const seq = Number(this.insert.run(origin, timeNano, body).lastInsertRowid);
    if (++this.writes % 500 === 0) this.prune.run(KEEP);
    return seq;
  }

  since(seq: number): EventRow[] {
    return this.after.all(seq) as EventRow[];
  }

  between(sinceNs: number, untilNs: number): EventRow[] {
    return this.range.all(sinceNs, Number.isFinite(untilNs) ? untilNs : Number.MAX_SAFE_INTEGER * 1000) as EventRow[];
  }

  lastSeq(): number {
    return (this.latest.get() as { seq: number }).seq;
  }
}
