import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { validateCgroupParent, validateCpuset } from './cgroup-settings.js';
import { mountsOf, volumePathMounts, volumesFromMounts, type ImageVolumeMode } from './mounts.js';
import { clip, quote } from '../../lib/clip.js';
import { NAME_MAX } from '../../lib/limits.js';
import { badParameter, notFound } from '../errors.js';
import { resolveCaps, DOCKER_DEFAULT_CAPS } from '../../oci/caps.js';
import { blockIOLimits, deviceCgroupRules, deviceMappings } from './devices.js';
import { verifyResources } from './resources.js';
import { isRootless } from '../../config/rootless.js';
import { rootlessLimitsWarning } from '../../oci/cgroup-delegation.js';
import { connectorModeProblem } from '../../network/rootless/connector-mode.js';
import { checkStartInputs, clampCpuShares } from './config-checks.js';
import { systemPaths } from './runspec.js';
import { MASKED, READONLY } from '../../oci/spec.js';
import { checkProfileText } from '../../oci/seccomp.js';
import { parseSignal } from './signals.js';
import { validatePortBindings } from '../networks/ports.js';
import type { EndpointConfig } from '../networks/types.js';
import type { SecretRequest } from './secrets.js';
import { mergeHealthcheck } from '../health/config.js';
import type { HealthOnFailure } from '../health/types.js';
import type { ContainerConfig, ContainerSpec, Flavor, HostConfig, MountSpec, ResolvedImage, RestartPolicy } from './types.js';

export interface CreateRequest {
  name?: string;
  config: Partial<ContainerConfig> & { Image?: string };
  hostConfig?: Partial<HostConfig>;
  /** Per network (name or ID): aliases, static addresses, MAC (docker's EndpointsConfig, podman's Networks). */
  endpoints?: Record<string, EndpointConfig>;
  flavor: Flavor;
  /** OCI annotations for the runtime spec (libpod). */
  annotations?: Record<string, string>;
  /** What serves the image's VOLUME paths; anonymous volumes unless asked otherwise (podman's image_volume_mode). */
  imageVolumes?: ImageVolumeMode;
  /** The pod (name or ID) it joins: its namespaces, network and hostname are the pod's. */
  pod?: string;
  /** Set by the pod service only: this is the infra container of pod `pod`. */
  podInfra?: boolean;
  /** Secrets as files or variables (libpod's secrets and secret_env). */
  secrets?: SecretRequest[];
  /** Defaults (the image's variables, the default PATH) left out: by name, or all (podman's --unsetenv). */
  unsetEnv?: { names: string[]; all: boolean };
  /** podman's --health-on-failure. */
  healthOnFailure?: HealthOnFailure;
}

/** What a create needs to know of other containers. */
export interface CreateDeps {
  /** The mounts of another container (VolumesFrom); undefined when there is no such container. */
  mountsOf?(ref: string): MountSpec[] | undefined;
}

