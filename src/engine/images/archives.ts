// Where images come from and go to: archives in (load) and out (save), rootfs tars (import) and
// container changes (commit). Storage errors on untrusted input become 400s with the reason.
import { createReadStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { ArchiveError, readArchive, Spool, type ArchiveImage } from '../../storage/archive-read.js';
import { writeArchive, type ArchiveFormat } from '../../storage/archive-write.js';
import { chainIds, hexOf } from '../../storage/digest.js';
import { scratchName } from '../../storage/layers.js';
import { TarError } from '../../storage/tar-reader.js';
import { UnsafeEntryError } from '../../storage/tar-paths.js';
import { LayerDigestError } from '../../storage/unpack.js';
import { badParameter, EngineError, notFound } from '../errors.js';
import { applyChanges } from './changes.js';
import { canonicalName, parseReference, repoOf } from '../../lib/image-ref.js';
import type { ImageService } from './service.js';
import type { ImageConfig, ImageInfo, ImportOptions, LoadReport, SaveOptions } from './types.js';

export interface CommitOptions {
  baseImageId?: string;
  /** An OCI layer tar of the container's changes (see storage/diff-tar.ts). */
  diff: AsyncIterable<Buffer>;
  config: ImageConfig['config'];
  author?: string;
  comment?: string;
  createdBy?: string;
  /** The source container's ID and its config as it was (docker's `container`, `container_config`). */
  container?: string;
  containerConfig?: ImageConfig['container_config'];
  /** Name to give the image (repo[:tag]); a registry-less one goes under docker.io. */
  reference?: string;
}

export function hostArch(): string {
  const map: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' };
  return map[process.arch] ?? process.arch;
}

function inputError(e: unknown, what: string): unknown {
  if (e instanceof EngineError) return e;
  if (e instanceof TarError || e instanceof UnsafeEntryError || e instanceof LayerDigestError || e instanceof ArchiveError) {
    return badParameter(`${what}: ${e.message}`);
  }
  const msg = (e as Error)?.message ?? String(e);
  if (/zstd|incorrect header check|unexpected end of file|invalid (block|distance|stored)/i.test(msg)) return badParameter(`${what}: corrupt compressed data (${msg})`);
  return e;
}

/** Runs `fn` under the service lock; on failure drops the layers it made and maps the error. */
async function guarded<T>(svc: ImageService, what: string, fn: (created: Set<string>) => Promise<T>): Promise<T> {
  const created = new Set<string>();
  try {
    return await fn(created);
  } catch (e) {
    await svc.locked(() => svc.dropOrphans(created));
    throw inputError(e, what);
  } finally {
    // Recorded (or dropped): no longer half-made.
    svc.state.releaseLayerClaims(created);
  }
}

async function withTmp<T>(svc: ImageService, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = join(svc.tmpDir, scratchName('work-'));
  await mkdir(dir, { recursive: true, mode: 0o700 });
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Stores the layers of an image (skipping those already present) and records the image. */
async function store(svc: ImageService, a: ArchiveImage, created: Set<string>): Promise<ImageInfo> {
  const diffIds = a.layers.map((l) => l.diffId);
  const chain = chainIds(diffIds).map(hexOf);
  for (let i = 0; i < a.layers.length; i++) {
    if (svc.layers.has(chain[i])) continue;
    const row = await svc.layers.put(i ? chain[i - 1] : null, createReadStream(a.layers[i].file), diffIds[i]);
    created.add(row.id);
  }
  return svc.record(a.config, chain, { digest: a.manifestDigest, manifest: a.manifest });
}

async function storeLoaded(svc: ImageService, archived: ArchiveImage[], created: Set<string>): Promise<LoadReport> {
  const report: LoadReport = { images: [] };
  for (const a of archived) {
    for (const n of a.names) parseReference(n);
    const img = await store(svc, a, created);
    const names: string[] = [];
    const replaced: { name: string; oldId: string }[] = [];
    for (const n of a.names) {
      // Loaded names keep docker's expansion whoever loads them: the archive says docker.io.
      const name = canonicalName(parseReference(n));
      const prev = svc.state.setName(name, img.id);
      if (prev) replaced.push({ name, oldId: prev });
      names.push(name);
    }
    svc.publish('load', img.id, names[0] ?? `sha256:${img.id}`);
    if (a.manifestDigest) for (const n of names) svc.state.addDigest(`${repoOf(parseReference(n))}@${a.manifestDigest}`, img.id);
    report.images.push({ id: img.id, names, replaced });
  }
  return report;
}

/** Loads a docker-archive (either form) or oci-archive. */
export function loadImages(svc: ImageService, input: AsyncIterable<Buffer>): Promise<LoadReport> {
  return guarded(svc, 'invalid image archive', (created) =>
    withTmp(svc, async (dir) => {
      // The upload is spooled outside the lock: a slow client must not hold up other changes.
      const spool = new Spool(dir);
      await spool.fill(input);
      const archived = await readArchive(spool);
      return svc.locked(() => storeLoaded(svc, archived, created));
    }),
  );
}

/** Writes one or many images as a docker-archive or oci-archive; name refs carry their name. */
export async function saveImages(svc: ImageService, refs: string[], format: ArchiveFormat, out: Writable, opts: SaveOptions = {}): Promise<void> {
  const chosen = new Map<string, { img: ImageInfo; names: string[] }>();
  for (const r of refs) {
    const img = svc.resolve(r);
    const name = svc.resolveName(r);
    const entry = chosen.get(img.id) ?? { img, names: [] };
    if (name && !entry.names.includes(name)) entry.names.push(name);
    chosen.set(img.id, entry);
  }
  const images = [...chosen.values()].map(({ img, names }) => ({
    config: img.config,
    names,
    display: opts.archiveName ?? ((n: string) => n),
    layers: img.layerRows.map((l) => ({ diffId: l.diff_id, tarSize: l.tar_size, open: () => svc.layers.tar(l.id) })),
  }));
  await writeArchive(images, format, out);
  for (const { img } of chosen.values()) svc.publish('save', img.id, img.names[0] ?? `sha256:${img.id}`);
}

/** Imports a rootfs tar as a one-layer image. */
export function importImage(svc: ImageService, input: AsyncIterable<Buffer>, opts: ImportOptions = {}): Promise<ImageInfo> {
  const name = opts.reference ? svc.nameFor(opts.reference) : undefined;
  const config = applyChanges({}, opts.changes ?? []);
  return guarded(svc, 'invalid rootfs tar', (created) =>
    svc.locked(async () => {
      const row = await svc.layers.put(null, input);
      if (!svc.state.layerUsers(row.id)) created.add(row.id);
      const now = new Date().toISOString();
      const comment = opts.message || `Imported from ${opts.source ?? '-'}`;
      const cfg: ImageConfig = {
        architecture: opts.platform?.architecture || hostArch(),
        ...(opts.platform?.variant ? { variant: opts.platform.variant } : {}),
        comment,
        config,
        created: now,
        history: [{ created: now, created_by: '', comment }],
        os: opts.platform?.os || 'linux',
        rootfs: { type: 'layers', diff_ids: [row.diff_id] },
      };
      const img = svc.record(Buffer.from(JSON.stringify(cfg)), [row.id]);
      if (name) svc.applyName(img.id, name);
      svc.publish('import', img.id, name ?? `sha256:${img.id}`);
      return svc.get(img.id)!;
    }),
  );
}

/** Stores a container's changes as a new top layer on its image and records the new image. */
export function commitImage(svc: ImageService, opts: CommitOptions): Promise<ImageInfo> {
  const base = opts.baseImageId ? svc.get(opts.baseImageId) : undefined;
  if (opts.baseImageId && !base) throw notFound(`No such image: ${opts.baseImageId}`);
  const name = opts.reference ? svc.nameFor(opts.reference) : undefined;
  const parentChain = base?.layers ?? [];
  return guarded(svc, 'invalid layer', (created) =>
    svc.locked(async () => {
      const row = await svc.layers.put(parentChain.at(-1) ?? null, opts.diff);
      if (!svc.state.layerUsers(row.id)) created.add(row.id);
      const now = new Date().toISOString();
      const who = opts.author ? { author: opts.author } : {};
      const why = opts.comment ? { comment: opts.comment } : {};
      const cfg: ImageConfig = {
        architecture: base?.cfg.architecture ?? hostArch(),
        ...who,
        ...why,
        config: opts.config ?? {},
        ...(opts.container ? { container: opts.container } : {}),
        ...(opts.containerConfig ? { container_config: opts.containerConfig } : {}),
        created: now,
        history: [...(base?.cfg.history ?? []), { created: now, created_by: opts.createdBy ?? '', ...who, ...why }],
        os: base?.cfg.os ?? 'linux',
        rootfs: { type: 'layers', diff_ids: [...(base?.cfg.rootfs.diff_ids ?? []), row.diff_id] },
      };
      const img = svc.record(Buffer.from(JSON.stringify(cfg)), [...parentChain, row.id], { parent: base ? `sha256:${base.id}` : '' });
      if (name) svc.applyName(img.id, name);
      return svc.get(img.id)!;
    }),
  );
}
