// The JSON of container list entries, kept between lists. Shaping and stringifying a thousand
// entries was most of a `GET /containers/json` (measured: ~8 of ~12 ms of CPU per list of 1,000);
// an entry depends only on the view and network state it was shaped from (and what `deps` adds),
// which the engine hands out as the same objects while they are unchanged
// (engine/containers/lookups.ts, engine/networks/attachments.ts). Keyed weakly by the view, so
// the texts go with the views the engine drops.
//
// Kept as UTF-8 bytes and put together with one copy: joining the texts as strings, then
// measuring and encoding the joined string for the socket took 2.5 of the remaining 5 ms.
import type { ContainerView } from '../../engine/containers/types.js';

interface Kept<T> {
  a: unknown;
  b: unknown;
  c: unknown;
  value: T;
}

/** Up to three more things an entry is shaped from besides its view, compared with ===. */
export class EntryTexts<T, A = unknown, B = unknown, C = unknown> {
  private kept = new WeakMap<ContainerView, Kept<T>>();

  constructor(private readonly make: (v: ContainerView, a: A, b: B, c: C) => T) {}

  /** What `make` gave for `v` from the same a, b and c, else `make`'s answer now. */
  get(v: ContainerView, a: A, b: B, c: C): T {
    const k = this.kept.get(v);
    if (k && k.a === a && k.b === b && k.c === c) return k.value;
    const value = this.make(v, a, b, c);
    this.kept.set(v, { a, b, c, value });
    return value;
  }
}

export const utf8 = (s: string) => Buffer.from(s, 'utf8');

const OPEN = utf8('[');
const COMMA = utf8(',');
const CLOSE = utf8(']');

/** A JSON array from its entries' bytes: the bytes JSON.stringify gives for the entries. */
export class JsonArray {
  private parts: Buffer[] = [OPEN];
  private texts = new Map<string, Buffer>();

  /** The next entry, in one or more parts. */
  entry(...parts: Buffer[]): void {
    if (this.parts.length > 1) this.parts.push(COMMA);
    for (const p of parts) this.parts.push(p);
  }

  /** The bytes of `text(key)`, made once per array (list entries share few Status texts). */
  text(key: string, text: (key: string) => string): Buffer {
    let b = this.texts.get(key);
    if (!b) this.texts.set(key, (b = utf8(text(key))));
    return b;
  }

  bytes(): Buffer {
    this.parts.push(CLOSE);
    return Buffer.concat(this.parts);
  }
}
