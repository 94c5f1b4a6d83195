// One layer of a pull: the blob streamed once from the registry through its digest check,
// decompression and unpacking into the layer store (storage/layers.ts `put`, which unpacks into
// a scratch dir and moves it into place only when whole). Nothing of the compressed blob is
// written: a bad digest, a truncated body or a broken connection fails inside the unpack, and
// the scratch dir goes.
import { createHash } from 'node:crypto';
import type { LayerRow } from '../../state/images.js';
import { LayerDigestError } from '../../storage/unpack.js';
import type { RegistryClient } from '../../registry/index.js';
import type { Descriptor } from './manifest-doc.js';
import type { ImageService } from './service.js';

export interface LayerProgress {
  downloading(current: number, total: number): void;
  /** The last byte arrived and matched the digest; unpacking finishes next. */
  downloaded(): void;
}

/** At most this often per layer: a fast local pull would otherwise send thousands of lines. */
const PROGRESS_EVERY_MS = 100;

export async function pullLayer(
  svc: ImageService,
  o: { client: RegistryClient; path: string; desc: Descriptor; parent: string | null; diffId: string; signal: AbortSignal; progress: LayerProgress },
): Promise<LayerRow> {
  const { desc, progress } = o;
  const { stream } = await o.client.blob(o.path, desc.digest, { signal: o.signal });
  const hash = createHash('sha256');
  let n = 0;
  let last = 0;
  async function* verified(): AsyncGenerator<Buffer> {
    try {
      for await (const c of stream as AsyncIterable<Buffer>) {
        n += c.length;
        if (n > desc.size) throw new LayerDigestError(`filesystem layer verification failed for digest ${desc.digest}: more bytes than the manifest's ${desc.size}`);
        hash.update(c);
        const now = Date.now();
        if (now - last >= PROGRESS_EVERY_MS) {
          last = now;
          progress.downloading(n, desc.size);
        }
        yield c;
      }
    } finally {
      // The unpack stopped reading (a bad tar): the connection must not stay open.
      if (n < desc.size) stream.destroy();
    }
    if (n < desc.size) throw new LayerDigestError(`filesystem layer verification failed for digest ${desc.digest}: the registry sent ${n} of ${desc.size} bytes`);
    const got = `sha256:${hash.digest('hex')}`;
    if (got !== desc.digest) throw new LayerDigestError(`filesystem layer verification failed for digest ${desc.digest} (the blob's content hashes to ${got})`);
    progress.downloading(n, desc.size);
    progress.downloaded();
  }
  return svc.layers.put(o.parent, verified(), o.diffId);
}
