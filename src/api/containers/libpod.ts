import type { Ctx, RouteDef } from '../../server/http.js';
import { noContent, qBool, qFilters, qInt, qList, sendJson, sendJsonText } from '../../server/http.js';
import { EntryTexts, JsonArray, utf8 } from './list-text.js';
import { readBody } from '../http/body.js';
import { HttpError } from '../../server/errors.js';
import type { ContainerView } from '../../engine/containers/types.js';
import { EngineError } from '../../engine/errors.js';
import { signalName, signalNumber } from '../../lib/signals.js';
import { apiLevel } from '../http/api-level.js';
import type { ContainerNetworkState } from '../../engine/networks/types.js';
import type { HealthState } from '../../engine/health/types.js';
import { podmanNetworkSettings, podmanPorts } from './network-settings.js';
import { dockerStatus } from './status.js';
import { attach, logs } from './streams.js';
import { pause, unpause } from './compat.js';
import { requestSignal } from '../http/request-signal.js';
import { LIMIT, STOP_T, TTY_SIZE } from '../http/query.js';
import { specgenToCreate } from './specgen.js';
import { fromContainerCreate, joiningPod } from '../../server/access/request.js';

const ZERO_TIME = '0001-01-01T00:00:00Z';
const svc = (ctx: Ctx) => ctx.engine.containers;
const unix = (t: string) => (t ? Math.floor(Date.parse(t) / 1000) : 0);

/** podman's state names: exited containers are "exited", never-started ones "created" (or "initialized"). */
const podmanState = (s: string) => (s === 'stopping' || s === 'initialized' ? s : dockerStatus(s));

function listEntry(v: ContainerView, size: boolean, sizeRw: () => number, net?: ContainerNetworkState, podName = '', health?: string) {
  const c = v.parsed.Config;
  const st = podmanState(v.state);
  return {
    AutoRemove: v.parsed.HostConfig.AutoRemove,
    Command: [...(c.Entrypoint ?? []), ...(c.Cmd ?? [])],
    Created: v.created,
    CreatedAt: '',
    CIDFile: '',
    Exited: st === 'exited',
    ExitedAt: unix(v.finishedAt),
    ExitCode: v.exitCode,
    ExposedPorts: null,
    Id: v.id,
    Image: v.image,
    ImageID: v.imageId,
    IsInfra: !!v.parsed.pod?.infra,
    Labels: c.Labels ?? {},
    Mounts: v.mounts.filter((m) => m.type === 'bind' || m.type === 'volume').map((m) => m.destination),
    Names: [v.name],
    Namespaces: {},
    Networks: (net?.endpoints ?? []).filter((e) => e.networkName !== 'host' && e.networkName !== 'none').map((e) => e.networkName),
    Pid: v.pid,
    Pod: v.parsed.pod?.id ?? '',
    PodName: podName,
    Ports: net?.ports.length ? podmanPorts(net.ports) : null,
    Restarts: v.restartCount,
    Size: size ? { rwSize: sizeRw(), rootFsSize: 0 } : null,
    StartedAt: unix(v.startedAt),
    State: st,
    // podman's ps shows it after the state: "Up 5 seconds (healthy)".
    Status: health && st === 'running' ? health : '',
  };
}

/** podman's names of the on-failure actions. */
const onFailureName = (v: ContainerView) => v.parsed.healthOnFailure ?? 'none';

/**
 * Config fields whose type podman changed at API 5.0: a 4.x client decodes Entrypoint as one
 * string (the words joined by spaces) and StopSignal as a number, and fails on anything else;
 * 5.x has a list and a signal name. Unversioned paths get the newest shape, as podman serves them.
 */
function versionedConfig(c: ContainerView['parsed']['Config'], level: number) {
  const stop = signalNumber(c.StopSignal || 'SIGTERM') ?? 15;
  return level < 5
    ? { Entrypoint: (c.Entrypoint ?? []).join(' '), StopSignal: stop }
    : { Entrypoint: c.Entrypoint, StopSignal: signalName(stop) };
}

