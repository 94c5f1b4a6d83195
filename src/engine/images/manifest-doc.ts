// Manifests as the distribution spec and docker define them, checked before anything is
// downloaded: an index (choose a platform), or an image (config plus layers). Pure.
import { badParameter, notFound } from '../errors.js';
import { MEDIA } from '../../registry/index.js';
import type { IndexEntry } from './platform.js';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
}

export type ManifestDoc = { kind: 'index'; manifests: IndexEntry[] } | { kind: 'image'; config: Descriptor; layers: Descriptor[] };

const CONFIG_TYPES = new Set(['application/vnd.docker.container.image.v1+json', 'application/vnd.oci.image.config.v1+json']);
const LAYER_TYPES = new Set([
  'application/vnd.docker.image.rootfs.diff.tar.gzip',
  'application/vnd.docker.image.rootfs.diff.tar',
  'application/vnd.oci.image.layer.v1.tar',
  'application/vnd.oci.image.layer.v1.tar+gzip',
  'application/vnd.oci.image.layer.v1.tar+zstd',
  'application/vnd.oci.image.layer.nondistributable.v1.tar',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
]);
const DIGEST = /^sha256:[a-f0-9]{64}$/;

function descriptor(d: unknown, what: string, name: string): Descriptor {
  const x = d as Partial<Descriptor> | null;
  if (!x || typeof x.digest !== 'string' || !DIGEST.test(x.digest)) throw badParameter(`manifest of ${name}: ${what} has no valid sha256 digest`);
  if (typeof x.size !== 'number' || !Number.isSafeInteger(x.size) || x.size < 0) throw badParameter(`manifest of ${name}: ${what} has no valid size`);
  return { mediaType: String(x.mediaType ?? ''), digest: x.digest, size: x.size, urls: x.urls };
}

export function parseManifestDoc(mediaType: string, bytes: Buffer, name: string): ManifestDoc {
  if (mediaType === MEDIA.dockerSchema1 || mediaType === MEDIA.dockerSchema1Signed) {
    throw badParameter(`${name}: Docker Image manifest version 2, schema 1 is not supported (it is deprecated and carries no image config); push the image again with a current docker or podman to get a schema 2 or OCI manifest`);
  }
  let doc: { schemaVersion?: number; manifests?: unknown; config?: unknown; layers?: unknown };
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw badParameter(`manifest of ${name} is not JSON`);
  }
  if (mediaType === MEDIA.ociIndex || mediaType === MEDIA.dockerList || (Array.isArray(doc.manifests) && !doc.config)) {
    if (!Array.isArray(doc.manifests)) throw badParameter(`manifest list of ${name} has no manifests`);
    return { kind: 'index', manifests: doc.manifests.map((m, i) => ({ ...(m as IndexEntry), ...descriptor(m, `entry ${i}`, name) })) };
  }
  if (mediaType !== MEDIA.ociManifest && mediaType !== MEDIA.dockerManifest) throw badParameter(`${name}: unsupported manifest type "${mediaType.slice(0, 100)}"`);
  const config = descriptor(doc.config, 'its config', name);
  if (config.mediaType && !CONFIG_TYPES.has(config.mediaType)) {
    throw notFound(`${name} is not a container image (its config is ${config.mediaType.slice(0, 100)})`);
  }
  if (!Array.isArray(doc.layers)) throw badParameter(`manifest of ${name} has no layers list`);
  const layers = doc.layers.map((l, i) => {
    const d = descriptor(l, `layer ${i}`, name);
    if (d.mediaType && !LAYER_TYPES.has(d.mediaType)) throw badParameter(`${name}: layer ${i} has unsupported media type "${d.mediaType.slice(0, 100)}"`);
    return d;
  });
  return { kind: 'image', config, layers };
}
