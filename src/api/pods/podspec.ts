// libpod's PodSpecGenerator → the engine's pod create request. As for containers (specgen.ts):
// fields berth implements are mapped, the others are accepted only with their zero value.
import { HttpError } from '../../server/errors.js';
import type { PodCreateRequest, PodNamespace, PodResources } from '../../engine/pods/types.js';
import { isEmpty, refuse as refuseField, specgenNetworks, specgenPorts } from '../containers/specgen.js';

type PSG = Record<string, unknown>;

const refuse = (field: string, why?: string): never => refuseField(field, why, 'PodSpecGenerator');

// podman-remote sends these on every pod create; they change nothing berth does.
const INFORMATIONAL = new Set(['pod_create_command', 'infra_conmon_pid_file', 'serviceContainerID', 'shm_size_systemd', 'cni_networks']);

const MAPPED = new Set([
  'name', 'labels', 'hostname', 'no_infra', 'infra_image', 'infra_command', 'infra_name', 'shared_namespaces', 'share_parent',
  'cgroup_parent', 'exit_policy', 'restart_policy', 'restart_tries', 'portmappings', 'Networks', 'netns', 'dns_server',
  'dns_search', 'dns_option', 'hostadd', 'resource_limits', 'cpu_period', 'cpu_quota', 'shm_size', 'ipcns', 'pidns', 'utsns', 'userns', 'idmappings',
]);

const NAMESPACES = new Set(['cgroup', 'ipc', 'net', 'pid', 'uts']);

function strings(psg: PSG, key: string): string[] | undefined {
  const v = psg[key];
  if (v == null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) refuse(key, 'must be a list of strings');
  return v as string[];
}

function share(psg: PSG): PodNamespace[] | undefined {
  const given = strings(psg, 'shared_namespaces');
  if (!given?.length) return undefined;
  const out: PodNamespace[] = [];
  for (const n of given.flatMap((x) => x.split(','))) {
    if (n === 'none') return [];
    if (!NAMESPACES.has(n)) throw new HttpError(400, `invalid kernel namespace to share: ${n.slice(0, 40)}; options are: cgroup, ipc, net, pid, uts or none`);
    out.push(n as PodNamespace);
  }
  return out;
}

function resources(psg: PSG): PodResources {
  const rl = (psg.resource_limits ?? {}) as { memory?: Record<string, number>; cpu?: Record<string, unknown>; blockIO?: { weight?: number } };
  for (const k of Object.keys(rl)) if (!['memory', 'cpu', 'blockIO'].includes(k) && !isEmpty((rl as Record<string, unknown>)[k])) refuse(`resource_limits.${k}`);
  const mem = rl.memory ?? {};
  for (const k of Object.keys(mem)) if (!['limit', 'swap'].includes(k) && !isEmpty(mem[k])) refuse(`resource_limits.memory.${k}`);
  const cpu = rl.cpu ?? {};
  for (const k of Object.keys(cpu)) if (!['shares', 'quota', 'period', 'cpus', 'mems'].includes(k) && !isEmpty(cpu[k])) refuse(`resource_limits.cpu.${k}`);
  const r: PodResources = {};
  if (mem.limit) r.memory = mem.limit;
  if (mem.swap) r.memorySwap = mem.swap;
  if (cpu.shares) r.cpuShares = cpu.shares as number;
  if (cpu.quota || psg.cpu_quota) r.cpuQuota = (cpu.quota ?? psg.cpu_quota) as number;
  if (cpu.period || psg.cpu_period) r.cpuPeriod = (cpu.period ?? psg.cpu_period) as number;
  if (cpu.cpus) r.cpusetCpus = cpu.cpus as string;
  if (cpu.mems) r.cpusetMems = cpu.mems as string;
  if (rl.blockIO?.weight) r.blkioWeight = rl.blockIO.weight;
  return r;
}

const nsMode = (psg: PSG, key: string): string => ((psg[key] as { nsmode?: string } | undefined)?.nsmode ?? '').toLowerCase();

export function podspecToCreate(psg: PSG): PodCreateRequest {
  if (!psg || typeof psg !== 'object' || Array.isArray(psg)) throw new HttpError(400, 'request body must be a PodSpecGenerator object');
  for (const [k, v] of Object.entries(psg)) {
    if (MAPPED.has(k) || INFORMATIONAL.has(k)) continue;
    if (!isEmpty(v)) refuse(k);
  }
  const idm = psg.idmappings as { UIDMap?: unknown[] | null; GIDMap?: unknown[] | null; AutoUserNs?: boolean } | undefined;
  if (idm && (idm.UIDMap?.length || idm.GIDMap?.length || idm.AutoUserNs)) refuse('idmappings', 'needs user namespaces, which berth does not support yet');
  for (const k of ['ipcns', 'pidns', 'utsns', 'userns']) {
    if (!['', 'default', 'private', 'host'].includes(nsMode(psg, k)) || (k === 'userns' && nsMode(psg, k) === 'private')) refuse(k, `mode "${nsMode(psg, k)}" is not supported for pods`);
    if (nsMode(psg, k) === 'host' && k !== 'userns') refuse(k, 'the host namespace is not supported for pods yet');
  }
  const { networks, endpoints } = specgenNetworks(psg.Networks);
  const net = nsMode(psg, 'netns');
  let mode: string;
  if (['', 'default', 'bridge', 'private'].includes(net)) mode = networks[0] ?? 'default';
  else if (net === 'host' || net === 'none') mode = net;
  else refuse('netns', `mode "${net}" is not supported (bridge, host or none)`);
  for (const k of ['name', 'hostname', 'infra_image', 'infra_name', 'cgroup_parent', 'exit_policy', 'restart_policy']) {
    if (psg[k] != null && typeof psg[k] !== 'string') refuse(k, 'must be a string');
  }
  const str = (k: string) => (psg[k] as string | undefined) || undefined;
  const tries = psg.restart_tries;
  if (tries != null && (typeof tries !== 'number' || !Number.isInteger(tries) || tries < 0)) refuse('restart_tries', 'must be a whole number');
  if (psg.shm_size != null && (typeof psg.shm_size !== 'number' || psg.shm_size < 0)) refuse('shm_size', 'must be a size in bytes');
  return {
    name: str('name'),
    labels: (psg.labels ?? undefined) as Record<string, string> | undefined,
    hostname: str('hostname'),
    infra: psg.no_infra !== true,
    infraImage: str('infra_image'),
    infraCommand: strings(psg, 'infra_command'),
    infraName: str('infra_name'),
    share: share(psg),
    shareParent: psg.share_parent === undefined || psg.share_parent === null ? undefined : psg.share_parent === true,
    cgroupParent: str('cgroup_parent'),
    exitPolicy: str('exit_policy') as PodCreateRequest['exitPolicy'],
    restartPolicy: str('restart_policy'),
    restartTries: (tries as number | undefined) ?? undefined,
    network: {
      mode: mode!,
      endpoints,
      portBindings: specgenPorts(psg.portmappings) ?? {},
      dns: strings(psg, 'dns_server') ?? [],
      dnsSearch: strings(psg, 'dns_search') ?? [],
      dnsOptions: strings(psg, 'dns_option') ?? [],
      extraHosts: strings(psg, 'hostadd') ?? [],
    },
    resources: resources(psg),
    shmSize: (psg.shm_size as number | undefined) || undefined,
  };
}