function inspectBody(v: ContainerView, level: number, runtime: string, effective: string[], size?: number, execIds: string[] = [], net?: ContainerNetworkState, health?: HealthState) {
  const c = v.parsed.Config;
  const h = v.parsed.HostConfig;
  const d = v.dirs;
  const argv = [...(c.Entrypoint ?? []), ...(c.Cmd ?? [])];
  const st = podmanState(v.state);
  return {
    Id: v.id,
    Created: v.created,
    Path: argv[0] ?? '',
    Args: argv.slice(1),
    State: {
      OciVersion: '1.0.2-dev',
      Status: st,
      Running: st === 'running',
      Paused: st === 'paused',
      Restarting: st === 'restarting',
      OOMKilled: v.oomKilled,
      Dead: false,
      Pid: v.pid,
      ConmonPid: v.conmonPid,
      ExitCode: v.exitCode,
      Error: v.error,
      StartedAt: v.startedAt || ZERO_TIME,
      FinishedAt: v.finishedAt || ZERO_TIME,
      CheckpointedAt: ZERO_TIME,
      RestoredAt: ZERO_TIME,
      StoppedByUser: v.stopRequested,
      ...(health ? { Health: { Status: health.Status, FailingStreak: health.FailingStreak, Log: health.Log } } : {}),
    },
    Image: v.imageId,
    ImageDigest: '',
    ImageName: v.image,
    Rootfs: '',
    Pod: v.parsed.pod?.id ?? '',
    ResolvConfPath: `${d.userdata}/resolv.conf`,
    HostnamePath: `${d.userdata}/hostname`,
    HostsPath: `${d.userdata}/hosts`,
    StaticDir: d.userdata,
    OCIConfigPath: `${d.bundle}/config.json`,
    OCIRuntime: runtime,
    ConmonPidFile: `${d.bundle}/conmon.pid`,
    PidFile: `${d.bundle}/pidfile`,
    Name: v.name,
    RestartCount: v.restartCount,
    Driver: 'overlay',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    EffectiveCaps: effective,
    BoundingCaps: effective,
    ExecIDs: execIds,
    GraphDriver: { Name: 'overlay', Data: { MergedDir: d.merged, UpperDir: d.upper, WorkDir: d.work } },
    ...(size !== undefined ? { SizeRw: size, SizeRootFs: 0 } : {}),
    Mounts: v.mounts
      .filter((m) => m.type === 'bind' || m.type === 'volume' || m.type === 'image')
      .map((m) => m.type === 'image'
        ? { Type: 'image', Source: m.image ?? '', Destination: m.destination, Driver: '', Mode: '', Options: m.readOnly ? ['ro'] : ['rw'], RW: !m.readOnly, Propagation: '' }
        : m.type === 'volume'
        ? { Type: 'volume', Name: m.name ?? '', Source: m.source, Destination: m.destination, Driver: m.driver ?? 'local', Mode: '', Options: ['nosuid', 'nodev', 'rbind'], RW: !m.readOnly, Propagation: m.propagation ?? 'rprivate' }
        : { Type: 'bind', Source: m.source, Destination: m.destination, Driver: '', Mode: '', Options: ['rbind'], RW: !m.readOnly, Propagation: m.propagation ?? 'rprivate' }),
    Dependencies: [],
    NetworkSettings: podmanNetworkSettings(v, net),
    Namespace: '',
    IsInfra: !!v.parsed.pod?.infra,
    IsService: false,
    KubeExitCodePropagation: 'invalid',
    lockNumber: 0,
    Config: {
      Hostname: c.Hostname,
      Domainname: c.Domainname,
      User: c.User,
      AttachStdin: c.AttachStdin,
      AttachStdout: c.AttachStdout,
      AttachStderr: c.AttachStderr,
      Tty: c.Tty,
      OpenStdin: c.OpenStdin,
      StdinOnce: c.StdinOnce,
      Env: c.Env,
      Cmd: c.Cmd,
      Image: v.image,
      Volumes: c.Volumes,
      WorkingDir: c.WorkingDir || '/',
      OnBuild: null,
      Labels: c.Labels,
      Annotations: v.parsed.annotations ?? {},
      // Validated at create.
      ...versionedConfig(c, level),
      StopTimeout: c.StopTimeout ?? 10,
      Healthcheck: c.Healthcheck,
      ...(c.Healthcheck ? { HealthcheckOnFailureAction: onFailureName(v) } : {}),
      CreateCommand: [],
      Umask: '0022',
      // Names and IDs only: the data stays in the secret store and the container's copy.
      ...(v.parsed.secrets?.length ? { Secrets: v.parsed.secrets.map((s) => ({ Name: s.name, ID: s.id, UID: s.uid, GID: s.gid, Mode: s.mode })) } : {}),
      Timeout: 0,
      Passwd: true,
      sdNotifyMode: 'container',
      ...(c.ExposedPorts ? { ExposedPorts: c.ExposedPorts } : {}),
    },
    HostConfig: {
      ...h,
      RestartPolicy: { Name: h.RestartPolicy.Name === 'no' ? '' : h.RestartPolicy.Name, MaximumRetryCount: h.RestartPolicy.MaximumRetryCount },
      NetworkMode: h.NetworkMode === 'default' ? 'bridge' : h.NetworkMode,
      CapAdd: h.CapAdd ?? [],
      CapDrop: h.CapDrop ?? [],
      Dns: h.Dns ?? [],
      DnsOptions: h.DnsOptions ?? [],
      DnsSearch: h.DnsSearch ?? [],
      ExtraHosts: h.ExtraHosts ?? [],
      SecurityOpt: h.SecurityOpt ?? [],
      Ulimits: h.Ulimits ?? [],
      PidsLimit: h.PidsLimit ?? 0,
      Init: !!h.Init,
      // podman names the runtime in OCIRuntime; its HostConfig says only that it is an OCI one.
      Runtime: 'oci',
    },
  };
}

