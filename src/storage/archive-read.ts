// Reading image archives: docker-archive (legacy manifest.json form and the OCI layout docker
// 25+ writes) and oci-archive. The archive is spooled to disk first because manifest.json often
// comes last, after the layers it describes.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { decompressed } from './compression.js';
import { hexOf, sha256Hex } from './digest.js';
import { ByteSource, TarReader } from './tar-reader.js';
import { safeEntryPath, UnsafeEntryError } from './tar-paths.js';

export class ArchiveError extends Error {}

export interface ArchiveLayer {
  /** Absolute path of the (possibly compressed) layer blob in the spool dir. */
  file: string;
  diffId: string;
}

export interface ArchiveImage {
  config: Buffer;
  layers: ArchiveLayer[];
  /** Names as the archive spells them (e.g. "busybox:latest" or "docker.io/library/x:1"). */
  names: string[];
  manifest?: Buffer;
  manifestDigest?: string;
}

/** Extracts regular files of an archive into `dir`; blobs/sha256/* are checked against their names. */
export class Spool {
  private links = new Map<string, string>();

  constructor(readonly dir: string) {}

  async fill(input: AsyncIterable<Buffer>): Promise<void> {
    const { stream } = await decompressed(input);
    const reader = new TarReader(new ByteSource(stream));
    for (let h = await reader.next(); h; h = await reader.next()) {
      const rel = safeEntryPath(h.name);
      if (!rel) continue;
      if (h.type === 'dir') continue;
      if (h.type === 'symlink' || h.type === 'link') {
        // docker save dedupes identical layers with links to another <id>/layer.tar.
        const target = h.type === 'symlink' ? posix.join(posix.dirname(rel), h.linkname) : h.linkname;
        this.links.set(rel, safeEntryPath(target, 'link target'));
        continue;
      }
      if (h.type !== 'file') throw new UnsafeEntryError(`unexpected ${h.type} entry ${JSON.stringify(h.name)} in image archive`);
      const abs = join(this.dir, rel);
      await mkdir(dirname(abs), { recursive: true });
      const fh = await open(abs, 'w', 0o600);
      const hash = /^blobs\/sha256\/[a-f0-9]{64}$/.test(rel) ? createHash('sha256') : undefined;
      try {
        for await (const c of reader.body()) {
          hash?.update(c);
          await fh.write(c);
        }
      } finally {
        await fh.close();
      }
      if (hash) {
        const got = hash.digest('hex');
        if (got !== rel.slice(13)) throw new ArchiveError(`blob ${rel} does not match its digest (content is sha256:${got})`);
      }
    }
  }

  /** A path inside the archive, following its internal links. */
  resolve(rel: string): string {
    let r = safeEntryPath(rel, 'archive path');
    for (let i = 0; i < 16 && this.links.has(r); i++) r = this.links.get(r)!;
    const abs = join(this.dir, r);
    if (!existsSync(abs)) throw new ArchiveError(`image archive lacks ${rel}`);
    return abs;
  }

  async json<T>(rel: string): Promise<T> {
    const buf = await readFile(this.resolve(rel));
    try {
      return JSON.parse(buf.toString('utf8')) as T;
    } catch {
      throw new ArchiveError(`${rel} in image archive is not valid JSON`);
    }
  }

  has(rel: string): boolean {
    try {
      this.resolve(rel);
      return true;
    } catch {
      return false;
    }
  }
}

interface DockerManifestEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

interface Descriptor {
  mediaType?: string;
  digest: string;
  size?: number;
  annotations?: Record<string, string>;
  platform?: { architecture?: string; os?: string };
}

function diffIdsOf(config: Buffer, where: string): string[] {
  let c: { rootfs?: { diff_ids?: string[] } };
  try {
    c = JSON.parse(config.toString('utf8'));
  } catch {
    throw new ArchiveError(`image config ${where} is not valid JSON`);
  }
  const ids = c.rootfs?.diff_ids;
  if (!Array.isArray(ids)) throw new ArchiveError(`image config ${where} has no rootfs.diff_ids`);
  for (const d of ids) if (!/^sha256:[a-f0-9]{64}$/.test(d)) throw new ArchiveError(`image config ${where}: invalid diff ID ${JSON.stringify(d)}`);
  return ids;
}

const blobPath = (digest: string) => `blobs/${digest.replace(':', '/')}`;

