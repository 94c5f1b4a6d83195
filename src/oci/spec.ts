import type { OciSeccomp } from './seccomp.js';

/** Everything the engine decided about one container run; spec.ts only shapes it for OCI. */
export interface SpecInput {
  rootfs: string;
  readonlyRootfs: boolean;
  args: string[];
  env: string[];
  cwd: string;
  user: { uid: number; gid: number; additionalGids: number[]; umask?: number };
  terminal: boolean;
  hostname: string;
  domainname?: string;
  caps: string[];
  privileged: boolean;
  noNewPrivileges: boolean;
  seccomp?: OciSeccomp;
  apparmor?: string;
  rlimits: Rlimit[];
  /** Bytes; 0 = unlimited. */
  memory: number;
  memorySwap: number;
  memoryReservation: number;
  nanoCpus: number;
  cpuShares: number;
  cpuQuota: number;
  cpuPeriod: number;
  cpusetCpus: string;
  cpusetMems?: string;
  cpuRtPeriod?: number;
  cpuRtRuntime?: number;
  /** 0 = the runtime's default. */
  blkioWeight?: number;
  /** Extra device cgroup rules (docker's --device and DeviceCgroupRules), after the default ones. */
  deviceRules?: OciDeviceRule[];
  oomKillDisable?: boolean;
  /** Paths hidden and made read-only in the container; undefined: docker's defaults. */
  maskedPaths?: string[];
  readonlyPaths?: string[];
  /** 0-100; undefined leaves the kernel's. */
  memorySwappiness?: number;
  /** linux.resources.blockIO beyond the weight: weightDevice and the throttle lists, as OCI spells them. */
  blockIO?: OciBlockIO;
  pidsLimit: number;
  shmSize: number;
  sysctls: Record<string, string>;
  oomScoreAdj?: number;
  /** 'private' = new network namespace with only loopback; 'host' = share the host's. */
  network: 'private' | 'host';
  /** Join this existing network namespace (another container's: /proc/PID/ns/net). */
  networkNsPath?: string;
  ipcHost: boolean;
  pidHost: boolean;
  utsHost: boolean;
  /** Existing namespaces to join (a pod's infra container's: /proc/PID/ns/TYPE), by OCI type. */
  joinNs?: Partial<Record<'cgroup' | 'ipc' | 'pid' | 'uts', string>>;
  mounts: OciMount[];
  tmpfs: Record<string, string>;
  cgroupsPath: string;
  annotations: Record<string, string>;
  /** Device nodes to create (privileged containers get the host's). */
  devices?: OciDevice[];
  /** Set when berth runs rootless (in its user namespace): what it may not do there. */
  rootless?: RootlessSpec;
}

export interface RootlessSpec {
  /** The delegated cgroup v2 subtree containers go under; undefined: no cgroup is ours. */
  cgroupParent?: string;
  /** Inside a user namespace oom_score_adj may not go below the service's own. */
  oomScoreAdjMin: number;
}

export interface OciDevice {
  path: string;
  type: 'c' | 'b';
  major: number;
  minor: number;
  fileMode: number;
  uid: number;
  gid: number;
}

export interface OciBlockDevice {
  major: number;
  minor: number;
}

export interface OciBlockIO {
  weightDevice?: (OciBlockDevice & { weight: number })[];
  throttleReadBpsDevice?: (OciBlockDevice & { rate: number })[];
  throttleWriteBpsDevice?: (OciBlockDevice & { rate: number })[];
  throttleReadIOPSDevice?: (OciBlockDevice & { rate: number })[];
  throttleWriteIOPSDevice?: (OciBlockDevice & { rate: number })[];
}

/** One entry of linux.resources.devices; an absent major or minor means any ("*"). */
export interface OciDeviceRule {
  allow: boolean;
  access: string;
  type?: 'a' | 'b' | 'c';
  major?: number;
  minor?: number;
}

export interface Rlimit {
  type: string;
  /** -1 (or anything from 2^64 - 1 up) is unlimited: RLIM_INFINITY. */
  hard: number;
  soft: number;
}

/** RLIM_INFINITY, which a JavaScript number cannot carry exactly. */
const RLIM_INFINITY = '18446744073709551615';
const unlimited = (v: number) => v < 0 || v >= 2 ** 64 - 1;

