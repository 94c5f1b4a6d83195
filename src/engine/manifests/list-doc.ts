// The list document a manifest list is stored and pushed as. Pure.
import { MEDIA } from '../../registry/index.js';
import type { ListEntry } from './types.js';

/** A docker manifest list while every instance is a docker manifest, else an OCI index. */
export function listDocument(entries: ListEntry[], force?: 'docker' | 'oci'): Buffer {
  const docker = force ? force === 'docker' : entries.every((e) => e.mediaType === MEDIA.dockerManifest);
  const mediaType = docker ? MEDIA.dockerList : MEDIA.ociIndex;
  return Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, manifests: entries }, null, 4));
}
