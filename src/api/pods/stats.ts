// podman's pod stats: one reading of every running container of the pods, as the strings
// `podman pod stats` prints (podman formats them on the server).
import type { Ctx } from '../../server/http.js';
import type { PodView } from '../../engine/pods/types.js';
import { libpodStats } from '../containers/stats.js';

/** go-units' HumanSizeWithPrecision(size, 3): decimal units, three significant digits. */
function human(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${Number(n.toPrecision(3))}${units[i]}`;
}

const pct = (x: number) => `${x.toFixed(2)}%`;

export async function podStats(ctx: Ctx, pods: PodView[]) {
  const out: Record<string, string>[] = [];
  for (const p of pods) {
    for (const m of p.members) {
      if (m.state !== 'running' && m.state !== 'paused') continue;
      const ac = new AbortController();
      try {
        for await (const s of ctx.engine.containerFiles.stats(m.id, { intervalMs: 1000, stream: false, prime: false, signal: ac.signal })) {
          const r = libpodStats(s.cur, s.pre);
          out.push({
            Pod: p.id.slice(0, 12),
            CID: m.id.slice(0, 12),
            Name: m.name,
            CPU: pct(r.CPU),
            MemUsage: `${human(r.MemUsage)} / ${human(r.MemLimit)}`,
            MemUsageBytes: `${r.MemUsage} / ${r.MemLimit}`,
            Mem: pct(r.MemPerc),
            NetIO: `${human(r.NetInput)} / ${human(r.NetOutput)}`,
            BlockIO: `${human(r.BlockInput)} / ${human(r.BlockOutput)}`,
            PIDS: String(r.PIDs),
          });
          break;
        }
      } catch {
        /* it stopped meanwhile: no reading */
      } finally {
        ac.abort();
      }
    }
  }
  return out;
}
