import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { closeState, openState } from '../../../src/state/db.js';
import { migrate, SchemaTooNewError, SCHEMA_VERSION } from '../../../src/state/migrate.js';
import type { Migration, SqlDb } from '../../../src/state/migrations.js';
import { ContainerStore } from '../../../src/state/containers.js';
import { ImageState } from '../../../src/state/images.js';
import { ExecStore } from '../../../src/state/exec.js';
import { EventLog } from '../../../src/state/events.js';
import { V0_IMAGES, V0_SCHEMA } from './v0-schema.js';

const dirs: string[] = [];
function tmpRoot(): string {
  const d = mkdtempSync(join(tmpdir(), 'berth-state-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  closeState();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A database as berth 438a778 left it: its pragmas, its DDL, user_version 0. */
function v0Db(root: string, ddl = V0_SCHEMA): Database.Database {
  const db = new Database(join(root, 'state.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  for (const s of ddl) db.exec(s);
  return db;
}

const userVersion = (db: Database.Database) => db.pragma('user_version', { simple: true }) as number;
const fold = (sql: string | null) => (sql ?? '').replace(/\s+/g, ' ').replace(/\( /g, '(').replace(/ \)/g, ')').trim();
type MasterRow = { type: string; name: string; tbl_name: string; sql: string | null };
const objects = (db: Database.Database) =>
  (db.prepare("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_autoindex%' ORDER BY type, name").all() as MasterRow[]).map(
    (r) => `${r.type} ${r.name} ON ${r.tbl_name}: ${fold(r.sql)}`,
  );

const NOW = Date.now();
const iso = (ms: number) => new Date(ms).toISOString();

function fillV0(db: Database.Database): void {
  const insC = db.prepare(`INSERT INTO containers (id, name, image, image_id, created, spec, state, pid, conmon_pid, exit_code, error,
    oom_killed, started_at, finished_at, restart_count, stop_requested, generation, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  insC.run('c1'.padEnd(64, 'a'), 'web', 'busybox', 'i1'.padEnd(64, '0'), iso(NOW - 5000), '{"Config":{}}', 'running', 4242, 4241, 0, '', 0, iso(NOW - 4000), '', 1, 0, 3, 1);
  insC.run('c2'.padEnd(64, 'b'), 'db', 'busybox', 'i1'.padEnd(64, '0'), iso(NOW - 3000), '{"Config":{}}', 'exited', 0, 0, 137, 'killed', 1, iso(NOW - 2500), iso(NOW - 2000), 0, 1, 1, 2);
  db.prepare('INSERT INTO container_exits (id, name, exit_code, removed_at) VALUES (?, ?, ?, ?)').run('c3'.padEnd(64, 'c'), 'gone', 3, NOW - 1000);
  db.prepare('INSERT INTO container_seq (n) VALUES (?)').run(3);

  const insL = db.prepare('INSERT INTO layers (id, parent, diff_id, link, size, tar_size, created) VALUES (?, ?, ?, ?, ?, ?, ?)');
  insL.run('l1', null, 'sha256:d1', 'LINK1', 100, 120, NOW - 9000);
  insL.run('l2', 'l1', 'sha256:d2', 'LINK2', 50, 60, NOW - 8000);
  db.prepare('INSERT INTO images (id, config, parent, digest, manifest, created, added, size, labels) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
    .run('i1'.padEnd(64, '0'), Buffer.from('{"config":{}}'), '', 'sha256:m1', Buffer.from('{}'), NOW - 10_000, NOW - 9000, 150, '{"tier":"web"}');
  db.prepare('INSERT INTO image_names (name, image_id, added) VALUES (?, ?, ?)').run('docker.io/library/busybox:latest', 'i1'.padEnd(64, '0'), NOW - 9000);
  db.prepare('INSERT INTO image_digests (ref, image_id) VALUES (?, ?)').run('docker.io/library/busybox@sha256:m1', 'i1'.padEnd(64, '0'));
  const insIL = db.prepare('INSERT INTO image_layers (image_id, pos, layer_id) VALUES (?, ?, ?)');
  insIL.run('i1'.padEnd(64, '0'), 0, 'l1');
  insIL.run('i1'.padEnd(64, '0'), 1, 'l2');

  const insE = db.prepare('INSERT INTO exec_sessions (id, container_id, config, state, pid, conmon_pid, exit_code, created, started_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
  insE.run('e1'.padEnd(64, 'e'), 'c1'.padEnd(64, 'a'), JSON.stringify({ Cmd: ['sh'], Tty: true }), 'exited', 0, 0, 0, iso(NOW - 1500), 99);
  insE.run('e2'.padEnd(64, 'f'), 'cX'.padEnd(64, '9'), JSON.stringify({ Cmd: ['true'] }), 'created', 0, 0, null, iso(NOW - 1400), 0);

  const insEv = db.prepare('INSERT INTO events (origin, time_nano, body) VALUES (?, ?, ?)');
  for (let i = 1; i <= 3; i++) insEv.run('svc-1', (NOW - 1000 + i) * 1e6, JSON.stringify({ Action: `a${i}` }));
  // Dropped by the log's pruning: AUTOINCREMENT must go on from 4, not reuse 3.
  insEv.run('svc-1', NOW * 1e6, '{}');
  db.prepare('DELETE FROM events WHERE seq = 4').run();
}

test('a database written before migrations is upgraded with every object and row intact', () => {
  const root = tmpRoot();
  const old = v0Db(root);
  fillV0(old);
  const before = objects(old);
  const indexes = (db: Database.Database, t: string) => db.prepare(`PRAGMA index_list(${t})`).all();
  const tables = ['containers', 'container_exits', 'container_seq', 'layers', 'images', 'image_names', 'image_digests', 'image_layers', 'exec_sessions', 'events'];
  const indexesBefore = tables.map((t) => indexes(old, t));
  assert.equal(userVersion(old), 0);
  old.close();

  const db = openState(root);
  assert.equal(userVersion(db), SCHEMA_VERSION);
  for (const o of before) assert.ok(objects(db).includes(o), `kept: ${o}`);
  assert.deepEqual(tables.map((t) => indexes(db, t)), indexesBefore);
  assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  assert.deepEqual(db.pragma('foreign_key_check'), []);
  const plan = (sql: string) => JSON.stringify(db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all());
  assert.match(plan("SELECT * FROM containers WHERE image_id = 'x'"), /containers_image_id/);
  assert.match(plan("SELECT * FROM containers WHERE state = 'running'"), /containers_state/);
  assert.match(plan("SELECT * FROM image_layers WHERE layer_id = 'l1'"), /image_layers_layer/);
  assert.match(plan('SELECT * FROM events WHERE time_nano >= 1 AND time_nano <= 2'), /events_time/);
  assert.match(plan("SELECT * FROM exec_sessions WHERE container_id = 'c'"), /exec_sessions_container/);

  const containers = new ContainerStore(db);
  assert.deepEqual(containers.list().map((c) => c.name), ['db', 'web']);
  const web = containers.lookup('web');
  assert.ok(web && web !== 'ambiguous');
  assert.equal(web.pid, 4242);
  assert.equal(web.generation, 3);
  assert.equal(web.restartCount, 1);
  const dbc = containers.get('c2'.padEnd(64, 'b'))!;
  assert.equal(dbc.oomKilled, true);
  assert.equal(dbc.stopRequested, true);
  assert.equal(dbc.exitCode, 137);
  assert.deepEqual(containers.lookup('c2b'), dbc);
  assert.equal(containers.lookup('c'), 'ambiguous');
  assert.deepEqual(containers.counts(), { total: 2, running: 1, paused: 0, stopped: 1 });
  assert.deepEqual(containers.byState('running').map((c) => c.name), ['web']);
  assert.equal(containers.usesImage('i1'.padEnd(64, '0')), true);
  assert.equal(containers.removedExit('gone'), 3);
  const added = containers.insert({ ...dbc, id: 'c4'.padEnd(64, 'd'), name: 'new' });
  assert.equal(added.seq, 4, 'creation order continues past the removed container');

  const images = new ImageState(db);
  const img = images.image('i1'.padEnd(64, '0'))!;
  assert.deepEqual(img.names, ['docker.io/library/busybox:latest']);
  assert.deepEqual(img.digests, ['docker.io/library/busybox@sha256:m1']);
  assert.deepEqual(img.layers, ['l1', 'l2']);
  assert.equal(img.config.toString(), '{"config":{}}');
  assert.equal(images.imageByName('docker.io/library/busybox:latest'), img.id);
  assert.deepEqual(images.imagesByManifestDigest('sha256:m1'), [img.id]);
  assert.equal(images.layer('l2')?.parent, 'l1');
  assert.equal(images.layerUsers('l1'), 1);
  assert.equal(images.count(), 1);
  // Foreign keys still cascade: removing the image drops its names, digests and layer list.
  images.deleteImage(img.id);
  assert.equal(images.imageByName('docker.io/library/busybox:latest'), undefined);
  assert.equal(images.layerUsers('l1'), 0);

  const execs = new ExecStore(db);
  assert.deepEqual(execs.get('e1'.padEnd(64, 'e'))?.config, { Cmd: ['sh'], Tty: true });
  assert.equal(execs.get('e2'.padEnd(64, 'f'))?.exitCode, null);
  assert.deepEqual(execs.idsByContainer('c1'.padEnd(64, 'a')).map((id) => execs.get(id)?.startedBy), [99]);
  assert.deepEqual(execs.orphans(), ['e2'.padEnd(64, 'f')]);

  const events = new EventLog(db);
  assert.deepEqual(events.since(0).map((e) => e.seq), [1, 2, 3]);
  assert.equal(events.between((NOW - 999) * 1e6, (NOW - 998) * 1e6).length, 2);
  assert.equal(events.lastSeq(), 3);
  assert.equal(events.append('svc-2', NOW * 1e6, '{}'), 5);
});

test('a database that some processes only partly created gets the tables it lacks', () => {
  const root = tmpRoot();
  // `container cleanup` loads no image store: its database had only some of the tables.
  v0Db(root, [V0_IMAGES]).close();
  const db = openState(root);
  assert.equal(userVersion(db), SCHEMA_VERSION);
  assert.deepEqual(new ContainerStore(db).list(), []);
  assert.equal(new EventLog(db).lastSeq(), 0);
});

test('a fresh database gets the full schema, exactly as berth declared it before migrations', () => {
  const fresh = openState(tmpRoot());
  assert.equal(userVersion(fresh), SCHEMA_VERSION);
  const stepOne = new Database(':memory:');
  migrate(stepOne, { target: 1 });
  assert.equal(userVersion(stepOne), 1);
  const reference = new Database(':memory:');
  for (const s of V0_SCHEMA) reference.exec(s);
  assert.deepEqual(objects(stepOne), objects(reference));
  for (const o of objects(reference)) assert.ok(objects(fresh).includes(o), `has ${o}`);
  // Step 2: who owns a commit's pause and a layer stored before its image.
  for (const t of ['container_pauses', 'layer_claims']) assert.ok(objects(fresh).some((o) => o.includes(t)), `has ${t}`);
});

test('a database from a newer berth is refused and left untouched', () => {
  const root = tmpRoot();
  const future = new Database(join(root, 'state.db'));
  future.exec('CREATE TABLE gadgets (x)');
  future.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  future.close();
  assert.throws(() => openState(root), (e: unknown) => e instanceof SchemaTooNewError && /newer than this berth knows/.test(e.message));
  const after = new Database(join(root, 'state.db'));
  assert.equal(userVersion(after), SCHEMA_VERSION + 1);
  assert.deepEqual(objects(after).map((o) => o.split(' ')[1]), ['gadgets']);
  after.close();
});

test('a version-0 table that is not what berth declared is refused, nothing half-done', () => {
  const root = tmpRoot();
  const odd = new Database(join(root, 'state.db'));
  odd.exec('CREATE TABLE containers (id TEXT PRIMARY KEY, name TEXT)');
  odd.close();
  assert.throws(() => openState(root), /schema version 1 \(initial schema\): containers is not what berth declares/);
  const after = new Database(join(root, 'state.db'));
  assert.equal(userVersion(after), 0);
  assert.deepEqual(objects(after).map((o) => o.split(' ')[1]), ['containers']);
  after.close();
});

test('a step another process ran meanwhile is not run again', () => {
  const root = tmpRoot();
  const steps: Migration[] = [
    { version: 1, name: 'create', up: (db) => db.exec('CREATE TABLE t (a)') },
    { version: 2, name: 'add b', up: (db) => db.exec('ALTER TABLE t ADD COLUMN b') },
  ];
  const a = new Database(join(root, 'state.db'));
  const b = new Database(join(root, 'state.db'));
  // `a` reads user_version 0, then `b` migrates everything before `a` gets the write lock.
  let raced = false;
  const slowA: SqlDb = {
    prepare: (sql) => a.prepare(sql),
    exec: (sql) => {
      if (sql === 'BEGIN IMMEDIATE' && !raced) {
        raced = true;
        migrate(b, { migrations: steps });
      }
      return a.exec(sql);
    },
  };
  migrate(slowA, { migrations: steps });
  assert.ok(raced);
  assert.equal(userVersion(a), 2);
  assert.deepEqual(a.prepare('PRAGMA table_info(t)').all().map((c) => (c as { name: string }).name), ['a', 'b']);
  a.close();
  b.close();
});

test('processes opening one new database at once all end up on the latest schema', async () => {
  const root = tmpRoot();
  const dbUrl = new URL('../../../src/state/db.js', import.meta.url).href;
  const go = new Int32Array(new SharedArrayBuffer(4));
  const code = `
    const { workerData, parentPort } = require('node:worker_threads');
    Atomics.wait(workerData.go, 0, 0);
    import(workerData.dbUrl).then((m) => {
      const db = m.openState(workerData.root);
      parentPort.postMessage(db.pragma('user_version', { simple: true }));
      m.closeState();
    }, (e) => parentPort.postMessage(String(e)));
  `;
  const workers = Array.from({ length: 4 }, () => new Worker(code, { eval: true, workerData: { go, dbUrl, root } }));
  const answers = workers.map((w) => new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  }));
  Atomics.store(go, 0, 1);
  Atomics.notify(go, 0);
  assert.deepEqual(await Promise.all(answers), [SCHEMA_VERSION, SCHEMA_VERSION, SCHEMA_VERSION, SCHEMA_VERSION]);
  await Promise.all(workers.map((w) => w.terminate()));
  const db = openState(root);
  assert.equal(new ContainerStore(db).list().length, 0);
});
