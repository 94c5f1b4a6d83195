// What a start will hand to the kernel, runc and the container's /etc files, checked at create:
// a value they would refuse (an oom_score_adj of 5000, an unknown sysctl, a relative working
// directory, a hostname with a newline) is the client's mistake now, named with its field, not
// a container that can never start. Only what the image decides (its users and groups) waits
// for the start, which then answers 400 with the reason.
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { clip, quote } from '../../lib/clip.js';
import { badParameter } from '../errors.js';
import type { ContainerConfig, HostConfig } from './types.js';

/** The kernel's bound on one argument or environment string (MAX_ARG_STRLEN, with its NUL). */
const ARG_STRLEN_MAX = 128 * 1024 - 1;
/** argv and environment together: well under the ARG_MAX of an 8 MiB stack (2 MiB). */
const ARGS_TOTAL_MAX = 1024 * 1024;
const PATH_MAX = 4096;
/** sethostname(2) and setdomainname(2) refuse more (HOST_NAME_MAX). */
const HOSTNAME_MAX = 64;
/** pids.max refuses PID_MAX_LIMIT + 1 and more. */
export const PIDS_MAX = 4 * 1024 * 1024;
/** The largest uid or gid (4294967295 is "no id"). */
const ID_MAX = 4294967294;

const refuse = (field: string, why: string) => badParameter(`invalid ${field}: ${why}`);

function strings(field: string, v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw refuse(field, 'expected a list of strings');
  return v as string[];
}

function plain(field: string, s: string, max: number): void {
  if (s.includes('\0')) throw refuse(field, `${quote(s, 64)} contains a NUL byte`);
  if (s.length > max) throw refuse(field, `${clip(s, 64)} is longer than ${max} characters`);
}

/** A host or domain name as the kernel, /etc/hosts and the resolver take it. */
const HOSTNAME_RE = /^[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;

function checkHostname(field: string, v: unknown): void {
  if (v === undefined || v === null || v === '') return;
  if (typeof v !== 'string') throw refuse(field, 'expected a string');
  if (v.length > HOSTNAME_MAX || !HOSTNAME_RE.test(v)) {
    throw refuse(field, `${quote(v, 64)}: at most ${HOSTNAME_MAX} letters, digits, '-', '_' and '.', starting and ending with a letter or digit`);
  }
}

/** `user`, `uid`, `user:group` or `uid:gid`: names as passwd and group files spell them. */
const ID_PART = /^[^:\s\0/]{1,256}$/;

function checkId(field: string, part: string, spec: string): void {
  if (!ID_PART.test(part)) throw refuse(field, `${quote(spec, 64)} is not a user or group name or number`);
  if (/^\d+$/.test(part) && Number(part) > ID_MAX) throw refuse(field, `${quote(spec, 64)}: ids go up to ${ID_MAX}`);
}

function checkUser(v: unknown): void {
  if (v === undefined || v === null || v === '') return;
  if (typeof v !== 'string') throw refuse('User', 'expected a string');
  const parts = v.split(':');
  if (parts.length > 2 || parts[0] === '') throw refuse('User', `${quote(v, 64)}: expected user, uid, user:group or uid:gid`);
  for (const p of parts) if (p !== '') checkId('User', p, v);
}

/** The process a container or an exec runs: its arguments, environment, directory and user. */
function checkProcess(c: Pick<Partial<ContainerConfig>, 'Cmd' | 'Entrypoint' | 'Env' | 'WorkingDir' | 'User'>): void {
  let total = 0;
  for (const field of ['Cmd', 'Entrypoint', 'Env'] as const) {
    for (const s of strings(field, c[field])) {
      plain(field, s, ARG_STRLEN_MAX);
      total += Buffer.byteLength(s) + 1;
    }
  }
  if (total > ARGS_TOTAL_MAX) throw badParameter(`the command and environment are ${total} bytes: at most ${ARGS_TOTAL_MAX} may be passed to a process`);
  // dockerd's ValidateEnv: a variable needs a name.
  for (const e of strings('Env', c.Env)) if (e === '' || e.startsWith('=')) throw badParameter(`invalid environment variable: ${clip(e, 64)}`);
  const wd = c.WorkingDir;
  if (wd !== undefined && wd !== null && wd !== '') {
    if (typeof wd !== 'string') throw refuse('WorkingDir', 'expected a string');
    plain('WorkingDir', wd, PATH_MAX);
    // dockerd's words.
    if (!wd.startsWith('/')) throw badParameter(`the working directory '${clip(wd, 64)}' is invalid, it needs to be an absolute path`);
  }
  checkUser(c.User);
}

function checkConfig(c: Partial<ContainerConfig>): void {
  checkProcess(c);
  checkHostname('Hostname', c.Hostname);
  checkHostname('Domainname', c.Domainname);
  const st = c.StopTimeout;
  if (st !== undefined && st !== null && (typeof st !== 'number' || !Number.isSafeInteger(st) || st < -1)) throw refuse('StopTimeout', `${quote(st)}: seconds, or -1 to wait without a limit`);
  checkHealthcheck(c.Healthcheck);
}

/** dockerd's validateHealthCheck. */
function checkHealthcheck(h: ContainerConfig['Healthcheck'] | null | undefined): void {
  if (!h) return;
  for (const k of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval'] as const) {
    const v = h[k];
    if (v === undefined || v === null || v === 0) continue;
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw refuse(`Healthcheck.${k}`, 'expected nanoseconds');
    if (v < 1_000_000) throw badParameter(`${k} in Healthcheck cannot be less than 1ms`);
  }
  const r = h.Retries;
  if (r !== undefined && r !== null && (typeof r !== 'number' || !Number.isSafeInteger(r))) throw refuse('Healthcheck.Retries', 'expected a count');
  if (typeof r === 'number' && r < 0) throw badParameter('Retries in Healthcheck cannot be negative');
}

// The namespaced sysctls docker's and podman's validation lets through: these IPC ones and
// the fs.mqueue and net prefixes; runc then needs the container's own IPC or network namespace.
const IPC_SYSCTLS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);
const SYSCTL_NAME = /^[a-z0-9_]+(?:[./][A-Za-z0-9_@:+-]+)+$/;

