// A diagnostic, not an API: with BERTH_DEBUG_MEMORY=<file> set, each SIGUSR2 appends one JSON line
// to <file> describing what the service's memory is made of (V8's spaces, the resident mappings by
// kind); with BERTH_DEBUG_MEMORY_GC=1 after a full collection; with BERTH_DEBUG_MEMORY_SNAPSHOT=1 a heap snapshot is written beside it too. Nothing of it
// loads unless the variable is set (node:v8 comes in at the first signal).
import { appendFileSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const builtin = <T>(id: string) => process.getBuiltinModule(id) as T;
const KiB = 1024;

/** Resident KiB of this process's mappings, by what they hold (from /proc/self/smaps). */
export interface ResidentParts {
  /** The node binary and shared libraries (file-backed, mostly text). */
  file: number;
  /** brk heap: glibc's main arena. */
  brk: number;
  /** Anonymous mappings of 64 MiB-aligned reservations: glibc's other arenas. */
  arenas: number;
  /** The rest of the anonymous memory: V8's pages, large mallocs, thread stacks. */
  otherAnon: number;
  stack: number;
  anonTotal: number;
}

/** Sums the Rss of each mapping of an smaps text by kind. */
export function residentParts(smaps: string): ResidentParts {
  const out: ResidentParts = { file: 0, brk: 0, arenas: 0, otherAnon: 0, stack: 0, anonTotal: 0 };
  let kind: keyof ResidentParts = 'otherAnon';
  for (const line of smaps.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ (\d+)\s*(.*)$/.exec(line);
    if (head) {
      const name = head[4]!;
      const start = BigInt('0x' + head[1]);
      if (name === '[heap]') kind = 'brk';
      else if (name === '[stack]') kind = 'stack';
      else if (name.startsWith('/') || name.startsWith('[v')) kind = 'file';
      // glibc's non-main arenas are 64 MiB-aligned (HEAP_MAX_SIZE) and anonymous.
      else if (name === '' && start % (64n * 1024n * 1024n) === 0n) kind = 'arenas';
      else kind = 'otherAnon';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) out[kind] += Number(rss[1]);
  }
  out.anonTotal = out.brk + out.arenas + out.otherAnon + out.stack;
  return out;
}

export function installMemoryReport(file: string): void {
  let n = 0;
  process.on('SIGUSR2', () => {
    const v8 = builtin<typeof import('node:v8')>('node:v8');
    // BERTH_DEBUG_MEMORY_GC=1: a full collection first, so what is reported is what is retained.
    if (process.env.BERTH_DEBUG_MEMORY_GC === '1') {
      v8.setFlagsFromString('--expose-gc');
      (builtin<typeof import('node:vm')>('node:vm').runInNewContext('gc') as (o: object) => void)({ type: 'major', execution: 'sync' });
    }
    const mu = process.memoryUsage();
    const hs = v8.getHeapStatistics();
    const rollup = readFileSync('/proc/self/smaps_rollup', 'utf8');
    const num = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1] ?? NaN);
    const line = {
      t: new Date().toISOString(),
      rssKiB: Math.round(mu.rss / KiB),
      anonKiB: num('Anonymous'),
      fileKiB: num('Rss') - num('Anonymous'),
      parts: residentParts(readFileSync('/proc/self/smaps', 'utf8')),
      heapUsedKiB: Math.round(mu.heapUsed / KiB),
      heapTotalKiB: Math.round(mu.heapTotal / KiB),
      heapPhysicalKiB: Math.round(hs.total_physical_size / KiB),
      v8MallocKiB: Math.round(hs.malloced_memory / KiB),
      externalKiB: Math.round(mu.external / KiB),
      arrayBuffersKiB: Math.round(mu.arrayBuffers / KiB),
      spaces: Object.fromEntries(
        v8.getHeapSpaceStatistics().map((s) => [s.space_name, { used: Math.round(s.space_used_size / KiB), size: Math.round(s.space_size / KiB), physical: Math.round(s.physical_space_size / KiB) }]),
      ),
    };
    appendFileSync(file, JSON.stringify(line) + '\n');
    if (process.env.BERTH_DEBUG_MEMORY_SNAPSHOT === '1') v8.writeHeapSnapshot(join(dirname(file), `berth-${process.pid}-${++n}.heapsnapshot`));
  });
}
