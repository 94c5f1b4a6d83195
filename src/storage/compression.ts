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
  if (kind === 'zstd') {
    // fzstd keeps views of its input between pushes: it gets chunks of its own, never reused blocks.
    const z = zstdTransform();
    // Two chunks ahead at most: the default (16 objects) held a megabyte per layer of a parallel pull.
    const input = Readable.from(whole(), { highWaterMark: 2 });
    input.on('error', (e) => z.destroy(e));
    return { stream: input.pipe(z), compression: kind };
  }
  const t = createGunzip({ chunkSize: 128 * 1024, readableHighWaterMark: 256 * 1024 } as object);
  feed(whole(), t).then(
    () => {
      if (!t.destroyed) t.end();
    },
    (e: Error) => t.destroy(e),
  );
  return { stream: t, compression: kind };
}

/**
 * Compressed bytes go to zlib in blocks of this size. Each write is a thread-pool job, whose
 * hand-off (a futex wake-up, here in a VM) cost the event loop more than the inflating itself
 * costs the pool when every 64 KiB socket read was its own job.
 */
const INPUT_BLOCK = 512 * 1024;
/** One block with zlib, one filling: nothing more is read ahead while both are taken. */
const INPUT_BLOCKS = 2;

/**
 * Copies `src` into `t` in INPUT_BLOCK blocks, each reused once `t` has consumed it (its write
 * callback: zlib has then read all of the block), so the copy allocates nothing per chunk. Stops
 * reading when `t` is destroyed (the consumer gave up), leaving the rest of `src` to the caller.
 */
async function feed(src: AsyncIterable<Buffer>, t: Transform): Promise<void> {
  const free: Buffer[] = [];
  let made = 0;
  let block: Buffer | undefined;
  let used = 0;
  let wake: (() => void) | undefined;
  // A destroyed stream may not call back for the block it held: its close wakes a waiting take.
  t.once('close', () => wake?.());
  const send = () => {
    const b = block!.subarray(0, used);
    const whole = block!;
    block = undefined;
    used = 0;
    if (t.destroyed) return;
    t.write(b, () => {
      free.push(whole);
      wake?.();
    });
  };
  const take = async (): Promise<Buffer | undefined> => {
    while (!free.length && made >= INPUT_BLOCKS) {
      if (t.destroyed) return undefined;
      await new Promise<void>((r) => (wake = r));
      wake = undefined;
    }
    if (free.length) return free.pop()!;
    made++;
    return Buffer.allocUnsafeSlow(INPUT_BLOCK);
  };
  for await (const c of src) {
    let off = 0;
    while (off < c.length) {
      if (t.destroyed) return;
      if (!block) {
        block = await take();
        if (!block) return;
      }
      const n = c.copy(block, used, off);
      used += n;
      off += n;
      if (used === block.length) send();
    }
  }
  if (block && used && !t.destroyed) send();
}
