// podman's pod endpoints: create, json, {name}/json, exists, start, stop, kill, pause, unpause,
// restart, DELETE, top, stats, prune. Actions answer podman's reports ({Id, Errs}); a report
// with errors is a 409, as podman sends it.
import type { Ctx, RouteDef } from '../../server/http.js';
import { qBool, qFilters, qInt, qList, sendJson, noContent } from '../../server/http.js';
import { readBody } from '../http/body.js';
import { HttpError } from '../../server/errors.js';
import type { PodActionReport, PodView } from '../../engine/pods/types.js';
import { podmanContainerState } from '../../engine/pods/types.js';
import { PERIOD_S, STOP_T } from '../http/query.js';
import { libpodPsArgs, streamTop } from '../containers/top.js';
import { podspecToCreate } from './podspec.js';
import { podStats } from './stats.js';
import { fromPodCreate } from '../../server/access/request.js';

const svc = (ctx: Ctx) => ctx.engine.pods;

/** The state names podman shows for a pod's containers. */
const ctrState = podmanContainerState;

/** podman's InspectPodData. */
function inspectBody(ctx: Ctx, p: PodView) {
  const c = p.config;
  const n = c.network;
  const infra = p.infraId ? ctx.engine.containers.find(p.infraId) : undefined;
  // The ports as published (a host port chosen at start shows once the pod runs).
  const published = infra ? ctx.engine.containers.networkState(infra).ports : [];
  const portBindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const [k, bs] of Object.entries(n.portBindings)) {
    portBindings[k] = bs.map((b) => {
      const [port, proto = 'tcp'] = k.split('/');
      const live = published.find((x) => String(x.containerPort) === port && x.protocol === proto && (!b.HostPort || String(x.hostPort) === b.HostPort));
      return { HostIp: b.HostIp ?? '', HostPort: live ? String(live.hostPort) : b.HostPort ?? '' };
    });
  }
  return {
    Id: p.id,
    Name: p.name,
    Namespace: '',
    Created: p.created,
    CreateCommand: [],
    ExitPolicy: c.exitPolicy,
    State: p.state,
    Hostname: c.hostname,
    Labels: c.labels,
    CreateCgroup: true,
    CgroupParent: c.cgroupParent || '/berth',
    CgroupPath: p.cgroupPath,
    CreateInfra: c.infra,
    ...(p.infraId ? { InfraContainerID: p.infraId } : {}),
    ...(c.infra
      ? {
          InfraConfig: {
            PortBindings: portBindings,
            HostNetwork: n.mode === 'host',
            StaticIP: '',
            StaticMAC: '',
            NoManageResolvConf: false,
            DNSServer: n.dns,
            DNSSearch: n.dnsSearch,
            DNSOption: n.dnsOptions,
            NoManageHosts: false,
            HostAdd: n.extraHosts,
            Networks: svc(ctx).networkNames(p),
            NetworkOptions: null,
          },
        }
      : {}),
    SharedNamespaces: c.share,
    NumContainers: p.members.length,
    Containers: p.members.map((m) => ({ Id: m.id, Name: m.name, State: ctrState(m.state) })),
    LockNumber: 0,
    RestartPolicy: c.restartPolicy,
    ...(c.resources.memory ? { memory_limit: c.resources.memory } : {}),
    ...(c.resources.memorySwap ? { memory_swap: c.resources.memorySwap } : {}),
    ...(c.resources.cpuShares ? { cpu_shares: c.resources.cpuShares } : {}),
    ...(c.resources.cpuQuota ? { cpu_quota: c.resources.cpuQuota } : {}),
    ...(c.resources.cpuPeriod ? { cpu_period: c.resources.cpuPeriod } : {}),
    ...(c.resources.cpusetCpus ? { cpuset_cpus: c.resources.cpusetCpus } : {}),
    ...(c.resources.cpusetMems ? { cpuset_mems: c.resources.cpusetMems } : {}),
  };
}

/** podman's ListPodsReport. */
function listEntry(ctx: Ctx, p: PodView) {
  return {
    Cgroup: p.config.cgroupParent || '/berth',
    Containers: p.members.map((m) => ({ Id: m.id, Names: m.name, Status: ctrState(m.state), RestartCount: m.restartCount })),
    Created: p.created,
    Id: p.id,
    InfraId: p.infraId,
    Labels: p.config.labels,
    Name: p.name,
    Namespace: '',
    Networks: svc(ctx).networkNames(p),
    Status: p.state,
  };
}

async function create(ctx: Ctx): Promise<void> {
  const body = await readBody<Record<string, unknown>>(ctx, 'PodSpecGenerator');
  if (!body) throw new HttpError(400, 'request body is required (a PodSpecGenerator)');
  const req = podspecToCreate(body);
  ctx.access?.guard(fromPodCreate(req));
  const r = await svc(ctx).create(req);
  ctx.access?.touched(r.id);
  // podman's IDResponse has no Warnings: the service's log says them.
  for (const w of r.warnings) ctx.log.warn('pod create', { pod: r.id, warning: w });
  sendJson(ctx, 201, { Id: r.id });
}

