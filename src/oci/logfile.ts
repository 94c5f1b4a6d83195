import { open, watch } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';

/**
 * conmon's k8s-file format: `<RFC3339Nano with offset> <stdout|stderr> <F|P> <text>\n`;
 * P marks a partial line whose continuation follows in the next record.
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
  const s1 = line.indexOf(0x20);
  if (s1 < 0) return undefined;
  const s2 = line.indexOf(0x20, s1 + 1);
  if (s2 < 0) return undefined;
  const s3 = line.indexOf(0x20, s2 + 1);
  const timeNs = parseTimestamp(line.subarray(0, s1).toString());
  const stream = line.subarray(s1 + 1, s2).toString();
  if (timeNs === undefined || (stream !== 'stdout' && stream !== 'stderr')) return undefined;
  const tag = line.subarray(s2 + 1, s3 < 0 ? line.length : s3).toString();
  const text = s3 < 0 ? Buffer.alloc(0) : line.subarray(s3 + 1);
  return { timeNs, stream, partial: tag.split(':').includes('P'), text };
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

/** A log entry as clients see it: partial records are joined into whole lines. */
export interface LogLine {
  timeNs: bigint;
  stream: 'stdout' | 'stderr';
  data: Buffer;
}

function collect(records: LogRecord[], carry: Map<string, LogRecord[]>): LogLine[] {
  const out: LogLine[] = [];
  for (const r of records) {
    const parts = carry.get(r.stream) ?? [];
    if (r.partial) {
      parts.push(r);
      carry.set(r.stream, parts);
      continue;
    }
    carry.delete(r.stream);
    const first = parts[0] ?? r;
    out.push({ timeNs: first.timeNs, stream: r.stream, data: Buffer.concat([...parts.map((p) => p.text), r.text, Buffer.from('\n')]) });
  }
  return out;
}

async function readChunk(fh: FileHandle, pos: number): Promise<Buffer> {
  const { size } = await fh.stat();
  if (size <= pos) return Buffer.alloc(0);
  const buf = Buffer.alloc(size - pos);
  const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
  return buf.subarray(0, bytesRead);
}

/** Reads (and with follow, tails) a k8s-file log, yielding whole lines in order. */
export async function* readLog(path: string, o: ReadOptions = {}): AsyncGenerator<LogLine> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch {
    if (!o.follow) return;
    // The container has not started yet; wait for conmon to create the file.
    for (;;) {
      if (o.signal?.aborted || o.finished?.()) return;
      await new Promise((r) => setTimeout(r, 100));
      try {
        fh = await open(path, 'r');
        break;
      } catch {
        /* keep waiting */
      }
    }
  }
  try {
    let pos = 0;
    let rest = Buffer.alloc(0);
    const carry = new Map<string, LogRecord[]>();
    const keep = (l: LogLine) =>
      (o.sinceNs === undefined || l.timeNs >= o.sinceNs) && (o.untilNs === undefined || l.timeNs <= o.untilNs);
    const parseAll = (chunk: Buffer): LogLine[] => {
      const data = rest.length ? Buffer.concat([rest, chunk]) : chunk;
      const recs: LogRecord[] = [];
      let start = 0;
      for (let nl = data.indexOf(0x0a); nl >= 0; nl = data.indexOf(0x0a, start)) {
        const r = parseLine(data.subarray(start, nl));
        if (r) recs.push(r);
        start = nl + 1;
      }
      rest = Buffer.from(data.subarray(start));
      return collect(recs, carry).filter(keep);
    };
    const first = await readChunk(fh, pos);
    pos += first.length;
    let lines = parseAll(first);
    if (o.tail !== undefined && o.tail >= 0) lines = o.tail === 0 ? [] : lines.slice(-o.tail);
    for (const l of lines) yield l;
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
        const chunk = await readChunk(fh, pos);
        pos += chunk.length;
        for (const l of parseAll(chunk)) {
          if (o.untilNs !== undefined && l.timeNs > o.untilNs) return;
          yield l;
        }
        if (o.signal?.aborted) return;
        if (!chunk.length && o.finished?.()) {
          // One last read: conmon flushes the log before it writes the exit file.
          const tailChunk = await readChunk(fh, pos);
          for (const l of parseAll(tailChunk)) yield l;
          return;
        }
        if (!chunk.length) await new Promise<void>((r) => {
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

