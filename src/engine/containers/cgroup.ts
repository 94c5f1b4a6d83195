// A container's cgroups, found from its init process (/proc/PID/cgroup) and the host's cgroup
// mounts, and read for stats: cgroup v1 (per-controller hierarchies, the hybrid layout of these
// machines) and v2 (one unified hierarchy). Only file reads (and rmdir of an empty cgroup),
// nothing spawned.
import { existsSync, readdirSync, readFileSync, readlinkSync, rmdirSync } from 'node:fs';
import { isRootless } from '../../config/rootless.js';
import { cgroupFacts } from '../../oci/cgroup-delegation.js';
import { join } from 'node:path';

interface CgMount {
  root: string;
  point: string;
  /** v1 controllers (super options); empty for cgroup2. */
  controllers: string[];
  v2: boolean;
}

let mountsCache: CgMount[] | undefined;

function cgroupMounts(): CgMount[] {
  if (mountsCache) return mountsCache;
  const out: CgMount[] = [];
  try {
    for (const l of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
      const sep = l.indexOf(' - ');
      if (sep < 0) continue;
      const a = l.slice(0, sep).split(' ');
      const b = l.slice(sep + 3).split(' ');
      const unesc = (s: string) => s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
      if (b[0] === 'cgroup2') out.push({ root: unesc(a[3]), point: unesc(a[4]), controllers: [], v2: true });
      else if (b[0] === 'cgroup') out.push({ root: unesc(a[3]), point: unesc(a[4]), controllers: (b[2] ?? '').split(','), v2: false });
    }
  } catch {
    /* not Linux */
  }
  return (mountsCache = out);
}

/**
 * Removes a container's cgroup (a path as runc's cgroupsPath) from every hierarchy, when it is
 * empty: what a runtime killed during its create leaves behind. The kernel refuses a cgroup
 * that still holds a process, so a live container's cgroup is never touched.
 */
export function removeCgroup(cgroupsPath: string): void {
  // runc puts an absolute cgroupsPath right under each mount point, whatever the mount's root.
  const rel = join('/', cgroupsPath);
  if (rel === '/') return;
  for (const m of cgroupMounts()) {
    try {
      rmdirSync(join(m.point, rel));
    } catch {
      /* not there, or not empty */
    }
  }
}

/**
 * The directories an absolute cgroupsPath names (where runc would put it): `v2` in the unified
 * hierarchy, `v1` by controller. For a cgroup berth makes itself (a pod's, above its members').
 */
export function cgroupDirsOfPath(cgroupsPath: string): CgroupDirs {
  const rel = join('/', cgroupsPath);
  const res: CgroupDirs = { v1: {} };
  for (const m of cgroupMounts()) {
    if (m.v2) res.v2 = join(m.point, rel);
    else for (const c of m.controllers) if (!['rw', 'ro', 'relatime', 'nosuid', 'nodev', 'noexec'].includes(c)) res.v1[c] ??= join(m.point, rel);
  }
  return res;
}

/** Directories of one process's cgroups: `v2` is the unified one; `v1` by controller name. */
export interface CgroupDirs {
  v2?: string;
  v1: Record<string, string>;
}

export function cgroupDirs(pid: number): CgroupDirs | undefined {
  // Rootless without a delegated tree the process sits in the service's (the user's) cgroup:
  // its counters are not the container's, so there are none to read.
  if (isRootless() && !cgroupFacts().delegated) return undefined;
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  } catch {
    return undefined;
  }
  const res: CgroupDirs = { v1: {} };
  const mounts = cgroupMounts();
  const under = (m: CgMount, p: string) => {
    const rel = m.root !== '/' && p.startsWith(m.root) ? p.slice(m.root.length) : p;
    return join(m.point, rel);
  };
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    const [, , ctrls, path] = m;
    if (ctrls === '') {
      const mt = mounts.find((x) => x.v2);
      if (mt) {
        const d = under(mt, path);
        if (existsSync(d)) res.v2 = d;
      }
      continue;
    }
    for (const c of ctrls.split(',')) {
      const mt = mounts.find((x) => !x.v2 && x.controllers.includes(c));
      if (mt) res.v1[c] = under(mt, path);
    }
  }
  return res;
}