function checkSysctls(h: Partial<HostConfig>, procSys: string): void {
  const s = h.Sysctls;
  if (s === undefined || s === null) return;
  if (typeof s !== 'object' || Array.isArray(s)) throw refuse('Sysctls', 'expected an object of names and values');
  for (const [k, v] of Object.entries(s)) {
    if (typeof v !== 'string') throw refuse('Sysctls', `the value of ${clip(k, 64)} must be a string`);
    if (/[\0\n]/.test(v) || v.length > PATH_MAX) throw refuse('Sysctls', `the value of ${clip(k, 64)} is not one line of at most ${PATH_MAX} characters`);
    const ipc = IPC_SYSCTLS.has(k) || k.startsWith('fs.mqueue.');
    if (!SYSCTL_NAME.test(k) || k.split(/[./]/).includes('..') || !(ipc || k.startsWith('net.'))) throw badParameter(`sysctl '${clip(k, 64)}' is not allowed`);
    if (ipc && h.IpcMode === 'host') throw badParameter(`sysctl '${clip(k, 64)}' is not allowed in the host's IPC namespace`);
    // The kernel's own list: a name it does not have fails the start.
    if (!existsSync(`${procSys}/${k.replace(/\./g, '/')}`)) throw badParameter(`sysctl '${clip(k, 64)}' is not known to this kernel`);
  }
}

function checkInteger(field: string, v: unknown, min: number, max: number, why: string): void {
  if (v === undefined || v === null) return;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) throw badParameter(why.replace('%v', quote(v)).replace('%f', field));
}

function checkResources(h: Partial<HostConfig>): void {
  // dockerd's words.
  checkInteger('OomScoreAdj', h.OomScoreAdj, -1000, 1000, 'Invalid value %v, range for oom score adj is [-1000, 1000]');
  checkInteger('ShmSize', h.ShmSize, 0, Number.MAX_SAFE_INTEGER, 'SHM size can not be less than 0');
  checkUpdatableLimits(h);
}

/** The bounds of the limits `update` may change too, beyond dockerd's own checks (resources.ts). */
export function checkUpdatableLimits(h: Partial<HostConfig>): void {
  checkInteger('MemorySwap', h.MemorySwap, -1, Number.MAX_SAFE_INTEGER, 'invalid MemorySwap %v: bytes, or -1 for unlimited swap');
  checkInteger('PidsLimit', h.PidsLimit, -Number.MAX_SAFE_INTEGER, PIDS_MAX, `invalid PidsLimit %v: at most ${PIDS_MAX} (0 or less: unlimited)`);
  // The kernel's bound on a CFS quota (max_cfs_runtime, in µs).
  checkInteger('CpuQuota', h.CpuQuota, -1, CFS_QUOTA_MAX, `invalid CpuQuota %v: at most ${CFS_QUOTA_MAX} microseconds`);
}
const CFS_QUOTA_MAX = Math.floor((2 ** 44 - 1) / 1000);

