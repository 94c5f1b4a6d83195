import type { Ctx, RouteDef } from '../../server/http.js';
import { noContent, qBool, qFilters, qInt, sendJson, sendJsonText } from '../../server/http.js';
import { EntryTexts, JsonArray, utf8 } from './list-text.js';
import { readBody } from '../http/body.js';
import { HttpError } from '../../server/errors.js';
import type { ContainerConfig, ContainerView, CreateRequest, HostConfig, WaitCondition } from '../../engine/containers/types.js';
import { fromContainerCreate } from '../../server/access/request.js';
import { signalNumber } from '../../lib/signals.js';
import { isLive } from '../../engine/containers/types.js';
import type { ContainerNetworkState } from '../../engine/networks/types.js';
import type { HealthState } from '../../engine/health/types.js';
import { compatNetworks, compatNetworkSettings, compatPortList } from './network-settings.js';
import { endpointConfig } from '../networks/compat.js';
import { dockerStatus, statusText } from './status.js';
import { attach, logs } from './streams.js';
import { requestSignal } from '../http/request-signal.js';
import { LIMIT, STOP_T, TTY_SIZE } from '../http/query.js';

const ZERO_TIME = '0001-01-01T00:00:00Z';

const svc = (ctx: Ctx) => ctx.engine.containers;

function command(c: ContainerConfig): string {
  return [...(c.Entrypoint ?? []), ...(c.Cmd ?? [])].join(' ');
}

/**
 * docker lists binds, volumes and `--mount` tmpfs mounts; `--tmpfs` ones only show in
 * HostConfig.Tmpfs. A local volume named in Binds or Mounts has Mode "z" unless given one
 * (dockerd's setBindModeIfNull); anonymous and inherited ones have none.
 */
function mounts(v: ContainerView) {
  return v.mounts
    .filter((m) => m.type === 'bind' || m.type === 'volume' || m.origin === 'mounts')
    .map((m) =>
      m.type === 'volume'
        ? {
          Type: 'volume', Name: m.name ?? '', Source: m.source, Destination: m.destination, Driver: m.driver ?? 'local',
          Mode: m.origin === 'volumes' ? '' : m.mode || 'z', RW: !m.readOnly, Propagation: m.propagation ?? '',
        }
        : {
          Type: m.type,
          Source: m.source,
          Destination: m.destination,
          Mode: m.mode ?? '',
          RW: !m.readOnly,
          Propagation: m.type === 'bind' ? m.propagation ?? 'rprivate' : '',
        },
    );
}

export function listEntry(v: ContainerView, size: boolean, sizeRw: () => number, net?: ContainerNetworkState, health?: HealthState, now = Date.now()) {
  return {
    ...entryHead(v, net),
    ...(size ? { SizeRw: sizeRw(), SizeRootFs: 0 } : {}),
    ...entryState(v),
    Status: statusText(v, now, health?.Status),
    ...entryTail(v, net),
  };
}

// A list entry in three parts: before its sizes, between them and Status, after Status (only
// Status changes with the clock).
function entryHead(v: ContainerView, net: ContainerNetworkState | undefined) {
  const c = v.parsed.Config;
  return {
    Id: v.id,
    Names: [`/${v.name}`],
    Image: v.image,
    ImageID: `sha256:${v.imageId}`,
    Command: command(c),
    Created: Math.floor(Date.parse(v.created) / 1000),
    Ports: compatPortList(v, net),
  };
}

function entryState(v: ContainerView) {
  return { Labels: v.parsed.Config.Labels ?? {}, State: dockerStatus(v.state) };
}

function entryTail(v: ContainerView, net: ContainerNetworkState | undefined) {
  return {
    HostConfig: { NetworkMode: v.parsed.HostConfig.NetworkMode },
    NetworkSettings: { Networks: compatNetworks(net) },
    Mounts: mounts(v),
  };
}

/**
 * An entry without sizes as JSON: its bytes before Status and after, kept while the view and
 * network state are the same objects; Status is written in between at each list.
 */
const entryTexts = new EntryTexts((v: ContainerView, net: ContainerNetworkState | undefined, _b: undefined, _c: undefined) => ({
  head: utf8(JSON.stringify({ ...entryHead(v, net), ...entryState(v) }).slice(0, -1)),
  tail: utf8(JSON.stringify(entryTail(v, net)).slice(1)),
}));
function addEntry(out: JsonArray, v: ContainerView, net: ContainerNetworkState | undefined, health: HealthState | undefined, now: number): void {
  const t = entryTexts.get(v, net, undefined, undefined);
  out.entry(t.head, out.text(statusText(v, now, health?.Status), statusField), t.tail);
}
const statusField = (s: string) => `,"Status":${JSON.stringify(s)},`;

