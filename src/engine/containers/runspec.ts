import { readFileSync } from 'node:fs';
import { boundingCaps, DOCKER_DEFAULT_CAPS, PODMAN_DEFAULT_CAPS, resolveCaps } from '../../oci/caps.js';
import { clampRlimits, defaultRlimits, rlimitName } from '../../oci/rlimits.js';
import { customSeccomp, defaultSeccomp } from '../../oci/seccomp.js';
import { MASKED, READONLY, type OciMount, type SpecInput } from '../../oci/spec.js';
import { hostDevices } from '../../oci/devices.js';
import { isRootless } from '../../config/rootless.js';
import { cgroupFacts } from '../../oci/cgroup-delegation.js';
import { blockIOLimits, deviceCgroupRules, deviceMappings } from './devices.js';
import type { ContainerSpec } from './types.js';
import { containerMounts } from './mounts.js';
import type { ResolvedUser } from './rootfs.js';

export const INIT_DEST = '/run/berth-init';

export interface RunSpecInput {
  id: string;
  spec: ContainerSpec;
  rootfs: string;
  user: ResolvedUser;
  etc: { hosts: string; hostname: string; resolv: string };
  cgroupsPath: string;
  /** The network namespace it joins: its own (a network's) or another container's. */
  networkNsPath?: string;
  /** Variables set before the container's own (docker's link variables); its own win. */
  extraEnv?: string[];
  /** Namespaces of a pod's infra container it joins (besides the network, given above). */
  joinNs?: SpecInput['joinNs'];
  /** Its secrets (secrets.ts): copies bound in read-only, and variables that win over its own. */
  secrets?: { mounts: { destination: string; source: string }[]; env: string[] };
}

function securityOpt(opts: string[], key: string): string | undefined {
  for (const o of opts) {
    const i = o.search(/[=:]/);
    const k = i < 0 ? o : o.slice(0, i);
    if (k === key) return i < 0 ? 'true' : o.slice(i + 1);
  }
  return undefined;
}

/**
 * The masked and read-only paths: HostConfig's lists when given (docker), then the security
 * options — docker's `systempaths=unconfined` (none), podman's `mask=/a:/b` and `unmask=ALL|/a:/b`.
 */
export function systemPaths(masked: string[] | null | undefined, readonly: string[] | null | undefined, secOpts: string[]): { masked?: string[]; readonly?: string[] } {
  let m = Array.isArray(masked) ? [...masked] : undefined;
  let r = Array.isArray(readonly) ? [...readonly] : undefined;
  if (securityOpt(secOpts, 'systempaths') === 'unconfined') m = r = [];
  const mask = securityOpt(secOpts, 'mask');
  if (mask && mask !== 'true') m = [...new Set([...(m ?? MASKED), ...mask.split(':').filter(Boolean)])];
  const unmask = securityOpt(secOpts, 'unmask');
  if (unmask === 'ALL') m = r = [];
  else if (unmask && unmask !== 'true') {
    const drop = new Set(unmask.split(':'));
    m = (m ?? MASKED).filter((p) => !drop.has(p));
    r = (r ?? READONLY).filter((p) => !drop.has(p));
  }
  return { masked: m, readonly: r };
}