// ---- handlers ----------------------------------------------------------------------------------

async function list(ctx: Ctx): Promise<void> {
  const all = qBool(ctx, 'all');
  const limit = qInt(ctx, 'limit', -1, LIMIT)!;
  const size = qBool(ctx, 'size');
  const s = svc(ctx);
  const { last, ...filters } = qFilters(ctx);
  const out = s.list({ all, limit: lastOf(ctx, last) ?? limit, filters });
  const nets = s.networkStates(out);
  const podNames = out.some((v) => v.parsed.pod) ? new Map(ctx.engine.pods.list().map((p) => [p.id, p.name])) : new Map<string, string>();
  const health = ctx.engine.health.states();
  const podName = (v: ContainerView) => (v.parsed.pod ? podNames.get(v.parsed.pod.id) : '');
  if (size) return sendJson(ctx, 200, out.map((v) => listEntry(v, size, () => s.sizeRw(v), nets.get(v.id), podName(v), health.get(v.id)?.Status)));
  // Without sizes an entry depends only on what it is shaped from: its JSON is kept (list-text.ts).
  const a = new JsonArray();
  for (const v of out) a.entry(entryTexts.get(v, nets.get(v.id), podName(v), health.get(v.id)?.Status));
  sendJsonText(ctx, 200, a.bytes());
}

const entryTexts = new EntryTexts((v: ContainerView, net: ContainerNetworkState | undefined, podName: string | undefined, health: string | undefined) =>
  utf8(JSON.stringify(listEntry(v, false, () => 0, net, podName, health))));

/**
 * podman's `last`: the newest N containers, live or not. A query parameter that overrides
 * `limit` (podman's first name for it, kept as an alias), also accepted as a filter.
 */
function lastOf(ctx: Ctx, filter: string[] | undefined): number | undefined {
  if (ctx.query.has('last')) return qInt(ctx, 'last', 0, LIMIT);
  if (!filter?.length) return undefined;
  const n = Number(filter[filter.length - 1]);
  if (!Number.isInteger(n)) throw new HttpError(400, `Invalid filter 'last=${filter[filter.length - 1]}'`);
  return n;
}

