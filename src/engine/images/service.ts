import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { ImageState, type ImageRecord, type LayerRow } from '../../state/images.js';
import { preparePush } from './push.js';
import { login } from './login.js';
import { search } from './search.js';
import type { ArchiveFormat } from '../../storage/archive-write.js';
import { hexOf, sha256Hex } from '../../storage/digest.js';
import { LayerStore } from '../../storage/layers.js';
import type { Database } from 'better-sqlite3';
import type { StoragePaths } from '../../config/paths.js';
import type { EventBus } from '../events.js';
import { badParameter, conflict, EngineError, notFound } from '../errors.js';
import { clip, quote } from '../../lib/clip.js';
import { commitImage, importImage, loadImages, saveImages, type CommitOptions } from './archives.js';
import { filterImages } from './filter.js';
import type { ImagesPort } from './port.js';
import { changesOf, type Change } from '../containers/files/changes.js';
import type {
  HistoryEntry,
  HistoryItem,
  ImageConfig,
  ImageInfo,
  ImagesDf,
  ImageSummary,
  ImageTree,
  ImageUse,
  ImportOptions,
  ListOptions,
  LoadReport,
  PruneReport,
  RemoveReport,
  SaveOptions,
  PullOptions,
  PullJob,
  DistributionInfo,
  PushJob,
  PushOptions,
  LoginOptions,
  SearchOptions,
  SearchResult,
} from './types.js';
import { distribution, startPull } from './pull.js';
import { fromRegistryError } from './registry-errors.js';
import type { Timeouts } from '../../registry/index.js';
import { canonicalName, candidateNames, isFullId, isIdPrefix, parseReference, repoOf } from '../../lib/image-ref.js';

export interface ImageServiceDeps {
  db: Database;
  paths: StoragePaths;
  events: EventBus;
  /** Which containers use an image (hex ID): removal refuses or forces by it. */
  usage: (imageId: string) => ImageUse;
  /** Layers downloaded at once by a pull (containers.conf image_parallel_copies; default 6). */
  pullParallel?: number;
  registryTimeouts?: Timeouts;
}

/**
 * The image store: records in SQLite (state/images.ts), layers on disk (storage/layers.ts).
 * What containers use: `resolve(ref)` for the image, `config(id)` for its config,
 * `lowerSpec(id)` / `layerDirs(id)` for overlay lower dirs, `commit()` with storage/diff-tar.ts
 * for `docker commit`; removal asks `deps.usage` which containers use an image.
 *
 * Names are full everywhere (docker.io/library/busybox:latest): in the store, in what is
 * returned and in events. A registry-less name given to name an image goes under docker.io, as
 * docker's reference grammar has it; a caller wanting podman's localhost/ qualifies it first.
 */
export class ImageService implements ImagesPort {
  readonly state: ImageState;
  readonly layers: LayerStore;
  /** @internal */
  readonly tmpDir: string;
  /** @internal Layers being pulled, by chain ID: a second pull of the same layer waits for the first. */
  readonly inflight = new Map<string, Promise<LayerRow>>();
  /** @internal */
  readonly pullParallel: number;
  /** @internal */
  readonly registryTimeouts?: Timeouts;
  /** Serialises changes to layers and records: a load must not reuse a layer an rmi is deleting. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: ImageServiceDeps) {
    this.state = new ImageState(deps.db);
    this.layers = new LayerStore(deps.paths.root, this.state);
    this.tmpDir = join(deps.paths.root, 'tmp');
    this.pullParallel = deps.pullParallel && deps.pullParallel > 0 ? deps.pullParallel : 6;
    this.registryTimeouts = deps.registryTimeouts;
    // Sweeps debris of a killed service; every change awaits it before touching layers.
    this.queue = this.layers.init().catch(() => undefined);
  }

  /** @internal Runs `fn` after every earlier change has finished. */
  locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  // ---- reading ----

