import { readFileSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { clip } from '../lib/clip.js';
import { arch as nodeArch } from 'node:os';

/**
 * containers/common ships its profile in the moby format (archMap, includes/excludes by cap and
 * arch); runtimes want the OCI `linux.seccomp` shape. We convert once per capability set.
 */
export const DEFAULT_PROFILE = '/usr/share/containers/seccomp.json';

interface MobyRule {
  names?: string[];
  name?: string;
  action: string;
  args?: { index: number; value: number; valueTwo?: number; op: string }[] | null;
  errnoRet?: number;
  includes?: { caps?: string[]; arches?: string[]; minKernel?: string };
  excludes?: { caps?: string[]; arches?: string[]; minKernel?: string };
}
interface MobyProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  archMap?: { architecture: string; subArchitectures?: string[] }[];
  architectures?: string[];
  syscalls?: MobyRule[];
}

export interface OciSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures: string[];
  syscalls: { names: string[]; action: string; errnoRet?: number; args?: MobyRule['args'] }[];
}

// Go's GOARCH names (used in `arches`) and libseccomp's names (used in archMap).
const GOARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm', s390x: 's390x', ppc64: 'ppc64le' };
const SCMP: Record<string, string> = { amd64: 'SCMP_ARCH_X86_64', arm64: 'SCMP_ARCH_AARCH64', '386': 'SCMP_ARCH_X86', arm: 'SCMP_ARCH_ARM', s390x: 'SCMP_ARCH_S390X', ppc64le: 'SCMP_ARCH_PPC64LE' };

let raw: MobyProfile | undefined;
/**
 * Converted profiles by capability set. Each is tens of KiB and the sets come from clients
 * (--cap-add/--cap-drop), so only the most recent few are kept: nearly every container asks for
 * the default set.
 */
const cache = new Map<string, OciSeccomp>();
export const SECCOMP_CACHE_MAX = 8;

/** Profiles cached now (for tests of the bound). */
export function cachedSeccompProfiles(): number {
  return cache.size;
}

function kernelAtLeast(v: string): boolean {
  const [a, b] = v.split('.').map(Number);
  const [x, y] = readKernel().split('.').map(Number);
  return x > a || (x === a && y >= b);
}
let kernel: string | undefined;
function readKernel(): string {
  kernel ??= readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  return kernel;
}

export function convertProfile(p: MobyProfile, caps: string[], goarch = GOARCH[nodeArch()] ?? nodeArch()): OciSeccomp {
  const capSet = new Set(caps.map((c) => (c.startsWith('CAP_') ? c : `CAP_${c}`)));
  const native = SCMP[goarch];
  let architectures = p.architectures ?? [];
  const m = p.archMap?.find((a) => a.architecture === native);
  if (m) architectures = [m.architecture, ...(m.subArchitectures ?? [])];
  const syscalls: OciSeccomp['syscalls'] = [];
  for (const r of p.syscalls ?? []) {
    const inc = r.includes ?? {};
    const exc = r.excludes ?? {};
    if (inc.arches?.length && !inc.arches.includes(goarch)) continue;
    if (exc.arches?.length && exc.arches.includes(goarch)) continue;
    if (inc.caps?.length && !inc.caps.every((c) => capSet.has(c))) continue;
    if (exc.caps?.length && exc.caps.some((c) => capSet.has(c))) continue;
    if (inc.minKernel && !kernelAtLeast(inc.minKernel)) continue;
    const names = r.names ?? (r.name ? [r.name] : []);
    if (!names.length) continue;
    const out: OciSeccomp['syscalls'][number] = { names, action: r.action };
    if (r.errnoRet !== undefined) out.errnoRet = r.errnoRet;
    if (r.args?.length) out.args = r.args.map((a) => ({ index: a.index, value: a.value, valueTwo: a.valueTwo ?? 0, op: a.op }));
    syscalls.push(out);
  }
  const res: OciSeccomp = { defaultAction: p.defaultAction, architectures, syscalls };
  if (p.defaultErrnoRet !== undefined) res.defaultErrnoRet = p.defaultErrnoRet;
  return res;
}

let x32: boolean | undefined;
/**
 * Whether the kernel has the x32 ABI, from its build config (/proc/config.gz or
 * /boot/config-RELEASE); true when neither says. Most kernels are built without it.
 */
export function kernelHasX32(): boolean {
  if (x32 !== undefined) return x32;
  let text = '';
  try {
    text = gunzipSync(readFileSync('/proc/config.gz')).toString('latin1');
  } catch {
    try {
      text = readFileSync(`/boot/config-${readKernel()}`, 'latin1');
    } catch {
      /* unknown: keep the filter */
    }
  }
  x32 = !/^# CONFIG_X86_X32_ABI is not set$/m.test(text);
  return x32;
}

/**
 * The profile without SCMP_ARCH_X32 when the kernel has no x32 ABI: no process can make an x32
 * syscall there, so its filter is never reached, yet runc's libseccomp builds it at every start
 * and exec (a third of the filter's cost, ~6 ms of CPU per process measured here). Filtering
 * stays as strict: an arch left out of a filter is killed, not allowed.
 */
export function withoutDeadArches(p: OciSeccomp, hasX32 = kernelHasX32()): OciSeccomp {
  if (hasX32 || !p.architectures.includes('SCMP_ARCH_X32')) return p;
  return { ...p, architectures: p.architectures.filter((a) => a !== 'SCMP_ARCH_X32') };
}

/** The default profile adjusted for `caps`; undefined when the host has no profile file. */
export function defaultSeccomp(caps: string[], path = DEFAULT_PROFILE): OciSeccomp | undefined {
  const key = `${path}\0${[...caps].sort().join(',')}`;
  const hit = cache.get(key);
  if (hit) {
    // Most recently used last: the first key is the one to drop.
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  try {
    raw ??= JSON.parse(readFileSync(path, 'utf8')) as MobyProfile;
  } catch {
    return undefined;
  }
  const res = withoutDeadArches(convertProfile(raw, caps));
  cache.set(key, res);
  if (cache.size > SECCOMP_CACHE_MAX) cache.delete(cache.keys().next().value!);
  return res;
}

/** Profiles are a few tens of KiB; a file far larger is not one (and /dev/zero never ends). */
const PROFILE_FILE_MAX = 4 << 20;

/**
 * The text of a profile file named by a client (libpod's seccomp_profile_path): a regular file
 * of bounded size holding a JSON profile. Its errors name the path and never quote the content:
 * the file may be any host file (/etc/shadow).
 */
export function readProfileFile(path: string): string {
  let text: string;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new Error('not a regular file');
    if (st.size > PROFILE_FILE_MAX) throw new Error('too large for a seccomp profile');
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read seccomp profile ${clip(path)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  checkProfileText(text, `seccomp profile ${clip(path)}`);
  return text;
}

/** Throws (quoting nothing of `text`) unless it is a JSON object with a defaultAction. */
export function checkProfileText(text: string, what = 'seccomp profile'): void {
  let p: unknown;
  try {
    p = JSON.parse(text);
  } catch {
    throw new Error(`invalid ${what}: not JSON`);
  }
  if (!p || typeof p !== 'object' || Array.isArray(p) || typeof (p as MobyProfile).defaultAction !== 'string') {
    throw new Error(`invalid ${what}: not a seccomp profile (no defaultAction)`);
  }
}

/** A custom profile given inline (`--security-opt seccomp=<json>`) in either format. */
export function customSeccomp(json: string, caps: string[]): OciSeccomp {
  const p = JSON.parse(json) as MobyProfile;
  return withoutDeadArches(convertProfile(p, caps));
}
