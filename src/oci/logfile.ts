import { open, watch } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';

/**
 * conmon's k8s-file format: `<RFC3339Nano with offset> <stdout|stderr> <F|P> <text>\n`;
 * P marks a partial line whose continuation follows in the next record.
 *
 * Logs can be hundreds of megabytes: they are read in fixed chunks (memory stays flat), `tail`
 * seeks back from the end instead of parsing everything, timestamps are parsed only when a
 * caller asks for them, and lines are handed out in batches so a reader writes big frames.
 */
export interface LogRecord {
  /** Nanoseconds since the epoch. */
  timeNs: bigint;
  stream: 'stdout' | 'stderr';
  partial: boolean;
  text: Buffer;
}

export function parseTimestamp(ts: string): bigint | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(ts);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms)) return undefined;
  return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

export function parseLine(line: Buffer): LogRecord | undefined {
  const r = splitRecord(line, 0, line.length);
  if (!r) return undefined;
  const timeNs = parseTimestamp(r.ts);
  if (timeNs === undefined) return undefined;
  return { timeNs, stream: r.stream, partial: r.partial, text: line.subarray(r.textStart, line.length) };
}

interface RawRecord {
  ts: string;
  stream: 'stdout' | 'stderr';
  partial: boolean;
  textStart: number;
}

const SP = 0x20;
const NL = 0x0a;
const P = 0x50;

/** Splits the record in buf[start, end) (no newline) without copying its text. */
function splitRecord(buf: Buffer, start: number, end: number): RawRecord | undefined {
  const s1 = buf.indexOf(SP, start);
  if (s1 < 0 || s1 >= end) return undefined;
  const s2 = buf.indexOf(SP, s1 + 1);
  if (s2 < 0 || s2 >= end) return undefined;
  let stream: 'stdout' | 'stderr';
  if (s2 - s1 === 7 && buf[s1 + 4] === 0x6f) stream = 'stdout';
  else if (s2 - s1 === 7 && buf[s1 + 4] === 0x65) stream = 'stderr';
  else return undefined;
  let s3 = buf.indexOf(SP, s2 + 1);
  if (s3 < 0 || s3 > end) s3 = end;
  // The tag is `F`, `P`, or colon-separated flags such as `P:x`.
  let partial = false;
  for (let i = s2 + 1; i < s3; i++) if (buf[i] === P && (i === s2 + 1 || buf[i - 1] === 0x3a)) partial = true;
  return { ts: buf.toString('latin1', start, s1), stream, partial, textStart: Math.min(s3 + 1, end) };
}

export function formatTimestamp(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const iso = new Date(ms).toISOString().slice(0, 19);
  return `${iso}.${String(ns % 1_000_000_000n).padStart(9, '0')}Z`;
}

export interface ReadOptions {
  sinceNs?: bigint;
  untilNs?: bigint;
  /** Last N full lines (negative/undefined = all). */
  tail?: number;
  follow?: boolean;
  /** Polled while following: true once the container stopped writing for good. */
  finished?: () => boolean;
  signal?: AbortSignal;
}

/** A log entry as clients see it: partial records joined into one line ending in `\n`. */
export class LogLine {
  private ns: bigint | undefined;
  constructor(
    private readonly ts: string,
    readonly stream: 'stdout' | 'stderr',
    readonly data: Buffer,
  ) {}

  /** Parsed on demand: only since/until and `timestamps` need it. */
  get timeNs(): bigint {
    return (this.ns ??= parseTimestamp(this.ts) ?? 0n);
  }

  /** RFC 3339 in UTC with nanoseconds, as docker prints them; conmon's UTC stamps need no parsing. */
  stamp(): string {
    const t = this.ts;
    if (t.length === 35 && t.endsWith('+00:00') && t[19] === '.') return t.slice(0, 29) + 'Z';
    return formatTimestamp(this.timeNs);
  }
}

const CHUNK = 1 << 20;

/** Turns chunks of the file into whole lines, carrying partial records and split lines over. */
class LineParser {
  private rest: Buffer = Buffer.alloc(0);
  private carry: { stdout: Buffer[]; stderr: Buffer[]; ts: { stdout?: string; stderr?: string } } = { stdout: [], stderr: [], ts: {} };

  push(chunk: Buffer): LogLine[] {
    const data = this.rest.length ? Buffer.concat([this.rest, chunk]) : chunk;
    const out: LogLine[] = [];
    let start = 0;
    for (let nl = data.indexOf(NL); nl >= 0; nl = data.indexOf(NL, start)) {
      const r = splitRecord(data, start, nl);
      if (r) {
        const parts = this.carry[r.stream];
        if (r.partial) {
          if (!parts.length) this.carry.ts[r.stream] = r.ts;
          parts.push(Buffer.from(data.subarray(r.textStart, nl)));
        } else if (parts.length) {
          out.push(new LogLine(this.carry.ts[r.stream]!, r.stream, Buffer.concat([...parts, data.subarray(r.textStart, nl + 1)])));
          parts.length = 0;
        } else {
          // The text and its newline, straight out of the chunk: no copy per line.
          out.push(new LogLine(r.ts, r.stream, data.subarray(r.textStart, nl + 1)));
        }
      }
      start = nl + 1;
    }
    this.rest = start < data.length ? Buffer.from(data.subarray(start)) : Buffer.alloc(0);
    return out;
  }
}

/**
 * An offset from which parsing forward yields (at least) the last `n` whole lines, found by
 * reading backwards from the end. A line's partial records may sit before records of the other
 * stream, so besides the n full records the scan goes back to the previous full record of each
 * stream involved: nothing of a counted line lies before that.
 */