  private info(r: ImageRecord): ImageInfo {
    const cfg = JSON.parse(r.config.toString('utf8')) as ImageConfig;
    const layerRows = r.layers.map((l) => this.state.layer(l)).filter((l): l is LayerRow => !!l);
    return { ...r, size: layerRows.reduce((n, l) => n + l.size, 0), cfg, layerRows };
  }

  get(id: string): ImageInfo | undefined {
    const r = this.state.image(hexOf(id));
    return r ? this.info(r) : undefined;
  }

  all(): ImageInfo[] {
    return this.state.allImages().map((r) => this.info(r));
  }

  count(): number {
    return this.state.count();
  }

  /** Finds an image by full ID, name (short names as docker expands them), digest or ID prefix. */
  resolve(input: string): ImageInfo {
    const id = this.resolveId(input);
    const img = id && this.get(id);
    if (!img) throw notFound(`No such image: ${clip(input)}`);
    return img;
  }

  /** The matched stored name when `input` named the image (not its ID). */
  resolveName(input: string): string | undefined {
    try {
      const { ref, names } = candidateNames(input);
      if (ref.digest) return undefined;
      return names.find((n) => this.state.imageByName(n));
    } catch {
      return undefined;
    }
  }

  private resolveId(input: string): string | undefined {
    const s = input.trim();
    if (!s) throw badParameter('invalid reference format: repository name must have at least one component');
    if (isFullId(s)) return hexOf(s);
    let parseErr: unknown;
    try {
      const { ref, names } = candidateNames(s);
      if (ref.digest) {
        for (const n of names) {
          const r = parseReference(n);
          const hit = this.state.imagesByDigest(`${repoOf(r)}@${ref.digest}`)[0];
          if (hit) return hit;
        }
        const byManifest = this.state.imagesByManifestDigest(ref.digest);
        if (byManifest.length) return byManifest[0];
        return undefined;
      }
      for (const n of names) {
        const hit = this.state.imageByName(n);
        if (hit) return hit;
      }
    } catch (e) {
      parseErr = e;
    }
    if (isIdPrefix(s)) {
      const ids = this.state.idsWithPrefix(hexOf(s));
      if (ids.length > 1) throw badParameter(`image ID prefix ${quote(s)} is ambiguous`);
      if (ids.length === 1) return ids[0];
    }
    if (parseErr) throw parseErr;
    return undefined;
  }

  pull(ref: string, opts: PullOptions): Promise<PullJob> {
    // registries.conf trouble (unreadable, blocked registry) and registry failures as engine errors.
    return startPull(this, ref, opts).catch((e) => {
      throw fromRegistryError(e);
    });
  }

  distribution(ref: string, opts: Pick<PullOptions, 'naming' | 'auth' | 'tlsVerify'>): Promise<DistributionInfo> {
    return distribution(this, ref, opts).catch((e) => {
      throw fromRegistryError(e);
    });
  }

  exists(input: string): boolean {
    try {
      return this.resolveId(input) !== undefined && this.get(this.resolveId(input)!) !== undefined;
    } catch (e) {
      if (e instanceof EngineError && e.kind === 'bad-parameter') return false;
      throw e;
    }
  }

  list(filters: Record<string, string[]> = {}, opts: ListOptions = {}): ImageSummary[] {
    let images = this.all();
    if (!opts.all) {
      // A build's intermediate images stay out of the list unless asked for, as dockerd keeps them.
      const parents = new Set(images.map((i) => i.parent.replace(/^sha256:/, '')).filter(Boolean));
      images = images.filter((i) => i.names.length || i.digests.length || !parents.has(i.id));
    }
    const found: ImageSummary[] = filterImages(images, filters, (ref) => this.resolve(ref), { matchFullNames: opts.matchFullNames });
    const uses = opts.sharedSize ? this.state.layerUseCounts() : undefined;
    for (const img of found) {
      if (uses) img.sharedSize = this.sharedSize(img, uses);
      if (opts.containers) img.containers = this.containersUsing(img.id).length;
    }
    return found;
  }