/** The pids in the container's cgroup (its init's pids or memory cgroup, or the unified one). */
export function containerPids(initPid: number): number[] {
  // Rootless without a delegated tree the container has no cgroup of its own (it shares the
  // service's): its processes are those in its pid namespace.
  if (isRootless() && !cgroupFacts().delegated) return pidNamespaceMembers(initPid);
  const d = cgroupDirs(initPid);
  if (!d) return [];
  const dir = d.v1.pids ?? d.v1.memory ?? d.v1.cpu ?? d.v2;
  if (!dir) return [];
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** The processes in initPid's pid namespace (when it has its own), else initPid and its descendants. */
function pidNamespaceMembers(initPid: number): number[] {
  let ns: string;
  let own: string;
  try {
    ns = readlinkSync(`/proc/${initPid}/ns/pid`);
    own = readlinkSync('/proc/self/ns/pid');
  } catch {
    return [];
  }
  const parents = new Map<number, number>();
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    try {
      if (ns !== own) {
        if (readlinkSync(`/proc/${e}/ns/pid`) === ns) out.push(pid);
      } else {
        const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
        parents.set(pid, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      }
    } catch {
      /* gone */
    }
  }
  if (ns !== own) return out;
  const tree = new Set([initPid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of parents) if (!tree.has(pid) && tree.has(ppid)) grew = tree.add(pid).size > 0;
  }
  return [...tree];
}

const read = (f: string): string | undefined => {
  try {
    return readFileSync(f, 'utf8');
  } catch {
    return undefined;
  }
};
const num = (f: string): number | undefined => {
  const t = read(f)?.trim();
  if (t === undefined || t === '') return undefined;
  if (t === 'max') return Infinity;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
};
const finite = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? 0 : n);
const kv = (f: string): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const l of (read(f) ?? '').split('\n')) {
    const [k, v] = l.trim().split(/\s+/);
    if (k && v !== undefined && /^-?\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
};

export interface BlkioEntry {
  major: number;
  minor: number;
  op: string;
  value: number;
}

/** One reading, in docker's units (ns, bytes). */
export interface CgroupSample {
  v2: boolean;
  cpuTotal: number;
  cpuKernel: number;
  cpuUser: number;
  perCpu: number[];
  throttling: { periods: number; throttled_periods: number; throttled_time: number };
  memUsage: number;
  memMax: number;
  memLimit: number;
  memFailcnt: number;
  memStats: Record<string, number>;
  pids: number;
  pidsLimit: number;
  ioBytes: BlkioEntry[];
  ioOps: BlkioEntry[];
}

const USER_HZ = 100;

function v1Blkio(f: string): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const l of (read(f) ?? '').split('\n')) {
    const m = /^(\d+):(\d+)\s+(\w+)\s+(\d+)$/.exec(l.trim());
    if (m) out.push({ major: Number(m[1]), minor: Number(m[2]), op: m[3].toLowerCase(), value: Number(m[4]) });
  }
  return out;
}

