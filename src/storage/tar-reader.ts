// A streaming tar reader of our own rather than tar-stream's extractor: layer export needs the
// exact bytes of every header and padding block (so a re-assembled layer hashes to its diff ID),
// and untrusted input needs strict checks (checksums, truncation) with clear messages.

export type EntryType = 'file' | 'link' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo';

export interface TarHeader {
  /** As written in the archive (pax/GNU long names applied), not yet normalised. */
  name: string;
  type: EntryType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch, fractional when pax says so. */
  mtime: number;
  linkname: string;
  devmajor: number;
  devminor: number;
  uname: string;
  gname: string;
  xattrs: Record<string, Buffer>;
}

export class TarError extends Error {}

const BLOCK = 512;

/** Reads exact byte counts from an async iterable of chunks. */
export class ByteSource {
  private buf: Buffer = Buffer.alloc(0);
  private it: AsyncIterator<Buffer>;
  private done = false;
  /** Total bytes handed out so far. */
  offset = 0;

  constructor(src: AsyncIterable<Buffer | Uint8Array>) {
    this.it = (src as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  }

  private async fill(): Promise<boolean> {
    if (this.done) return false;
    const r = await this.it.next();
    if (r.done) {
      this.done = true;
      return false;
    }
    const c = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value as Uint8Array);
    this.buf = this.buf.length ? Buffer.concat([this.buf, c]) : c;
    return true;
  }

  /** Exactly n bytes, or fewer only at end of input. */
  async read(n: number): Promise<Buffer> {
    while (this.buf.length < n && (await this.fill()));
    const out = this.buf.subarray(0, Math.min(n, this.buf.length));
    this.buf = this.buf.subarray(out.length);
    this.offset += out.length;
    return out;
  }

  /** Up to n bytes (at least 1 unless at end), without waiting for more than one chunk. */
  async readSome(n: number): Promise<Buffer> {
    if (!this.buf.length) await this.fill();
    const out = this.buf.subarray(0, Math.min(n, this.buf.length));
    this.buf = this.buf.subarray(out.length);
    this.offset += out.length;
    return out;
  }

  async *rest(): AsyncGenerator<Buffer> {
    for (;;) {
      const c = await this.readSome(1 << 20);
      if (!c.length) return;
      yield c;
    }
  }
}

function cstr(b: Buffer, off: number, len: number): string {
  const s = b.subarray(off, off + len);
  const z = s.indexOf(0);
  return (z < 0 ? s : s.subarray(0, z)).toString('utf8');
}

/** Octal, or GNU base-256 when the top bit of the first byte is set. */
export function parseNumeric(b: Buffer, off: number, len: number): number {
  const f = b.subarray(off, off + len);
  if (f[0] & 0x80) {
    let v = 0;
    for (let i = 1; i < f.length; i++) v = v * 256 + f[i];
    return v + (f[0] & 0x7f) * 256 ** (f.length - 1);
  }
  const s = cstr(b, off, len).replace(/ /g, '');
  if (!s) return 0;
  if (!/^[0-7]+$/.test(s)) throw new TarError(`invalid numeric field ${JSON.stringify(s)} in tar header`);
  return parseInt(s, 8);
}

function checksumOk(h: Buffer): boolean {
  const stored = parseNumeric(h, 148, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const c = i >= 148 && i < 156 ? 32 : h[i];
    unsigned += c;
    signed += c > 127 ? c - 256 : c;
  }
  return stored === unsigned || stored === signed;
}

/** pax records: "%d %s=%s\n". */
export function parsePax(b: Buffer): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  let i = 0;
  while (i < b.length) {
    const sp = b.indexOf(0x20, i);
    if (sp < 0) break;
    const len = Number(b.subarray(i, sp).toString('ascii'));
    if (!Number.isInteger(len) || len <= 0 || i + len > b.length) throw new TarError('malformed pax header record');
    const rec = b.subarray(sp + 1, i + len - 1);
    const eq = rec.indexOf(0x3d);
    if (eq < 0) throw new TarError('malformed pax header record (no "=")');
    out[rec.subarray(0, eq).toString('utf8')] = rec.subarray(eq + 1);
    i += len;
  }
  return out;
}

const TYPES: Record<string, EntryType> = {
  '0': 'file', '\0': 'file', '7': 'file', '1': 'link', '2': 'symlink', '3': 'char', '4': 'block', '5': 'dir', '6': 'fifo',
};

/**
 * Iterates entries. `onRaw` receives every byte that is not an entry body, in order (headers,
 * pax and long-name records, padding, end-of-archive and trailing bytes).
 */
export class TarReader {
  private remaining = 0;
  private pad = 0;
  private globalPax: Record<string, Buffer> = {};
  private ended = false;

  /**
   * `lenientEnd`: an archive that stops inside the last entry's padding is taken as ended (the
   * docker CLI's `build -f -` context is written so); layers are read strictly.
   */
  constructor(private src: ByteSource, private onRaw: (b: Buffer) => void = () => {}, private lenientEnd = false) {}