/** `obj` as JSON with its `rlimits` written by hand, an unlimited value as RLIM_INFINITY exactly. */
function withRlimits(obj: Record<string, unknown>, limits: unknown, put: (o: Record<string, unknown>, v: unknown) => Record<string, unknown>): string {
  if (!Array.isArray(limits) || !(limits as Rlimit[]).some((r) => unlimited(r.hard) || unlimited(r.soft))) return JSON.stringify(obj);
  const marker = `rlimits-${process.hrtime.bigint()}-${Math.random()}`;
  const value = (v: number) => (unlimited(v) ? RLIM_INFINITY : JSON.stringify(v));
  const list = `[${(limits as Rlimit[]).map((r) => `{"type":${JSON.stringify(r.type)},"hard":${value(r.hard)},"soft":${value(r.soft)}}`).join(',')}]`;
  return JSON.stringify(put(obj, marker)).replace(JSON.stringify(marker), list);
}

/**
 * config.json's text. An unlimited rlimit is the uint64 maximum, which JSON.stringify would write
 * rounded up or as -1: runc can decode neither.
 */
export function specJson(spec: Record<string, unknown>): string {
  const proc = (spec.process ?? {}) as Record<string, unknown>;
  return withRlimits(spec, proc.rlimits, (o, v) => ({ ...o, process: { ...proc, rlimits: v } }));
}

/** An exec's process.json, the same way. */
export function processJson(proc: Record<string, unknown>): string {
  return withRlimits(proc, proc.rlimits, (o, v) => ({ ...o, rlimits: v }));
}
export interface OciMount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
}

export const MASKED = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats',
  '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi',
  '/sys/firmware', '/sys/devices/virtual/powercap',
];
export const READONLY = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

// The device nodes every container may use; runc creates the nodes, the cgroup rule allows them.
const ALLOWED_DEVICES = [
  { type: 'c', major: 1, minor: 3 }, { type: 'c', major: 1, minor: 5 }, { type: 'c', major: 1, minor: 7 },
  { type: 'c', major: 1, minor: 8 }, { type: 'c', major: 1, minor: 9 }, { type: 'c', major: 5, minor: 0 },
  { type: 'c', major: 5, minor: 1 }, { type: 'c', major: 5, minor: 2 }, { type: 'c', major: 136 },
  { type: 'c', major: 10, minor: 200 },
];