const NAME_RE = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export function validateName(name: string): string {
  if (typeof name === 'string' && name.replace(/^\//, '').length > NAME_MAX) throw badParameter(`Invalid container name (${clip(name)}): at most ${NAME_MAX} characters`);
  if (!NAME_RE.test(name)) throw badParameter(`Invalid container name (${clip(name)}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  return name.replace(/^\//, '');
}

const ADJ = ['admiring', 'brave', 'clever', 'eager', 'focused', 'gallant', 'happy', 'jolly', 'keen', 'loving', 'modest', 'nifty', 'quirky', 'sharp', 'tender', 'vibrant', 'wizardly', 'zealous'];
const NOUN = ['babbage', 'curie', 'darwin', 'euclid', 'fermi', 'galois', 'hopper', 'lovelace', 'noether', 'pascal', 'ritchie', 'shannon', 'thompson', 'turing', 'wozniak', 'yonath'];

export function randomName(taken: (n: string) => boolean): string {
  for (let i = 0; ; i++) {
    const b = randomBytes(3);
    const n = `${ADJ[b[0] % ADJ.length]}_${NOUN[b[1] % NOUN.length]}${i > 3 ? b[2] : ''}`;
    if (!taken(n)) return n;
  }
}

export const newId = (): string => randomBytes(32).toString('hex');

export function validateRestartPolicy(p: Partial<RestartPolicy> | undefined, autoRemove: boolean): RestartPolicy {
  const name = (p?.Name ?? '') as string;
  const max = p?.MaximumRetryCount ?? 0;
  if (!['', 'no', 'always', 'unless-stopped', 'on-failure'].includes(name)) throw badParameter(`invalid restart policy: unknown policy '${clip(name)}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
  if (max < 0) throw badParameter('invalid restart policy: maximum retry count cannot be negative');
  if (max > 0 && name !== 'on-failure') throw badParameter(`invalid restart policy: maximum retry count can only be used with 'on-failure'`);
  if (autoRemove && name !== '' && name !== 'no') throw badParameter(`conflicting options: cannot specify both --restart and --rm`);
  return { Name: name as RestartPolicy['Name'], MaximumRetryCount: max };
}

const MIN_MEMORY = 6 * 1024 * 1024;

export function validateResources(h: Partial<HostConfig>): void {
  // Whole numbers only: a fraction stored here would be written where runc and the docker CLI
  // decode an int64, and neither could read the container again.
  for (const k of ['Memory', 'MemoryReservation', 'NanoCpus', 'CpuShares', 'CpuPeriod', 'CpuQuota', 'ShmSize', 'KernelMemory', 'CpuRealtimePeriod', 'CpuRealtimeRuntime', 'BlkioWeight'] as const) {
    const v = h[k];
    if (v !== undefined && v !== null && (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)) throw badParameter(`invalid ${k}: ${quote(v)} (a whole number, 0 or more)`);
  }
  for (const k of ['MemorySwap', 'PidsLimit'] as const) {
    const v = h[k];
    if (v !== undefined && v !== null && (typeof v !== 'number' || !Number.isSafeInteger(v))) throw badParameter(`invalid ${k}: ${quote(v)} (a whole number)`);
  }
  if (h.Memory && h.Memory > 0 && h.Memory < MIN_MEMORY) throw badParameter('Minimum memory limit allowed is 6MB');
  if (h.MemorySwap !== undefined && h.MemorySwap > 0 && h.Memory && h.MemorySwap < h.Memory) throw badParameter('Minimum memoryswap limit should be larger than memory limit, see usage');
  if (h.NanoCpus && h.NanoCpus > 0 && (h.CpuQuota || h.CpuPeriod)) throw badParameter('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  if (h.NanoCpus && h.NanoCpus > 0 && h.NanoCpus < 1e7) throw badParameter('Range of CPUs is from 0.01 to the number of CPUs available on the system');
  validateCpuset(h.CpusetCpus);
  validateCgroupParent(h.CgroupParent);
}

/** Network modes other than a network's name: the name itself was checked by the network service. */
export function networkMode(mode: string | undefined): { mode: string; warning?: string } {
  const m = mode || 'default';
  if (m === 'host' || m === 'none') return { mode: m };
  if (m.startsWith('container:') && m.length > 'container:'.length) {
    // Another container's name or ID: anything else could never name one.
    const ref = m.slice('container:'.length);
    if (ref.length > NAME_MAX || !/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(ref)) throw badParameter(`invalid network mode ${clip(m, 64)}: container:NAME or container:ID`);
    return { mode: m };
  }
  // podman's connector modes: what the default network of a rootless berth is, by name.
  if (/^(slirp4netns|pasta)(:|$)/.test(m) && isRootless()) {
    const problem = connectorModeProblem(m);
    if (problem) throw badParameter(`network mode "${clip(m)}": ${problem}`);
    return { mode: m };
  }
  if (m === 'container:' || m.startsWith('ns:') || m === 'private' || /^(slirp4netns|pasta)(:|$)/.test(m)) {
    throw badParameter(`network mode "${clip(m)}" is not supported yet: use a network, "none" or "host"`);
  }
  return { mode: m };
}

function checkSecurityOpt(opts: string[]): void {
  for (const o of opts) {
    const [k, v = ''] = o.includes('=') ? [o.slice(0, o.indexOf('=')), o.slice(o.indexOf('=') + 1)] : o.split(':');
    if (!['seccomp', 'no-new-privileges', 'apparmor', 'label', 'mask', 'unmask', 'systempaths'].includes(k)) throw badParameter(`invalid --security-opt: ${clip(o)}`);
    // A profile's text is never quoted back: it may have come from any host file.
    if (k === 'seccomp' && v !== 'unconfined' && v !== 'default') {
      try {
        checkProfileText(v);
      } catch (e) {
        throw badParameter((e as Error).message);
      }
    }
  }
}

const DEFAULT_HOST: HostConfig = {
  Binds: null, NetworkMode: 'default', RestartPolicy: { Name: 'no', MaximumRetryCount: 0 }, AutoRemove: false,
  CapAdd: null, CapDrop: null, Dns: [], DnsOptions: [], DnsSearch: [], ExtraHosts: null, IpcMode: 'private',
  PidMode: '', UTSMode: '', Privileged: false, ReadonlyRootfs: false, SecurityOpt: null, ShmSize: 67108864,
  Memory: 0, MemorySwap: 0, MemoryReservation: 0, NanoCpus: 0, CpuShares: 0, CpuPeriod: 0, CpuQuota: 0,
  CpusetCpus: '', PidsLimit: null, OomScoreAdj: 0, Ulimits: null, CgroupParent: '', Init: null,
  LogConfig: { Type: 'k8s-file', Config: {} },
};

/**
 * Validates a create request and merges the image's defaults into the stored config, as
 * dockerd does (so inspect shows the effective Cmd, Env, WorkingDir...). Returns warnings.
 */
export function buildSpec(req: CreateRequest, image: ResolvedImage, id: string, deps: CreateDeps = {}): { spec: ContainerSpec; warnings: string[] } {
  const c = req.config;
  const h = { ...DEFAULT_HOST, ...(req.hostConfig ?? {}) } as HostConfig;
  const warnings: string[] = [];
  h.RestartPolicy = validateRestartPolicy(req.hostConfig?.RestartPolicy, h.AutoRemove);
  if (h.RestartPolicy.Name === '') h.RestartPolicy.Name = 'no';
  validateResources(h);
  warnings.push(...verifyResources(h, false, h.CgroupParent));
  // Rootless without a delegated cgroup tree: the limits cannot be applied, which is said, not refused.
  const unapplied = isRootless() ? rootlessLimitsWarning(h as unknown as Record<string, unknown>) : undefined;
  if (unapplied) warnings.push(unapplied);
  // dockerd's default, shown by inspect: swap as much again as the memory.
  if (h.Memory > 0 && !h.MemorySwap) h.MemorySwap = h.Memory * 2;
  deviceCgroupRules(h.DeviceCgroupRules);
  // Devices are looked up again at each start; a missing one is the client's mistake now.
  deviceMappings(h.Devices);
  blockIOLimits(h);
  const net = networkMode(h.NetworkMode);
  h.NetworkMode = net.mode;
  if (net.warning) warnings.push(net.warning);
  validatePortBindings(h.PortBindings);
  const published = Object.values(h.PortBindings ?? {}).some((b) => b && b.length) || !!h.PublishAllPorts;
  if (published && net.mode === 'host') warnings.push('Published ports are discarded when using host network mode');
  else if (published && net.mode.startsWith('container:')) throw badParameter('conflicting options: port publishing and the container type network mode');
  resolveCapsChecked(h.CapAdd ?? [], h.CapDrop ?? []);
  checkSecurityOpt(h.SecurityOpt ?? []);
  // dockerd records the effective lists at create (inspect shows them); privileged has none.
  if (req.flavor === 'docker' && !h.Privileged) {
    const p = systemPaths(h.MaskedPaths, h.ReadonlyPaths, h.SecurityOpt ?? []);
    h.MaskedPaths = p.masked ?? [...MASKED];
    h.ReadonlyPaths = p.readonly ?? [...READONLY];
  }
  const own = mountsOf(h);
  if (c.StopSignal) parseSignal(c.StopSignal);
  if (h.NetworkMode === 'host' && h.Sysctls) {
    const net = Object.keys(h.Sysctls).filter((k) => k.startsWith('net.'));
    // podman clients send containers.conf's default net sysctls; they do not apply to the host's network.
    if (net.length && req.flavor === 'docker') throw badParameter(`sysctl "${clip(net[0])}" is not allowed in the host network namespace`);
    for (const k of net) delete h.Sysctls[k];
  }
  checkStartInputs(c, h);
  const shares = clampCpuShares(h);
  if (shares) warnings.push(shares);
  if (h.IpcMode === '') h.IpcMode = 'private';
  if (h.IpcMode !== 'private' && h.IpcMode !== 'host' && h.IpcMode !== 'shareable') throw badParameter(`ipc mode "${quote(h.IpcMode)}" is not supported`);
  if (h.PidMode && h.PidMode !== 'host') throw badParameter(`pid mode "${quote(h.PidMode)}" is not supported`);
  if (h.UTSMode && h.UTSMode !== 'host') throw badParameter(`uts mode "${quote(h.UTSMode)}" is not supported`);
  const logType = h.LogConfig?.Type || 'k8s-file';
  checkLogDriver(logType);
  h.LogConfig = { Type: logType === 'none' ? 'none' : 'k8s-file', Config: h.LogConfig?.Config ?? {} };
  for (const k of Object.keys(h.LogConfig.Config)) if (!['max-size', 'max-file', 'path', 'tag'].includes(k)) throw badParameter(`unknown log opt '${clip(k)}' for ${logType} log driver`);
  const maxSize = h.LogConfig.Config['max-size'];
  if (maxSize && !/^\d+(\.\d+)?\s*[kmgKMG]?[bB]?$/.test(maxSize.trim())) throw badParameter(`invalid log max-size: ${quote(maxSize)}`);

  const ic = image.config;
  const envMap = new Map<string, string>();
  const unset = req.unsetEnv;
  const dropped = (e: string) => !!unset && (unset.all || unset.names.includes(e.split('=')[0]));
  for (const e of [...(ic.Env ?? []).filter((x) => !dropped(x)), ...(c.Env ?? [])]) {
    const i = e.indexOf('=');
    envMap.set(i < 0 ? e : e.slice(0, i), e);
  }
  const entry = c.Entrypoint !== undefined && c.Entrypoint !== null ? c.Entrypoint : ic.Entrypoint ?? null;
  // A new entrypoint resets the image's Cmd, as in docker.
  const cmd = c.Cmd && c.Cmd.length ? c.Cmd : c.Entrypoint !== undefined && c.Entrypoint !== null ? null : ic.Cmd ?? null;
  if (!(entry && entry.length) && !(cmd && cmd.length)) throw badParameter('No command specified');
  const config: ContainerConfig = {
    // With the host's network the host's name is the natural one, as in docker.
    Hostname: c.Hostname || (h.NetworkMode === 'host' ? hostname() : id.slice(0, 12)),
    Domainname: c.Domainname ?? '',
    User: c.User || ic.User || '',
    AttachStdin: !!c.AttachStdin,
    AttachStdout: !!c.AttachStdout,
    AttachStderr: !!c.AttachStderr,
    ...(c.ExposedPorts || ic.ExposedPorts ? { ExposedPorts: { ...(ic.ExposedPorts ?? {}), ...(c.ExposedPorts ?? {}) } } : {}),
    Tty: !!c.Tty,
    OpenStdin: !!c.OpenStdin,
    StdinOnce: !!c.StdinOnce,
    Env: [...envMap.values()],
    Cmd: cmd,
    ...(c.Healthcheck || ic.Healthcheck ? { Healthcheck: mergeHealthcheck(c.Healthcheck, ic.Healthcheck) } : {}),
    Image: req.config.Image ?? '',
    // dockerd merges the image's VOLUME paths into the container's.
    Volumes: c.Volumes || ic.Volumes ? { ...(ic.Volumes ?? {}), ...(c.Volumes ?? {}) } : null,
    WorkingDir: c.WorkingDir || ic.WorkingDir || '',
    Entrypoint: entry,
    Labels: { ...(ic.Labels ?? {}), ...(c.Labels ?? {}) },
    ...(c.StopSignal || ic.StopSignal ? { StopSignal: c.StopSignal || ic.StopSignal } : {}),
    ...(c.StopTimeout !== undefined && c.StopTimeout !== null ? { StopTimeout: c.StopTimeout } : {}),
  };
  if (!config.Env.some((e) => e.startsWith('PATH=')) && !dropped('PATH')) config.Env.unshift('PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
  const mounts = allMounts(own, req, image, deps);
  const spec: ContainerSpec = { Config: config, HostConfig: h, flavor: req.flavor, imageRef: req.config.Image ?? '', mounts };
  if (req.annotations && Object.keys(req.annotations).length) spec.annotations = req.annotations;
  if (req.healthOnFailure && req.healthOnFailure !== 'none') {
    if (!['kill', 'restart', 'stop'].includes(req.healthOnFailure)) throw badParameter(`invalid on-failure action ${quote(req.healthOnFailure)} for health check: supported actions are none, kill, restart, stop`);
    spec.healthOnFailure = req.healthOnFailure;
  }
  return { spec, warnings };
}

/**
 * Every mount of a new container, in dockerd's order of precedence: its own (Binds, Mounts,
 * Tmpfs), then VolumesFrom where those leave a destination free, then anonymous volumes for the
 * Config.Volumes paths (the request's, then the image's) that nothing mounts yet.
 */
function allMounts(own: MountSpec[], req: CreateRequest, image: ResolvedImage, deps: CreateDeps): MountSpec[] {
  const h = req.hostConfig ?? {};
  for (const m of own) {
    // dockerd: a missing Binds path is made at start; a missing `--mount` bind source is an error now.
    if (m.type === 'bind' && m.origin === 'mounts' && !existsSync(m.source)) throw badParameter(`invalid mount config for type "bind": bind source path does not exist: ${clip(m.source)}`);
  }
  const taken = new Set(own.map((m) => m.destination));
  const inherited = volumesFromMounts(h.VolumesFrom, (ref) => deps.mountsOf?.(ref)).filter((m) => !taken.has(m.destination));
  for (const m of inherited) taken.add(m.destination);
  const requested = req.config.Volumes;
  if (requested != null && (typeof requested !== 'object' || Array.isArray(requested))) throw badParameter('Config.Volumes must be an object of paths');
  const anonymous = [
    ...volumePathMounts(Object.keys(requested ?? {}), taken, 'anonymous'),
    ...volumePathMounts(Object.keys(image.config.Volumes ?? {}), taken, req.imageVolumes ?? 'anonymous'),
  ];
  const mounts = [...own, ...inherited, ...anonymous];
  if (h.VolumeDriver) {
    for (const m of mounts) if (m.type === 'volume' && !m.volumeOptions?.driver) m.volumeOptions = { ...m.volumeOptions, driver: h.VolumeDriver };
  }
  return mounts;
}

// The drivers dockerd and podman register; berth writes k8s-file (json-file is shown as such).
const KNOWN_LOG_DRIVERS = new Set(['json-file', 'k8s-file', 'none', 'journald', 'passthrough', 'local', 'syslog', 'gelf', 'fluentd', 'awslogs', 'splunk', 'etwlogs', 'gcplogs', 'logentries']);

function checkLogDriver(name: string): void {
  if (name === 'json-file' || name === 'k8s-file' || name === 'none') return;
  // dockerd's words for a driver it does not know: clients match on them.
  if (!KNOWN_LOG_DRIVERS.has(name)) throw badParameter(`logger: no log driver named '${name.slice(0, 100)}' is registered`);
  throw badParameter(`log driver "${name}" is not supported (k8s-file only)`);
}

function resolveCapsChecked(add: string[], drop: string[]): void {
  try {
    resolveCaps(DOCKER_DEFAULT_CAPS, add, drop);
  } catch (e) {
    throw badParameter((e as Error).message);
  }
}
