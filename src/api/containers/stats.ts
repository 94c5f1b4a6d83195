// Resource usage as each layer reports it: docker's stats JSON (cpu_stats with precpu_stats,
// memory, pids, blkio, networks) and podman's libpod report, both from the engine's readings.
import { totalmem } from 'node:os';
import type { CgroupSample, StatsReading } from '../../engine/containers/types.js';

const ZERO_TIME = '0001-01-01T00:00:00Z';

function cpuStats(r: StatsReading | undefined) {
  if (!r?.cg) {
    return { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, system_cpu_usage: r?.running ? r.system.usage : 0, online_cpus: r?.running ? r.system.online : 0, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } };
  }
  const c = r.cg;
  return {
    cpu_usage: {
      total_usage: c.cpuTotal,
      ...(c.perCpu.length ? { percpu_usage: c.perCpu } : {}),
      usage_in_kernelmode: c.cpuKernel,
      usage_in_usermode: c.cpuUser,
    },
    system_cpu_usage: r.system.usage,
    online_cpus: r.system.online,
    throttling_data: c.throttling,
  };
}

/** Memory limit as docker reports it: the cgroup's, or the host's memory when unlimited. */
function memLimit(c: CgroupSample): number {
  const host = totalmem();
  return c.memLimit > 0 && c.memLimit < host ? c.memLimit : host;
}

/** docker's `GET /containers/{id}/stats` body for `cur`, with `pre` as precpu_stats. */
export function dockerStats(cur: StatsReading, pre: StatsReading | undefined) {
  const c = cur.cg;
  const blk = (e: CgroupSample['ioBytes'] | undefined) => (e && e.length ? e.map((x) => ({ major: x.major, minor: x.minor, op: x.op.charAt(0).toUpperCase() + x.op.slice(1), value: x.value })) : null);
  const body: Record<string, unknown> = {
    read: cur.running ? cur.readAt.toISOString() : ZERO_TIME,
    preread: pre?.running ? pre.readAt.toISOString() : ZERO_TIME,
    pids_stats: c ? { current: c.pids, ...(c.pidsLimit ? { limit: c.pidsLimit } : {}) } : {},
    blkio_stats: {
      io_service_bytes_recursive: blk(c?.ioBytes),
      io_serviced_recursive: blk(c?.ioOps),
      io_queue_recursive: null,
      io_service_time_recursive: null,
      io_wait_time_recursive: null,
      io_merged_recursive: null,
      io_time_recursive: null,
      sectors_recursive: null,
    },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpuStats(cur),
    precpu_stats: cpuStats(pre),
    memory_stats: c
      ? {
          usage: c.memUsage,
          ...(c.v2 ? {} : { max_usage: c.memMax, failcnt: c.memFailcnt }),
          stats: c.memStats,
          limit: memLimit(c),
        }
      : {},
    name: `/${cur.name}`,
    id: cur.id,
  };
  if (Object.keys(cur.net).length) body.networks = cur.net;
  return body;
}

/** The memory figure docker's CLI shows: usage minus inactive page cache. */
export function memUsed(c: CgroupSample): number {
  const cache = c.v2 ? c.memStats.inactive_file ?? 0 : c.memStats.total_inactive_file ?? c.memStats.inactive_file ?? 0;
  return Math.max(0, c.memUsage - (cache < c.memUsage ? cache : 0));
}

/** podman's ContainerStats entry (libpod stats). */
export function libpodStats(cur: StatsReading, pre: StatsReading | undefined) {
  const c = cur.cg;
  const now = cur.readAt.getTime();
  const started = Date.parse(cur.startedAt);
  const upNs = cur.running && Number.isFinite(started) ? Math.max(0, now - started) * 1e6 : 0;
  const cpuNs = c?.cpuTotal ?? 0;
  let cpu = 0;
  if (pre?.cg && c) {
    const dCpu = c.cpuTotal - pre.cg.cpuTotal;
    const dSys = cur.system.usage - pre.system.usage;
    if (dCpu > 0 && dSys > 0) cpu = (dCpu / dSys) * cur.system.online * 100;
  } else if (upNs > 0) cpu = (cpuNs / upNs) * 100;
  const avg = upNs > 0 ? (cpuNs / upNs) * 100 : 0;
  const limit = c ? memLimit(c) : 0;
  const used = c ? memUsed(c) : 0;
  let netIn = 0;
  let netOut = 0;
  const network: Record<string, unknown> = {};
  for (const [k, n] of Object.entries(cur.net)) {
    netIn += n.rx_bytes;
    netOut += n.tx_bytes;
    network[k] = { RxBytes: n.rx_bytes, RxDropped: n.rx_dropped, RxErrors: n.rx_errors, RxPackets: n.rx_packets, TxBytes: n.tx_bytes, TxDropped: n.tx_dropped, TxErrors: n.tx_errors, TxPackets: n.tx_packets };
  }
  const sumOp = (op: string) => (c?.ioBytes ?? []).filter((e) => e.op === op).reduce((a, e) => a + e.value, 0);
  return {
    AvgCPU: avg,
    ContainerID: cur.id,
    Name: cur.name,
    PerCPU: c?.perCpu ?? [],
    CPU: cpu,
    CPUNano: cpuNs,
    CPUSystemNano: c?.cpuKernel ?? 0,
    SystemNano: Math.round(now * 1e6),
    MemUsage: used,
    MemLimit: limit,
    MemPerc: limit ? (used / limit) * 100 : 0,
    NetInput: netIn,
    NetOutput: netOut,
    Network: network,
    BlockInput: sumOp('read'),
    BlockOutput: sumOp('write'),
    PIDs: c?.pids ?? 0,
    UpTime: upNs,
    Duration: upNs,
  };
}

