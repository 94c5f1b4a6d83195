// The schema as berth 438a778 (before migrations) declared it, copied verbatim from its stores:
// each store ran its block with db.exec() when its module loaded. Never edit: it stands for
// databases already on disk.

export const V0_CONTAINERS = `
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
`;

export const V0_IMAGES = `
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
`;

export const V0_EXEC = `
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
`;

export const V0_EVENTS = `
    CREATE TABLE IF NOT EXISTS events (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      origin TEXT NOT NULL,
      time_nano INTEGER NOT NULL,
      body TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS events_time ON events (time_nano);
  `;

/** In the order berth's service loaded the stores. */
export const V0_SCHEMA = [V0_IMAGES, V0_CONTAINERS, V0_EXEC, V0_EVENTS];