export function readCgroup(d: CgroupDirs): CgroupSample | undefined {
  if (d.v1.cpuacct || d.v1.memory) {
    const cpuacct = d.v1.cpuacct ?? '';
    const cpu = d.v1.cpu ?? cpuacct;
    const mem = d.v1.memory ?? '';
    const st = kv(join(cpuacct, 'cpuacct.stat'));
    const cs = kv(join(cpu, 'cpu.stat'));
    const ms = kv(join(mem, 'memory.stat'));
    const limit = num(join(mem, 'memory.limit_in_bytes')) ?? 0;
    return {
      v2: false,
      cpuTotal: num(join(cpuacct, 'cpuacct.usage')) ?? 0,
      cpuKernel: ((st.system ?? 0) * 1e9) / USER_HZ,
      cpuUser: ((st.user ?? 0) * 1e9) / USER_HZ,
      perCpu: (read(join(cpuacct, 'cpuacct.usage_percpu')) ?? '').trim().split(/\s+/).filter(Boolean).map(Number),
      throttling: { periods: cs.nr_periods ?? 0, throttled_periods: cs.nr_throttled ?? 0, throttled_time: cs.throttled_time ?? 0 },
      memUsage: num(join(mem, 'memory.usage_in_bytes')) ?? 0,
      memMax: num(join(mem, 'memory.max_usage_in_bytes')) ?? 0,
      memLimit: limit,
      memFailcnt: num(join(mem, 'memory.failcnt')) ?? 0,
      memStats: ms,
      pids: d.v1.pids ? num(join(d.v1.pids, 'pids.current')) ?? 0 : 0,
      pidsLimit: finite(d.v1.pids ? num(join(d.v1.pids, 'pids.max')) : 0),
      ioBytes: d.v1.blkio ? v1Blkio(join(d.v1.blkio, 'blkio.throttle.io_service_bytes')) : [],
      ioOps: d.v1.blkio ? v1Blkio(join(d.v1.blkio, 'blkio.throttle.io_serviced')) : [],
    };
  }
  if (!d.v2) return undefined;
  const dir = d.v2;
  const cs = kv(join(dir, 'cpu.stat'));
  const ioBytes: BlkioEntry[] = [];
  const ioOps: BlkioEntry[] = [];
  for (const l of (read(join(dir, 'io.stat')) ?? '').split('\n')) {
    const m = /^(\d+):(\d+)\s+(.*)$/.exec(l.trim());
    if (!m) continue;
    const f: Record<string, number> = {};
    for (const p of m[3].split(/\s+/)) {
      const [k, v] = p.split('=');
      f[k] = Number(v);
    }
    const dev = { major: Number(m[1]), minor: Number(m[2]) };
    ioBytes.push({ ...dev, op: 'read', value: f.rbytes ?? 0 }, { ...dev, op: 'write', value: f.wbytes ?? 0 });
    ioOps.push({ ...dev, op: 'read', value: f.rios ?? 0 }, { ...dev, op: 'write', value: f.wios ?? 0 });
  }
  const limit = num(join(dir, 'memory.max'));
  const pidsMax = num(join(dir, 'pids.max'));
  return {
    v2: true,
    cpuTotal: (cs.usage_usec ?? 0) * 1000,
    cpuKernel: (cs.system_usec ?? 0) * 1000,
    cpuUser: (cs.user_usec ?? 0) * 1000,
    perCpu: [],
    throttling: { periods: cs.nr_periods ?? 0, throttled_periods: cs.nr_throttled ?? 0, throttled_time: (cs.throttled_usec ?? 0) * 1000 },
    memUsage: num(join(dir, 'memory.current')) ?? 0,
    memMax: num(join(dir, 'memory.peak')) ?? 0,
    memLimit: limit === undefined || limit === Infinity ? 0 : limit,
    memFailcnt: 0,
    memStats: kv(join(dir, 'memory.stat')),
    pids: num(join(dir, 'pids.current')) ?? 0,
    pidsLimit: pidsMax === undefined || pidsMax === Infinity ? 0 : pidsMax,
    ioBytes,
    ioOps,
  };
}

/** /proc/stat's first line in ns (docker's system_cpu_usage) and the number of CPUs. */
export function systemCpu(): { usage: number; online: number } {
  const text = read('/proc/stat') ?? '';
  const lines = text.split('\n');
  const f = (lines[0] ?? '').trim().split(/\s+/).slice(1, 9).map(Number);
  const ticks = f.reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
  const online = lines.filter((l) => /^cpu\d+\s/.test(l)).length || 1;
  return { usage: (ticks * 1e9) / USER_HZ, online };
}

export interface NetStats {
  rx_bytes: number;
  rx_packets: number;
  rx_errors: number;
  rx_dropped: number;
  tx_bytes: number;
  tx_packets: number;
  tx_errors: number;
  tx_dropped: number;
}

/** Interfaces of the process's network namespace, loopback left out (as docker does). */
export function netStats(pid: number): Record<string, NetStats> {
  const out: Record<string, NetStats> = {};
  for (const l of (read(`/proc/${pid}/net/dev`) ?? '').split('\n').slice(2)) {
    const m = /^\s*([^:]+):\s*(.*)$/.exec(l);
    if (!m || m[1] === 'lo') continue;
    const v = m[2].trim().split(/\s+/).map(Number);
    out[m[1]] = { rx_bytes: v[0], rx_packets: v[1], rx_errors: v[2], rx_dropped: v[3], tx_bytes: v[8], tx_packets: v[9], tx_errors: v[10], tx_dropped: v[11] };
  }
  return out;
}
