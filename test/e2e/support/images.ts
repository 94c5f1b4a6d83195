// Fixture images (test/fixtures/build) as registry content, and their upload by raw HTTP through
// the OCI distribution API (blob upload POST + PUT, manifest PUT), multi-arch indexes included.
// The configs are the fixtures' own bytes, so an image pulled from the registry has the same ID
// as the fixture loaded from its archive (ids.json).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { buildFixtures, fixture } from '../../fixtures/index.js';
import type { Registry } from './registry.js';

export const MT = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerTar: 'application/vnd.docker.image.rootfs.diff.tar',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociTar: 'application/vnd.oci.image.layer.v1.tar',
  ociGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
} as const;

export const sha256 = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export type Compression = 'none' | 'gzip' | 'zstd';

export interface FixtureLayer {
  /** The blob as it goes to the registry. */
  blob: Buffer;
  compression: Compression;
  /** `sha256:` of the uncompressed tar (the config's diff_ids entry). */
  diffId: string;
}

export interface FixtureImage {
  /** Hex image ID: sha256 of the config bytes. */
  id: string;
  config: Buffer;
  layers: FixtureLayer[];
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
}

export interface Uploaded {
  digest: string;
  mediaType: string;
  size: number;
  manifest: Buffer;
  config: Descriptor;
  layers: Descriptor[];
}

function compressionOf(b: Buffer): Compression {
  if (b[0] === 0x1f && b[1] === 0x8b) return 'gzip';
  if (b.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

async function readTar(path: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const ex = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (h, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c) => chunks.push(c as Buffer));
      stream.on('end', () => {
        if (h.type === 'file') files.set(h.name, Buffer.concat(chunks));
        next();
      });
      stream.resume();
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  ex.end(readFileSync(path));
  await done;
  return files;
}

/**
 * An image from a docker-archive (legacy manifest.json) or OCI archive in the fixtures dir.
 * `compress: 'gzip'` (default) gzips the uncompressed layers, as a registry usually holds them;
 * `'keep'` sends every layer as the archive has it (the layered fixture has tar, gzip and zstd).
 */
export async function archiveImage(name: string, o: { compress?: 'gzip' | 'keep' } = {}): Promise<FixtureImage> {
  const files = await readTar(fixture(name));
  let configBytes: Buffer;
  let blobs: Buffer[];
  const legacy = files.get('manifest.json');
  if (legacy) {
    const m = JSON.parse(legacy.toString('utf8'))[0] as { Config: string; Layers: string[] };
    configBytes = files.get(m.Config)!;
    blobs = m.Layers.map((l) => files.get(l)!);
  } else {
    const index = JSON.parse(files.get('index.json')!.toString('utf8')) as { manifests: Descriptor[] };
    const blob = (d: string) => files.get(`blobs/sha256/${d.replace(/^sha256:/, '')}`)!;
    const m = JSON.parse(blob(index.manifests[0].digest).toString('utf8')) as { config: Descriptor; layers: Descriptor[] };
    configBytes = blob(m.config.digest);
    blobs = m.layers.map((l) => blob(l.digest));
  }
  const diffIds = (JSON.parse(configBytes.toString('utf8')) as { rootfs: { diff_ids: string[] } }).rootfs.diff_ids;
  const layers = blobs.map((b, i): FixtureLayer => {
    const c = compressionOf(b);
    if (c === 'none' && (o.compress ?? 'gzip') === 'gzip') return { blob: gzipSync(b, { level: 6 }), compression: 'gzip', diffId: diffIds[i] };
    return { blob: b, compression: c, diffId: diffIds[i] };
  });
  return { id: sha256(configBytes).slice(7), config: configBytes, layers };
}

/** The fixture images by name: busybox (one layer), extra (busybox + one), layered (3 layers). */
export async function fixtureImage(name: 'busybox' | 'extra' | 'layered', o: { compress?: 'gzip' | 'keep' } = {}): Promise<FixtureImage> {
  await buildFixtures();
  const file = { busybox: 'busybox-oci.tar', extra: 'extra-legacy.tar', layered: 'layered-oci-archive.tar' }[name];
  return archiveImage(file, o);
}

/** The same image for another platform: its config names that platform (so its ID differs); layers are shared. */
export function platformVariant(img: FixtureImage, p: Platform): FixtureImage {
  const cfg = JSON.parse(img.config.toString('utf8')) as Record<string, unknown>;
  cfg.architecture = p.architecture;
  cfg.os = p.os;
  if (p.variant) cfg.variant = p.variant;
  else delete cfg.variant;
  const config = Buffer.from(JSON.stringify(cfg));
  return { id: sha256(config).slice(7), config, layers: img.layers };
}

function layerMediaType(c: Compression, format: 'docker' | 'oci'): string {
  if (format === 'oci') return { none: MT.ociTar, gzip: MT.ociGzip, zstd: MT.ociZstd }[c];
  if (c === 'zstd') throw new Error('a docker schema 2 manifest cannot carry a zstd layer: use format oci');
  return c === 'gzip' ? MT.dockerGzip : MT.dockerTar;
}

async function expectStatus(what: string, r: { status: number; body: Buffer }, ok: number[]): Promise<void> {
  if (!ok.includes(r.status)) throw new Error(`${what}: HTTP ${r.status} ${r.body.toString('utf8').slice(0, 500)}`);
}

/** Uploads a blob unless the repository has it: POST an upload, PUT its bytes with the digest. */
export async function uploadBlob(reg: Registry, repo: string, blob: Buffer): Promise<Descriptor & { existed: boolean }> {
  const digest = sha256(blob);
  const head = await reg.request('HEAD', `/v2/${repo}/blobs/${digest}`);
  if (head.status === 200) return { mediaType: '', digest, size: blob.length, existed: true };
  const start = await reg.request('POST', `/v2/${repo}/blobs/uploads/`);
  await expectStatus(`start upload to ${repo}`, start, [202]);
  const loc = new URL(String(start.headers.location), reg.url);
  loc.searchParams.set('digest', digest);
  const put = await reg.request('PUT', loc.toString(), { body: blob, headers: { 'Content-Type': 'application/octet-stream' } });
  await expectStatus(`upload ${digest} to ${repo}`, put, [201]);
  return { mediaType: '', digest, size: blob.length, existed: false };
}

export async function putManifest(reg: Registry, repo: string, ref: string, mediaType: string, body: Buffer): Promise<string> {
  const r = await reg.request('PUT', `/v2/${repo}/manifests/${ref}`, { body, headers: { 'Content-Type': mediaType } });
  await expectStatus(`put manifest ${repo}:${ref}`, r, [201]);
  return String(r.headers['docker-content-digest'] ?? sha256(body));
}

/** Uploads an image (config, layers, manifest) as `repo:ref`; ref may be a tag or its digest. */
export async function uploadImage(reg: Registry, repo: string, ref: string | null, img: FixtureImage, o: { format?: 'docker' | 'oci' } = {}): Promise<Uploaded> {
  const format = o.format ?? (img.layers.some((l) => l.compression === 'zstd') ? 'oci' : 'docker');
  const layers: Descriptor[] = [];
  for (const l of img.layers) {
    const d = await uploadBlob(reg, repo, l.blob);
    layers.push({ mediaType: layerMediaType(l.compression, format), digest: d.digest, size: d.size });
  }
  const c = await uploadBlob(reg, repo, img.config);
  const config: Descriptor = { mediaType: format === 'oci' ? MT.ociConfig : MT.dockerConfig, digest: c.digest, size: c.size };
  const mediaType = format === 'oci' ? MT.ociManifest : MT.dockerManifest;
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, config, layers }, null, 3));
  const digest = sha256(manifest);
  await putManifest(reg, repo, ref ?? digest, mediaType, manifest);
  return { digest, mediaType, size: manifest.length, manifest, config, layers };
}