  /** Bytes of this image's layers that other images also use. */
  private sharedSize(img: ImageInfo, uses: Map<string, number>): number {
    return img.layerRows.reduce((n, l) => n + ((uses.get(l.id) ?? 0) > 1 ? l.size : 0), 0);
  }

  private containersUsing(id: string): ImageUse['containers'] {
    return this.deps.usage(hexOf(id)).containers;
  }

  history(input: string): HistoryItem[] {
    const img = this.resolve(input);
    const hist: HistoryEntry[] = img.cfg.history?.length
      ? img.cfg.history
      : img.layerRows.map(() => ({ created: img.cfg.created, created_by: '', comment: '' }));
    const rows = [...img.layerRows];
    const out: HistoryItem[] = [];
    for (let i = hist.length - 1; i >= 0; i--) {
      const h = hist[i];
      const layer = h.empty_layer ? undefined : rows.pop();
      out.push({
        id: i === hist.length - 1 ? `sha256:${img.id}` : '<missing>',
        created: h.created ? Math.floor(Date.parse(h.created) / 1000) || 0 : 0,
        createdBy: h.created_by ?? '',
        tags: i === hist.length - 1 ? img.names : [],
        size: layer?.size ?? 0,
        comment: h.comment ?? '',
      });
    }
    return out;
  }

  tree(input: string): ImageTree {
    const image = this.resolve(input);
    const all = this.all();
    return {
      image,
      layers: image.layerRows.map((l) => ({ id: l.id, size: l.size, topOf: all.filter((o) => o.layers.at(-1) === l.id) })),
      children: all.filter((o) => o.id !== image.id && image.layers.every((l, i) => o.layers[i] === l)),
    };
  }

  /** Lower dirs of an image's layers, top layer first, as overlay's lowerdir wants them. */
  layerDirs(imageId: string): string[] {
    const img = this.get(imageId);
    if (!img) throw notFound(`No such image: ${imageId}`);
    return [...img.layers].reverse().map((l) => this.layers.diffDir(l));
  }

  /** podman's image diff: what the image's top layer changes against the layers below it. */
  changes(ref: string): Change[] {
    const img = this.resolve(ref);
    const [top, ...below] = this.layerDirs(img.id);
    return top ? changesOf(top, below, []) : [];
  }

  /** The same as short links: mount with `cwd` so the option string stays short. */
  lowerSpec(imageId: string): { cwd: string; lower: string } {
    const img = this.get(imageId);
    if (!img) throw notFound(`No such image: ${imageId}`);
    return { cwd: this.layers.dir, lower: this.layers.lowerSpec(img.layers) };
  }

  config(imageId: string): ImageConfig {
    const img = this.get(imageId);
    if (!img) throw notFound(`No such image: ${imageId}`);
    return img.cfg;
  }

  // ---- names ----

  /** @internal The stored name for a user's target name (validates it). */
  nameFor(input: string): string {
    const ref = parseReference(input);
    if (ref.digest) throw badParameter(`refusing to create a tag with a digest reference: ${clip(input)}`);
    return canonicalName(ref);
  }

  /** Tags `input` as `target`; returns the full name given. */
  tag(input: string, target: string): string {
    const img = this.resolve(input);
    const name = this.nameFor(target);
    this.state.setName(name, img.id);
    this.publish('tag', img.id, name);
    return name;
  }

  /** Removes names from an image (all of them when `names` is empty); the image stays. */
  untag(input: string, names: string[] = []): string[] {
    const img = this.resolve(input);
    let targets = img.names;
    if (names.length) {
      targets = names.map((n) => {
        const { names: cands } = candidateNames(n);
        const hit = cands.find((c) => img.names.includes(c));
        if (!hit) throw notFound(`image ${clip(input)} is not tagged ${clip(n)}`);
        return hit;
      });
    }
    for (const n of targets) {
      this.state.removeName(n);
      this.publish('untag', img.id, n);
    }
    return targets;
  }

  // ---- removal ----

  /** docker rmi semantics: a name with siblings is only untagged; images in use are guarded. */
  remove(input: string, opts: { force?: boolean; noprune?: boolean } = {}): Promise<RemoveReport> {
    return this.locked(() => this.removeNow(input, opts));
  }