export function inspectBody(v: ContainerView, runtime: string, size?: number, lowerDir = '', execIds: string[] = [], net?: ContainerNetworkState, health?: HealthState) {
  const c = v.parsed.Config;
  const h = v.parsed.HostConfig;
  const d = v.dirs;
  const argv = [...(c.Entrypoint ?? []), ...(c.Cmd ?? [])];
  const st = dockerStatus(v.state);
  return {
    Id: v.id,
    Created: v.created,
    Path: argv[0] ?? '',
    Args: argv.slice(1),
    State: {
      Status: st,
      Running: isLive(v.state),
      Paused: st === 'paused',
      Restarting: st === 'restarting',
      OOMKilled: v.oomKilled,
      Dead: false,
      Pid: v.pid,
      ExitCode: v.exitCode,
      Error: v.error,
      StartedAt: v.startedAt || ZERO_TIME,
      FinishedAt: v.finishedAt || ZERO_TIME,
      ...(health ? { Health: { Status: health.Status, FailingStreak: health.FailingStreak, Log: health.Log } } : {}),
    },
    Image: `sha256:${v.imageId}`,
    ResolvConfPath: `${d.userdata}/resolv.conf`,
    HostnamePath: `${d.userdata}/hostname`,
    HostsPath: `${d.userdata}/hosts`,
    LogPath: d.logPath,
    Name: `/${v.name}`,
    RestartCount: v.restartCount,
    Driver: 'overlay2',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: execIds.length ? execIds : null,
    HostConfig: { ...hostConfigBody(h, runtime), Links: dockerLinks(h.Links, v.name) },
    GraphDriver: {
      Data: { LowerDir: lowerDir, MergedDir: d.merged, UpperDir: d.upper, WorkDir: d.work },
      Name: 'overlay2',
    },
    ...(size !== undefined ? { SizeRw: size, SizeRootFs: 0 } : {}),
    Mounts: mounts(v),
    Config: {
      ...c,
      ExposedPorts: c.ExposedPorts ?? undefined,
      OnBuild: null,
    },
    NetworkSettings: compatNetworkSettings(v, net),
  };
}

