import type { Database } from 'better-sqlite3';
import { dataStamp, stmt } from './db.js';

/** A network as stored: its config is the engine's Network without the keyed columns. */
export interface NetworkRow {
  id: string;
  name: string;
  created: string;
  config: string;
}

export interface EndpointRow {
  containerId: string;
  networkId: string;
  /** Attach order: the container's first network is eth0. */
  seq: number;
  config: string;
}

export interface RunRow {
  containerId: string;
  /** The container run it was set up for (the row's generation once running). */
  generation: number;
  netns: string;
  /** The netavark network options given at setup (JSON): teardown gives them back. */
  options: string;
  /** Published ports as bound (JSON). */
  ports: string;
  /** Per network ID: what netavark answered, with the endpoint ID (JSON). */
  status: string;
  /** The process tearing it down ('' while it is up). */
  owner: string;
}

interface RawEndpoint {
  container_id: string;
  network_id: string;
  seq: number;
  config: string;
}

interface RawRun {
  container_id: string;
  generation: number;
  netns: string;
  options: string;
  ports: string;
  status: string;
  owner: string;
}

const RUN_COLUMNS = new Set(['options', 'status', 'owner', 'ports']);

const endpoint = (r: RawEndpoint): EndpointRow => ({ containerId: r.container_id, networkId: r.network_id, seq: r.seq, config: r.config });
const run = (r: RawRun): RunRow => ({ containerId: r.container_id, generation: r.generation, netns: r.netns, options: r.options, ports: r.ports, status: r.status, owner: r.owner });

/** All network SQL; callers compose these inside `tx` (the container store's connection). */
export class NetworkStore {
  constructor(readonly db: Database) {}

  /** Unchanged while no table changed (db.ts); undefined inside a transaction. */
  stamp(): string | undefined {
    return dataStamp(this.db);
  }

  tx<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  // ---- networks

  insert(r: NetworkRow): void {
    stmt(this.db, 'INSERT INTO networks (id, name, created, config) VALUES (?, ?, ?, ?)').run(r.id, r.name, r.created, r.config);
  }

  get(id: string): NetworkRow | undefined {
    return stmt(this.db, 'SELECT * FROM networks WHERE id = ?').get(id) as NetworkRow | undefined;
  }

  /** Full ID, exact name, then a unique ID prefix. */
  lookup(ref: string): NetworkRow | 'ambiguous' | undefined {
    const exact = stmt(this.db, 'SELECT * FROM networks WHERE id = ? OR name = ? ORDER BY id = ? DESC LIMIT 1').get(ref, ref, ref) as NetworkRow | undefined;
    if (exact) return exact;
    if (!/^[0-9a-f]+$/.test(ref)) return undefined;
    const rows = stmt(this.db, "SELECT * FROM networks WHERE id LIKE ? || '%' LIMIT 2").all(ref) as NetworkRow[];
    return rows.length > 1 ? 'ambiguous' : rows[0];
  }

  list(): NetworkRow[] {
    return stmt(this.db, 'SELECT * FROM networks ORDER BY created').all() as NetworkRow[];
  }

  delete(id: string): void {
    stmt(this.db, 'DELETE FROM networks WHERE id = ?').run(id);
  }

  // ---- endpoints (membership)

  endpointsOf(containerId: string): EndpointRow[] {
    return (stmt(this.db, 'SELECT * FROM network_endpoints WHERE container_id = ? ORDER BY seq').all(containerId) as RawEndpoint[]).map(endpoint);
  }

  /** Every membership, for listing many containers with one query (in no particular order: callers sort by seq). */
  allEndpoints(): EndpointRow[] {
    return stmt(this.db, 'SELECT container_id AS containerId, network_id AS networkId, seq, config FROM network_endpoints').all() as EndpointRow[];
  }

  membersOf(networkId: string): { containerId: string; name: string; state: string }[] {
    return stmt(this.db, `SELECT e.container_id AS containerId, c.name AS name, c.state AS state FROM network_endpoints e
      JOIN containers c ON c.id = e.container_id WHERE e.network_id = ? ORDER BY e.container_id`).all(networkId) as { containerId: string; name: string; state: string }[];
  }