async function inspect(ctx: Ctx): Promise<void> {
  const v = svc(ctx).get(ctx.params.name);
  sendJson(ctx, 200, inspectBody(v, apiLevel(ctx.version), svc(ctx).runtimeName, svc(ctx).effectiveCaps(v), qBool(ctx, 'size') ? svc(ctx).sizeRw(v) : undefined, ctx.engine.exec.idsOf(v.id), svc(ctx).networkState(v), ctx.engine.health.state(v.id)));
}

/** podman's healthcheck run: one probe now; Status is this probe's verdict, as podman answers. */
async function healthcheck(ctx: Ctx): Promise<void> {
  const r = await ctx.engine.health.runNow(ctx.params.name);
  sendJson(ctx, 200, { Status: r.verdict, FailingStreak: r.state.FailingStreak, Log: r.state.Log });
}

async function exists(ctx: Ctx): Promise<void> {
  svc(ctx).get(ctx.params.name);
  noContent(ctx);
}

async function create(ctx: Ctx): Promise<void> {
  const body = await readBody<Record<string, unknown>>(ctx, 'SpecGenerator');
  if (!body) throw new HttpError(400, 'request body is required (a SpecGenerator)');
  const req = specgenToCreate(body);
  // A member of a pod takes on the namespaces the pod holds.
  ctx.access?.guard(joiningPod(fromContainerCreate(req), req.pod ? ctx.engine.pods.find(req.pod) : undefined));
  const r = await svc(ctx).create(req);
  ctx.access?.touched(r.id);
  sendJson(ctx, 201, { Id: r.id, Warnings: r.warnings });
}

async function start(ctx: Ctx): Promise<void> {
  await svc(ctx).start(ctx.params.name);
  noContent(ctx);
}

/** podman's init: 204 once created in the runtime, 304 when it already is (or runs). */
async function init(ctx: Ctx): Promise<void> {
  await svc(ctx).init(ctx.params.name);
  noContent(ctx);
}

/** podman's mount answers the mount point as a JSON string. */
async function mount(ctx: Ctx): Promise<void> {
  sendJson(ctx, 200, await svc(ctx).mount(ctx.params.name));
}

async function unmount(ctx: Ctx): Promise<void> {
  await svc(ctx).unmount(ctx.params.name);
  noContent(ctx);
}

async function showMounted(ctx: Ctx): Promise<void> {
  sendJson(ctx, 200, svc(ctx).mounted());
}

async function checkpoint(ctx: Ctx): Promise<void> {
  await svc(ctx).checkpoint(ctx.params.name);
}

async function restore(ctx: Ctx): Promise<void> {
  await svc(ctx).restore(ctx.params.name);
}

async function stop(ctx: Ctx): Promise<void> {
  try {
    await svc(ctx).stop(ctx.params.name, qInt(ctx, 'timeout', undefined, STOP_T) ?? qInt(ctx, 't', undefined, STOP_T));
  } catch (e) {
    if (e instanceof EngineError && e.kind === 'not-modified' && qBool(ctx, 'Ignore')) return noContent(ctx);
    throw e;
  }
  noContent(ctx);
}

async function restart(ctx: Ctx): Promise<void> {
  await svc(ctx).restart(ctx.params.name, qInt(ctx, 't', undefined, STOP_T) ?? qInt(ctx, 'timeout', undefined, STOP_T));
  noContent(ctx);
}

async function kill(ctx: Ctx): Promise<void> {
  await svc(ctx).kill(ctx.params.name, ctx.query.get('signal') || 'SIGKILL');
  noContent(ctx);
}

/** libpod answers the bare exit code once any of the requested states is reached. */
async function wait(ctx: Ctx): Promise<void> {
  const conds = qList(ctx, 'condition');
  const known = ['configured', 'created', 'exited', 'healthy', 'initialized', 'paused', 'removing', 'running', 'stopped', 'stopping', 'unhealthy'];
  for (const c of conds) if (!known.includes(c)) throw new HttpError(400, `invalid condition "${c}"`);
  const s = svc(ctx);
  // podman keeps the exit code of auto-removed containers for exactly this call.
  const removed = !s.find(ctx.params.name) ? s.removedExit(ctx.params.name) : undefined;
  if (removed !== undefined) return sendJson(ctx, 200, removed);
  const v = s.get(ctx.params.name);
  const { signal, done } = requestSignal(ctx);
  try {
    const code = await s.waitState(v.id, conds, signal);
    sendJson(ctx, 200, code);
  } finally {
    done();
  }
}

