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
  // Read by hand, not with for-await: an unpack that stops early must not destroy the body, which
  // is drained after a failure to tell a corrupt blob (digest) from a bad layer.
  const it = (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  let n = 0;
  let last = 0;
  const take = (c: Buffer) => {
    n += c.length;
    if (n > desc.size) throw new LayerDigestError(`filesystem layer verification failed for digest ${desc.digest}: more bytes than the manifest's ${desc.size}`);
    hash.update(c);
  };
  const check = () => {
    // A body cut by a timeout or a reset can end its iterator cleanly: the stream still knows why.
    if (n < desc.size && stream.errored) throw stream.errored;
    if (n < desc.size) throw new LayerDigestError(`filesystem layer verification failed for digest ${desc.digest}: the registry sent ${n} of ${desc.size} bytes`);
    const got = `sha256:${hash.digest('hex')}`;
    if (got !== desc.digest) throw new LayerDigestError(`filesystem layer verification failed for digest ${desc.digest} (the blob's content hashes to ${got})`);
  };
  let ended = false;
  async function* verified(): AsyncGenerator<Buffer> {
    for (;;) {
      const r = await it.next();
      if (r.done) break;
      take(r.value);
      const now = Date.now();
      if (now - last >= PROGRESS_EVERY_MS) {
        last = now;
        progress.downloading(n, desc.size);
      }
      yield r.value;
    }
    ended = true;
    check();
    progress.downloading(n, desc.size);
    progress.downloaded();
  }
  try {
    return await svc.layers.put(o.parent, verified(), o.diffId);
  } catch (e) {
    if (e instanceof LayerDigestError || ended) throw e;
    // The unpack failed first (gzip or tar errors from damaged bytes): the digest says whether the blob was damaged.
    try {
      for (;;) {
        const r = await it.next();
        if (r.done) break;
        take(r.value);
      }
      check();
    } catch (d) {
      if (d instanceof LayerDigestError) throw d;
    } finally {
      stream.destroy();
    }
    throw e;
  }
}