async function tailOffset(fh: FileHandle, size: number, n: number): Promise<number> {
  if (n <= 0) return size;
  let found = 0;
  const open = new Set<'stdout' | 'stderr'>();
  const visit = (r: RawRecord | undefined): boolean => {
    if (!r) return false;
    if (found < n) {
      if (!r.partial) {
        found++;
        open.add(r.stream);
      }
      return false;
    }
    if (!r.partial) open.delete(r.stream);
    return open.size === 0;
  };
  const buf = Buffer.alloc(Math.min(CHUNK, size));
  let pos = size;
  let lastNl = -1;
  while (pos > 0) {
    const len = Math.min(buf.length, pos);
    pos -= len;
    const { bytesRead } = await fh.read(buf, 0, len, pos);
    for (let i = bytesRead - 1; i >= 0; i--) {
      if (buf[i] !== NL) continue;
      const abs = pos + i;
      // The record between this newline and the next one; its head is usually in the buffer,
      // only a record cut by the chunk boundary needs another read.
      if (lastNl >= 0) {
        const end = lastNl - pos;
        const r = end <= bytesRead || bytesRead - (i + 1) >= 64 ? splitRecord(buf, i + 1, Math.min(end, bytesRead)) : await recordAt(fh, abs + 1, lastNl);
        if (visit(r)) return lastNl + 1;
      }
      lastNl = abs;
    }
  }
  return 0;
}

const head = Buffer.alloc(96);
async function recordAt(fh: FileHandle, start: number, end: number): Promise<RawRecord | undefined> {
  const { bytesRead } = await fh.read(head, 0, Math.min(head.length, end - start), start);
  return splitRecord(head, 0, bytesRead);
}

async function openWhenThere(path: string, o: ReadOptions): Promise<FileHandle | undefined> {
  try {
    return await open(path, 'r');
  } catch {
    if (!o.follow) return undefined;
  }
  // The container has not started yet; wait for conmon to create the file.
  for (;;) {
    if (o.signal?.aborted || o.finished?.()) return undefined;
    await new Promise((r) => setTimeout(r, 100));
    try {
      return await open(path, 'r');
    } catch {
      /* keep waiting */
    }
  }
}

/** Reads (and with follow, tails) a k8s-file log, yielding whole lines in batches, in order. */
export async function* readLogBatches(path: string, o: ReadOptions = {}): AsyncGenerator<LogLine[]> {
  const fh = await openWhenThere(path, o);
  if (!fh) return;
  const buf = Buffer.alloc(CHUNK);
  try {
    const { size } = await fh.stat();
    let pos = o.tail !== undefined && o.tail >= 0 ? await tailOffset(fh, size, o.tail) : 0;
    const parser = new LineParser();
    const keep = (l: LogLine) => (o.sinceNs === undefined || l.timeNs >= o.sinceNs) && (o.untilNs === undefined || l.timeNs <= o.untilNs);
    const filtered = (lines: LogLine[]) => (o.sinceNs === undefined && o.untilNs === undefined ? lines : lines.filter(keep));
    // Each read gets its own buffer only when lines from it are handed out (they point into it).
    const readMore = async (): Promise<LogLine[] | undefined> => {
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (!bytesRead) return undefined;
      pos += bytesRead;
      return parser.push(Buffer.from(buf.subarray(0, bytesRead)));
    };
    // What is in the file now.
    const tail = o.tail !== undefined && o.tail >= 0 ? o.tail : undefined;
    const kept: LogLine[] = [];
    while (pos < size) {
      const lines = await readMore();
      if (!lines) break;
      const out = filtered(lines);
      if (tail === undefined) {
        if (out.length) yield out;
      } else {
        // The scan may start a few lines early; only the last `tail` are wanted.
        kept.push(...out);
        if (kept.length > tail) kept.splice(0, kept.length - tail);
      }
      if (o.signal?.aborted) return;
    }
    if (kept.length) yield kept;
    if (!o.follow) return;
    const ac = new AbortController();
    const onAbort = () => ac.abort();
    o.signal?.addEventListener('abort', onAbort);
    let wake: (() => void) | undefined;
    (async () => {
      try {
        for await (const _ of watch(path, { signal: ac.signal })) wake?.();
      } catch {
        /* aborted or file gone */
      }
    })();
    try {
      for (;;) {
        const lines = await readMore();
        if (lines) {
          const out = filtered(lines);
          const past = o.untilNs !== undefined ? out.findIndex((l) => l.timeNs > o.untilNs!) : -1;
          if (past >= 0) {
            if (past) yield out.slice(0, past);
            return;
          }
          if (out.length) yield out;
          continue;
        }
        if (o.signal?.aborted) return;
        if (o.finished?.()) {
          // One last read: conmon flushes the log before it writes the exit file.
          const last = await readMore();
          if (last?.length) yield filtered(last);
          return;
        }
        await new Promise<void>((r) => {
          const t = setTimeout(r, 250);
          wake = () => {
            clearTimeout(t);
            r();
          };
        });
      }
    } finally {
      o.signal?.removeEventListener('abort', onAbort);
      ac.abort();
    }
  } finally {
    await fh.close();
  }
}

/** The same, a line at a time, for readers that handle lines one by one (attach replay). */
export async function* readLog(path: string, o: ReadOptions = {}): AsyncGenerator<LogLine> {
  for await (const batch of readLogBatches(path, o)) yield* batch;
}
