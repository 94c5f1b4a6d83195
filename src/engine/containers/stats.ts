// Resource usage of containers: readings of their cgroups (cgroup.ts) and network, one at a
// time or as a stream. The API layers shape them (docker's stats JSON, podman's report).
import type { FilesDeps } from './files/service.js';
import { cgroupDirs, netStats, readCgroup, systemCpu } from './cgroup.js';
import type { ContainerView, StatsOptions, StatsReading, StatsSample } from './types.js';

/** One reading of the container (zeros when it does not run). */
export function readStats(v: ContainerView): StatsReading {
  const running = (v.state === 'running' || v.state === 'paused') && v.pid > 0;
  const dirs = running ? cgroupDirs(v.pid) : undefined;
  return {
    id: v.id,
    name: v.name,
    running,
    readAt: new Date(),
    cg: dirs ? readCgroup(dirs) : undefined,
    system: systemCpu(),
    net: running ? netStats(v.pid) : {},
    startedAt: v.startedAt,
  };
}

/**
 * Readings of one container, one per `intervalMs`; the first after a priming reading when
 * `prime` (docker's stream=false wants a meaningful precpu_stats). Ends on abort, or when the
 * container is gone.
 */
export async function* statsStream(engine: FilesDeps, ref: string, o: StatsOptions): AsyncGenerator<StatsSample> {
  const svc = engine.containers;
  const v0 = svc.get(ref);
  let pre: StatsReading | undefined;
  if (o.prime && !o.stream) {
    pre = readStats(v0);
    if (pre.running) await sleep(o.intervalMs, o.signal);
  }
  for (;;) {
    if (o.signal.aborted) return;
    const v = svc.find(v0.id);
    if (!v) return;
    const cur = readStats(v);
    yield { cur, pre };
    if (!o.stream) return;
    pre = cur;
    await sleep(o.intervalMs, o.signal);
  }
}

/** One reading of each given container (gone ones left out), or of every running one. */
export function readAll(engine: FilesDeps, ids?: string[]): StatsReading[] {
  const svc = engine.containers;
  const views = ids ? ids.map((id) => svc.find(id)).filter((v) => v !== undefined) : svc.list({ all: true }).filter((v) => v.state === 'running' || v.state === 'paused');
  return views.map(readStats);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((r) => {
    if (signal.aborted) return r();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      r();
    }
    signal.addEventListener('abort', done);
  });
}