  private async removeNow(input: string, opts: { force?: boolean; noprune?: boolean }): Promise<RemoveReport> {
    const img = this.resolve(input);
    const byName = this.resolveName(input);
    const short = img.id.slice(0, 12);
    const report: RemoveReport = { untagged: [], deleted: [] };
    if (byName && img.names.length > 1) {
      report.untagged.push(...this.untag(img.id, [byName]));
      return report;
    }
    const users = this.containersUsing(img.id);
    const running = users.find((c) => c.running);
    if (running) {
      throw conflict(`conflict: unable to delete ${short} (cannot be forced) - image is being used by running container ${running.id.slice(0, 12)}`);
    }
    if (users.length && !opts.force) {
      if (byName) throw conflict(`conflict: unable to remove repository reference "${input}" (must force) - container ${users[0].id.slice(0, 12)} is using its referenced image ${short}`);
      throw conflict(`conflict: unable to delete ${short} (must be forced) - image is being used by stopped container ${users[0].id.slice(0, 12)}`);
    }
    if (!byName && img.names.length > 1 && !opts.force) {
      throw conflict(`conflict: unable to delete ${short} (must be forced) - image is referenced in multiple repositories`);
    }
    report.untagged.push(...this.untag(img.id));
    if (users.length) return report; // forced: the stopped containers keep the image's layers
    report.deleted.push(...(await this.deleteImage(img)));
    if (!opts.noprune) report.deleted.push(...(await this.deleteUnusedParents(img.parent)));
    return report;
  }

  /**
   * dockerd's rmi also deletes the untagged parents (a build's intermediate images) that no other
   * image or container needs, nearest first.
   */
  private async deleteUnusedParents(parent: string): Promise<string[]> {
    const deleted: string[] = [];
    for (let id = hexOf(parent || ''); id; ) {
      const p = this.get(id);
      if (!p || p.names.length || p.digests.length || this.containersUsing(p.id).length) break;
      if (this.state.allImages().some((o) => hexOf(o.parent || '') === p.id)) break;
      deleted.push(...(await this.deleteImage(p)));
      id = hexOf(p.parent || '');
    }
    return deleted;
  }

  private async deleteImage(img: ImageInfo): Promise<string[]> {
    this.state.deleteImage(img.id);
    const deleted = [`sha256:${img.id}`];
    for (const l of [...img.layers].reverse()) {
      if (this.state.layerUsers(l) > 0) break;
      await this.layers.remove(l);
      deleted.push(`sha256:${l}`);
    }
    this.publish('delete', img.id, `sha256:${img.id}`);
    return deleted;
  }

  /** Removes dangling images (all unused ones with `all`), honouring until/label filters. */
  prune(filters: Record<string, string[]> = {}, opts: { all?: boolean } = {}): Promise<PruneReport> {
    return this.locked(() => this.pruneNow(filters, opts));
  }

  private async pruneNow(filters: Record<string, string[]>, opts: { all?: boolean }): Promise<PruneReport> {
    const f = { ...filters };
    let all = !!opts.all;
    if (f.dangling?.length) {
      if (!['true', 'false', '1', '0'].includes(f.dangling[0])) throw badParameter(`invalid filter 'dangling=${clip(f.dangling[0])}'`);
      all = f.dangling[0] === 'false' || f.dangling[0] === '0';
      delete f.dangling;
    }
    for (const k of Object.keys(f)) if (!['until', 'label', 'label!'].includes(k)) throw badParameter(`invalid filter '${clip(k)}'`);
    const everything = this.all();
    // Dangling as dockerd means it: untagged and no image's parent (a build's intermediate images
    // go with the image they lead to).
    const parents = new Set(everything.map((i) => hexOf(i.parent || '')).filter(Boolean));
    const candidates = filterImages(everything, f, (r) => this.resolve(r)).filter((i) => all || (i.names.length === 0 && !parents.has(i.id)));
    const report: RemoveReport = { untagged: [], deleted: [] };
    const perImage: { id: string; size: number }[] = [];
    let reclaimed = 0;
    for (const img of candidates) {
      if (this.containersUsing(img.id).length) continue;
      const fresh = this.get(img.id);
      if (!fresh) continue;
      const before = this.layerBytes();
      report.untagged.push(...this.untag(img.id));
      report.deleted.push(...(await this.deleteImage(fresh)));
      report.deleted.push(...(await this.deleteUnusedParents(fresh.parent)));
      const freed = before - this.layerBytes();
      reclaimed += freed;
      perImage.push({ id: img.id, size: freed });
    }
    this.deps.events.publish('image', 'prune', '', { reclaimed: String(reclaimed) });
    return { report, reclaimed, perImage };
  }

