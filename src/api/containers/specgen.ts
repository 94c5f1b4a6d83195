import { readProfileFile } from '../../oci/seccomp.js';
import { HttpError } from '../../server/errors.js';
import { mapMore, MORE_MAPPED, REFUSED } from './specgen-more.js';
import type { ContainerConfig, CreateRequest, HostConfig, RestartPolicy, SecretRequest } from '../../engine/containers/types.js';

/**
 * libpod's SpecGenerator → the engine's create request. Fields berth implements are mapped;
 * fields it does not are accepted only while they hold their zero value, otherwise the request
 * is refused with the field named (never silently ignored).
 */
type SG = Record<string, unknown>;

export const isEmpty = (v: unknown): boolean =>
  v === undefined || v === null || v === false || v === 0 || v === '' ||
  (Array.isArray(v) && v.length === 0) ||
  (typeof v === 'object' && !Array.isArray(v) && Object.values(v as object).every(isEmpty));

// Informational or defaults-only fields podman-remote sends on every create.
const INFORMATIONAL = new Set([
  'containerCreateCommand', 'raw_image_name', 'image_arch', 'image_os', 'image_variant', 'httpproxy',
  'create_working_dir', 'manage_password', 'use_image_hosts', 'use_image_resolve_conf', 'use_image_hostname',
  'cgroups_mode', 'sdnotifyMode', 'read_write_tmpfs', 'label_nested', 'hostusers',
  // A durability hint (--rm containers may skip fsyncs): honouring it by doing nothing is correct.
  'volatile',
]);

const MAPPED = new Set([
  'name', 'image', 'command', 'entrypoint', 'env', 'work_dir', 'user', 'labels', 'hostname', 'stop_signal',
  'stop_timeout', 'terminal', 'stdin', 'remove', 'restart_policy', 'restart_tries', 'cap_add', 'cap_drop',
  'privileged', 'read_only_filesystem', 'no_new_privileges', 'seccomp_policy', 'seccomp_profile_path', 'netns', 'network_options',
  'ipcns', 'pidns', 'utsns', 'cgroupns', 'userns', 'resource_limits', 'r_limits', 'sysctl', 'init', 'init_path',
  'dns_server', 'dns_search', 'dns_option', 'hostadd', 'shm_size', 'oom_score_adj', 'mounts', 'expose',
  'healthconfig', 'log_configuration', 'cgroup_parent', 'groups', 'oci_runtime', 'systemd', 'selinux_opts',
  'apparmor_profile', 'umask', 'annotations', 'idmappings', 'volumes', 'volumes_from', 'image_volume_mode', 'image_volumes',
  'Networks', 'portmappings', 'publish_image_ports', 'pod', 'secrets', 'secret_env', 'health_check_on_failure_action',
  'healthLogDestination', 'healthMaxLogCount', 'healthMaxLogSize',
]);

/** podman's HealthCheckOnFailureAction numbers (libpod/define): 1 is its "invalid". */
const ON_FAILURE: Record<number, 'none' | 'kill' | 'restart' | 'stop'> = { 0: 'none', 2: 'kill', 3: 'restart', 4: 'stop' };

const ns = (sg: SG, key: string): string => ((sg[key] as { nsmode?: string } | undefined)?.nsmode ?? '').toLowerCase();

export function refuse(field: string, why = 'is not supported by berth yet', what = 'SpecGenerator'): never {
  throw new HttpError(400, `${what} field "${field}" ${why}`, `invalid argument: ${field}`);
}

const BIND_OPTIONS = new Set(['ro', 'rw', 'z', 'Z', 'nocopy', 'private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave']);