function checkUlimits(v: unknown): void {
  if (v === undefined || v === null) return;
  if (!Array.isArray(v)) throw refuse('Ulimits', 'expected a list of {Name, Soft, Hard}');
  for (const u of v as { Name?: unknown; Soft?: unknown; Hard?: unknown }[]) {
    const name = u?.Name;
    // go-units' ulimit names, as docker's --ulimit parses them.
    if (typeof name !== 'string' || !ULIMITS.has(name.toLowerCase().replace(/^rlimit_/, ''))) throw badParameter(`invalid ulimit type: ${quote(name, 64)}`);
    for (const k of ['Soft', 'Hard'] as const) {
      const n = u[k];
      // -1 is unlimited (docker passes it on as RLIM_INFINITY).
      if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < -1) throw badParameter(`invalid ulimit ${name}: ${k} must be a count, or -1 for unlimited`);
    }
    const soft = u.Soft as number;
    const hard = u.Hard as number;
    if (hard !== -1 && (soft === -1 || soft > hard)) throw badParameter(`ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  }
}
const ULIMITS = new Set(['core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack', 'as']);

function checkNames(h: Partial<HostConfig>): void {
  for (const a of strings('GroupAdd', h.GroupAdd)) checkId('GroupAdd', a, a);
  for (const d of strings('Dns', h.Dns)) if (!isIP(d)) throw badParameter(`${quote(d, 64)} is not an ip address`);
  for (const d of strings('DnsSearch', h.DnsSearch)) {
    if (d !== '.' && !/^[A-Za-z0-9_]([A-Za-z0-9_.-]{0,252})$/.test(d)) throw badParameter(`${quote(d, 64)} is not a valid domain`);
  }
  for (const o of strings('DnsOptions', h.DnsOptions)) if (!/^[\x21-\x7e]{1,256}$/.test(o)) throw refuse('DnsOptions', `${quote(o, 64)} is not one resolver option`);
  for (const e of strings('ExtraHosts', h.ExtraHosts)) checkExtraHost(e);
  for (const field of ['MaskedPaths', 'ReadonlyPaths'] as const) {
    for (const p of strings(field, h[field])) {
      plain(field, p, PATH_MAX);
      if (!p.startsWith('/')) throw refuse(field, `${quote(p, 64)} is not an absolute path`);
    }
  }
}

/**
 * An ExtraHosts entry as docker reads it: `name=ip` (docker 25 on) or `name:ip` (split at the
 * first colon, so IPv6 works), the address maybe in brackets; undefined when it is neither.
 */
export function splitExtraHost(e: string): { name: string; ip: string } | undefined {
  const i = e.includes('=') ? e.indexOf('=') : e.indexOf(':');
  if (i <= 0) return undefined;
  return { name: e.slice(0, i), ip: e.slice(i + 1).replace(/^\[(.*)\]$/, '$1') };
}

/** docker's ValidateExtraHost: a name and an address, or `host-gateway`. */
function checkExtraHost(e: string): void {
  const h = splitExtraHost(e);
  if (!h || !/^[^\s\0#]{1,253}$/.test(h.name)) throw badParameter(`bad format for add-host: ${quote(e, 64)}`);
  if (h.ip !== 'host-gateway' && !isIP(h.ip)) throw badParameter(`invalid IP address in add-host: ${quote(h.ip, 64)}`);
}

const SECURITY_OPTS = ['seccomp', 'no-new-privileges', 'apparmor', 'label', 'mask', 'unmask', 'systempaths'];
const LABEL_OPTS = /^(disable|nested|(user|role|type|level|filetype):.+)$/;

/**
 * The values of the security options (their names are checked with the seccomp profile): what
 * docker and podman parse them into, so none is stored that a start would misread.
 */
function checkSecurityOptValues(v: unknown): void {
  for (const o of strings('SecurityOpt', v)) {
    const i = o.search(/[=:]/);
    const k = i < 0 ? o : o.slice(0, i);
    const val = i < 0 ? undefined : o.slice(i + 1);
    if (!SECURITY_OPTS.includes(k)) continue;
    const bad = () => badParameter(`invalid --security-opt: ${quote(o, 64)}`);
    if (k === 'no-new-privileges' && val !== undefined && !['true', 'false', '1', '0'].includes(val)) throw bad();
    if (k === 'systempaths' && val !== 'unconfined') throw bad();
    if (k === 'label' && (val === undefined || !LABEL_OPTS.test(val))) throw bad();
    if (k === 'apparmor' && (val === undefined || !/^[\x21-\x7e]{1,256}$/.test(val))) throw bad();
    if ((k === 'mask' || k === 'unmask') && (val === undefined || !(val === 'ALL' && k === 'unmask') && val.split(':').some((p) => !p.startsWith('/') || p.includes('\0')))) throw bad();
  }
}

/**
 * Everything of Config and HostConfig that the start applies and no other check covers; `procSys`
 * is where the kernel's sysctls are listed (tests pass their own).
 */
export function checkStartInputs(c: Partial<ContainerConfig>, h: Partial<HostConfig>, procSys = '/proc/sys'): void {
  checkConfig(c);
  checkResources(h);
  checkUlimits(h.Ulimits);
  checkSysctls(h, procSys);
  checkNames(h);
  checkSecurityOptValues(h.SecurityOpt);
}

/** An exec's process, checked as a container's is. */
export function checkExecInputs(e: { Cmd?: unknown; Env?: unknown; WorkingDir?: unknown; User?: unknown }): void {
  checkProcess(e as Partial<ContainerConfig>);
}

/** dockerd clamps CPU shares to what the kernel takes (adaptContainerSettings); said as a warning. */
export function clampCpuShares(h: Partial<HostConfig>): string | undefined {
  const max = 262144;
  if (typeof h.CpuShares === 'number' && h.CpuShares > max) {
    const asked = h.CpuShares;
    h.CpuShares = max;
    return `Changing requested CPUShares of ${asked} to maximum allowed of ${max}`;
  }
  return undefined;
}