/**
 * A multi-arch index (OCI index or docker manifest list) as `repo:tag`: each image is uploaded
 * by digest, then the index naming them with their platforms.
 */
export async function uploadIndex(
  reg: Registry,
  repo: string,
  tag: string,
  entries: { image: FixtureImage; platform: Platform }[],
  o: { format?: 'docker' | 'oci' } = {},
): Promise<{ digest: string; mediaType: string; index: Buffer; manifests: (Uploaded & { platform: Platform })[] }> {
  const format = o.format ?? 'oci';
  const manifests: (Uploaded & { platform: Platform })[] = [];
  for (const e of entries) manifests.push({ ...(await uploadImage(reg, repo, null, e.image, { format })), platform: e.platform });
  const mediaType = format === 'oci' ? MT.ociIndex : MT.dockerList;
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType,
      manifests: manifests.map((m) => ({ mediaType: m.mediaType, digest: m.digest, size: m.size, platform: m.platform })),
    }),
  );
  await putManifest(reg, repo, tag, mediaType, index);
  return { digest: sha256(index), mediaType, index, manifests };
}

const ACCEPT = [MT.ociIndex, MT.dockerList, MT.ociManifest, MT.dockerManifest].join(', ');

/** What the registry holds under `repo:ref` (null when it answers 404). */
export async function getManifest(reg: Registry, repo: string, ref: string): Promise<{ digest: string; mediaType: string; body: Buffer; json: any } | null> {
  const r = await reg.request('GET', `/v2/${repo}/manifests/${ref}`, { headers: { Accept: ACCEPT } });
  if (r.status === 404) return null;
  await expectStatus(`get manifest ${repo}:${ref}`, r, [200]);
  return { digest: String(r.headers['docker-content-digest']), mediaType: String(r.headers['content-type']), body: r.body, json: JSON.parse(r.body.toString('utf8')) };
}

export async function blobExists(reg: Registry, repo: string, digest: string): Promise<boolean> {
  return (await reg.request('HEAD', `/v2/${repo}/blobs/${digest}`)).status === 200;
}

export async function getBlob(reg: Registry, repo: string, digest: string): Promise<Buffer> {
  const r = await reg.request('GET', `/v2/${repo}/blobs/${digest}`);
  await expectStatus(`get blob ${repo}@${digest}`, r, [200]);
  return r.body;
}

export async function listTags(reg: Registry, repo: string): Promise<string[]> {
  const r = await reg.request('GET', `/v2/${repo}/tags/list`);
  if (r.status === 404) return [];
  await expectStatus(`tags of ${repo}`, r, [200]);
  return (JSON.parse(r.body.toString('utf8')).tags as string[] | null) ?? [];
}

export async function catalog(reg: Registry): Promise<string[]> {
  const r = await reg.request('GET', '/v2/_catalog');
  await expectStatus('catalog', r, [200]);
  return JSON.parse(r.body.toString('utf8')).repositories as string[];
}