  private async readRaw(n: number, what: string): Promise<Buffer> {
    const b = await this.src.read(n);
    if (b.length < n) throw new TarError(`unexpected end of tar archive while reading ${what} (truncated input)`);
    this.onRaw(b);
    return b;
  }

  /** The next entry header, or null at end of archive. Skips any body not read. */
  async next(): Promise<TarHeader | null> {
    if (this.ended) return null;
    for await (const _ of this.body()) void _;
    if (this.pad) {
      const b = await this.src.read(this.pad);
      this.onRaw(b);
      if (b.length < this.pad) {
        if (!this.lenientEnd) throw new TarError('unexpected end of tar archive while reading padding (truncated input)');
        this.ended = true;
        return null;
      }
    }
    this.pad = 0;
    let pax: Record<string, Buffer> = {};
    let longName: string | undefined;
    let longLink: string | undefined;
    for (;;) {
      const h = await this.src.read(BLOCK);
      if (h.length === 0) {
        // Some writers omit the end-of-archive blocks; a clean stop between entries is fine.
        this.ended = true;
        return null;
      }
      if (h.length < BLOCK) {
        this.onRaw(h);
        throw new TarError('unexpected end of tar archive inside a header (truncated input)');
      }
      this.onRaw(h);
      if (h.every((c) => c === 0)) {
        this.ended = true;
        for await (const c of this.src.rest()) this.onRaw(c);
        return null;
      }
      if (!checksumOk(h)) throw new TarError(`invalid tar header checksum at offset ${this.src.offset - BLOCK} (corrupt or not a tar archive)`);
      const flag = String.fromCharCode(h[156]);
      const size = parseNumeric(h, 124, 12);
      if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
        const data = await this.readRaw(size, 'an extended header');
        const p = (BLOCK - (size % BLOCK)) % BLOCK;
        if (p) await this.readRaw(p, 'padding');
        if (flag === 'x') pax = { ...pax, ...parsePax(data) };
        else if (flag === 'g') this.globalPax = { ...this.globalPax, ...parsePax(data) };
        else if (flag === 'L') longName = cstr(data, 0, data.length);
        else longLink = cstr(data, 0, data.length);
        continue;
      }
      const type = TYPES[flag];
      if (!type) throw new TarError(`unsupported tar entry type "${flag}" (${cstr(h, 0, 100)})`);
      const all = { ...this.globalPax, ...pax };
      const magic = h.subarray(257, 263).toString('latin1');
      const prefix = magic === 'ustar\0' ? cstr(h, 345, 155) : '';
      let name = longName ?? (prefix ? prefix + '/' + cstr(h, 0, 100) : cstr(h, 0, 100));
      if (all.path) name = all.path.toString('utf8');
      let linkname = longLink ?? cstr(h, 157, 100);
      if (all.linkpath) linkname = all.linkpath.toString('utf8');
      const num = (k: string, v: number) => (all[k] ? Number(all[k].toString('utf8')) : v);
      const xattrs: Record<string, Buffer> = {};
      for (const [k, v] of Object.entries(all)) if (k.startsWith('SCHILY.xattr.')) xattrs[k.slice(13)] = v;
      const hdr: TarHeader = {
        name,
        type: type === 'file' && name.endsWith('/') && flag !== '0' ? 'dir' : type,
        mode: parseNumeric(h, 100, 8) & 0o7777,
        uid: num('uid', parseNumeric(h, 108, 8)),
        gid: num('gid', parseNumeric(h, 116, 8)),
        size: num('size', size),
        mtime: num('mtime', parseNumeric(h, 136, 12)),
        linkname,
        devmajor: parseNumeric(h, 329, 8),
        devminor: parseNumeric(h, 337, 8),
        uname: all.uname?.toString('utf8') ?? cstr(h, 265, 32),
        gname: all.gname?.toString('utf8') ?? cstr(h, 297, 32),
        xattrs,
      };
      // Only regular files carry a body we hand out; any other entry's data is skipped raw.
      if (hdr.type === 'file') {
        this.remaining = hdr.size;
        this.pad = (BLOCK - (hdr.size % BLOCK)) % BLOCK;
      } else {
        if (hdr.size > 0) await this.readRaw(hdr.size + ((BLOCK - (hdr.size % BLOCK)) % BLOCK), 'entry data');
        hdr.size = 0;
      }
      return hdr;
    }
  }

  /** The current entry's content; not passed to onRaw. */
  async *body(): AsyncGenerator<Buffer> {
    while (this.remaining > 0) {
      const c = await this.src.readSome(Math.min(this.remaining, 1 << 20));
      if (!c.length) throw new TarError('unexpected end of tar archive inside file data (truncated input)');
      this.remaining -= c.length;
      yield c;
    }
  }
}
