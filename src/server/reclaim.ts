// node:v8, node:vm and node:module load when the first reclaim runs, not before listen (v8 brings
// five more modules with it).
import { readFileSync } from 'node:fs';

const builtin = <T>(id: string) => process.getBuiltinModule(id) as T;

/** Below this growth of anonymous memory since the last collection a full GC is not worth its pause. */
const GROWTH = 8 * 1024 * 1024;
/** The same, once the service has been quiet for longer. */
const IDLE_GROWTH = 2 * 1024 * 1024;
/** Below this growth of resident file pages since the last drop, reading smaps is not worth it. */
const FILE_GROWTH = 4 * 1024 * 1024;

interface Addon {
  mallocTrim?: () => boolean;
  dropFilePages?: (code: boolean) => number;
}

/**
 * glibc's malloc_trim and the page-table drop of clean file pages, from the project's addon
 * (native/peercred); empty where the addon is not built or predates them: the service then only
 * collects, as before.
 */
function loadAddon(): Addon {
  try {
    const { createRequire } = builtin<typeof import('node:module')>('node:module');
    const addon = createRequire(import.meta.url)('berth-peercred') as Addon;
    return {
      mallocTrim: typeof addon.mallocTrim === 'function' ? addon.mallocTrim : undefined,
      dropFilePages: typeof addon.dropFilePages === 'function' ? addon.dropFilePages : undefined,
    };
  } catch {
    return {};
  }
}

const PAGE = 4096;

/** Resident bytes of this process: anonymous, and file-backed (statm's resident and shared). */
export function residentSplit(statm = readFileSync('/proc/self/statm', 'latin1')): { anon: number; file: number } {
  const f = statm.split(' ');
  const resident = Number(f[1]) * PAGE;
  const shared = Number(f[2]) * PAGE;
  return { anon: resident - shared, file: shared };
}

export interface Reclaimer {
  /** Activity ended a moment ago: collect, trim, drop read-only data pages (when they grew). */
  settled(): void;
  /** Nothing came for longer: drop the code pages too. */
  idle(): void;
}

/**
 * Hands memory back once the service has gone quiet. V8 keeps the old space a burst of work grew
 * (32 keep-alive connections of pings, a 100 MB image load: tens of MiB each) until its own
 * heuristics collect it, which for an idle process can be never; one full, compacting GC then
 * (measured: 90 → 60 MiB after a ping burst) returns those pages to the kernel. The exposed `gc`
 * is taken from a fresh context so the service's own global stays as it was.
 *
 * The collection frees what the heap held outside itself (buffers of streams, sockets, tar
 * entries), but glibc keeps freed pages in its arenas: after a log stream and a 100 MB load the
 * process held 146 MiB with a heap of 15; malloc_trim then took it to 79 MiB. It costs about a
 * millisecond, and pages given back are faulted in again only when used.
 *
 * Most of what is left is not the service's own: the pages of Node's binary (and of libc,
 * libstdc++, the addons) that the process touched, 47 MiB of a 64 MiB RSS after start and 57 of
 * 85 after the bench's groups, against 17-27 MiB of anonymous memory. They are clean page-cache
 * pages, shared with every other process running that binary, and most were touched once
 * (startup, ICU data, the snapshot, code of a group that ran once). dropFilePages unmaps them
 * from this process (native/peercred says which mappings qualify); the page cache keeps them,
 * and what the next request needs comes back as minor faults. Measured (service CPU over all
 * its threads, 30 interleaved `docker run --rm` each after a pause, against the same build
 * without the drop): 23.0 vs 23.5 ms mean, 23.4 vs 21.8 median, within the noise; a /_ping
 * +0.1 ms. The drop itself reads smaps (~4 ms), so it waits for growth, and the code pages go
 * only after a longer quiet (`idle`): a client polling every second or two pays neither.
 */
export function memoryReclaimer(release?: () => void): Reclaimer {
  let gc: ((o: object) => void) | undefined;
  let addon: Addon | undefined;
  const start = residentSplit();
  let anonBase = start.anon;
  let fileBase = start.file;
  // No code dropped yet: the first long quiet drops it.
  let fileDropped = 0;
  const drop = (code: boolean) => {
    addon ??= loadAddon();
    addon.dropFilePages?.(code);
    fileBase = residentSplit().file;
    if (code) fileDropped = fileBase;
  };
  const collect = () => {
    // What the engine can free itself (the state DB's page cache) goes first, then the heap,
    // then malloc's free pages, which now include those.
    try {
      release?.();
    } catch {
      /* a busy DB keeps its cache: nothing lost */
    }
    if (!gc) {
      builtin<typeof import('node:v8')>('node:v8').setFlagsFromString('--expose-gc');
      gc = builtin<typeof import('node:vm')>('node:vm').runInNewContext('gc') as (o: object) => void;
    }
    // 'last-resort' also releases the pages V8 pools after a collection; a plain full GC shrinks
    // the heap but leaves the RSS where it was.
    gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    addon ??= loadAddon();
    addon.mallocTrim?.();
    anonBase = residentSplit().anon;
  };
  return {
    settled() {
      const now = residentSplit();
      if (now.anon >= anonBase + GROWTH) collect();
      if (now.file >= fileBase + FILE_GROWTH) drop(false);
    },
    idle() {
      // A long quiet is worth a collection for less: it happens once per such pause.
      if (residentSplit().anon >= anonBase + IDLE_GROWTH) collect();
      if (residentSplit().file >= fileDropped + FILE_GROWTH) drop(true);
    },
  };
}
