import type { Database } from 'better-sqlite3';
import { stmt } from './db.js';

/** docker's and podman's names; 'none' only in filters (a container without a check). */
export type HealthStatus = 'starting' | 'healthy' | 'unhealthy';

/** One probe: times as RFC 3339 with nanoseconds, the command's exit code (-1: timed out or not run). */
export interface HealthLogEntry {
  Start: string;
  End: string;
  ExitCode: number;
  Output: string;
}

export interface HealthState {
  Status: HealthStatus;
  FailingStreak: number;
  /** The last probes, oldest first (docker keeps 5). */
  Log: HealthLogEntry[];
}

export interface HealthRow extends HealthState {
  containerId: string;
  /** The scheduler process of the run (0: none). */
  timerPid: number;
  /** The container's run this state belongs to. */
  generation: number;
}

interface RawRow {
  container_id: string;
  status: string;
  failing_streak: number;
  log: string;
  timer_pid: number;
  generation: number;
}

const fromRaw = (r: RawRow): HealthRow => ({
  containerId: r.container_id,
  Status: r.status as HealthStatus,
  FailingStreak: r.failing_streak,
  Log: JSON.parse(r.log) as HealthLogEntry[],
  timerPid: r.timer_pid,
  generation: r.generation,
});

/** Health SQL; callers compose these inside `tx` to read and write one probe's outcome atomically. */
export class HealthStore {
  constructor(readonly db: Database) {}

  tx<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  get(id: string): HealthRow | undefined {
    const r = stmt(this.db, 'SELECT * FROM container_health WHERE container_id = ?').get(id) as RawRow | undefined;
    return r && fromRaw(r);
  }

  all(): HealthRow[] {
    return (stmt(this.db, 'SELECT * FROM container_health').all() as RawRow[]).map(fromRaw);
  }

  put(r: HealthRow): void {
    stmt(this.db, `INSERT INTO container_health (container_id, status, failing_streak, log, timer_pid, generation) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT(container_id) DO UPDATE SET status = excluded.status, failing_streak = excluded.failing_streak, log = excluded.log,
        timer_pid = excluded.timer_pid, generation = excluded.generation`)
      .run(r.containerId, r.Status, r.FailingStreak, JSON.stringify(r.Log), r.timerPid, r.generation);
  }

  setTimer(id: string, pid: number): void {
    stmt(this.db, 'UPDATE container_health SET timer_pid = ? WHERE container_id = ?').run(pid, id);
  }
}