/** SpecGenerator's (and PodSpecGenerator's) `Networks`: the names in order, and each one's endpoint config. */
export function specgenNetworks(v: unknown): { networks: string[]; endpoints: NonNullable<CreateRequest['endpoints']> } {
  const networks = (v ?? {}) as Record<string, { aliases?: string[]; static_ips?: string[]; static_mac?: string; interface_name?: string }>;
  const endpoints: NonNullable<CreateRequest['endpoints']> = {};
  for (const [name, o] of Object.entries(networks)) {
    const ips = o?.static_ips ?? [];
    endpoints[name] = {
      ...(o?.aliases?.length ? { aliases: o.aliases } : {}),
      ...(ips.find((ip) => ip.includes('.')) ? { ipv4: ips.find((ip) => ip.includes('.')) } : {}),
      ...(ips.find((ip) => ip.includes(':')) ? { ipv6: ips.find((ip) => ip.includes(':')) } : {}),
      ...(o?.static_mac ? { mac: o.static_mac } : {}),
      ...(o?.interface_name ? { interfaceName: o.interface_name } : {}),
    };
  }
  return { networks: Object.keys(networks), endpoints };
}

/** `portmappings` (podman's PortMapping list) as docker's PortBindings; undefined when there are none. */
export function specgenPorts(v: unknown): HostConfig['PortBindings'] {
  let out: HostConfig['PortBindings'];
  for (const p of (v as { host_ip?: string; container_port?: number; host_port?: number; range?: number; protocol?: string }[] | undefined) ?? []) {
    for (let i = 0; i < Math.max(1, p.range ?? 1); i++) {
      for (const proto of (p.protocol || 'tcp').split(',')) {
        const key = `${(p.container_port ?? 0) + i}/${proto}`;
        ((out ??= {})[key] ??= []).push({ HostIp: p.host_ip ?? '', HostPort: p.host_port ? String(p.host_port + i) : '' });
      }
    }
  }
  return out;
}

