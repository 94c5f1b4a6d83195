// node:v8, node:vm and node:module load when the first reclaim runs, not before listen (v8 brings
// five more modules with it).
const builtin = <T>(id: string) => process.getBuiltinModule(id) as T;

/** Below this growth since the last collection a full GC is not worth its pause. */
const GROWTH = 8 * 1024 * 1024;

type Trim = () => boolean;

/**
 * glibc's malloc_trim, from the project's addon (native/peercred); undefined where the addon is
 * not built or predates it: the service then only collects, as before.
 */
function loadTrim(): Trim | undefined {
  try {
    const { createRequire } = builtin<typeof import('node:module')>('node:module');
    const addon = createRequire(import.meta.url)('berth-peercred') as { mallocTrim?: Trim };
    return typeof addon.mallocTrim === 'function' ? addon.mallocTrim : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Hands memory back once the service has gone quiet. V8 keeps the old space a burst of work grew
 * (32 keep-alive connections of pings, a 100 MB image load: tens of MiB each) until its own
 * heuristics collect it, which for an idle process can be never; one full, compacting GC then
 * (measured: 90 → 60 MiB after a ping burst) returns those pages to the kernel. The exposed `gc` is taken from a fresh context so the
 * service's own global stays as it was.
 *
 * The collection frees what the heap held outside itself (buffers of streams, sockets, tar
 * entries), but glibc keeps freed pages in its arenas: after a log stream and a 100 MB load the
 * process held 146 MiB with a heap of 15; malloc_trim then took it to 79 MiB. It costs about a
 * millisecond, and pages given back are faulted in again only when used.
 */
export function memoryReclaimer(): () => void {
  let gc: ((o: object) => void) | undefined;
  let trim: Trim | undefined | null = null;
  let base = process.memoryUsage.rss();
  return () => {
    const rss = process.memoryUsage.rss();
    if (rss < base + GROWTH) return;
    if (!gc) {
      builtin<typeof import('node:v8')>('node:v8').setFlagsFromString('--expose-gc');
      gc = builtin<typeof import('node:vm')>('node:vm').runInNewContext('gc') as (o: object) => void;
    }
    // 'last-resort' also releases the pages V8 pools after a collection; a plain full GC shrinks
    // the heap but leaves the RSS where it was.
    gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    if (trim === null) trim = loadTrim();
    trim?.();
    base = process.memoryUsage.rss();
  };
}
