// Images of random content for pulls that must take a while: one small gzip layer, then big
// uncompressed ones (random bytes do not compress, and a plain tar costs nothing to make).
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { sha256, type FixtureImage } from '../support/images.js';

export async function tarOf(files: Record<string, Buffer>): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c) => void chunks.push(c as Buffer));
  const done = new Promise<void>((r) => pack.on('end', () => r()));
  for (const [name, body] of Object.entries(files)) pack.entry({ name, mode: 0o644, mtime: new Date(1_700_000_000_000) }, body);
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** `bigMiB` per big layer, `count` big layers, plus one small gzip layer first. */
export async function bigImage(tag: string, bigMiB: number, count = 1): Promise<FixtureImage> {
  const small = await tarOf({ [`small-${tag}.txt`]: Buffer.from(`small layer of ${tag}\n`) });
  const layers = [{ blob: gzipSync(small), compression: 'gzip' as const, diffId: sha256(small) }];
  for (let i = 0; i < count; i++) {
    const t = await tarOf({ [`big-${tag}-${i}.bin`]: randomBytes(bigMiB << 20) });
    layers.push({ blob: t, compression: 'none' as const, diffId: sha256(t) } as never);
  }
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      created: '2024-01-01T00:00:00Z',
      config: { Cmd: ['sh'], Labels: { 'berth.test': tag } },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: layers.map((_, i) => ({ created: '2024-01-01T00:00:00Z', created_by: `layer ${i}` })),
    }),
  );
  return { id: sha256(config).slice(7), config, layers };
}
