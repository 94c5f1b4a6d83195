// Writing image archives. The docker-archive is the form docker 25+ writes (an OCI layout plus
// manifest.json and repositories), which docker of any age, podman and berth all load.
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import tar from 'tar-stream';
import { sha256Hex } from './digest.js';

export interface ExportLayer {
  diffId: string;
  tarSize: number;
  open: () => AsyncIterable<Buffer>;
}

export interface ExportImage {
  config: Buffer;
  layers: ExportLayer[];
  /** Full names, e.g. docker.io/library/busybox:latest. */
  names: string[];
  /** How the name is written in manifest.json / repositories (familiar for docker). */
  display: (name: string) => string;
}

export type ArchiveFormat = 'docker-archive' | 'oci-archive';

const EPOCH = new Date(0);

function manifestFor(img: ExportImage): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${sha256Hex(img.config)}`, size: img.config.length },
      layers: img.layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: l.diffId, size: l.tarSize })),
    }),
  );
}

/** Streams the archive of `images` into `out` (which the caller ends on error). */
export async function writeArchive(images: ExportImage[], format: ArchiveFormat, out: Writable): Promise<void> {
  const pack = tar.pack();
  pack.pipe(out);
  const written = new Set<string>();
  const dir = async (name: string) => {
    pack.entry({ name, type: 'directory', mode: 0o755, mtime: EPOCH });
  };
  const file = async (name: string, data: Buffer) => {
    pack.entry({ name, mode: 0o644, mtime: EPOCH }, data);
    if (out.writableNeedDrain) await once(out, 'drain');
  };
  const blob = async (hex: string, size: number, body: Buffer | (() => AsyncIterable<Buffer>)) => {
    if (written.has(hex)) return;
    written.add(hex);
    if (Buffer.isBuffer(body)) return file(`blobs/sha256/${hex}`, body);
    const entry = pack.entry({ name: `blobs/sha256/${hex}`, size, mode: 0o644, mtime: EPOCH });
    const done = new Promise<void>((resolve, reject) => {
      entry.on('finish', resolve);
      entry.on('error', reject);
    });
    for await (const c of body()) {
      if (!entry.write(c)) await once(entry, 'drain');
      if (out.writableNeedDrain) await once(out, 'drain');
    }
    (entry as unknown as { end(): void }).end();
    await done;
  };
  await dir('blobs/');
  await dir('blobs/sha256/');
  const index: object[] = [];
  const dockerManifest: object[] = [];
  const repositories: Record<string, Record<string, string>> = {};
  for (const img of images) {
    const cfgHex = sha256Hex(img.config);
    for (const l of img.layers) await blob(l.diffId.slice(7), l.tarSize, l.open);
    await blob(cfgHex, img.config.length, img.config);
    const manifest = manifestFor(img);
    const mHex = sha256Hex(manifest);
    await blob(mHex, manifest.length, manifest);
    const desc = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${mHex}`, size: manifest.length };
    if (!img.names.length) index.push(desc);
    for (const n of img.names) {
      const tag = n.slice(n.lastIndexOf(':') + 1);
      // podman reads ref.name as the full name in oci-archives; docker-archive follows containerd.
      const annotations =
        format === 'oci-archive'
          ? { 'org.opencontainers.image.ref.name': n }
          : { 'io.containerd.image.name': n, 'org.opencontainers.image.ref.name': tag };
      index.push({ ...desc, annotations });
    }
    const topLayer = img.layers.at(-1)?.diffId.slice(7) ?? cfgHex;
    dockerManifest.push({
      Config: `blobs/sha256/${cfgHex}`,
      RepoTags: img.names.length ? img.names.map(img.display) : null,
      Layers: img.layers.map((l) => `blobs/sha256/${l.diffId.slice(7)}`),
    });
    for (const n of img.names.map(img.display)) {
      const c = n.lastIndexOf(':');
      (repositories[n.slice(0, c)] ??= {})[n.slice(c + 1)] = topLayer;
    }
  }
  await file('index.json', Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: index })));
  await file('oci-layout', Buffer.from('{"imageLayoutVersion":"1.0.0"}'));
  if (format === 'docker-archive') {
    await file('manifest.json', Buffer.from(JSON.stringify(dockerManifest)));
    if (Object.keys(repositories).length) await file('repositories', Buffer.from(JSON.stringify(repositories)));
  }
  pack.finalize();
  await once(pack, 'end');
}
