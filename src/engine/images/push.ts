// Pushing images to a registry (OCI distribution spec), as dockerd does it: for each layer, the
// blobs it is known to be on this registry are asked for first (HEAD in the target repository,
// then a cross-repository mount from where it was seen), and only a layer the registry lacks is
// compressed (gzip, once, while it streams to the registry in one chunked PATCH) and uploaded.
// Configs go up monolithically, the manifest last; the digest pushed becomes a RepoDigest.
import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { drop, errorFromResponse, MEDIA, readBody, RegistryError, repoScope, type RegistryClient } from '../../registry/index.js';
import { sha256Digest } from '../../storage/digest.js';
import { canonicalName, familiarName, parseReference, type Reference } from '../../lib/image-ref.js';
import { clip } from '../../lib/clip.js';
import { badParameter, notFound } from '../errors.js';
import { fromRegistryError } from './registry-errors.js';
import { registryClient } from './registry-access.js';
import type { ImageService } from './service.js';
import type { ImageInfo, ManifestFormat, PushEvent, PushJob, PushOptions, PushResult } from './types.js';

/** dockerd's limit of layers uploading at once; the others wait. */
const PARALLEL_UPLOADS = 5;
const PROGRESS_EVERY_MS = 100;

const LAYER_TYPES: Record<ManifestFormat, Record<Compression, string | undefined>> = {
  docker: { none: 'application/vnd.docker.image.rootfs.diff.tar', gzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip', zstd: undefined },
  oci: { none: 'application/vnd.oci.image.layer.v1.tar', gzip: 'application/vnd.oci.image.layer.v1.tar+gzip', zstd: 'application/vnd.oci.image.layer.v1.tar+zstd' },
};
const CONFIG_TYPE: Record<ManifestFormat, string> = { docker: 'application/vnd.docker.container.image.v1+json', oci: 'application/vnd.oci.image.config.v1+json' };
const MANIFEST_TYPE: Record<ManifestFormat, string> = { docker: MEDIA.dockerManifest, oci: MEDIA.ociManifest };

type Compression = 'none' | 'gzip' | 'zstd';

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

/** A blob a layer is known to be, and where on this registry it was seen. */
interface Candidate {
  digest: string;
  size: number;
  compression: Compression;
  repository: string;
}

const compressionOf = (mediaType: string): Compression | undefined =>
  /gzip$/.test(mediaType) ? 'gzip' : /zstd$/.test(mediaType) ? 'zstd' : /(\.tar|diff\.tar)$/.test(mediaType) ? 'none' : undefined;

interface StoredManifest {
  mediaType?: string;
  layers?: Descriptor[];
}

export function storedManifest(img: ImageInfo): { bytes: Buffer; doc: StoredManifest; format?: ManifestFormat } | undefined {
  if (!img.manifest) return undefined;
  try {
    const doc = JSON.parse(img.manifest.toString('utf8')) as StoredManifest;
    if (!Array.isArray(doc.layers)) return undefined;
    const format = doc.mediaType === MEDIA.dockerManifest ? 'docker' : doc.mediaType === MEDIA.ociManifest || !doc.mediaType ? 'oci' : undefined;
    return { bytes: img.manifest, doc, format };
  } catch {
    return undefined;
  }
}

export interface Target {
  image: ImageInfo;
  /** Undefined: the manifest goes up by its digest (an instance of a manifest list). */
  tag?: string;
}

/** Finds what to push (not-found before any stream when the image or tag is not here). */
export function preparePush(svc: ImageService, ref: string, o: PushOptions): PushJob {
  let dest: Reference;
  let targets: Target[];
  if (o.destination !== undefined) {
    const image = svc.resolve(ref);
    dest = parseReference(o.destination.replace(/^docker:\/\//, ''));
    if (/^[a-z-]+:(?!\d)/.test(o.destination) && !o.destination.startsWith('docker://')) {
      throw badParameter(`unsupported push destination ${clip(o.destination)}: only registries (docker://) are supported`);
    }
    if (dest.digest) throw badParameter(`cannot push to a digest reference: ${clip(o.destination)}`);
    targets = [{ image, tag: dest.tag ?? o.tag ?? 'latest' }];
  } else {
    dest = parseReference(ref);
    if (dest.digest) throw badParameter('cannot push a digest reference');
    const repo = `${dest.domain}/${dest.path}`;
    const tags = dest.tag ? [dest.tag] : o.tag ? [o.tag] : svc.state.namesInRepository(repo).map((n) => n.slice(repo.length + 1));
    targets = tags.map((tag) => {
      const id = svc.state.imageByName(`${repo}:${tag}`);
      const image = id && svc.get(id);
      if (!image) throw notFound(`An image does not exist locally with the tag: ${familiarName(canonicalName({ ...dest, tag }))}`);
      return { image, tag };
    });
    if (!targets.length) throw notFound(`An image does not exist locally with the tag: ${familiarName(repo)}`);
  }
  const repository = `${dest.domain}/${dest.path}`;
  return {
    repository,
    run: async (onEvent = () => {}, signal) => {
      try {
        const client = await registryClient(dest.domain, dest.path, { ...o, timeouts: svc.registryTimeouts });
        onEvent({ type: 'repository', name: repository });
        const result: PushResult = { pushed: [] };
        for (const t of targets) {
          const format = o.format ?? (o.naming === 'docker' ? 'docker' : (storedManifest(t.image)?.format ?? 'oci'));
          const p = new ImagePush(svc, client, dest, t, format, onEvent, signal);
          result.pushed.push(await p.run());
        }
        return result;
      } catch (e) {
        // A 401 to a HEAD has no body to quote: say what it means, as dockerd does.
        if (e instanceof RegistryError && e.kind === 'unauthorized' && !e.errors.length) {
          throw fromRegistryError(new RegistryError('unauthorized', `pushing to ${repository}: unauthorized: authentication required`, 401));
        }
        throw fromRegistryError(e);
      }
    },
  };
}

/** One image to one repository: layers, config, manifest. */
export class ImagePush {
  private readonly repo: string;
  private readonly scopes: string[];

  constructor(
    private readonly svc: ImageService,
    private readonly client: RegistryClient,
    private readonly dest: Reference,
    private readonly target: Target,
    private readonly format: ManifestFormat,
    private readonly emit: (e: PushEvent) => void,
    private readonly signal?: AbortSignal,
  ) {
    this.repo = dest.path;
    this.scopes = [repoScope(this.repo, ['pull', 'push'])];
  }

  async run(): Promise<PushResult['pushed'][number] & { mediaType: string }> {
    const img = this.target.image;
    const diffIds = img.cfg.rootfs?.diff_ids ?? [];
    if (diffIds.length !== img.layerRows.length) throw new Error(`image ${img.id.slice(0, 12)} has ${img.layerRows.length} layers stored for ${diffIds.length} in its config`);
    const configDigest = sha256Digest(img.config);
    // The first call takes the push token: the streamed uploads after it cannot answer a challenge.
    const configThere = (await this.client.blobSize(this.repo, configDigest, this.scopes)) !== undefined;

    const stored = storedManifest(img);
    const layers: Descriptor[] = new Array(diffIds.length);
    const order = diffIds.map((_, i) => i).reverse(); // top layer first, as dockerd lists them
    for (const i of order) this.emit({ type: 'layer', diffId: diffIds[i], state: 'preparing' });
    order.slice(PARALLEL_UPLOADS).forEach((i) => this.emit({ type: 'layer', diffId: diffIds[i], state: 'waiting' }));
    let next = 0;
    const worker = async () => {
      while (next < order.length) {
        const i = order[next++];
        layers[i] = await this.layer(i, diffIds[i], stored?.doc.layers?.length === diffIds.length ? stored.doc.layers[i] : undefined);
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_UPLOADS, order.length) }, worker));

    if (!configThere) await this.uploadBuffer(img.config, 'config');
    this.emit({ type: 'config', digest: configDigest, exists: configThere });

    // The image's own manifest when every layer went up as the blob it names: its digest stays.
    const same = stored && stored.format === this.format && stored.doc.layers!.every((l, i) => l.digest === layers[i]?.digest && l.mediaType === layers[i].mediaType);
    const manifest = same
      ? stored.bytes
      : Buffer.from(
          JSON.stringify(
            { schemaVersion: 2, mediaType: MANIFEST_TYPE[this.format], config: { mediaType: CONFIG_TYPE[this.format], size: img.config.length, digest: configDigest }, layers },
            null,
            3,
          ),
        );
    const digest = sha256Digest(manifest);
    const reference = this.target.tag ?? digest;
    const put = await this.client.request('PUT', `/v2/${this.repo}/manifests/${reference}`, {
      scopes: this.scopes,
      headers: { 'Content-Type': MANIFEST_TYPE[this.format] },
      body: manifest,
      signal: this.signal,
    });
    await this.client.ok(put, `pushing the manifest of ${this.dest.domain}/${this.repo}:${reference}`);
    drop(put);
    this.svc.state.addDigest(`${this.dest.domain}/${this.repo}@${digest}`, img.id);
    this.emit({ type: 'manifest', tag: reference, digest, size: manifest.length });
    return { tag: reference, digest, size: manifest.length, imageId: img.id, mediaType: MANIFEST_TYPE[this.format] };
  }

  /** Where this layer is known to be on this registry: pushes recorded, and the image's own manifest. */
  private candidates(diffId: string, stored: Descriptor | undefined): Candidate[] {
    const out: Candidate[] = [];
    const add = (c: Candidate) => {
      if (LAYER_TYPES[this.format][c.compression] && !out.some((o) => o.digest === c.digest && o.repository === c.repository)) out.push(c);
    };
    for (const b of this.svc.state.layerBlobs(diffId)) {
      const compression = compressionOf(b.media_type);
      if (compression && b.registry === this.dest.domain) add({ digest: b.digest, size: b.size, compression, repository: b.repo });
    }
    const compression = stored && compressionOf(stored.mediaType);
    if (stored && compression) {
      const prefix = `${this.dest.domain}/`;
      for (const d of this.target.image.digests) {
        if (d.startsWith(prefix)) add({ digest: stored.digest, size: stored.size, compression, repository: d.slice(prefix.length, d.indexOf('@')) });
      }
    }
    return out;
  }

  private async layer(i: number, diffId: string, stored: Descriptor | undefined): Promise<Descriptor> {
    const cands = this.candidates(diffId, stored);
    const remember = (c: { digest: string; size: number; compression: Compression }) => {
      const mediaType = LAYER_TYPES[this.format][c.compression]!;
      this.svc.state.addLayerBlob({ diff_id: diffId, digest: c.digest, media_type: mediaType, size: c.size, registry: this.dest.domain, repo: this.repo, added: Date.now() });
      return { mediaType, digest: c.digest, size: c.size };
    };
    // Already in the target repository?
    for (const digest of new Set(cands.map((c) => c.digest))) {
      const size = await this.client.blobSize(this.repo, digest, this.scopes);
      if (size !== undefined) {
        const c = cands.find((x) => x.digest === digest)!;
        this.emit({ type: 'layer', diffId, state: 'exists', digest });
        return remember({ ...c, size: size || c.size });
      }
    }
    // In another repository of this registry: mount it.
    for (const c of cands.filter((x) => x.repository !== this.repo)) {
      const q = new URLSearchParams({ mount: c.digest, from: c.repository });
      const a = await this.client.request('POST', `/v2/${this.repo}/blobs/uploads/?${q}`, { scopes: [...this.scopes, repoScope(c.repository, ['pull'])], signal: this.signal });
      drop(a);
      if (a.status === 201) {
        this.emit({ type: 'layer', diffId, state: 'mounted', digest: c.digest, from: c.repository });
        return remember(c);
      }
      // 202: the registry started a plain upload instead; it is abandoned (uploads expire).
      if (a.status === 202 && a.headers.location) await this.cancelUpload(String(a.headers.location));
    }
    return this.uploadLayer(i, diffId, remember);
  }

  private async cancelUpload(location: string): Promise<void> {
    try {
      drop(await this.client.request('DELETE', location, { scopes: this.scopes }));
    } catch {
      // Best effort: the registry purges stale uploads itself.
    }
  }

  private async startUpload(what: string): Promise<string> {
    const a = await this.client.ok(await this.client.request('POST', `/v2/${this.repo}/blobs/uploads/`, { scopes: this.scopes, signal: this.signal }), `starting the upload of ${what}`);
    drop(a);
    const loc = a.headers.location;
    if (!loc) throw new Error(`the registry started an upload of ${what} without a Location`);
    return String(loc);
  }

  private async finishUpload(location: string, digest: string, what: string, body?: Buffer): Promise<void> {
    const url = `${location}${location.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`;
    const a = await this.client.request('PUT', url, { scopes: this.scopes, headers: { 'Content-Type': 'application/octet-stream' }, body: body ?? Buffer.alloc(0), signal: this.signal });
    await this.client.ok(a, `uploading ${what}`);
    drop(a);
  }

  /** A small blob in one PUT (monolithic). */
  private async uploadBuffer(data: Buffer, what: string): Promise<void> {
    const loc = await this.startUpload(what);
    await this.finishUpload(loc, sha256Digest(data), what, data);
  }

  /** The layer's tar, gzip-compressed as it streams to the registry in one chunked PATCH. */
  private async uploadLayer(i: number, diffId: string, remember: (c: { digest: string; size: number; compression: Compression }) => Descriptor): Promise<Descriptor> {
    const row = this.target.image.layerRows[i];
    const total = row.tar_size;
    const short = diffId.replace(/^sha256:/, '').slice(0, 12);
    const loc = await this.startUpload(`layer ${short}`);
    let read = 0;
    let last = 0;
    const progress = new Transform({
      transform: (c: Buffer, _e, cb) => {
        read += c.length;
        const now = Date.now();
        if (now - last >= PROGRESS_EVERY_MS) {
          last = now;
          this.emit({ type: 'layer', diffId, state: 'pushing', current: read, total });
        }
        cb(null, c);
      },
    });
    const hash = createHash('sha256');
    let size = 0;
    const counted = new Transform({
      transform: (c: Buffer, _e, cb) => {
        hash.update(c);
        size += c.length;
        cb(null, c);
      },
    });
    const gzip = createGzip();
    const source = Readable.from(this.svc.layers.tar(row.id));
    const flowing = pipeline(source, progress, gzip, counted).catch((e: unknown) => {
      counted.destroy(e as Error);
      throw e;
    });
    let a;
    try {
      a = await this.client.request('PATCH', loc, { scopes: this.scopes, headers: { 'Content-Type': 'application/octet-stream' }, body: () => counted, signal: this.signal });
    } catch (e) {
      // The request is gone (registry, or the client hung up): stop reading the layer too.
      source.destroy();
      counted.destroy();
      await flowing.catch(() => undefined);
      throw e;
    }
    if (a.status !== 202) {
      const text = (await readBody(a, 1 << 20).catch(() => Buffer.alloc(0))).toString('utf8');
      counted.destroy();
      await flowing.catch(() => undefined);
      throw errorFromResponse(a.status, text, `uploading layer ${short}`);
    }
    drop(a);
    await flowing;
    this.emit({ type: 'layer', diffId, state: 'pushing', current: read, total });
    const digest = `sha256:${hash.digest('hex')}`;
    await this.finishUpload(String(a.headers.location ?? loc), digest, `layer ${short}`);
    const d = remember({ digest, size, compression: 'gzip' });
    this.emit({ type: 'layer', diffId, state: 'pushed', digest });
    return d;
  }
}