/** dockerd shows links as "/child:/parent/alias". */
function dockerLinks(links: string[] | null | undefined, parent: string): string[] | null {
  if (!links?.length) return null;
  return links.map((l) => {
    const [a, b] = l.split(':');
    const child = a.replace(/^\//, '');
    return `/${child}:/${parent}/${(b ?? a).split('/').pop()}`;
  });
}

function hostConfigBody(h: HostConfig, runtime: string) {
  return {
    ContainerIDFile: '', PortBindings: h.PortBindings ?? {}, VolumeDriver: '', VolumesFrom: null, ConsoleSize: [0, 0],
    Cgroup: '', CgroupnsMode: 'private', GroupAdd: h.GroupAdd ?? null, Links: null,
    PublishAllPorts: false, StorageOpt: null, Isolation: '', BlkioWeight: 0, BlkioWeightDevice: null,
    BlkioDeviceReadBps: null, BlkioDeviceWriteBps: null, BlkioDeviceReadIOps: null, BlkioDeviceWriteIOps: null,
    CpuRealtimePeriod: 0, CpuRealtimeRuntime: 0, CpusetMems: '', Devices: null,
    DeviceRequests: null, KernelMemory: 0, KernelMemoryTCP: 0, MemorySwappiness: null, OomKillDisable: false,
    CpuCount: 0, CpuPercent: 0, IOMaximumIOps: 0, IOMaximumBandwidth: 0, MaskedPaths: null, ReadonlyPaths: null,
    ...h,
    PidsLimit: h.PidsLimit ?? null,
    Init: h.Init ?? null,
    DeviceCgroupRules: h.DeviceCgroupRules?.length ? h.DeviceCgroupRules : null,
    Runtime: runtime,
    Tmpfs: h.Tmpfs ?? undefined,
    Sysctls: h.Sysctls ?? undefined,
    LogConfig: { Type: h.LogConfig?.Type === 'k8s-file' ? 'json-file' : h.LogConfig?.Type ?? 'json-file', Config: h.LogConfig?.Config ?? {} },
  };
}

// ---- handlers ----------------------------------------------------------------------------------

async function list(ctx: Ctx): Promise<void> {
  const all = qBool(ctx, 'all');
  const limit = qInt(ctx, 'limit', -1, LIMIT)!;
  const size = qBool(ctx, 'size');
  const s = svc(ctx);
  const out = s.list({ all, limit, filters: qFilters(ctx) });
  const nets = s.networkStates(out);
  const health = ctx.engine.health.states();
  const now = Date.now();
  if (size) return sendJson(ctx, 200, out.map((v) => listEntry(v, size, () => s.sizeRw(v), nets.get(v.id), health.get(v.id), now)));
  const a = new JsonArray();
  for (const v of out) addEntry(a, v, nets.get(v.id), health.get(v.id), now);
  sendJsonText(ctx, 200, a.bytes());
}

async function inspect(ctx: Ctx): Promise<void> {
  const v = svc(ctx).get(ctx.params.id);
  sendJson(ctx, 200, inspectBody(v, svc(ctx).runtimeName, qBool(ctx, 'size') ? svc(ctx).sizeRw(v) : undefined, await svc(ctx).lowerDir(v), ctx.engine.exec.idsOf(v.id), svc(ctx).networkState(v), ctx.engine.health.state(v.id)));
}

interface CreateBody extends Partial<ContainerConfig> {
  HostConfig?: Partial<HostConfig>;
  NetworkingConfig?: { EndpointsConfig?: Record<string, unknown> };
}

async function create(ctx: Ctx): Promise<void> {
  const body = (await readBody<CreateBody>(ctx, 'ContainerCreate')) ?? {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'invalid request body');
  const { HostConfig: hostConfig, NetworkingConfig: net, ...config } = body;
  const eps = Object.entries(net?.EndpointsConfig ?? {});
  const hc = { ...(hostConfig ?? {}) };
  if (eps.length && !hc.NetworkMode) hc.NetworkMode = eps[0][0];
  const endpoints = Object.fromEntries(eps.map(([k, e]) => [k, endpointConfig(e)]));
  const req: CreateRequest = { name: ctx.query.get('name') ?? undefined, config, hostConfig: hc, endpoints, flavor: 'docker' };
  ctx.access?.guard(fromContainerCreate(req));
  const r = await svc(ctx).create(req);
  ctx.access?.touched(r.id);
  sendJson(ctx, 201, { Id: r.id, Warnings: r.warnings });
}

async function start(ctx: Ctx): Promise<void> {
  await svc(ctx).start(ctx.params.id);
  noContent(ctx);
}

async function stop(ctx: Ctx): Promise<void> {
  await svc(ctx).stop(ctx.params.id, qInt(ctx, 't', undefined, STOP_T), ctx.query.get('signal') ?? undefined);
  noContent(ctx);
}

async function restart(ctx: Ctx): Promise<void> {
  await svc(ctx).restart(ctx.params.id, qInt(ctx, 't', undefined, STOP_T), ctx.query.get('signal') ?? undefined);
  noContent(ctx);
}

async function kill(ctx: Ctx): Promise<void> {
  const signal = ctx.query.get('signal') || undefined;
  const s = svc(ctx);
  const id = s.get(ctx.params.id).id;
  await s.kill(ctx.params.id, signal);
  // dockerd answers a SIGKILL (the default) once the container is dead, within 10 s; other
  // signals as soon as they are sent (podman's libpod kill never waits).
  if (signal === undefined || signalNumber(signal) === 9) await s.wait(id, 'not-running', AbortSignal.timeout(10_000)).catch(() => undefined);
  noContent(ctx);
}

/** Pause and unpause answer alike in both layers (libpod names the parameter `name`). */
export async function pause(ctx: Ctx): Promise<void> {
  await svc(ctx).pause(ctx.params.id ?? ctx.params.name);
  noContent(ctx);
}

export async function unpause(ctx: Ctx): Promise<void> {
  await svc(ctx).unpause(ctx.params.id ?? ctx.params.name);
  noContent(ctx);
}

async function wait(ctx: Ctx): Promise<void> {
  const condition = (ctx.query.get('condition') || 'not-running') as WaitCondition;
  if (!['not-running', 'next-exit', 'removed'].includes(condition)) throw new HttpError(400, `invalid condition: "${condition}"`);
  const s = svc(ctx);
  const id = ctx.params.id;
  // An auto-removed container may already be gone: its recorded exit still answers.
  const gone = !s.find(id) ? s.removedExit(id) : undefined;
  if (gone !== undefined) return sendJson(ctx, 200, { StatusCode: gone, Error: null });
  const v = s.get(id);
  // dockerd sends the headers first so the client knows the wait is registered before it starts.
  ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
  ctx.res.flushHeaders();
  const { signal, done } = requestSignal(ctx);
  try {
    const r = await s.wait(v.id, condition, signal);
    ctx.res.end(JSON.stringify({ StatusCode: r.exitCode, Error: r.error ? { Message: r.error } : null }) + '\n');
  } catch (e) {
    ctx.res.end(JSON.stringify({ StatusCode: -1, Error: { Message: (e as Error).message } }) + '\n');
  } finally {
    done();
  }
}

async function remove(ctx: Ctx): Promise<void> {
  if (qBool(ctx, 'link')) throw new HttpError(400, `invalid link ${ctx.params.id}: expected parent/alias`);
  await svc(ctx).remove(ctx.params.id, { force: qBool(ctx, 'force'), volumes: qBool(ctx, 'v') });
  noContent(ctx);
}

/** `docker rm --link parent/alias`: the parent's link goes, the containers stay. */
async function removeLink(ctx: Ctx): Promise<void> {
  if (!qBool(ctx, 'link')) throw new HttpError(404, `No such container: ${ctx.params.id}/${ctx.params.link}`);
  svc(ctx).removeLink(ctx.params.id, ctx.params.link);
  noContent(ctx);
}

async function rename(ctx: Ctx): Promise<void> {
  const name = ctx.query.get('name');
  if (!name) throw new HttpError(400, 'name is required');
  svc(ctx).rename(ctx.params.id, name);
  noContent(ctx);
}

async function update(ctx: Ctx): Promise<void> {
  const body = (await readBody<Partial<HostConfig>>(ctx, 'ContainerUpdate')) ?? {};
  const warnings = await svc(ctx).update(ctx.params.id, body);
  sendJson(ctx, 200, { Warnings: warnings });
}

async function prune(ctx: Ctx): Promise<void> {
  const r = await svc(ctx).prune(qFilters(ctx));
  sendJson(ctx, 200, { ContainersDeleted: r.deleted.length ? r.deleted : null, SpaceReclaimed: r.reclaimed });
}

/** The containers part of `/system/df` (the system handler merges it). */
export function dfContainers(ctx: Ctx) {
  const s = svc(ctx);
  const out = s.list({ all: true });
  const nets = s.networkStates(out);
  return out.map((v) => listEntry(v, true, () => s.sizeRw(v), nets.get(v.id)));
}

async function resize(ctx: Ctx): Promise<void> {
  const h = qInt(ctx, 'h', 0, TTY_SIZE)!;
  const w = qInt(ctx, 'w', 0, TTY_SIZE)!;
  svc(ctx).resize(ctx.params.id, h, w);
  noContent(ctx, 200);
}

export const routes: RouteDef[] = [
  { method: 'GET', path: '/containers/json', handler: list },
  { method: 'POST', path: '/containers/create', handler: create },
  { method: 'POST', path: '/containers/prune', handler: prune },
  { method: 'GET', path: '/containers/:id/json', handler: inspect },
  { method: 'POST', path: '/containers/:id/start', handler: start },
  { method: 'POST', path: '/containers/:id/stop', handler: stop },
  { method: 'POST', path: '/containers/:id/restart', handler: restart },
  { method: 'POST', path: '/containers/:id/kill', handler: kill },
  { method: 'POST', path: '/containers/:id/pause', handler: pause },
  { method: 'POST', path: '/containers/:id/unpause', handler: unpause },
  { method: 'POST', path: '/containers/:id/wait', handler: wait },
  { method: 'POST', path: '/containers/:id/rename', handler: rename },
  { method: 'POST', path: '/containers/:id/update', handler: update },
  { method: 'POST', path: '/containers/:id/resize', handler: resize },
  { method: 'GET', path: '/containers/:id/logs', handler: logs },
  { method: 'POST', path: '/containers/:id/attach', handler: attach },
  { method: 'DELETE', path: '/containers/:id', handler: remove },
  { method: 'DELETE', path: '/containers/:id/:link', handler: removeLink },
];
