// node:v8, node:vm and node:module load when the first reclaim runs, not before listen (v8 brings
// five more modules with it).
import { readFileSync } from 'node:fs';
import { optionalAddon } from '../lib/native-addon.js';

const builtin = <T>(id: string) => process.getBuiltinModule(id) as T;

/** Below this growth of anonymous memory since the last collection a full GC is not worth its pause. */
const GROWTH = 8 * 1024 * 1024;
/** The same, once the service has been quiet for longer. */
const IDLE_GROWTH = 2 * 1024 * 1024;

interface Addon {
  mallocTrim?: () => boolean;
}

/**
 * glibc's malloc_trim, from the project's addon (native/peercred); empty where the addon is not
 * built or predates it: the service then only collects.
 */
function loadAddon(): Addon {
  const addon = optionalAddon<Addon>('berth-peercred');
  return { mallocTrim: typeof addon?.mallocTrim === 'function' ? addon.mallocTrim : undefined };
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
  /** Activity ended a moment ago: collect and trim when anonymous memory grew much. */
  settled(): void;
  /** Nothing came for longer: the same for less growth. */
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
 * pages shared with every process running that binary; unmapping them (madvise) was measured to
 * take the settled RSS from 79 to 36 MiB, but it frees nothing the page cache does not keep, so
 * it would move the figure, not the memory, and berth does not do it. The growth that counts is
 * anonymous (statm's resident minus shared): pages of code faulted in by a request never trigger
 * a collection.
 */
export function memoryReclaimer(release?: () => void): Reclaimer {
  let gc: ((o: object) => void) | undefined;
  let addon: Addon | undefined;
  let anonBase = residentSplit().anon;
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
      if (residentSplit().anon >= anonBase + GROWTH) collect();
    },
    idle() {
      // A long quiet is worth a collection for less: it happens once per such pause.
      if (residentSplit().anon >= anonBase + IDLE_GROWTH) collect();
    },
  };
}
