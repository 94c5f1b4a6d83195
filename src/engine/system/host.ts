import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, statfsSync } from 'node:fs';
import os from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import type { HostFacts } from './types.js';

const run = promisify(execFile);

const GOARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

function readOr(path: string, def = ''): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return def;
  }
}

function osRelease(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readOr('/etc/os-release').split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]] = m[2].replace(/^"(.*)"$/, '$1');
  }
  return out;
}

function meminfo(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of readOr('/proc/meminfo').split('\n')) {
    const m = /^(\w+):\s+(\d+)\s*kB/.exec(line);
    if (m) out[m[1]] = Number(m[2]) * 1024;
  }
  return out;
}

/** cgroup v2 when /sys/fs/cgroup is itself cgroup2 (unified); otherwise v1 (legacy or hybrid). */
export function cgroupVersion(): '1' | '2' {
  return existsSync('/sys/fs/cgroup/cgroup.controllers') ? '2' : '1';
}

function cpuUtilization(): HostFacts['cpuUtilization'] {
  const f = readOr('/proc/stat').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
  const total = user + nice + system + idle + iowait + irq + softirq + steal || 1;
  const pct = (n: number) => Math.round((n / total) * 10000) / 100;
  return { userPercent: pct(user + nice), systemPercent: pct(system + irq + softirq), idlePercent: pct(idle + iowait) };
}

export function hostFacts(): HostFacts {
  const rel = osRelease();
  const mem = meminfo();
  const v = cgroupVersion();
  const v1 = (c: string, f: string) => existsSync(join('/sys/fs/cgroup', c, f));
  const controllers =
    v === '2'
      ? readOr('/sys/fs/cgroup/cgroup.controllers').trim().split(/\s+/).filter(Boolean)
      : readOr('/proc/cgroups')
          .split('\n')
          .filter((l) => l && !l.startsWith('#'))
          .map((l) => l.split('\t'))
          .filter((p) => p[3] === '1')
          .map((p) => p[0]);
  const seccomp = ['/usr/share/containers/seccomp.json', '/etc/containers/seccomp.json'].find((p) => existsSync(p));
  return {
    kernel: os.release(),
    osName: rel.PRETTY_NAME ?? 'Linux',
    osId: rel.ID ?? 'linux',
    osVersion: rel.VERSION_ID ?? '',
    osCodename: rel.VERSION_CODENAME ?? '',
    arch: os.machine(),
    goArch: GOARCH[process.arch] ?? process.arch,
    cpus: os.availableParallelism(),
    memTotal: mem.MemTotal ?? os.totalmem(),
    memFree: mem.MemAvailable ?? os.freemem(),
    swapTotal: mem.SwapTotal ?? 0,
    swapFree: mem.SwapFree ?? 0,
    hostname: os.hostname(),
    uptimeSeconds: Math.floor(os.uptime()),
    cgroupVersion: v,
    cgroupControllers: controllers,
    memoryLimit: v === '2' ? controllers.includes('memory') : v1('memory', 'memory.limit_in_bytes'),
    swapLimit: v === '2' ? controllers.includes('memory') : v1('memory', 'memory.memsw.limit_in_bytes'),
    cpuCfs: v === '2' ? controllers.includes('cpu') : v1('cpu', 'cpu.cfs_quota_us'),
    cpuShares: v === '2' ? controllers.includes('cpu') : v1('cpu', 'cpu.shares'),
    cpuset: controllers.includes('cpuset'),
    pidsLimit: controllers.includes('pids'),
    bridgeNfIptables: readOr('/proc/sys/net/bridge/bridge-nf-call-iptables').trim() === '1',
    seccompProfile: seccomp,
    cpuUtilization: cpuUtilization(),
  };
}

/**
 * First line of `cmd --version` (all its lines joined, for a tool such as fuse-overlayfs whose
 * first line names another program), cached: only /info and /version ask, never on a hot path.
 */
const versions = new Map<string, Promise<string>>();
export function toolVersion(path: string | undefined, allLines = false): Promise<string> {
  if (!path) return Promise.resolve('');
  let v = versions.get(path);
  if (!v) {
    v = run(path, ['--version'], { timeout: 3000 })
      .then(({ stdout, stderr }) => (stdout || stderr).split('\n').map((l) => l.trim()).filter(Boolean))
      .then((lines) => (allLines ? lines.join(' ') : (lines[0] ?? '')))
      .catch(() => '');
    versions.set(path, v);
  }
  return v;
}

/** Bytes used and total on the filesystem holding `path` (for libpod's store info). */
export function fsUsage(path: string): { total: number; used: number } {
  try {
    const s = statfsSync(path);
    return { total: s.blocks * s.bsize, used: (s.blocks - s.bfree) * s.bsize };
  } catch {
    return { total: 0, used: 0 };
  }
}

/** statfs(2) magic numbers of the filesystems a storage root is found on, named as dockerd names them. */
const FS_NAMES: Record<number, string> = {
  0xef53: 'extfs',
  0x58465342: 'xfs',
  0x9123683e: 'btrfs',
  0x01021994: 'tmpfs',
  0x794c7630: 'overlayfs',
  0x2fc12fc1: 'zfs',
  0x6969: 'nfs',
  0xff534d42: 'cifs',
  0x65735546: 'fuseblk',
  0x3153464a: 'jfs',
  0x52654973: 'reiserfs',
  0xf2f52010: 'f2fs',
};

/** The filesystem holding `path`, as /info's "Backing Filesystem" ('<unknown>' as dockerd says it). */
export function backingFilesystem(path: string): string {
  try {
    const type = statfsSync(path).type >>> 0;
    return FS_NAMES[type] ?? '<unknown>';
  } catch {
    return '<unknown>';
  }
}

/**
 * Debian packages as podman prints them ("passt_0.0~git20230309.7c7625d-1_amd64"), by package
 * name, in one dpkg-query call (asking which package owns each file costs a call of 0.15 s each);
 * '' for one that is not installed. Cached: only /info asks.
 */
let packageCache: Promise<Map<string, string>> | undefined;
export async function debianPackage(name: string, all: string[]): Promise<string> {
  packageCache ??= run('dpkg-query', ['-W', '-f', '${Package}_${Version}_${Architecture}\n', ...all], { timeout: 3000 })
    .then(({ stdout }) => stdout)
    // Exit 1 when one is missing, with the others still printed.
    .catch((e: { stdout?: string }) => e.stdout ?? '')
    .then((out) => new Map(out.split('\n').filter(Boolean).map((l) => [l.split('_')[0], l.trim()])));
  return (await packageCache).get(name) ?? '';
}
