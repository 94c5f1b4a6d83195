// Local manifest lists, as podman keeps them: a list document (docker manifest list, or OCI
// index once an instance is OCI) with, for each instance, where it comes from — a local image
// (its manifest is the one it was pulled with, or one naming its uncompressed layers), or the
// registry repository it was found in. Pushing sends each instance (local ones through the
// image push, whose compressed manifest then takes the instance's place in the pushed list;
// remote ones copied blob by blob, mounted where the registry is the same) and then the list.
import { randomBytes } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { MEDIA } from '../../registry/index.js';
import { ManifestListState, type InstanceSource, type ManifestListRow } from '../../state/manifest-lists.js';
import { sha256Digest } from '../../storage/digest.js';
import { canonicalName, candidateNames, isIdPrefix, LOCAL_DOMAIN, parseReference, qualifyShortName } from '../../lib/image-ref.js';
import { clip } from '../../lib/clip.js';
import { badParameter, conflict, EngineError, notFound } from '../errors.js';
import type { ImageService } from '../images/service.js';
import { storedManifest } from '../images/push.js';
import { fromRegistryError } from '../images/registry-errors.js';
import { registryClient } from '../images/registry-access.js';
import { hostPlatform, selectPlatform } from '../images/platform.js';
import type { ImageInfo } from '../images/types.js';
import { pushList, readStream } from './push.js';
import { listDocument } from './list-doc.js';
import type { ManifestsPort } from './port.js';
import type { AddOptions, ListEntry, ListPlatform, ManifestList, ManifestPushJob, ManifestPushOptions, ModifyReport } from './types.js';

const IMAGE_TYPES = new Set<string>([MEDIA.dockerManifest, MEDIA.ociManifest]);
const LIST_TYPES = new Set<string>([MEDIA.dockerList, MEDIA.ociIndex]);

/** The manifest an instance that is a local image has: the one it came with, else one naming its uncompressed layers. */
export function localManifest(img: ImageInfo): { bytes: Buffer; mediaType: string } {
  const stored = storedManifest(img);
  if (stored) return { bytes: stored.bytes, mediaType: stored.doc.mediaType ?? MEDIA.ociManifest };
  const diffIds = img.cfg.rootfs?.diff_ids ?? [];
  const doc = {
    schemaVersion: 2,
    mediaType: MEDIA.ociManifest,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256Digest(img.config), size: img.config.length },
    layers: img.layerRows.map((l, i) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: diffIds[i], size: l.tar_size })),
  };
  return { bytes: Buffer.from(JSON.stringify(doc)), mediaType: MEDIA.ociManifest };
}

export class ManifestService implements ManifestsPort {
  readonly state: ManifestListState;

  constructor(private readonly deps: { db: Database; images: ImageService }) {
    this.state = new ManifestListState(deps.db);
  }

  private get images(): ImageService {
    return this.deps.images;
  }

  private view(r: ManifestListRow): ManifestList {
    const doc = JSON.parse(r.doc.toString('utf8')) as { mediaType: string; manifests: ListEntry[] };
    return { id: r.id, names: r.names, mediaType: doc.mediaType, manifests: doc.manifests ?? [], bytes: r.doc };
  }

  private find(name: string): ManifestListRow | undefined {
    const s = name.trim();
    if (!s) return undefined;
    if (isIdPrefix(s)) {
      const ids = this.state.idsWithPrefix(s.replace(/^sha256:/, ''));
      if (ids.length === 1) return this.state.get(ids[0]);
    }
    try {
      const { names } = candidateNames(s);
      for (const n of [canonicalName(parseReference(qualifyShortName(s, LOCAL_DOMAIN))), ...names]) {
        const r = this.state.byName(n);
        if (r) return r;
      }
    } catch {
      return undefined;
    }
    return undefined;
  }

  private row(name: string): ManifestListRow {
    const r = this.find(name);
    if (!r) throw notFound(`${clip(name)}: image not known`);
    return r;
  }

  get(name: string): ManifestList {
    return this.view(this.row(name));
  }

  exists(name: string): boolean {
    return this.find(name) !== undefined;
  }