async function list(ctx: Ctx): Promise<void> {
  sendJson(ctx, 200, svc(ctx).list(qFilters(ctx)).map((p) => listEntry(ctx, p)));
}

async function inspect(ctx: Ctx): Promise<void> {
  sendJson(ctx, 200, inspectBody(ctx, svc(ctx).get(ctx.params.name)));
}

async function exists(ctx: Ctx): Promise<void> {
  svc(ctx).get(ctx.params.name);
  noContent(ctx);
}

/** A report with errors is podman's 409; start and stop carry the name as given (RawInput). */
function report(ctx: Ctx, r: PodActionReport, raw: boolean): void {
  sendJson(ctx, r.errs.length ? 409 : 200, { Id: r.id, Errs: r.errs, ...(raw ? { RawInput: ctx.params.name } : {}) });
}

async function start(ctx: Ctx): Promise<void> {
  report(ctx, await svc(ctx).start(ctx.params.name), true);
}

async function stop(ctx: Ctx): Promise<void> {
  // The spec's `t`; podman-remote 4.x sends `timeout`.
  report(ctx, await svc(ctx).stop(ctx.params.name, qInt(ctx, 't', undefined, STOP_T) ?? qInt(ctx, 'timeout', undefined, STOP_T)), true);
}

async function kill(ctx: Ctx): Promise<void> {
  report(ctx, await svc(ctx).kill(ctx.params.name, ctx.query.get('signal') || undefined), false);
}

async function pause(ctx: Ctx): Promise<void> {
  report(ctx, await svc(ctx).pause(ctx.params.name), false);
}

async function unpause(ctx: Ctx): Promise<void> {
  report(ctx, await svc(ctx).unpause(ctx.params.name), false);
}

async function restart(ctx: Ctx): Promise<void> {
  report(ctx, await svc(ctx).restart(ctx.params.name), false);
}

async function remove(ctx: Ctx): Promise<void> {
  const r = await svc(ctx).remove(ctx.params.name, { force: qBool(ctx, 'force') });
  sendJson(ctx, 200, { Id: r.id, RemovedCtrs: Object.fromEntries(r.removed.map((id) => [id, null])), Err: null });
}

async function prune(ctx: Ctx): Promise<void> {
  const r = await svc(ctx).prune();
  sendJson(ctx, 200, r.map((x) => ({ Id: x.id, Err: x.err ?? null })));
}

async function top(ctx: Ctx): Promise<void> {
  const psArgs = libpodPsArgs(ctx.query.getAll('ps_args').join(',') || undefined);
  const delayS = qInt(ctx, 'delay', 5, PERIOD_S)!;
  const read = () => svc(ctx).top(ctx.params.name, psArgs);
  if (!qBool(ctx, 'stream')) return sendJson(ctx, 200, await read());
  await streamTop(ctx, delayS, read);
}

async function stats(ctx: Ctx): Promise<void> {
  const refs = qList(ctx, 'namesOrIDs');
  const all = qBool(ctx, 'all');
  if (all && refs.length) throw new HttpError(400, '--all and a list of pods cannot be given together');
  const pods = refs.length ? refs.map((r) => svc(ctx).get(r)) : all ? svc(ctx).list() : svc(ctx).list({ status: ['running', 'degraded'] });
  sendJson(ctx, 200, await podStats(ctx, pods));
}

export const routes: RouteDef[] = [
  { method: 'POST', path: '/libpod/pods/create', handler: create },
  { method: 'GET', path: '/libpod/pods/json', handler: list },
  { method: 'GET', path: '/libpod/pods/stats', handler: stats },
  { method: 'POST', path: '/libpod/pods/prune', handler: prune },
  { method: 'GET', path: '/libpod/pods/:name/json', handler: inspect },
  { method: 'GET', path: '/libpod/pods/:name/exists', handler: exists },
  { method: 'POST', path: '/libpod/pods/:name/start', handler: start },
  { method: 'POST', path: '/libpod/pods/:name/stop', handler: stop },
  { method: 'POST', path: '/libpod/pods/:name/kill', handler: kill },
  { method: 'POST', path: '/libpod/pods/:name/pause', handler: pause },
  { method: 'POST', path: '/libpod/pods/:name/unpause', handler: unpause },
  { method: 'POST', path: '/libpod/pods/:name/restart', handler: restart },
  { method: 'GET', path: '/libpod/pods/:name/top', handler: top },
  { method: 'DELETE', path: '/libpod/pods/:name', handler: remove },
];