  private layerBytes(): number {
    return this.state.allLayers().reduce((n, l) => n + l.size, 0);
  }

  /** The images part of `system df`. */
  df(): ImagesDf {
    const images = this.list({}, { sharedSize: true, containers: true, all: true }) as ImagesDf['images'];
    return { images, layersSize: this.layerBytes() };
  }

  // ---- creating (images-create.ts) ----

  /** @internal Records an image whose layers (chain IDs, bottom first) are stored. */
  record(config: Buffer, chain: string[], extra: { digest?: string; manifest?: Buffer; parent?: string } = {}): ImageInfo {
    const id = sha256Hex(config);
    const cfg = JSON.parse(config.toString('utf8')) as ImageConfig;
    const size = chain.reduce((n, l) => n + (this.state.layer(l)?.size ?? 0), 0);
    this.state.insertImage(
      {
        id,
        config,
        parent: extra.parent ?? '',
        digest: extra.digest ?? null,
        manifest: extra.manifest ?? null,
        created: Date.parse(cfg.created ?? '') || 0,
        added: Date.now(),
        size,
        labels: cfg.config?.Labels ?? {},
      },
      chain,
    );
    return this.get(id)!;
  }

  /** @internal Layers made by a failed operation that no image ended up using. */
  async dropOrphans(created: Set<string>): Promise<void> {
    for (const l of [...created].reverse()) if (this.state.layerUsers(l) === 0) await this.layers.remove(l);
  }

  /** @internal */
  applyName(imageId: string, input: string): string {
    const name = this.nameFor(input);
    this.state.setName(name, imageId);
    this.publish('tag', imageId, name);
    return name;
  }

  /** @internal `name`: a full name, or the `sha256:` ID of an unnamed image. */
  publish(action: string, imageId: string, name: string): void {
    this.deps.events.publish('image', action, `sha256:${imageId}`, { name });
  }

  load(input: AsyncIterable<Buffer>): Promise<LoadReport> {
    return loadImages(this, input);
  }

  save(refs: string[], format: ArchiveFormat, out: Writable, opts: SaveOptions = {}): Promise<void> {
    return saveImages(this, refs, format, out, opts);
  }

  import(input: AsyncIterable<Buffer>, opts: ImportOptions = {}): Promise<ImageInfo> {
    return importImage(this, input, opts);
  }

  push(ref: string, opts: PushOptions): Promise<PushJob> {
    const job = preparePush(this, ref, opts);
    return Promise.resolve({
      repository: job.repository,
      run: async (onEvent, signal) => {
        const r = await job.run(onEvent, signal);
        for (const p of r.pushed) this.publish('push', p.imageId, `${job.repository}:${p.tag}`);
        return r;
      },
    });
  }

  login(opts: LoginOptions): Promise<{ registry: string; identityToken?: string }> {
    return login(opts, this.registryTimeouts);
  }

  search(term: string, opts: SearchOptions): Promise<SearchResult[]> {
    return search(term, opts, this.registryTimeouts);
  }

  /** For commit: `diff` is an OCI layer tar of the container's changes (storage/diff-tar.ts). */
  commit(opts: CommitOptions): Promise<ImageInfo> {
    return commitImage(this, opts);
  }
}