export function specgenToCreate(sg: SG): CreateRequest {
  if (!sg || typeof sg !== 'object' || Array.isArray(sg)) throw new HttpError(400, 'request body must be a SpecGenerator object');
  for (const [k, v] of Object.entries(sg)) {
    if (MAPPED.has(k) || INFORMATIONAL.has(k) || MORE_MAPPED.has(k)) continue;
    if (!isEmpty(v)) refuse(k, REFUSED[k]);
  }
  const idm = sg.idmappings as { UIDMap?: unknown[] | null; GIDMap?: unknown[] | null; AutoUserNs?: boolean } | undefined;
  if (idm && (idm.UIDMap?.length || idm.GIDMap?.length || idm.AutoUserNs)) refuse('idmappings', 'needs user namespaces, which berth does not support yet');
  if (typeof sg.image !== 'string' || !sg.image) throw new HttpError(400, 'no image name provided', 'invalid argument: image');

  const h: Partial<HostConfig> = {};
  const c: Partial<ContainerConfig> & { Image: string } = { Image: sg.image };
  const secOpt: string[] = [];

  const netMode = ns(sg, 'netns');
  const { networks, endpoints } = specgenNetworks(sg.Networks);
  if (netMode !== 'pasta') checkNetworkOptions(sg.network_options);
  if (['', 'default', 'bridge', 'private', 'pod'].includes(netMode)) h.NetworkMode = networks[0] ?? 'default';
  else if (netMode === 'none' || netMode === 'host' || netMode === 'slirp4netns') h.NetworkMode = netMode;
  // podman-remote's `--network pasta:OPT,…`: the options arrive as network_options.pasta.
  else if (netMode === 'pasta') h.NetworkMode = pastaMode(sg.network_options);
  else if (netMode === 'container' && (sg.netns as { value?: string }).value) h.NetworkMode = `container:${(sg.netns as { value: string }).value}`;
  else refuse('netns', `mode "${netMode}" is not supported (use none, host or container)`);
  for (const [key, field] of [['ipcns', 'IpcMode'], ['pidns', 'PidMode'], ['utsns', 'UTSMode']] as const) {
    const m = ns(sg, key);
    if (m === 'host') (h as Record<string, string>)[field] = 'host';
    // `pod`: the pod's namespace, joined when the pod shares it (the engine decides).
    else if (!['', 'private', 'default', 'shareable', 'pod'].includes(m)) refuse(key, `mode "${m}" is not supported`);
  }
  if (!['', 'private', 'host', 'default', 'pod'].includes(ns(sg, 'cgroupns'))) refuse('cgroupns', `mode "${ns(sg, 'cgroupns')}" is not supported`);
  if (!['', 'host', 'default'].includes(ns(sg, 'userns'))) refuse('userns', `mode "${ns(sg, 'userns')}" is not supported`);

  if (sg.command) c.Cmd = sg.command as string[];
  if (sg.entrypoint) c.Entrypoint = sg.entrypoint as string[];
  if (sg.env) c.Env = Object.entries(sg.env as Record<string, string>).map(([k, v]) => `${k}=${v}`);
  if (sg.work_dir) c.WorkingDir = sg.work_dir as string;
  if (sg.user) c.User = sg.user as string;
  if (sg.labels) c.Labels = sg.labels as Record<string, string>;
  if (sg.hostname) c.Hostname = sg.hostname as string;
  if (sg.stop_signal) c.StopSignal = String(sg.stop_signal);
  if (typeof sg.stop_timeout === 'number' && sg.stop_timeout > 0) c.StopTimeout = sg.stop_timeout;
  c.Tty = !!sg.terminal;
  c.OpenStdin = !!sg.stdin;
  if (sg.expose) c.ExposedPorts = Object.fromEntries(Object.entries(sg.expose as Record<string, string>).map(([p, proto]) => [`${p}/${proto || 'tcp'}`, {}]));
  const ports = specgenPorts(sg.portmappings);
  if (ports) h.PortBindings = ports;
  if (sg.publish_image_ports) h.PublishAllPorts = true;
  if (sg.healthconfig && !isEmpty(sg.healthconfig)) c.Healthcheck = sg.healthconfig as ContainerConfig['Healthcheck'];
  const onFailure = sg.health_check_on_failure_action ?? 0;
  if (typeof onFailure !== 'number' || !(onFailure in ON_FAILURE)) refuse('health_check_on_failure_action', `value ${JSON.stringify(onFailure)} is not one of 0 (none), 2 (kill), 3 (restart), 4 (stop)`);
  // berth keeps podman's default log (in the state DB, the last 5 probes, outputs clipped): other settings are refused.
  if (!['', 'local', undefined, null].includes(sg.healthLogDestination as string)) refuse('healthLogDestination', 'only "local" is supported');
  if (![0, 5, undefined, null].includes(sg.healthMaxLogCount as number)) refuse('healthMaxLogCount', 'only 5 is supported');
  if (![0, 500, undefined, null].includes(sg.healthMaxLogSize as number)) refuse('healthMaxLogSize', 'only 500 is supported');

  h.AutoRemove = !!sg.remove;
  if (sg.restart_policy) {
    h.RestartPolicy = { Name: sg.restart_policy as RestartPolicy['Name'], MaximumRetryCount: Number(sg.restart_tries ?? 0) };
  }
  if (sg.cap_add) h.CapAdd = sg.cap_add as string[];
  if (sg.cap_drop) h.CapDrop = sg.cap_drop as string[];
  h.Privileged = !!sg.privileged;
  h.ReadonlyRootfs = !!sg.read_only_filesystem;
  if (h.ReadonlyRootfs && sg.read_write_tmpfs !== false) h.Tmpfs = { '/tmp': 'rw', '/var/tmp': 'rw', '/run': 'rw' };
  if (sg.no_new_privileges) secOpt.push('no-new-privileges');
  if (sg.seccomp_policy && !['default', 'empty'].includes(sg.seccomp_policy as string)) refuse('seccomp_policy', `value "${String(sg.seccomp_policy)}" is not supported`);
  if (sg.seccomp_profile_path) {
    const p = sg.seccomp_profile_path;
    if (typeof p !== 'string') refuse('seccomp_profile_path', 'must be a string');
    if (p === 'unconfined') secOpt.push('seccomp=unconfined');
    else {
      try {
        secOpt.push(`seccomp=${readProfileFile(p)}`);
      } catch (e) {
        refuse('seccomp_profile_path', `is not usable: ${(e as Error).message}`);
      }
    }
  }
  // Kept as docker's security-opt, so the engine (and the access policy's `unconfined`) sees them.
  if (sg.apparmor_profile) {
    if (sg.apparmor_profile !== 'unconfined') refuse('apparmor_profile');
    secOpt.push('apparmor=unconfined');
  }
  for (const o of (sg.selinux_opts as string[] | undefined) ?? []) {
    if (o !== 'disable') refuse('selinux_opts');
    if (!secOpt.includes('label=disable')) secOpt.push('label=disable');
  }
  if (sg.oci_runtime && !['runc', 'crun'].includes(sg.oci_runtime as string)) refuse('oci_runtime', `names an unknown runtime "${String(sg.oci_runtime)}"`);
  if (sg.systemd && !['true', 'false'].includes(sg.systemd as string)) refuse('systemd', `mode "${String(sg.systemd)}" is not supported`);
  if (sg.umask && sg.umask !== '0022') refuse('umask');

  const rl = (sg.resource_limits ?? {}) as { memory?: Record<string, number>; cpu?: Record<string, unknown>; pids?: { limit?: number } };
  for (const k of Object.keys(rl)) if (!['memory', 'cpu', 'pids'].includes(k) && !isEmpty((rl as Record<string, unknown>)[k])) refuse(`resource_limits.${k}`);
  const mem = rl.memory ?? {};
  for (const k of Object.keys(mem)) if (!['limit', 'swap', 'reservation'].includes(k) && !isEmpty(mem[k])) refuse(`resource_limits.memory.${k}`);
  if (mem.limit) h.Memory = mem.limit;
  if (mem.swap) h.MemorySwap = mem.swap;
  if (mem.reservation) h.MemoryReservation = mem.reservation;
  const cpu = rl.cpu ?? {};
  for (const k of Object.keys(cpu)) if (!['shares', 'quota', 'period', 'cpus'].includes(k) && !isEmpty(cpu[k])) refuse(`resource_limits.cpu.${k}`);
  if (cpu.shares) h.CpuShares = cpu.shares as number;
  if (cpu.quota) h.CpuQuota = cpu.quota as number;
  if (cpu.period) h.CpuPeriod = cpu.period as number;
  if (cpu.cpus) h.CpusetCpus = cpu.cpus as string;
  if (rl.pids?.limit) h.PidsLimit = rl.pids.limit;
  if (sg.r_limits) {
    h.Ulimits = (sg.r_limits as { type?: string; soft: number; hard: number }[]).map((r) => ({
      // A decoded entry may lack its type: the engine refuses the nameless ulimit.
      Name: (r.type ?? '').toLowerCase().replace(/^rlimit_/, ''),
      Soft: r.soft,
      Hard: r.hard,
    }));
  }
  if (sg.sysctl) h.Sysctls = sg.sysctl as Record<string, string>;
  if (sg.init) h.Init = true;
  if (sg.init_path && sg.init) refuse('init_path', 'cannot choose the init binary (berth uses catatonit or tini)');
  if (sg.dns_server) h.Dns = sg.dns_server as string[];
  if (sg.dns_search) h.DnsSearch = sg.dns_search as string[];
  if (sg.dns_option) h.DnsOptions = sg.dns_option as string[];
  if (sg.hostadd) h.ExtraHosts = sg.hostadd as string[];
  if (sg.shm_size) h.ShmSize = sg.shm_size as number;
  if (sg.oom_score_adj) h.OomScoreAdj = sg.oom_score_adj as number;
  if (sg.cgroup_parent) h.CgroupParent = sg.cgroup_parent as string;
  if (sg.groups) h.GroupAdd = sg.groups as string[];
  const log = sg.log_configuration as { driver?: string; options?: Record<string, string> } | undefined;
  if (log?.driver) h.LogConfig = { Type: log.driver, Config: log.options ?? {} };

  const binds: string[] = [];
  const mounts: NonNullable<HostConfig['Mounts']> = [];
  const tmpfs: Record<string, string> = { ...(h.Tmpfs ?? {}) };
  for (const m of (sg.mounts as Record<string, unknown>[] | undefined) ?? []) {
    const type = (m.type ?? m.Type) as string;
    const dst = (m.destination ?? m.Target) as string;
    const src = (m.source ?? m.Source) as string;
    const given = ((m.options as string[] | undefined) ?? []).filter((o) => typeof o === 'string');
    // Bind strings carry only what the engine's bind syntax knows; podman's extra flags (nosuid,
    // nodev...) have no Binds form and were never applied.
    const opts = type === 'bind' || type === 'volume' ? given.filter((o) => BIND_OPTIONS.has(o)) : given;
    if ((m.ReadOnly as boolean | undefined) === true && !opts.includes('ro')) opts.push('ro');
    if (type === 'bind' || (type === 'volume' && src)) binds.push(`${src}:${dst}${opts.length ? `:${opts.join(',')}` : ''}`);
    else if (type === 'volume') mounts.push({ Type: 'volume', Target: dst, ReadOnly: opts.includes('ro'), VolumeOptions: { NoCopy: opts.includes('nocopy') } });
    else if (type === 'tmpfs') tmpfs[dst] = opts.join(',');
    else refuse('mounts', `type "${type}" is not supported (bind, volume and tmpfs are; images are image_volumes)`);
  }
  for (const v of namedVolumes(sg.volumes)) {
    // A named volume is a Binds entry (its options are the Binds ones); an anonymous one has no Binds form.
    if (v.Name) binds.push(`${v.Name}:${v.Dest}${v.Options.length ? `:${v.Options.join(',')}` : ''}`);
    else mounts.push({ Type: 'volume', Target: v.Dest, ReadOnly: v.Options.includes('ro'), VolumeOptions: { NoCopy: v.Options.includes('nocopy') } });
  }
  for (const iv of imageVolumes(sg.image_volumes)) mounts.push({ Type: 'image', Source: iv.Source, Target: iv.Destination, ReadOnly: !iv.ReadWrite });
  if (binds.length) h.Binds = binds;
  if (mounts.length) h.Mounts = mounts;
  if (Object.keys(tmpfs).length) h.Tmpfs = tmpfs;
  if (sg.volumes_from != null) {
    if (!Array.isArray(sg.volumes_from) || sg.volumes_from.some((x) => typeof x !== 'string')) refuse('volumes_from', 'must be a list of "container[:ro|rw]"');
    if (sg.volumes_from.length) h.VolumesFrom = sg.volumes_from as string[];
  }
  const ivm = sg.image_volume_mode ?? '';
  if (ivm !== '' && ivm !== 'anonymous' && ivm !== 'tmpfs' && ivm !== 'ignore') refuse('image_volume_mode', `value "${String(ivm)}" is not one of anonymous, tmpfs, ignore`);
  const more = mapMore(sg, c, h, secOpt);
  if (secOpt.length) h.SecurityOpt = secOpt;
  const annotations = (sg.annotations ?? {}) as Record<string, string>;
  if (sg.pod != null && typeof sg.pod !== 'string') refuse('pod', 'must be the name or ID of a pod');
  const secrets = secretRequests(sg.secrets, sg.secret_env);
  return {
    ...(sg.pod ? { pod: sg.pod as string } : {}),
    name: (sg.name as string) || undefined, config: c, hostConfig: h, endpoints, flavor: 'podman', annotations,
    imageVolumes: ivm === '' ? 'anonymous' : (ivm as 'anonymous' | 'tmpfs' | 'ignore'),
    healthOnFailure: ON_FAILURE[onFailure as number],
    ...(secrets.length ? { secrets } : {}),
    ...more,
  };
}