async function ociManifests(s: Spool, index: { manifests?: Descriptor[] }, depth = 0): Promise<{ desc: Descriptor; names: string[] }[]> {
  const out: { desc: Descriptor; names: string[] }[] = [];
  for (const d of index.manifests ?? []) {
    const names = [d.annotations?.['io.containerd.image.name'] ?? d.annotations?.['org.opencontainers.image.ref.name']].filter((x): x is string => !!x);
    if (/index|manifest\.list/.test(d.mediaType ?? '') && depth < 2) {
      const sub = await ociManifests(s, await s.json(blobPath(d.digest)), depth + 1);
      // A multi-platform index: keep linux/amd64 (or the first) under the index's names.
      const pick = sub.find((m) => m.desc.platform?.os === 'linux' && m.desc.platform?.architecture === 'amd64') ?? sub[0];
      if (pick) out.push({ desc: pick.desc, names: [...names, ...pick.names] });
    } else {
      out.push({ desc: d, names });
    }
  }
  return out;
}

/** The images an unpacked archive describes, merged by config when several names share one. */
export async function readArchive(s: Spool): Promise<ArchiveImage[]> {
  const images: ArchiveImage[] = [];
  const byConfig = new Map<string, ArchiveImage>();
  const add = (img: ArchiveImage) => {
    const key = sha256Hex(img.config);
    const prev = byConfig.get(key);
    if (prev) {
      for (const n of img.names) if (!prev.names.includes(n)) prev.names.push(n);
      prev.manifest ??= img.manifest;
      prev.manifestDigest ??= img.manifestDigest;
      return;
    }
    byConfig.set(key, img);
    images.push(img);
  };
  const ociIndex = s.has('index.json') ? await s.json<{ manifests?: Descriptor[] }>('index.json') : undefined;
  const ociByConfig = new Map<string, { manifest: Buffer; digest: string }>();
  if (ociIndex) {
    for (const { desc } of await ociManifests(s, ociIndex)) {
      const mbuf = await readFile(s.resolve(blobPath(desc.digest)));
      const m = JSON.parse(mbuf.toString('utf8')) as { config?: Descriptor };
      if (m.config?.digest) ociByConfig.set(hexOf(m.config.digest), { manifest: mbuf, digest: desc.digest });
    }
  }
  if (s.has('manifest.json')) {
    const entries = await s.json<DockerManifestEntry[]>('manifest.json');
    if (!Array.isArray(entries)) throw new ArchiveError('manifest.json in image archive is not a list');
    for (const e of entries) {
      if (typeof e.Config !== 'string' || !Array.isArray(e.Layers)) throw new ArchiveError('manifest.json entry lacks Config or Layers');
      const config = await readFile(s.resolve(e.Config));
      const diffIds = diffIdsOf(config, e.Config);
      if (diffIds.length !== e.Layers.length) {
        throw new ArchiveError(`image ${e.Config}: config lists ${diffIds.length} layers, manifest.json ${e.Layers.length}`);
      }
      const oci = ociByConfig.get(sha256Hex(config));
      add({
        config,
        layers: e.Layers.map((l, i) => ({ file: s.resolve(l), diffId: diffIds[i] })),
        names: (e.RepoTags ?? []).filter(Boolean),
        manifest: oci?.manifest,
        manifestDigest: oci?.digest,
      });
    }
    return images;
  }
  if (ociIndex) {
    for (const { desc, names } of await ociManifests(s, ociIndex)) {
      const mbuf = await readFile(s.resolve(blobPath(desc.digest)));
      const m = JSON.parse(mbuf.toString('utf8')) as { config?: Descriptor; layers?: Descriptor[] };
      if (!m.config?.digest || !Array.isArray(m.layers)) throw new ArchiveError(`manifest ${desc.digest} lacks config or layers`);
      const config = await readFile(s.resolve(blobPath(m.config.digest)));
      const diffIds = diffIdsOf(config, m.config.digest);
      if (diffIds.length !== m.layers.length) throw new ArchiveError(`manifest ${desc.digest}: config lists ${diffIds.length} layers, manifest ${m.layers.length}`);
      add({
        config,
        layers: m.layers.map((l, i) => ({ file: s.resolve(blobPath(l.digest)), diffId: diffIds[i] })),
        names,
        manifest: mbuf,
        manifestDigest: desc.digest,
      });
    }
    return images;
  }
  throw new ArchiveError('not an image archive: it has neither manifest.json (docker-archive) nor index.json (oci-archive)');
}