function defaultMounts(inp: SpecInput): OciMount[] {
  const shm = inp.shmSize > 0 ? inp.shmSize : 64 * 1024 * 1024;
  const m: OciMount[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${shm}`] },
  ];
  // sysfs can only be mounted by the owner of the network namespace; with the host's network
  // we bind the host's /sys instead, as docker does.
  if (inp.network === 'host') {
    m.push({ destination: '/sys', type: 'bind', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', inp.privileged ? 'rw' : 'ro'] });
  } else {
    m.push({ destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', inp.privileged ? 'rw' : 'ro'] });
    if (inp.rootless && !inp.rootless.cgroupParent) {
      // No cgroup namespace of its own can be mounted from a user namespace without a delegated
      // v2 tree: the host's hierarchy read-only, as podman does rootless.
      m.push({ destination: '/sys/fs/cgroup', type: 'bind', source: '/sys/fs/cgroup', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] });
    } else {
      m.push({ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', inp.privileged ? 'rw' : 'ro'] });
    }
  }
  return m;
}

export function buildSpec(inp: SpecInput): Record<string, unknown> {
  const user = inp.mounts.map((x) => x.destination);
  const tmpfsMounts: OciMount[] = Object.entries(inp.tmpfs).map(([dest, opts]) => ({
    destination: dest,
    type: 'tmpfs',
    source: 'tmpfs',
    options: ['nosuid', 'nodev', ...(opts ? opts.split(',') : [])],
  }));
  const explicit = new Set([...user, ...tmpfsMounts.map((x) => x.destination)]);
  // Parents before what is mounted inside them (a volume at /data, a bind at /data/x), as dockerd sorts.
  const depth = (m: OciMount) => m.destination.split('/').filter(Boolean).length;
  const own = [...tmpfsMounts, ...inp.mounts].map((m, i) => ({ m, i })).sort((a, b) => depth(a.m) - depth(b.m) || a.i - b.i).map((x) => x.m);
  const mounts = [...defaultMounts(inp).filter((m) => !explicit.has(m.destination)), ...own];

  const join = inp.joinNs ?? {};
  const ns = (type: 'cgroup' | 'ipc' | 'pid' | 'uts') => (join[type] ? { type, path: join[type] } : { type });
  const namespaces: { type: string; path?: string }[] = [{ type: 'mount' }, ns('cgroup')];
  if (!inp.pidHost) namespaces.push(ns('pid'));
  if (!inp.ipcHost) namespaces.push(ns('ipc'));
  if (!inp.utsHost) namespaces.push(ns('uts'));
  if (inp.network !== 'host') namespaces.push(inp.networkNsPath ? { type: 'network', path: inp.networkNsPath } : { type: 'network' });

  const resources: Record<string, unknown> = {
    devices: inp.privileged
      ? [{ allow: true, access: 'rwm' }]
      : [{ allow: false, access: 'rwm' }, ...ALLOWED_DEVICES.map((d) => ({ allow: true, access: 'rwm', ...d })), ...(inp.deviceRules ?? [])],
  };
  const memory: Record<string, number> = {};
  if (inp.memory > 0) memory.limit = inp.memory;
  if (inp.memorySwap !== 0) memory.swap = inp.memorySwap;
  else if (inp.memory > 0) memory.swap = inp.memory * 2; // docker's default: swap = 2 × memory
  if (inp.memoryReservation > 0) memory.reservation = inp.memoryReservation;
  const mem: Record<string, unknown> = memory;
  if (inp.oomKillDisable) mem.disableOOMKiller = true;
  if (inp.memorySwappiness !== undefined) mem.swappiness = inp.memorySwappiness;
  if (Object.keys(mem).length) resources.memory = mem;
  const cpu: Record<string, unknown> = {};
  if (inp.cpuShares > 0) cpu.shares = inp.cpuShares;
  if (inp.nanoCpus > 0) {
    cpu.period = 100000;
    cpu.quota = Math.round((inp.nanoCpus / 1e9) * 100000);
  } else {
    if (inp.cpuPeriod > 0) cpu.period = inp.cpuPeriod;
    if (inp.cpuQuota > 0) cpu.quota = inp.cpuQuota;
  }
  if (inp.cpusetCpus) cpu.cpus = inp.cpusetCpus;
  if (inp.cpusetMems) cpu.mems = inp.cpusetMems;
  if (inp.cpuRtPeriod) cpu.realtimePeriod = inp.cpuRtPeriod;
  if (inp.cpuRtRuntime) cpu.realtimeRuntime = inp.cpuRtRuntime;
  if (Object.keys(cpu).length) resources.cpu = cpu;
  const blockIO: Record<string, unknown> = { ...(inp.blockIO ?? {}) };
  if (inp.blkioWeight) blockIO.weight = inp.blkioWeight;
  if (Object.keys(blockIO).length) resources.blockIO = blockIO;
  if (inp.pidsLimit > 0) resources.pids = { limit: inp.pidsLimit };

  const caps = inp.caps;
  const process: Record<string, unknown> = {
    terminal: inp.terminal,
    user: {
      uid: inp.user.uid,
      gid: inp.user.gid,
      ...(inp.user.additionalGids.length ? { additionalGids: inp.user.additionalGids } : {}),
      ...(inp.user.umask !== undefined ? { umask: inp.user.umask } : {}),
    },
    args: inp.args,
    env: inp.env,
    cwd: inp.cwd || '/',
    capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: [] as string[] },
    rlimits: inp.rlimits.map((r) => ({ type: r.type, hard: r.hard, soft: r.soft })),
    noNewPrivileges: inp.noNewPrivileges,
  };
  if (inp.oomScoreAdj !== undefined) process.oomScoreAdj = inp.rootless ? Math.max(inp.oomScoreAdj, inp.rootless.oomScoreAdjMin) : inp.oomScoreAdj;
  if (inp.apparmor) process.apparmorProfile = inp.apparmor;

  const linux: Record<string, unknown> = {
    ...(inp.devices?.length ? { devices: inp.devices } : {}),
    namespaces,
    resources,
    cgroupsPath: inp.cgroupsPath,
    sysctl: inp.sysctls,
  };
  if (inp.rootless) {
    // runc (rootless: it sees the user namespace) makes device nodes as bind mounts; the device
    // cgroup is not ours. Without a delegated tree no cgroup is: no path, no limits, and runc
    // then ignores its permission errors.
    delete resources.devices;
    if (inp.rootless.cgroupParent) linux.cgroupsPath = `${inp.rootless.cgroupParent.replace(/\/$/, '')}/${inp.cgroupsPath.split('/').pop()}`;
    else {
      delete linux.cgroupsPath;
      delete linux.resources;
    }
  }
  if (!inp.privileged) {
    linux.maskedPaths = inp.maskedPaths ?? MASKED;
    linux.readonlyPaths = inp.readonlyPaths ?? READONLY;
    if (inp.seccomp) linux.seccomp = inp.seccomp;
  }

  return {
    ociVersion: '1.0.2-dev',
    process,
    root: { path: inp.rootfs, readonly: inp.readonlyRootfs },
    // runc refuses a hostname without its own UTS namespace.
    // A joined UTS namespace keeps the name its owner gave it.
    ...(inp.utsHost || join.uts ? {} : { hostname: inp.hostname }),
    ...(inp.domainname && !inp.utsHost && !join.uts ? { domainname: inp.domainname } : {}),
    mounts,
    annotations: inp.annotations,
    linux,
  };
}
