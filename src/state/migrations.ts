// The state DB's schema as numbered steps. Step N takes a database at user_version N-1 to N;
// `migrate` (migrate.ts) runs the pending ones when a database is opened. A step, once released,
// is never edited: a schema change is a new step appended here.

/** What a step needs of a connection: better-sqlite3 and node:sqlite both provide it. */
export interface SqlDb {
  exec(sql: string): unknown;
  prepare(sql: string): { get(...params: unknown[]): unknown };
}

export interface Migration {
  version: number;
  /** Why the step exists, for the error when it fails. */
  name: string;
  up(db: SqlDb): void;
}

/**
 * The schema berth had before migrations existed (its stores each ran `CREATE TABLE IF NOT
 * EXISTS` on open). Idempotent, so it also adopts a database written then (user_version 0 with
 * the tables, or some of them: a process created only the tables of the stores it loaded).
 */
const INITIAL = `
CREATE TABLE IF NOT EXISTS containers (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  image TEXT NOT NULL,
  image_id TEXT NOT NULL,
  created TEXT NOT NULL,
  spec TEXT NOT NULL,
  state TEXT NOT NULL,
  pid INTEGER NOT NULL DEFAULT 0,
  conmon_pid INTEGER NOT NULL DEFAULT 0,
  exit_code INTEGER NOT NULL DEFAULT 0,
  error TEXT NOT NULL DEFAULT '',
  oom_killed INTEGER NOT NULL DEFAULT 0,
  started_at TEXT NOT NULL DEFAULT '',
  finished_at TEXT NOT NULL DEFAULT '',
  restart_count INTEGER NOT NULL DEFAULT 0,
  stop_requested INTEGER NOT NULL DEFAULT 0,
  generation INTEGER NOT NULL DEFAULT 0,
  seq INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS containers_image_id ON containers(image_id);
CREATE INDEX IF NOT EXISTS containers_state ON containers(state);
CREATE TABLE IF NOT EXISTS container_exits (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  exit_code INTEGER NOT NULL,
  removed_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS container_seq (n INTEGER NOT NULL);

-- Layers are keyed by chain ID (hex) so one stack of content is stored once however many images
-- share it; an image lists its layers bottom-up in image_layers, which is also the refcount.
CREATE TABLE IF NOT EXISTS layers (
  id TEXT PRIMARY KEY,
  parent TEXT,
  diff_id TEXT NOT NULL,
  link TEXT NOT NULL,
  size INTEGER NOT NULL,
  tar_size INTEGER NOT NULL,
  created INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS images (
  id TEXT PRIMARY KEY,
  config BLOB NOT NULL,
  parent TEXT NOT NULL DEFAULT '',
  digest TEXT,
  manifest BLOB,
  created INTEGER NOT NULL,
  added INTEGER NOT NULL,
  size INTEGER NOT NULL,
  labels TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS images_created ON images(created);
CREATE TABLE IF NOT EXISTS image_names (
  name TEXT PRIMARY KEY,
  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
  added INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS image_names_image ON image_names(image_id);
CREATE TABLE IF NOT EXISTS image_digests (
  ref TEXT NOT NULL,
  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
  PRIMARY KEY (ref, image_id)
);
CREATE INDEX IF NOT EXISTS image_digests_image ON image_digests(image_id);
CREATE TABLE IF NOT EXISTS image_layers (
  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
  pos INTEGER NOT NULL,
  layer_id TEXT NOT NULL,
  PRIMARY KEY (image_id, pos)
);
CREATE INDEX IF NOT EXISTS image_layers_layer ON image_layers(layer_id);

CREATE TABLE IF NOT EXISTS exec_sessions (
  id TEXT PRIMARY KEY,
  container_id TEXT NOT NULL,
  config TEXT NOT NULL,
  state TEXT NOT NULL,
  pid INTEGER NOT NULL DEFAULT 0,
  conmon_pid INTEGER NOT NULL DEFAULT 0,
  exit_code INTEGER,
  created TEXT NOT NULL,
  started_by INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS exec_sessions_container ON exec_sessions(container_id);

CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  origin TEXT NOT NULL,
  time_nano INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_time ON events (time_nano);
`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    up(db) {
      // IF NOT EXISTS would leave an object that is already there as it is: one that is not
      // exactly what berth declared was not written by berth, and is not adopted.
      for (const stmt of INITIAL.replace(/--[^\n]*/g, '').split(';')) {
        const name = /^\s*CREATE (?:TABLE|INDEX) IF NOT EXISTS (\w+)/.exec(stmt)?.[1];
        if (!name) continue;
        const row = db.prepare('SELECT sql FROM sqlite_master WHERE name = ?').get(name) as { sql: string } | undefined;
        if (row && normalized(row.sql) !== normalized(stmt)) {
          throw new Error(`${name} is not what berth declares: found ${normalized(row.sql)}`);
        }
      }
      db.exec(INITIAL);
    },
  },
  {
    version: 2,
    name: 'owners of commit pauses and of layers stored before their image',
    up(db) {
      // A commit's pause, so reconcile resumes only the pauses whose owner died (never a user's).
      // A layer stored by a load or commit still in progress, so the next instance can remove it
      // once its owner is dead.
      db.exec(`
CREATE TABLE IF NOT EXISTS container_pauses (
  id TEXT PRIMARY KEY,
  owner TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS layer_claims (
  layer_id TEXT PRIMARY KEY,
  owner TEXT NOT NULL
);
`);
    },
  },
  {
    version: 3,
    name: 'volumes and the containers that use them',
    up(db) {
      // A volume's files live under the storage root (volumes/NAME/_data); its record is here.
      // volume_users is the in-use check: a container's rows go with it (CASCADE), and a volume
      // that still has users cannot be deleted (the foreign key refuses it).
      db.exec(`
CREATE TABLE IF NOT EXISTS volumes (
  name TEXT PRIMARY KEY,
  driver TEXT NOT NULL,
  created TEXT NOT NULL,
  labels TEXT NOT NULL DEFAULT '{}',
  options TEXT NOT NULL DEFAULT '{}',
  anonymous INTEGER NOT NULL DEFAULT 0,
  uid INTEGER NOT NULL DEFAULT 0,
  gid INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS volume_users (
  volume TEXT NOT NULL REFERENCES volumes(name),
  container_id TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,
  PRIMARY KEY (volume, container_id)
);
CREATE INDEX IF NOT EXISTS volume_users_container ON volume_users(container_id);
`);
    },
  },
  {
    version: 4,
    name: 'networks, the containers attached to them, address leases and network runs',
    up(db) {
      // A network's config is one JSON document (subnets, bridge, options, labels). An endpoint
      // is a container's membership of a network (its aliases, static addresses), kept across
      // runs and removed with the container. A lease holds an address for one container's run;
      // the key makes handing an address out twice impossible. A run is what a start set up
      // (the namespace, what netavark was given, the ports chosen, what it answered), so any
      // process can tear it down; `owner` marks a teardown in progress.
      db.exec(`
CREATE TABLE IF NOT EXISTS networks (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created TEXT NOT NULL,
  config TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS network_endpoints (
  container_id TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,
  network_id TEXT NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  config TEXT NOT NULL,
  PRIMARY KEY (container_id, network_id)
);
CREATE INDEX IF NOT EXISTS network_endpoints_network ON network_endpoints(network_id);
CREATE TABLE IF NOT EXISTS network_leases (
  network_id TEXT NOT NULL,
  ip TEXT NOT NULL,
  container_id TEXT NOT NULL,
  PRIMARY KEY (network_id, ip)
);
CREATE INDEX IF NOT EXISTS network_leases_container ON network_leases(container_id);
CREATE TABLE IF NOT EXISTS network_runs (
  container_id TEXT NOT NULL,
  generation INTEGER NOT NULL,
  netns TEXT NOT NULL,
  options TEXT NOT NULL,
  ports TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT '{}',
  owner TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (container_id, generation)
);
`);
    },
  },
  {
    version: 5,
    name: 'layer blobs: the compressed form each layer came as, and from where',
    up(db) {
      // Layers are stored unpacked; a pull records the blob each came as (digest, media type,
      // size) and the registry repository it came from, so a push can skip blobs a registry has
      // and mount them across repositories instead of uploading them again.
      db.exec(`
CREATE TABLE IF NOT EXISTS layer_blobs (
  diff_id TEXT NOT NULL,
  digest TEXT NOT NULL,
  media_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  registry TEXT NOT NULL,
  repo TEXT NOT NULL,
  added INTEGER NOT NULL,
  PRIMARY KEY (diff_id, digest, registry, repo)
);
CREATE INDEX IF NOT EXISTS layer_blobs_digest ON layer_blobs(digest);
`);
    },
  },
  {
    version: 6,
    name: 'manifest lists',
    up(db) {
      // A local manifest list (podman manifest create): the list document as it would be pushed
      // (OCI index or docker manifest list), where each instance comes from (a local image, or a
      // registry repository it was found in), and the names it goes by.
      db.exec(`
CREATE TABLE IF NOT EXISTS manifest_lists (
  id TEXT PRIMARY KEY,
  doc BLOB NOT NULL,
  sources TEXT NOT NULL DEFAULT '{}',
  created INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS manifest_list_names (
  name TEXT PRIMARY KEY,
  list_id TEXT NOT NULL REFERENCES manifest_lists(id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS manifest_list_names_list ON manifest_list_names(list_id);
`);
    },
  },
  {
    version: 7,
    name: 'pods',
    up(db) {
      // A pod's config (shared namespaces, its network, exit policy...) is one JSON document; its
      // members say which pod they are in in their own spec, so a container's removal needs no
      // update here. infra_id is '' without an infra container (or until it is made).
      db.exec(`
CREATE TABLE IF NOT EXISTS pods (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created TEXT NOT NULL,
  config TEXT NOT NULL,
  infra_id TEXT NOT NULL DEFAULT ''
);
`);
    },
  },
  {
    version: 8,
    name: 'secrets',
    up(db) {
      // The record only: the data lives in a file only the owner may read (secrets/file-driver.ts),
      // so no query, dump or copy of the state DB carries it.
      db.exec(`
CREATE TABLE IF NOT EXISTS secrets (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  driver TEXT NOT NULL,
  driver_options TEXT NOT NULL,
  labels TEXT NOT NULL,
  created TEXT NOT NULL,
  updated TEXT NOT NULL
);
`);
    },
  },
  {
    version: 9,
    name: 'the build cache: which image a build step made',
    up(db) {
      // A key names a step's inputs (parent image, instruction, build args in use, content of
      // the files it copies); the image it made serves the next build with the same key. The
      // entry goes with its image.
      db.exec(`
CREATE TABLE IF NOT EXISTS build_cache (
  key TEXT PRIMARY KEY,
  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
  created INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS build_cache_image ON build_cache(image_id);
`);
    },
  },
  {
    version: 10,
    name: 'container health: status, failing streak, the last probes and the timer that runs them',
    up(db) {
      // One row per container with a healthcheck, written by whichever process ran the probe
      // (the timer's `container healthcheck run`, or a service's run-now). `timer_pid` is the
      // per-container scheduler process of the current run (0: none).
      db.exec(`
CREATE TABLE IF NOT EXISTS container_health (
  container_id TEXT PRIMARY KEY REFERENCES containers(id) ON DELETE CASCADE,
  status TEXT NOT NULL,
  failing_streak INTEGER NOT NULL DEFAULT 0,
  log TEXT NOT NULL DEFAULT '[]',
  timer_pid INTEGER NOT NULL DEFAULT 0,
  generation INTEGER NOT NULL DEFAULT 0
);
`);
    },
  },
];

/** SQL text compared as SQLite stores it (no IF NOT EXISTS), white space folded. */
const normalized = (sql: string) =>
  sql.replace(/ IF NOT EXISTS /i, ' ').replace(/\s+/g, ' ').replace(/\( /g, '(').replace(/ \)/g, ')').trim();
