import { createGunzip } from 'node:zlib';
import { Readable, Transform } from 'node:stream';
import { Decompress } from 'fzstd';

export type Compression = 'gzip' | 'zstd' | 'none';

/** By magic bytes, as docker and containers/image do: media types in archives are not trusted. */
export function detectCompression(head: Buffer): Compression | 'bzip2' | 'xz' {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  if (head.length >= 3 && head.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  return 'none';
}

function zstdTransform(): Transform {
  let pending: Buffer[] = [];
  const d = new Decompress((chunk) => pending.push(Buffer.from(chunk)));
  const flush = (t: Transform) => {
    for (const c of pending) t.push(c);
    pending = [];
  };
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      try {
        d.push(chunk);
        flush(this);
        cb();
      } catch (e) {
        cb(new Error(`zstd: ${(e as Error).message}`));
      }
    },
    final(cb) {
      try {
        d.push(new Uint8Array(0), true);
        flush(this);
        cb();
      } catch (e) {
        cb(new Error(`zstd: ${(e as Error).message}`));
      }
    },
  });
}

/** Peeks at the first bytes and returns the decompressed stream plus what was detected. */
export async function decompressed(src: AsyncIterable<Buffer>): Promise<{ stream: AsyncIterable<Buffer>; compression: Compression }> {
  const it = src[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let have = 0;
  let done = false;
  while (have < 6) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    head.push(r.value);
    have += r.value.length;
  }
  const first = Buffer.concat(head);
  const kind = detectCompression(first);
  if (kind === 'bzip2' || kind === 'xz') throw new Error(`unsupported layer compression: ${kind} (use gzip, zstd or none)`);
  async function* whole(): AsyncGenerator<Buffer> {
    if (first.length) yield first;
    if (done) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  if (kind === 'none') return { stream: whole(), compression: 'none' };
  // Large output chunks: every chunk costs each stage after (hash, tar reader, writes) a round trip.
  const t = kind === 'gzip' ? createGunzip({ chunkSize: 128 * 1024, readableHighWaterMark: 256 * 1024 } as object) : zstdTransform();
  // Two chunks ahead at most: the default (16 objects) held a megabyte per layer of a parallel pull.
  const input = Readable.from(whole(), { highWaterMark: 2 });
  input.on('error', (e) => t.destroy(e));
  return { stream: input.pipe(t), compression: kind };
}
