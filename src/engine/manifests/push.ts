// Pushing a local manifest list: every instance first (local images through the image push,
// whose manifest then stands in the pushed list; instances found on a registry copied blob by
// blob — HEAD, a mount when it is the same registry, else streamed across), then the list.
import type { Readable } from 'node:stream';
import { drop, MEDIA, repoScope, RegistryError, type RegistryClient } from '../../registry/index.js';
import type { InstanceSource } from '../../state/manifest-lists.js';
import { sha256Digest } from '../../storage/digest.js';
import { parseReference, type Reference } from '../../lib/image-ref.js';
import { clip } from '../../lib/clip.js';
import { badParameter, notFound } from '../errors.js';
import { ImagePush } from '../images/push.js';
import { fromRegistryError } from '../images/registry-errors.js';
import { registryClient } from '../images/registry-access.js';
import type { ImageService } from '../images/service.js';
import type { ManifestFormat } from '../images/types.js';
import { listDocument } from './list-doc.js';
import type { ListEntry, ManifestList, ManifestPushEvent, ManifestPushJob, ManifestPushOptions } from './types.js';

export async function readStream(s: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of s as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > limit) {
      s.destroy();
      throw new Error(`blob larger than ${limit} bytes`);
    }
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

const formatOfType = (t: string): ManifestFormat => (t === MEDIA.dockerManifest ? 'docker' : 'oci');

/** Copies one blob between repositories: there already, mounted (same registry), or streamed. */
async function copyBlob(src: { client: RegistryClient; ref: Reference }, dst: { client: RegistryClient; ref: Reference }, digest: string, signal?: AbortSignal): Promise<void> {
  const scopes = [repoScope(dst.ref.path, ['pull', 'push'])];
  if ((await dst.client.blobSize(dst.ref.path, digest, scopes)) !== undefined) return;
  if (src.ref.domain === dst.ref.domain) {
    const q = new URLSearchParams({ mount: digest, from: src.ref.path });
    const a = await dst.client.request('POST', `/v2/${dst.ref.path}/blobs/uploads/?${q}`, { scopes: [...scopes, repoScope(src.ref.path, ['pull'])], signal });
    drop(a);
    if (a.status === 201) return;
  }
  const start = await dst.client.ok(await dst.client.request('POST', `/v2/${dst.ref.path}/blobs/uploads/`, { scopes, signal }), `starting the upload of ${digest}`);
  drop(start);
  const loc = String(start.headers.location ?? '');
  const { stream } = await src.client.blob(src.ref.path, digest, { signal });
  const patch = await dst.client.ok(await dst.client.request('PATCH', loc, { scopes, headers: { 'Content-Type': 'application/octet-stream' }, body: () => stream, signal }), `uploading ${digest}`);
  drop(patch);
  const next = String(patch.headers.location ?? loc);
  const put = await dst.client.ok(
    await dst.client.request('PUT', `${next}${next.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`, { scopes, body: Buffer.alloc(0), signal }),
    `uploading ${digest}`,
  );
  drop(put);
}

export function pushList(images: ImageService, list: ManifestList, sources: Record<string, InstanceSource>, o: ManifestPushOptions): ManifestPushJob {
  if (/^[a-z-]+:(?!\d)/.test(o.destination) && !o.destination.startsWith('docker://')) throw badParameter(`unsupported push destination ${clip(o.destination)}: only registries (docker://) are supported`);
  const dest = parseReference(o.destination.replace(/^docker:\/\//, ''));
  if (dest.digest) throw badParameter(`cannot push to a digest reference: ${clip(o.destination)}`);
  if (!list.manifests.length) throw badParameter(`manifest list ${list.names[0] ?? list.id.slice(0, 12)} has no instances to push`);
  for (const e of list.manifests) {
    const s = sources[e.digest];
    if (s?.image && !images.get(s.image)) throw notFound(`the image of instance ${e.digest} of the list is no longer here`);
  }
  const tag = dest.tag ?? 'latest';
  const repository = `${dest.domain}/${dest.path}`;
  return {
    repository,
    run: async (onEvent = () => {}, signal) => {
      try {
        const dst = { client: await registryClient(dest.domain, dest.path, { naming: 'registries-conf', auth: o.auth, tlsVerify: o.tlsVerify, timeouts: images.registryTimeouts }), ref: dest };
        const scopes = [repoScope(dest.path, ['pull', 'push'])];
        const pushed: ListEntry[] = [];
        for (const [i, e] of list.manifests.entries()) {
          onEvent({ type: 'instance', digest: e.digest, index: i + 1, count: list.manifests.length });
          const s = sources[e.digest] ?? {};
          if (o.all === false) {
            pushed.push(e);
            continue;
          }
          if (s.image) {
            const img = images.get(s.image)!;
            const format = o.format ?? formatOfType(e.mediaType);
            const r = await new ImagePush(images, dst.client, dest, { image: img }, format, (ev) => onEvent({ type: 'image', event: ev }), signal).run();
            pushed.push({ ...e, mediaType: r.mediaType, digest: r.digest, size: r.size });
            continue;
          }
          if (s.repo) {
            const src = parseReference(s.repo);
            const srcClient = await registryClient(src.domain, src.path, { naming: 'registries-conf', auth: o.auth, tlsVerify: o.tlsVerify, timeouts: images.registryTimeouts });
            const m = await srcClient.manifest(src.path, e.digest);
            const doc = JSON.parse(m.bytes.toString('utf8')) as { config: { digest: string }; layers: { digest: string }[] };
            for (const d of [doc.config.digest, ...doc.layers.map((l) => l.digest)]) await copyBlob({ client: srcClient, ref: src }, dst, d, signal);
            const put = await dst.client.ok(await dst.client.request('PUT', `/v2/${dest.path}/manifests/${e.digest}`, { scopes, headers: { 'Content-Type': m.mediaType }, body: m.bytes, signal }), `pushing instance ${e.digest}`);
            drop(put);
            pushed.push(e);
            continue;
          }
          // Of unknown origin: the destination must hold it already.
          if (!(await dst.client.manifestDigest(dest.path, e.digest))) throw new RegistryError('not-found', `instance ${e.digest} of the list is not here and not in ${repository}`);
          pushed.push(e);
        }
        const force = o.format ?? (pushed.every((e) => e.mediaType === MEDIA.dockerManifest) ? 'docker' : 'oci');
        const doc = listDocument(pushed, force);
        const mediaType = force === 'docker' ? MEDIA.dockerList : MEDIA.ociIndex;
        const put = await dst.client.ok(await dst.client.request('PUT', `/v2/${dest.path}/manifests/${tag}`, { scopes, headers: { 'Content-Type': mediaType }, body: doc, signal }), `pushing the manifest list ${repository}:${tag}`);
        drop(put);
        const digest = sha256Digest(doc);
        onEvent({ type: 'list', digest, tag });
        return { digest };
      } catch (e) {
        throw fromRegistryError(e);
      }
    },
  };
}
