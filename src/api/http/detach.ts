// Detach keys of attach and exec streams: the spec a client sends, and the watch on its stdin.
import { badParameter } from '../../engine/errors.js';

/** The default detach sequence, ctrl-p ctrl-q; `ctrl-x,a` style specs as docker parses them. */
export function parseDetachKeys(spec: string | undefined): Buffer {
  if (spec === undefined || spec === '') return Buffer.from([16, 17]);
  const out: number[] = [];
  for (const part of spec.split(',')) {
    const k = part.trim().toLowerCase();
    if (k.length === 1) out.push(k.charCodeAt(0));
    else if (/^ctrl-[a-z@[\\\]^_]$/.test(k)) {
      const c = k[5];
      out.push(c >= 'a' && c <= 'z' ? c.charCodeAt(0) - 96 : { '@': 0, '[': 27, '\\': 28, ']': 29, '^': 30, _: 31 }[c]!);
    } else throw badParameter(`Invalid detach keys (${spec}) provided`);
  }
  return Buffer.from(out);
}

/**
 * Watches a client's stdin for the detach sequence (docker's default ctrl-p ctrl-q). Bytes that
 * could start the sequence are held back until it either completes (detach: they are dropped)
 * or breaks (they are passed on), as docker's escape proxy does.
 */
export class DetachScanner {
  private held: number[] = [];

  constructor(private readonly keys: Buffer) {}

  /** Returns the bytes to forward and whether the sequence completed. */
  feed(chunk: Buffer): { forward: Buffer; detach: boolean } {
    if (!this.keys.length) return { forward: chunk, detach: false };
    const out: number[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b === this.keys[this.held.length]) {
        this.held.push(b);
        if (this.held.length === this.keys.length) {
          this.held = [];
          return { forward: Buffer.from(out), detach: true };
        }
        continue;
      }
      if (this.held.length) {
        out.push(...this.held);
        this.held = [];
        if (b === this.keys[0]) {
          this.held.push(b);
          continue;
        }
      }
      out.push(b);
    }
    return { forward: out.length === chunk.length ? chunk : Buffer.from(out), detach: false };
  }

  /** Held bytes when stdin ends without completing the sequence. */
  flush(): Buffer {
    const b = Buffer.from(this.held);
    this.held = [];
    return b;
  }
}