/** Turns the stored container config into the runtime-neutral input of oci/spec.ts. */
export function runSpecInput(r: RunSpecInput): SpecInput {
  const { Config: c, HostConfig: h } = r.spec;
  const base = r.spec.flavor === 'podman' ? PODMAN_DEFAULT_CAPS : DOCKER_DEFAULT_CAPS;
  // Nested hosts may lack some capabilities themselves; asking runc for them fails the start.
  const bounding = new Set(boundingCaps());
  const caps = (h.Privileged ? [...bounding] : resolveCaps(base, h.CapAdd ?? [], h.CapDrop ?? [])).filter((c) => bounding.has(c));
  const secOpts = h.SecurityOpt ?? [];
  const seccompOpt = securityOpt(secOpts, 'seccomp');
  const seccomp = h.Privileged || seccompOpt === 'unconfined'
    ? undefined
    : seccompOpt && seccompOpt.trim().startsWith('{')
      ? customSeccomp(seccompOpt, caps)
      : defaultSeccomp(caps);
  const nnp = securityOpt(secOpts, 'no-new-privileges');

  let args = [...(c.Entrypoint ?? []), ...(c.Cmd ?? [])];
  const mounts: OciMount[] = [
    { destination: '/etc/hosts', type: 'bind', source: r.etc.hosts, options: ['rbind', 'rprivate'] },
    { destination: '/etc/hostname', type: 'bind', source: r.etc.hostname, options: ['rbind', 'rprivate'] },
    { destination: '/etc/resolv.conf', type: 'bind', source: r.etc.resolv, options: ['rbind', 'rprivate'] },
  ];
  if (h.Init && r.spec.initPath) {
    mounts.push({ destination: INIT_DEST, type: 'bind', source: r.spec.initPath, options: ['bind', 'ro', 'nosuid', 'nodev'] });
    args = [INIT_DEST, '--', ...args];
  }
  const tmpfs: Record<string, string> = {};
  for (const m of containerMounts(r.spec)) {
    // A volume is its directory bound in, an image mount its overlay; the default propagation is rprivate.
    if (m.type !== 'tmpfs') mounts.push({ destination: m.destination, type: 'bind', source: m.source, options: ['rbind', m.readOnly ? 'ro' : 'rw', m.propagation ?? 'rprivate', ...m.options] });
    else tmpfs[m.destination] = m.options.join(',');
  }
  for (const s of r.secrets?.mounts ?? []) mounts.push({ destination: s.destination, type: 'bind', source: s.source, options: ['rbind', 'ro', 'rprivate', 'nosuid', 'nodev', 'noexec'] });

  const own = new Set(c.Env.map((e) => e.split('=')[0]));
  const secretVars = new Set((r.secrets?.env ?? []).map((e) => e.split('=')[0]));
  const env = [...(r.extraEnv ?? []).filter((e) => !own.has(e.split('=')[0])), ...c.Env.filter((e) => !secretVars.has(e.split('=')[0])), ...(r.secrets?.env ?? [])];
  const has = (k: string) => env.some((e) => e.startsWith(`${k}=`));
  if (!has('HOSTNAME')) env.push(`HOSTNAME=${c.Hostname}`);
  if (!has('HOME')) env.push(`HOME=${r.user.home || '/'}`);
  if (c.Tty && !has('TERM')) env.push('TERM=xterm');

  const mapped = deviceMappings(h.Devices);
  const paths = systemPaths(h.MaskedPaths, h.ReadonlyPaths, secOpts);

  const rl = h.Ulimits?.length
    ? clampRlimits(h.Ulimits.map((u) => ({ type: rlimitName(u.Name), soft: u.Soft, hard: u.Hard })))
    : defaultRlimits();
  if (h.Ulimits?.length && !h.Ulimits.some((u) => rlimitName(u.Name) === 'RLIMIT_NOFILE')) rl.push(...defaultRlimits());

  return {
    rootfs: r.rootfs,
    readonlyRootfs: h.ReadonlyRootfs,
    args,
    env,
    cwd: c.WorkingDir || '/',
    user: { uid: r.user.uid, gid: r.user.gid, additionalGids: r.user.additionalGids },
    terminal: c.Tty,
    hostname: c.Hostname,
    domainname: c.Domainname || undefined,
    caps,
    privileged: h.Privileged,
    noNewPrivileges: nnp !== undefined && nnp !== 'false',
    seccomp,
    rlimits: rl,
    memory: h.Memory || 0,
    memorySwap: h.MemorySwap || 0,
    memoryReservation: h.MemoryReservation || 0,
    nanoCpus: h.NanoCpus || 0,
    cpuShares: h.CpuShares || 0,
    cpuQuota: h.CpuQuota || 0,
    cpuPeriod: h.CpuPeriod || 0,
    cpusetCpus: h.CpusetCpus || '',
    cpusetMems: h.CpusetMems || '',
    cpuRtPeriod: h.CpuRealtimePeriod || 0,
    cpuRtRuntime: h.CpuRealtimeRuntime || 0,
    blkioWeight: h.BlkioWeight || 0,
    // A privileged container may use every device already.
    deviceRules: h.Privileged ? undefined : [...mapped.rules, ...deviceCgroupRules(h.DeviceCgroupRules ?? [])],
    oomKillDisable: !!h.OomKillDisable,
    maskedPaths: paths.masked,
    readonlyPaths: paths.readonly,
    memorySwappiness: typeof h.MemorySwappiness === 'number' && h.MemorySwappiness >= 0 ? h.MemorySwappiness : undefined,
    blockIO: blockIOLimits(h),
    pidsLimit: h.PidsLimit && h.PidsLimit > 0 ? h.PidsLimit : 0,
    shmSize: h.ShmSize || 0,
    sysctls: h.Sysctls ?? {},
    oomScoreAdj: h.OomScoreAdj || undefined,
    network: h.NetworkMode === 'host' ? 'host' : 'private',
    networkNsPath: r.networkNsPath,
    ipcHost: h.IpcMode === 'host',
    pidHost: h.PidMode === 'host',
    utsHost: h.UTSMode === 'host',
    joinNs: r.joinNs,
    mounts,
    tmpfs,
    cgroupsPath: r.cgroupsPath,
    devices: h.Privileged ? [...hostDevices(), ...mapped.devices] : mapped.devices,
    rootless: isRootless() ? rootlessSpec() : undefined,
    annotations: { ...(r.spec.annotations ?? {}), 'io.container.manager': 'berth', 'org.opencontainers.image.stopSignal': c.StopSignal ?? 'SIGTERM' },
  };
}

let oomMin: number | undefined;

/** What the spec must respect in the user namespace (read once: the service's own values). */
function rootlessSpec(): NonNullable<SpecInput['rootless']> {
  if (oomMin === undefined) {
    try {
      oomMin = Number(readFileSync('/proc/self/oom_score_adj', 'utf8').trim()) || 0;
    } catch {
      oomMin = 0;
    }
  }
  return { cgroupParent: cgroupFacts().delegated?.path, oomScoreAdjMin: oomMin };
}
