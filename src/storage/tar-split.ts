// A record of a layer tar minus its file contents (the idea of containers/storage's tar-split):
// headers and padding are kept verbatim, file bodies are read back from the unpacked layer, so
// an exported layer is byte-identical to the one imported and still matches its diff ID.
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createGzip, gunzipSync } from 'node:zlib';

export class SplitRecorder {
  private pending: Buffer[] = [];
  private gz = createGzip({ level: 1 });
  private out: WriteStream;
  private count = 0;
  private closed: Promise<void>;

  constructor(path: string) {
    this.out = createWriteStream(path, { mode: 0o600 });
    this.gz.pipe(this.out);
    this.closed = new Promise((resolve, reject) => {
      this.out.on('close', resolve);
      this.out.on('error', reject);
      this.gz.on('error', reject);
    });
  }

  raw(b: Buffer): void {
    this.pending.push(Buffer.from(b));
  }

  private flushRaw(): void {
    if (!this.pending.length) return;
    this.gz.write(`m ${Buffer.concat(this.pending).toString('base64')}\n`);
    this.pending = [];
  }

  /** A file body of `size` bytes that lives at `rel` in the unpacked layer; returns its index. */
  file(rel: string, size: number): number {
    this.flushRaw();
    this.gz.write(`f ${size} ${JSON.stringify(rel)}\n`);
    return this.count++;
  }

  /** The body of file record `index` as bytes, when the layer itself later overwrote it. */
  inline(index: number, data: Buffer): void {
    this.flushRaw();
    this.gz.write(`o ${index} ${data.toString('base64')}\n`);
  }

  async close(): Promise<void> {
    this.flushRaw();
    this.gz.end();
    await this.closed;
  }
}

/** Re-creates the layer tar from its split record and the unpacked files. */
export async function* assembleLayer(splitPath: string, diffDir: string): AsyncGenerator<Buffer> {
  const lines = gunzipSync(await readFile(splitPath)).toString('utf8').split('\n');
  const overrides = new Map<number, Buffer>();
  for (const l of lines) {
    if (l.startsWith('o ')) {
      const sp = l.indexOf(' ', 2);
      overrides.set(Number(l.slice(2, sp)), Buffer.from(l.slice(sp + 1), 'base64'));
    }
  }
  let index = 0;
  for (const l of lines) {
    if (l.startsWith('m ')) {
      yield Buffer.from(l.slice(2), 'base64');
    } else if (l.startsWith('f ')) {
      const sp = l.indexOf(' ', 2);
      const size = Number(l.slice(2, sp));
      const rel = JSON.parse(l.slice(sp + 1)) as string;
      const inline = overrides.get(index++);
      if (inline) {
        yield inline;
        continue;
      }
      let got = 0;
      for await (const c of createReadStream(join(diffDir, rel), { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
        const take = c.subarray(0, Math.max(0, size - got));
        got += take.length;
        if (take.length) yield take;
      }
      if (got !== size) throw new Error(`layer file ${rel} changed since it was unpacked (${got} of ${size} bytes)`);
    }
  }
}
