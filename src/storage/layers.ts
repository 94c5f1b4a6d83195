import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ownerAlive, ownerToken } from '../lib/owner.js';
import type { ImageState, LayerRow } from '../state/images.js';
import { hexOf, sha256Digest } from './digest.js';
import { assembleLayer } from './tar-split.js';
import { unpackLayer } from './unpack.js';

/**
 * A scratch file or dir name that names its owner process: `<prefix><pid>.<start>-<random>`.
 * The sweep of a later instance removes it once that process is gone.
 */
export function scratchName(prefix: string): string {
  return `${prefix}${ownerToken()}-${randomBytes(8).toString('hex')}`;
}

/** The owner token in a scratch name; undefined for names of older versions (no owner). */
function scratchOwner(name: string): string | undefined {
  return /^(?:\.tmp-|work-)(\d+\.\d+)-[0-9a-f]+$/.exec(name)?.[1];
}

/** Link names as containers/storage makes them: 26 chars keep a 100-layer lowerdir under a page. */
function newLinkName(): string {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  return [...randomBytes(26)].map((b) => abc[b % abc.length]).join('');
}

/**
 * Unpacked layers under <root>/overlay/<chainID>/diff, each with a short alias in
 * <root>/overlay/l/, and their tar-split records under <root>/overlay-layers/.
 */
export class LayerStore {
  readonly dir: string;
  readonly splitDir: string;
  private ready?: Promise<void>;

  constructor(readonly root: string, private state: ImageState) {
    this.dir = join(root, 'overlay');
    this.splitDir = join(root, 'overlay-layers');
  }

  init(): Promise<void> {
    this.ready ??= (async () => {
      await mkdir(join(this.dir, 'l'), { recursive: true, mode: 0o700 });
      await mkdir(this.splitDir, { recursive: true, mode: 0o700 });
      await this.sweep();
    })();
    return this.ready;
  }

  /**
   * Debris of a killed service: scratch dirs of unfinished unpacks (`overlay/.tmp-*`) and loads
   * (`tmp/*`) whose owner process is gone, and layers no image took. Another service instance
   * may share this root and be mid-load: its scratch names it as their owner, so it is kept.
   * Layers stored for an image not recorded yet are claimed by their process, and go once it is
   * gone; unclaimed unused layers (of older versions) only once they are old.
   */
  private async sweep(maxAgeMs = 3_600_000): Promise<void> {
    const old = async (p: string) => {
      try {
        return Date.now() - (await stat(p)).mtimeMs > maxAgeMs;
      } catch {
        return false;
      }
    };
    const debris = async (p: string, name: string) => {
      const owner = scratchOwner(name);
      return owner === undefined ? old(p) : !ownerAlive(owner);
    };
    for (const e of await readdir(this.dir)) if (e.startsWith('.tmp-') && (await debris(join(this.dir, e), e))) await rm(join(this.dir, e), { recursive: true, force: true });
    const tmp = join(this.root, 'tmp');
    for (const e of existsSync(tmp) ? await readdir(tmp) : []) if (await debris(join(tmp, e), e)) await rm(join(tmp, e), { recursive: true, force: true });
    for (const c of this.state.layerClaims()) {
      if (ownerAlive(c.owner)) continue;
      if (this.state.layerUsers(c.layer_id) === 0) await this.remove(c.layer_id);
      else this.state.releaseLayerClaims([c.layer_id]);
    }
    for (const l of this.state.allLayers()) {
      if (Date.now() - l.created > maxAgeMs && this.state.layerUsers(l.id) === 0) await this.remove(l.id);
    }
  }

  diffDir(id: string): string {
    return join(this.dir, hexOf(id), 'diff');
  }

  splitPath(id: string): string {
    return join(this.splitDir, `${hexOf(id)}.tar-split.gz`);
  }

  get(id: string): LayerRow | undefined {
    return this.state.layer(hexOf(id));
  }

  has(id: string): boolean {
    return this.get(id) !== undefined && existsSync(this.diffDir(id));
  }

  /**
   * Unpacks a layer on top of `parent` (a chain ID, or null for a base layer). The result goes to
   * a scratch dir first and is renamed into place whole, so a bad layer leaves nothing.
   */
  async put(parent: string | null, input: AsyncIterable<Buffer>, expectDiffId?: string): Promise<LayerRow> {
    await this.init();
    const tmp = join(this.dir, scratchName('.tmp-'));
    await mkdir(tmp, { mode: 0o700 });
    await mkdir(join(tmp, 'diff'), { mode: 0o755 });
    try {
      const r = await unpackLayer(input, join(tmp, 'diff'), join(tmp, 'split.gz'), { expectDiffId });
      const chain = parent ? sha256Digest(`sha256:${hexOf(parent)} ${r.diffId}`) : r.diffId;
      const id = hexOf(chain);
      const existing = this.get(id);
      if (existing && existsSync(this.diffDir(id))) return existing;
      // A row without its dir (or a dir without its row) is debris of a crash: replace both.
      if (existing) await this.remove(id);
      const linkName = newLinkName();
      await writeFile(join(tmp, 'link'), linkName);
      // Claimed before it leaves the scratch dir: until an image takes it, it is half-made.
      this.state.claimLayer(id, ownerToken());
      await rm(join(this.dir, id), { recursive: true, force: true });
      await rename(join(tmp, 'split.gz'), this.splitPath(id));
      await rename(tmp, join(this.dir, id));
      await symlink(`../${id}/diff`, join(this.dir, 'l', linkName));
      const row: LayerRow = {
        id,
        parent: parent ? hexOf(parent) : null,
        diff_id: r.diffId,
        link: linkName,
        size: r.contentSize,
        tar_size: r.tarSize,
        created: Date.now(),
      };
      this.state.insertLayer(row);
      return row;
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  async remove(id: string): Promise<void> {
    const row = this.get(id);
    if (row) await rm(join(this.dir, 'l', row.link), { force: true });
    await rm(join(this.dir, hexOf(id)), { recursive: true, force: true });
    await rm(this.splitPath(id), { force: true });
    this.state.deleteLayer(hexOf(id));
  }

  /** The layer as the exact uncompressed tar it came from (hashes to its diff ID). */
  tar(id: string): AsyncGenerator<Buffer> {
    return assembleLayer(this.splitPath(id), this.diffDir(id));
  }

  /** Short lowerdir spec relative to `this.dir`, top layer first (mount with cwd = this.dir). */
  lowerSpec(chain: string[]): string {
    return [...chain].reverse().map((id) => `l/${this.get(id)!.link}`).join(':');
  }
}