interface NamedVolume {
  Name: string;
  Dest: string;
  Options: string[];
}

/** SpecGenerator `volumes`: podman's named volumes (Name '' is an anonymous one). */
function namedVolumes(v: unknown): NamedVolume[] {
  if (v == null) return [];
  if (!Array.isArray(v)) refuse('volumes', 'must be a list of named volumes');
  return v.map((x: Record<string, unknown>) => {
    if (!x || typeof x !== 'object') refuse('volumes', 'must be a list of named volumes');
    const name = x.Name ?? '';
    const dest = x.Dest;
    const opts = x.Options ?? [];
    if (typeof name !== 'string') refuse('volumes', 'Name must be a string');
    if (typeof dest !== 'string' || !dest) refuse('volumes', 'Dest must be an absolute path');
    if (!Array.isArray(opts) || opts.some((o) => typeof o !== 'string')) refuse('volumes', 'Options must be a list of strings');
    if (x.SubPath) refuse('volumes', 'SubPath is not supported by berth yet');
    // podman's defaults for a volume mount: nothing to ask of the engine.
    const options = (opts as string[]).filter((o) => o !== 'rbind' && o !== 'bind' && o !== 'copy');
    const unknown = options.find((o) => !BIND_OPTIONS.has(o));
    if (unknown) refuse('volumes', `option "${unknown}" is not supported (ro, rw, z, Z, nocopy, copy and propagation are)`);
    return { Name: name, Dest: dest, Options: options };
  });
}