  memberCounts(): Map<string, number> {
    const rows = stmt(this.db, 'SELECT network_id AS id, COUNT(*) AS n FROM network_endpoints GROUP BY network_id').all() as { id: string; n: number }[];
    return new Map(rows.map((r) => [r.id, r.n]));
  }

  addEndpoint(containerId: string, networkId: string, config: string): void {
    const next = stmt(this.db, 'SELECT COALESCE(MAX(seq), -1) + 1 AS n FROM network_endpoints WHERE container_id = ?').get(containerId) as { n: number };
    stmt(this.db, 'INSERT INTO network_endpoints (container_id, network_id, seq, config) VALUES (?, ?, ?, ?)').run(containerId, networkId, next.n, config);
  }

  removeEndpoint(containerId: string, networkId: string): boolean {
    return stmt(this.db, 'DELETE FROM network_endpoints WHERE container_id = ? AND network_id = ?').run(containerId, networkId).changes > 0;
  }

  // ---- leases

  leasedIps(networkId: string): Set<string> {
    return new Set((stmt(this.db, 'SELECT ip FROM network_leases WHERE network_id = ?').all(networkId) as { ip: string }[]).map((r) => r.ip));
  }

  lease(networkId: string, ip: string, containerId: string): void {
    stmt(this.db, 'INSERT INTO network_leases (network_id, ip, container_id) VALUES (?, ?, ?)').run(networkId, ip, containerId);
  }

  release(containerId: string, networkId?: string): void {
    if (networkId) stmt(this.db, 'DELETE FROM network_leases WHERE container_id = ? AND network_id = ?').run(containerId, networkId);
    else stmt(this.db, 'DELETE FROM network_leases WHERE container_id = ?').run(containerId);
  }

  releaseOne(networkId: string, ip: string, containerId: string): void {
    stmt(this.db, 'DELETE FROM network_leases WHERE network_id = ? AND ip = ? AND container_id = ?').run(networkId, ip, containerId);
  }

  leaseHolders(): Set<string> {
    return new Set((stmt(this.db, 'SELECT DISTINCT container_id AS id FROM network_leases').all() as { id: string }[]).map((r) => r.id));
  }

  // ---- runs

  runsOf(containerId: string): RunRow[] {
    return (stmt(this.db, 'SELECT * FROM network_runs WHERE container_id = ? ORDER BY generation').all(containerId) as RawRun[]).map(run);
  }

  /** Names of the containers that have a run, by ID. */
  runNames(): Map<string, string> {
    const rows = stmt(this.db, 'SELECT c.id AS id, c.name AS name FROM containers c WHERE c.id IN (SELECT container_id FROM network_runs)').all() as { id: string; name: string }[];
    return new Map(rows.map((r) => [r.id, r.name]));
  }

  allRuns(): RunRow[] {
    return (stmt(this.db, 'SELECT * FROM network_runs').all() as RawRun[]).map(run);
  }

  insertRun(r: RunRow): void {
    stmt(this.db, 'INSERT INTO network_runs (container_id, generation, netns, options, ports, status, owner) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(r.containerId, r.generation, r.netns, r.options, r.ports, r.status, r.owner);
  }

  updateRun(containerId: string, generation: number, patch: Partial<Pick<RunRow, 'options' | 'status' | 'owner' | 'ports'>>): void {
    for (const [k, v] of Object.entries(patch)) {
      if (!RUN_COLUMNS.has(k)) continue;
      stmt(this.db, `UPDATE network_runs SET ${k} = ? WHERE container_id = ? AND generation = ?`).run(v, containerId, generation);
    }
  }

  deleteRun(containerId: string, generation: number): void {
    stmt(this.db, 'DELETE FROM network_runs WHERE container_id = ? AND generation = ?').run(containerId, generation);
  }
}
