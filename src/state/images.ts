import type { Database } from 'better-sqlite3';
import { stmt } from './db.js';

export interface LayerRow {
  id: string;
  parent: string | null;
  diff_id: string;
  link: string;
  size: number;
  tar_size: number;
  created: number;
}

export interface ImageRow {
  id: string;
  config: Buffer;
  parent: string;
  digest: string | null;
  manifest: Buffer | null;
  /** ms since epoch, from the config's `created`. */
  created: number;
  added: number;
  size: number;
  labels: string;
}

/** Image rows with their names, digests and layer chain IDs (bottom first). */
export interface ImageRecord extends ImageRow {
  names: string[];
  digests: string[];
  layers: string[];
}

/** A compressed blob a layer (by diff ID) came as, and the registry repository it came from. */
export interface LayerBlobRow {
  diff_id: string;
  digest: string;
  media_type: string;
  size: number;
  registry: string;
  repo: string;
  added: number;
}

export class ImageState {
  constructor(readonly db: Database) {}

  layer(id: string): LayerRow | undefined {
    return stmt(this.db, 'SELECT * FROM layers WHERE id = ?').get(id) as LayerRow | undefined;
  }

  insertLayer(l: LayerRow): void {
    this.db
      .prepare('INSERT OR IGNORE INTO layers (id, parent, diff_id, link, size, tar_size, created) VALUES (@id, @parent, @diff_id, @link, @size, @tar_size, @created)')
      .run(l);
  }

  deleteLayer(id: string): void {
    stmt(this.db, 'DELETE FROM layers WHERE id = ?').run(id);
    stmt(this.db, 'DELETE FROM layer_claims WHERE layer_id = ?').run(id);
  }

  /**
   * A layer being stored for an image not recorded yet, with the process doing it: if that
   * process dies first, the layer is half-made and a later instance removes it.
   */
  claimLayer(id: string, owner: string): void {
    stmt(this.db, 'INSERT OR REPLACE INTO layer_claims (layer_id, owner) VALUES (?, ?)').run(id, owner);
  }

  releaseLayerClaims(ids: Iterable<string>): void {
    for (const id of ids) stmt(this.db, 'DELETE FROM layer_claims WHERE layer_id = ?').run(id);
  }

  layerClaims(): { layer_id: string; owner: string }[] {
    return stmt(this.db, 'SELECT layer_id, owner FROM layer_claims').all() as { layer_id: string; owner: string }[];
  }

  allLayers(): LayerRow[] {
    return stmt(this.db, 'SELECT * FROM layers').all() as LayerRow[];
  }

  layerUsers(layerId: string): number {
    return (stmt(this.db, 'SELECT count(*) AS n FROM image_layers WHERE layer_id = ?').get(layerId) as { n: number }).n;
  }

  /** Layers used by more than one image: for SharedSize and df. */
  layerUseCounts(): Map<string, number> {
    const rows = stmt(this.db, 'SELECT layer_id, count(DISTINCT image_id) AS n FROM image_layers GROUP BY layer_id').all() as { layer_id: string; n: number }[];
    return new Map(rows.map((r) => [r.layer_id, r.n]));
  }

  private attach(rows: ImageRow[]): ImageRecord[] {
    if (!rows.length) return [];
    const byId = new Map<string, ImageRecord>(rows.map((r) => [r.id, { ...r, names: [], digests: [], layers: [] }]));
    const all = rows.length > 50;
    const ids = [...byId.keys()];
    const where = all ? '' : ` WHERE image_id IN (${ids.map(() => '?').join(',')})`;
    const args = all ? [] : ids;
    for (const n of stmt(this.db, `SELECT name, image_id FROM image_names${where} ORDER BY added, name`).all(...args) as { name: string; image_id: string }[]) {
      byId.get(n.image_id)?.names.push(n.name);
    }
    for (const d of stmt(this.db, `SELECT ref, image_id FROM image_digests${where} ORDER BY ref`).all(...args) as { ref: string; image_id: string }[]) {
      byId.get(d.image_id)?.digests.push(d.ref);
    }
    for (const l of stmt(this.db, `SELECT image_id, layer_id FROM image_layers${where} ORDER BY image_id, pos`).all(...args) as { image_id: string; layer_id: string }[]) {
      byId.get(l.image_id)?.layers.push(l.layer_id);
    }
    return [...byId.values()];
  }