interface ImageVolume {
  Destination: string;
  Source: string;
  ReadWrite: boolean;
}

/** SpecGenerator `image_volumes`: an image's root filesystem mounted at Destination. */
function imageVolumes(v: unknown): ImageVolume[] {
  if (v == null) return [];
  if (!Array.isArray(v)) refuse('image_volumes', 'must be a list of image volumes');
  return v.map((x: Record<string, unknown>) => {
    if (!x || typeof x !== 'object') refuse('image_volumes', 'must be a list of image volumes');
    if (typeof x.Source !== 'string' || !x.Source) refuse('image_volumes', 'Source must name an image');
    if (typeof x.Destination !== 'string' || !x.Destination) refuse('image_volumes', 'Destination must be an absolute path');
    if (x.subPath) refuse('image_volumes', 'subPath is not supported by berth yet');
    return { Destination: x.Destination, Source: x.Source, ReadWrite: x.ReadWrite === true };
  });
}

/** SpecGenerator `secrets` (files: specgen.Secret, decoded case-insensitively) and `secret_env` (variable → secret). */
function secretRequests(files: unknown, env: unknown): SecretRequest[] {
  const out: SecretRequest[] = [];
  if (files != null) {
    if (!Array.isArray(files)) refuse('secrets', 'must be a list of secrets');
    for (const x of files as Record<string, unknown>[]) {
      if (!x || typeof x !== 'object') refuse('secrets', 'must be a list of secrets');
      const f = (k: string) => x[k] ?? x[k.toLowerCase()] ?? x[k.toUpperCase()];
      const source = f('Source');
      if (typeof source !== 'string' || !source) refuse('secrets', 'Source must name a secret');
      const target = f('Target');
      out.push({ source, type: 'mount', target: typeof target === 'string' ? target : undefined, uid: f('UID') as number | undefined, gid: f('GID') as number | undefined, mode: f('Mode') as number | undefined });
    }
  }
  if (env != null) {
    if (typeof env !== 'object' || Array.isArray(env)) refuse('secret_env', 'must be an object of variable names to secrets');
    for (const [k, v] of Object.entries(env as Record<string, unknown>)) {
      if (typeof v !== 'string' || !v) refuse('secret_env', `the secret of "${k}" must be a name`);
      out.push({ source: v, type: 'env', target: k });
    }
  }
  return out;
}

/** `pasta`, or `pasta:OPT,…` with specgen's network_options.pasta (the engine checks the options). */
function pastaMode(o: unknown): string {
  const opts = (o as Record<string, unknown> | undefined)?.pasta;
  checkNetworkOptions(o, 'pasta');
  if (opts === undefined || opts === null) return 'pasta';
  if (!Array.isArray(opts) || opts.some((x) => typeof x !== 'string' || x.includes(','))) throw new HttpError(400, 'network_options.pasta must be a list of options, none with a comma', 'invalid argument: network_options');
  return opts.length ? `pasta:${opts.join(',')}` : 'pasta';
}

/** network_options carry only pasta's (with netns pasta): berth has no other per-container backend options. */
function checkNetworkOptions(o: unknown, allowed?: string): void {
  if (o === undefined || o === null) return;
  if (typeof o !== 'object' || Array.isArray(o)) throw new HttpError(400, 'network_options must be an object', 'invalid argument: network_options');
  const other = Object.entries(o).find(([k, v]) => k !== allowed && !isEmpty(v));
  if (other) refuse('network_options', other[0] === 'pasta' ? 'pasta options need the pasta network mode' : `${other[0]} options are not supported: berth takes options only for pasta`);
}