  async create(name: string, images: string[], opts: AddOptions & { amend?: boolean } = {}): Promise<ManifestList> {
    const full = canonicalName(parseReference(qualifyShortName(name, LOCAL_DOMAIN)));
    if (parseReference(full).digest) throw badParameter(`a manifest list cannot be named by a digest: ${clip(name)}`);
    let row = this.state.byName(full);
    if (row && !opts.amend) throw conflict(`creating manifest list ${clip(name)}: image name ${full} is already associated with a manifest list ${row.id.slice(0, 12)}`);
    const imageId = this.images.state.imageByName(full);
    if (imageId) throw conflict(`creating manifest list ${clip(name)}: image name ${full} is already associated with image ${imageId.slice(0, 12)}`);
    if (!row) {
      const id = randomBytes(32).toString('hex');
      this.state.insert(id, listDocument([]), full);
      row = this.state.get(id)!;
    }
    if (images.length) await this.add(row.id, images, opts);
    return this.get(row.id);
  }

  async inspect(name: string, opts: Pick<AddOptions, 'auth' | 'tlsVerify'> = {}): Promise<{ mediaType: string; bytes: Buffer }> {
    const r = this.find(name);
    if (r) {
      const v = this.view(r);
      return { mediaType: v.mediaType, bytes: v.bytes };
    }
    let ref;
    try {
      ref = parseReference(name.replace(/^docker:\/\//, ''));
    } catch {
      throw notFound(`${clip(name)}: image not known`);
    }
    if (!ref.explicitDomain && !name.startsWith('docker://')) throw notFound(`${clip(name)}: image not known`);
    try {
      const client = await registryClient(ref.domain, ref.path, { naming: 'registries-conf', auth: opts.auth, tlsVerify: opts.tlsVerify, timeouts: this.images.registryTimeouts });
      const m = await client.manifest(ref.path, ref.digest ?? ref.tag ?? 'latest');
      return { mediaType: m.mediaType, bytes: m.bytes };
    } catch (e) {
      throw fromRegistryError(e);
    }
  }

  private platformOf(img: ImageInfo): ListPlatform {
    const c = img.cfg;
    return { architecture: c.architecture ?? hostPlatform().architecture, os: c.os ?? 'linux', ...(c.variant ? { variant: c.variant } : {}), ...(c['os.version'] ? { 'os.version': c['os.version'] } : {}) };
  }

  /** The local image a reference names, when it is one (containers-storage: always, a bare name if here). */
  private localImage(ref: string): ImageInfo | undefined {
    if (ref.startsWith('containers-storage:')) return this.images.resolve(ref.slice('containers-storage:'.length));
    if (ref.startsWith('docker://')) return undefined;
    try {
      return this.images.resolve(ref);
    } catch (e) {
      if (e instanceof EngineError && (e.kind === 'not-found' || e.kind === 'bad-parameter')) return undefined;
      throw e;
    }
  }

  /** The instances a registry reference stands for: one image, or a list's (all or this platform's). */
  private async remoteEntries(refText: string, opts: AddOptions): Promise<{ entry: ListEntry; source: InstanceSource }[]> {
    if (/^[a-z-]+:(?!\d)/.test(refText) && !refText.startsWith('docker://')) throw badParameter(`unsupported transport in ${clip(refText)}: use docker:// or containers-storage:`);
    const ref = parseReference(refText.replace(/^docker:\/\//, ''));
    const repo = `${ref.domain}/${ref.path}`;
    try {
      const client = await registryClient(ref.domain, ref.path, { naming: 'registries-conf', auth: opts.auth, tlsVerify: opts.tlsVerify, timeouts: this.images.registryTimeouts });
      const m = await client.manifest(ref.path, ref.digest ?? ref.tag ?? 'latest');
      const doc = JSON.parse(m.bytes.toString('utf8')) as { manifests?: ListEntry[]; config?: { digest: string } };
      if (LIST_TYPES.has(m.mediaType)) {
        const all = (doc.manifests ?? []).filter((e) => IMAGE_TYPES.has(e.mediaType));
        const chosen = opts.all ? all : [selectPlatform(all, hostPlatform()) as ListEntry | undefined].filter((e): e is ListEntry => !!e);
        if (!chosen.length) throw notFound(`${clip(refText)}: no image in the list for ${hostPlatform().os}/${hostPlatform().architecture}`);
        return chosen.map((e) => ({ entry: { mediaType: e.mediaType, digest: e.digest, size: e.size, ...(e.platform ? { platform: e.platform } : {}) }, source: { repo } }));
      }
      if (!IMAGE_TYPES.has(m.mediaType)) throw badParameter(`${clip(refText)}: a ${m.mediaType} cannot be added to a manifest list`);
      const blob = await client.blob(ref.path, doc.config!.digest);
      const cfg = JSON.parse((await readStream(blob.stream, 4 << 20)).toString('utf8')) as { architecture?: string; os?: string; variant?: string; 'os.version'?: string };
      const platform: ListPlatform = { architecture: cfg.architecture ?? '', os: cfg.os ?? '', ...(cfg.variant ? { variant: cfg.variant } : {}), ...(cfg['os.version'] ? { 'os.version': cfg['os.version'] } : {}) };
      return [{ entry: { mediaType: m.mediaType, digest: m.digest, size: m.bytes.length, platform }, source: { repo } }];
    } catch (e) {
      throw fromRegistryError(e);
    }
  }

  private override(e: ListEntry, o: AddOptions): ListEntry {
    const p: ListPlatform = { ...(e.platform ?? { architecture: '', os: '' }) };
    if (o.arch) p.architecture = o.arch;
    if (o.os) p.os = o.os;
    if (o.variant) p.variant = o.variant;
    if (o.osVersion) p['os.version'] = o.osVersion;
    if (o.features?.length) p.features = o.features;
    const annotations = o.annotations && Object.keys(o.annotations).length ? { ...e.annotations, ...o.annotations } : e.annotations;
    return { ...e, platform: p, ...(annotations ? { annotations } : {}) };
  }

  async add(name: string, images: string[], opts: AddOptions = {}): Promise<ModifyReport> {
    const r = this.row(name);
    if (!images.length) throw badParameter('no images to add to the manifest list');
    const list = this.view(r);
    const sources = { ...r.sources };
    let entries = [...list.manifests];
    const added: string[] = [];
    for (const ref of images) {
      const local = this.localImage(ref);
      const found = local
        ? [(() => {
            const m = localManifest(local);
            return { entry: { mediaType: m.mediaType, digest: sha256Digest(m.bytes), size: m.bytes.length, platform: this.platformOf(local) } as ListEntry, source: { image: local.id } as InstanceSource };
          })()]
        : await this.remoteEntries(ref, opts);
      for (const f of found) {
        const entry = this.override(f.entry, opts);
        entries = entries.filter((e) => e.digest !== entry.digest);
        entries.push(entry);
        sources[entry.digest] = f.source;
        added.push(entry.digest);
      }
    }
    this.state.update(r.id, listDocument(entries), sources);
    return { id: r.id, images: added };
  }

  remove(name: string, digests: string[]): ModifyReport {
    const r = this.row(name);
    const list = this.view(r);
    for (const d of digests) if (!list.manifests.some((e) => e.digest === d)) throw notFound(`removing from manifest list ${clip(name)}: no instance ${clip(d)} in the list`);
    const entries = list.manifests.filter((e) => !digests.includes(e.digest));
    const sources = { ...r.sources };
    for (const d of digests) delete sources[d];
    this.state.update(r.id, listDocument(entries), sources);
    return { id: r.id, images: digests };
  }

  annotate(name: string, digests: string[], opts: AddOptions): ModifyReport {
    const r = this.row(name);
    const list = this.view(r);
    for (const d of digests) if (!list.manifests.some((e) => e.digest === d)) throw notFound(`annotating manifest list ${clip(name)}: no instance ${clip(d)} in the list`);
    const entries = list.manifests.map((e) => (digests.includes(e.digest) ? this.override(e, opts) : e));
    this.state.update(r.id, listDocument(entries), r.sources);
    return { id: r.id, images: digests };
  }

  delete(name: string): { id: string; names: string[] } {
    const r = this.row(name);
    this.state.delete(r.id);
    return { id: r.id, names: r.names };
  }

  push(name: string, opts: ManifestPushOptions): ManifestPushJob {
    const r = this.row(name);
    return pushList(this.images, this.view(r), r.sources, opts);
  }
}