  image(id: string): ImageRecord | undefined {
    const r = stmt(this.db, 'SELECT * FROM images WHERE id = ?').get(id) as ImageRow | undefined;
    return r ? this.attach([r])[0] : undefined;
  }

  /** Newest first, as `docker images` lists them. */
  allImages(): ImageRecord[] {
    return this.attach(stmt(this.db, 'SELECT * FROM images ORDER BY created DESC, added DESC').all() as ImageRow[]);
  }

  idsWithPrefix(prefix: string): string[] {
    return (stmt(this.db, "SELECT id FROM images WHERE id >= ? AND id < ? || 'g' LIMIT 2").all(prefix, prefix) as { id: string }[]).map((r) => r.id);
  }

  imageByName(name: string): string | undefined {
    return (stmt(this.db, 'SELECT image_id FROM image_names WHERE name = ?').get(name) as { image_id: string } | undefined)?.image_id;
  }

  /** The `repo:tag` names under one repository (repo is domain/path). */
  namesInRepository(repo: string): string[] {
    const rows = stmt(this.db, 'SELECT name FROM image_names WHERE substr(name, 1, ?) = ? ORDER BY name').all(repo.length + 1, `${repo}:`) as { name: string }[];
    return rows.map((r) => r.name).filter((n) => !/[/@]/.test(n.slice(repo.length + 1)));
  }

  imagesByDigest(ref: string): string[] {
    return (stmt(this.db, 'SELECT image_id FROM image_digests WHERE ref = ?').all(ref) as { image_id: string }[]).map((r) => r.image_id);
  }

  imagesByManifestDigest(digest: string): string[] {
    return (stmt(this.db, 'SELECT id FROM images WHERE digest = ?').all(digest) as { id: string }[]).map((r) => r.id);
  }

  count(): number {
    return (stmt(this.db, 'SELECT count(*) AS n FROM images').get() as { n: number }).n;
  }

  insertImage(r: Omit<ImageRow, 'labels'> & { labels: Record<string, string> }, layers: string[]): boolean {
    const res = this.db
      .prepare('INSERT OR IGNORE INTO images (id, config, parent, digest, manifest, created, added, size, labels) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(r.id, r.config, r.parent, r.digest, r.manifest, r.created, r.added, r.size, JSON.stringify(r.labels));
    if (res.changes === 0) {
      if (r.digest) stmt(this.db, 'UPDATE images SET digest = coalesce(digest, ?), manifest = coalesce(manifest, ?) WHERE id = ?').run(r.digest, r.manifest, r.id);
      return false;
    }
    const ins = stmt(this.db, 'INSERT INTO image_layers (image_id, pos, layer_id) VALUES (?, ?, ?)');
    layers.forEach((l, i) => ins.run(r.id, i, l));
    return true;
  }

  /** Moves `name` to `imageId`; returns the image that lost it, if another one had it. */
  setName(name: string, imageId: string): string | undefined {
    const prev = this.imageByName(name);
    if (prev === imageId) return undefined;
    stmt(this.db, 'INSERT INTO image_names (name, image_id, added) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET image_id = excluded.image_id, added = excluded.added').run(name, imageId, Date.now());
    return prev;
  }

  removeName(name: string): boolean {
    return stmt(this.db, 'DELETE FROM image_names WHERE name = ?').run(name).changes > 0;
  }

  addDigest(ref: string, imageId: string): void {
    stmt(this.db, 'INSERT OR IGNORE INTO image_digests (ref, image_id) VALUES (?, ?)').run(ref, imageId);
  }

  deleteImage(id: string): void {
    stmt(this.db, 'DELETE FROM images WHERE id = ?').run(id);
  }

  addLayerBlob(b: LayerBlobRow): void {
    stmt(this.db, 'INSERT OR REPLACE INTO layer_blobs (diff_id, digest, media_type, size, registry, repo, added) VALUES (@diff_id, @digest, @media_type, @size, @registry, @repo, @added)').run(b);
  }

  /** The blobs known for a layer's diff ID, newest first (push: HEAD them, mount them). */
  layerBlobs(diffId: string): LayerBlobRow[] {
    return stmt(this.db, 'SELECT * FROM layer_blobs WHERE diff_id = ? ORDER BY added DESC').all(diffId) as LayerBlobRow[];
  }

  tx<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }
}