async function remove(ctx: Ctx): Promise<void> {
  const s = svc(ctx);
  const name = ctx.params.name;
  if (!s.find(name)) {
    if (qBool(ctx, 'ignore')) return sendJson(ctx, 200, []);
    throw new EngineError('not-found', `no container with name or ID "${name}" found: no such container`, 'no such container');
  }
  const force = qBool(ctx, 'force');
  const id = await s.remove(name, { force, volumes: qBool(ctx, 'v') });
  sendJson(ctx, 200, [{ Id: id, Err: null }]);
}

/** podman-remote asks after an exit whether the restart policy will bring the container back. */
async function shouldRestart(ctx: Ctx): Promise<void> {
  sendJson(ctx, 200, { Value: svc(ctx).willRestart(ctx.params.name) });
}

async function rename(ctx: Ctx): Promise<void> {
  const name = ctx.query.get('name');
  if (!name) throw new HttpError(400, 'name is required');
  svc(ctx).rename(ctx.params.name, name);
  noContent(ctx);
}

async function prune(ctx: Ctx): Promise<void> {
  const r = await svc(ctx).prune(qFilters(ctx));
  sendJson(ctx, 200, r.deleted.map((id) => ({ Id: id, Size: 0, Err: null })));
}

export const routes: RouteDef[] = [
  { method: 'GET', path: '/libpod/containers/json', handler: list },
  { method: 'POST', path: '/libpod/containers/create', handler: create },
  { method: 'POST', path: '/libpod/containers/prune', handler: prune },
  { method: 'GET', path: '/libpod/containers/:name/json', handler: inspect },
  { method: 'GET', path: '/libpod/containers/:name/exists', handler: exists },
  { method: 'GET', path: '/libpod/containers/:name/healthcheck', handler: healthcheck },
  { method: 'POST', path: '/libpod/containers/:name/start', handler: start },
  { method: 'POST', path: '/libpod/containers/:name/init', handler: init },
  { method: 'GET', path: '/libpod/containers/showmounted', handler: showMounted },
  { method: 'POST', path: '/libpod/containers/:name/mount', handler: mount },
  { method: 'POST', path: '/libpod/containers/:name/unmount', handler: unmount },
  { method: 'POST', path: '/libpod/containers/:name/checkpoint', handler: checkpoint },
  { method: 'POST', path: '/libpod/containers/:name/restore', handler: restore },
  { method: 'POST', path: '/libpod/containers/:name/stop', handler: stop },
  { method: 'POST', path: '/libpod/containers/:name/restart', handler: restart },
  { method: 'POST', path: '/libpod/containers/:name/kill', handler: kill },
  { method: 'POST', path: '/libpod/containers/:name/pause', handler: pause },
  { method: 'POST', path: '/libpod/containers/:name/unpause', handler: unpause },
  { method: 'POST', path: '/libpod/containers/:name/wait', handler: wait },
  { method: 'POST', path: '/libpod/containers/:name/rename', handler: rename },
  { method: 'POST', path: '/libpod/containers/:name/shouldrestart', handler: shouldRestart },
  { method: 'GET', path: '/libpod/containers/:name/logs', handler: (ctx) => logs(withId(ctx)) },
  { method: 'POST', path: '/libpod/containers/:name/attach', handler: (ctx) => attach(withId(ctx)) },
  { method: 'POST', path: '/libpod/containers/:name/resize', handler: resize },
  { method: 'DELETE', path: '/libpod/containers/:name', handler: remove },
];

async function resize(ctx: Ctx): Promise<void> {
  const h = qInt(ctx, 'h', 0, TTY_SIZE)!;
  const w = qInt(ctx, 'w', 0, TTY_SIZE)!;
  svc(ctx).resize(ctx.params.name, h, w);
  sendJson(ctx, 200, {});
}

function withId(ctx: Ctx): Ctx {
  return { ...ctx, params: { ...ctx.params, id: ctx.params.name } };
}
