// The pod service: a pod is a record (pods table) plus containers whose spec names it; the infra
// container holds the shared namespaces, the pod's network (ports, networks, DNS, hosts) and
// hostname. Actions fan out to the containers (infra first on start, last on stop) and answer
// podman's reports: per container errors rather than one failure.
import type { Database } from 'better-sqlite3';
import { clip } from '../../lib/clip.js';
import { PodStore, type PodRow } from '../../state/pods.js';
import { containerPids } from '../containers/cgroup.js';
import { newId, randomName } from '../containers/create.js';
import type { ContainerPods, PodJoin } from '../containers/pod-membership.js';
import type { ContainersPort } from '../containers/port.js';
import { topOf } from '../containers/top.js';
import type { ContainerView, TopResult } from '../containers/types.js';
import { isLive } from '../containers/util.js';
import { conflict, EngineError, notModified } from '../errors.js';
import type { EventBus } from '../events.js';
import { podCgroupPath, preparePodCgroup, removePodCgroup, rootlessPodLimitsWarning } from './cgroup.js';
import { podConfig, validatePodName } from './create.js';
import { podFilter } from './filters.js';
import { InfraImage, type InfraImageStore } from './infra-image.js';
import type { PodsPort } from './port.js';
import { podState } from './state.js';
import type { PodActionReport, PodConfig, PodCreateRequest, PodMember, PodRemoveReport, PodView } from './types.js';

export interface PodServiceOptions {
  db: Database;
  events: EventBus;
  /** The container service (built on first use: the two depend on each other). */
  containers: () => ContainersPort;
  images: () => InfraImageStore;
}


const noSuchPod = (ref: string) => new EngineError('not-found', `no pod with name or ID ${clip(ref)} found: no such pod`, 'no such pod');
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));


export class PodService implements PodsPort, ContainerPods {
  private readonly store: PodStore;
  private readonly infraImage: InfraImage;

  constructor(private readonly o: PodServiceOptions) {
    this.store = new PodStore(o.db);
    this.infraImage = new InfraImage({ exists: (r) => o.images().exists(r), import: (i, opts) => o.images().import(i, opts) });
  }

  private get containers(): ContainersPort {
    return this.o.containers();
  }

  private publish(action: string, p: { id: string; name: string }): void {
    this.o.events.publish('pod', action, p.id, { name: p.name });
  }

  // ---- lookups -------------------------------------------------------------------------------

  private row(ref: string): PodRow | undefined {
    if (!ref) return undefined;
    const exact = this.store.get(ref) ?? this.store.byName(ref);
    if (exact) return exact;
    if (!/^[0-9a-f]+$/.test(ref)) return undefined;
    const byPrefix = this.store.byPrefix(ref);
    return byPrefix.length === 1 ? byPrefix[0] : undefined;
  }

  /** Members of every pod, from one read of the containers. */
  private membersByPod(): Map<string, ContainerView[]> {
    const out = new Map<string, ContainerView[]>();
    for (const v of this.containers.list({ all: true })) {
      const id = v.parsed.pod?.id;
      if (!id) continue;
      let l = out.get(id);
      if (!l) out.set(id, (l = []));
      l.push(v);
    }
    return out;
  }

  private view(r: PodRow, containers: ContainerView[]): PodView {
    const members: PodMember[] = containers
      .map((v) => ({ id: v.id, name: v.name, state: v.state, restartCount: v.restartCount, infra: !!v.parsed.pod?.infra, pid: isLive(v.state) ? v.pid : 0, created: v.created }))
      // The infra container first, then by creation.
      .sort((a, b) => Number(b.infra) - Number(a.infra) || a.created.localeCompare(b.created));
    const config = JSON.parse(r.config) as PodConfig;
    const cgroupPath = config.shareParent && config.infra ? podCgroupPath(r.id, config.cgroupParent) : '';
    return { id: r.id, name: r.name, created: r.created, config, infraId: r.infraId, cgroupPath, state: podState(members.map((m) => m.state)), members };
  }

  find(ref: string): PodView | undefined {
    const r = this.row(ref);
    return r && this.view(r, this.membersByPod().get(r.id) ?? []);
  }

  get(ref: string): PodView {
    const p = this.find(ref);
    if (!p) throw noSuchPod(ref);
    return p;
  }

  list(filters: Record<string, string[]> = {}): PodView[] {
    const keep = podFilter(filters, (p) => this.networkNames(p));
    const members = this.membersByPod();
    return this.store.list().map((r) => this.view(r, members.get(r.id) ?? [])).filter(keep);
  }

  /** The networks of the pod's infra container (none without one). */
  networkNames(p: PodView): string[] {
    if (!p.infraId) return [];
    const infra = this.containers.find(p.infraId);
    if (!infra) return [];
    return this.containers.networkState(infra).endpoints.map((e) => e.networkName);
  }

  // ---- create --------------------------------------------------------------------------------

  async create(req: PodCreateRequest): Promise<{ id: string; warnings: string[] }> {
    const name = req.name ? validatePodName(req.name) : randomName((n) => this.store.nameTaken(n));
    const config = podConfig(req, name);
    // Limits berth cannot apply are not kept either: inspect shows what the pod really has.
    const unapplied = rootlessPodLimitsWarning(config);
    if (unapplied) config.resources = {};
    const id = newId();
    const inserted = this.store.tx(() => this.store.insert({ id, name, created: new Date().toISOString(), config: JSON.stringify(config), infraId: '' }));
    if (!inserted) throw conflict(`adding pod to state: name "${name}" is in use: pod already exists`);
    if (config.infra) {
      try {
        const infraId = await this.createInfra(id, config);
        this.store.tx(() => this.store.setInfra(id, infraId));
      } catch (e) {
        this.store.tx(() => this.store.delete(id));
        throw e;
      }
    }
    this.publish('create', { id, name });
    return { id, warnings: unapplied ? [unapplied] : [] };
  }

  /** The infra container: the pod's network, hostname and limits, running catatonit unless told otherwise. */
  private async createInfra(podId: string, c: PodConfig): Promise<string> {
    const image = c.infraImage ?? (await this.infraImage.ensure());
    const n = c.network;
    // Under the pod's cgroup the limits bound the whole pod; without one they can only be the infra container's.
    const r = c.shareParent ? {} : c.resources;
    const command = c.infraCommand;
    const { id } = await this.containers.create({
      name: c.infraName ?? `${podId.slice(0, 12)}-infra`,
      config: { Image: image, Hostname: c.hostname, Labels: {}, ...(command ? { Entrypoint: command, Cmd: null } : {}) },
      hostConfig: {
        NetworkMode: n.mode,
        PortBindings: n.portBindings,
        Dns: n.dns,
        DnsSearch: n.dnsSearch,
        DnsOptions: n.dnsOptions,
        ExtraHosts: n.extraHosts,
        CgroupParent: c.shareParent ? podCgroupPath(podId, c.cgroupParent) : c.cgroupParent,
        ...(c.shmSize ? { ShmSize: c.shmSize } : {}),
        ...(r.memory ? { Memory: r.memory } : {}),
        ...(r.memorySwap ? { MemorySwap: r.memorySwap } : {}),
        ...(r.cpuShares ? { CpuShares: r.cpuShares } : {}),
        ...(r.cpuQuota ? { CpuQuota: r.cpuQuota } : {}),
        ...(r.cpuPeriod ? { CpuPeriod: r.cpuPeriod } : {}),
        ...(r.cpusetCpus ? { CpusetCpus: r.cpusetCpus } : {}),
        ...(r.cpusetMems ? { CpusetMems: r.cpusetMems } : {}),
      },
      endpoints: n.endpoints,
      flavor: 'podman',
      pod: podId,
      podInfra: true,
    });
    return id;
  }

  // ---- the container side (ContainerPods) ----------------------------------------------------

  join(ref: string): PodJoin {
    const r = this.row(ref);
    if (!r) throw noSuchPod(ref);
    const c = JSON.parse(r.config) as PodConfig;
    return {
      podId: r.id, infraId: r.infraId || undefined, share: c.share, hostname: c.hostname,
      cgroupParent: c.shareParent && c.infra ? podCgroupPath(r.id, c.cgroupParent) : c.cgroupParent, restartPolicy: c.restartPolicy, restartTries: c.restartTries,
    };
  }

  /** Before a container of the pod starts: the pod's cgroup exists with its limits. */
  prepareStart(podId: string): void {
    const r = this.store.get(podId);
    if (!r) return;
    const c = JSON.parse(r.config) as PodConfig;
    if (c.shareParent && c.infra) preparePodCgroup(podCgroupPath(r.id, c.cgroupParent), c.resources);
  }

  idOf(ref: string): string | undefined {
    return this.row(ref)?.id;
  }

  nameOf(podId: string): string | undefined {
    return this.store.get(podId)?.name;
  }

  exists(podId: string): boolean {
    return this.store.get(podId) !== undefined;
  }

  /**
   * exit_policy stop: once no member but the infra container runs, the pod stops. Runs where the
   * exit is applied (the service, or `container cleanup` with no service running).
   */
  async memberExited(podId: string): Promise<void> {
    const p = this.find(podId);
    if (!p || p.config.exitPolicy !== 'stop' || !p.infraId) return;
    const others = p.members.filter((m) => !m.infra);
    if (others.some((m) => isLive(m.state) || m.state === 'starting')) return;
    const infra = p.members.find((m) => m.infra);
    if (!infra || !isLive(infra.state)) return;
    await this.containers.stop(infra.id).catch(() => undefined);
    this.publish('stop', p);
  }

  // ---- actions -------------------------------------------------------------------------------

  /** Runs `fn` on each container, collecting podman's per-container error lines. */
  private async each(ids: string[], fn: (id: string) => Promise<unknown>, errs: string[], parallel = true): Promise<void> {
    const one = async (id: string) => {
      try {
        await fn(id);
      } catch (e) {
        if (e instanceof EngineError && e.kind === 'not-modified') return;
        errs.push(`${id}: ${message(e)}`);
      }
    };
    if (parallel) await Promise.all(ids.map(one));
    else for (const id of ids) await one(id);
  }

  async start(ref: string): Promise<PodActionReport> {
    const p = this.get(ref);
    const todo = p.members.filter((m) => m.state !== 'running' && m.state !== 'paused');
    if (!todo.length) throw notModified(`pod ${p.id} is already running`);
    const errs: string[] = [];
    const infra = todo.filter((m) => m.infra).map((m) => m.id);
    await this.each(infra, (id) => this.containers.start(id), errs);
    // Members cannot join the namespaces of an infra container that did not start.
    if (!errs.length) await this.each(todo.filter((m) => !m.infra).map((m) => m.id), (id) => this.containers.start(id), errs);
    this.publish('start', p);
    return { id: p.id, errs };
  }

  async stop(ref: string, timeoutSec?: number): Promise<PodActionReport> {
    const p = this.get(ref);
    const live = p.members.filter((m) => isLive(m.state) || m.state === 'initialized');
    if (!live.length) throw notModified(`pod ${p.id} is already stopped`);
    const errs: string[] = [];
    await this.each(live.filter((m) => !m.infra).map((m) => m.id), (id) => this.containers.stop(id, timeoutSec), errs);
    await this.each(live.filter((m) => m.infra).map((m) => m.id), (id) => this.containers.stop(id, timeoutSec), errs);
    this.publish('stop', p);
    return { id: p.id, errs };
  }

  async kill(ref: string, signal?: string): Promise<PodActionReport> {
    const p = this.get(ref);
    const live = p.members.filter((m) => m.state === 'running' || m.state === 'paused');
    if (!live.length) throw conflict(`pod ${p.id} has no running containers to kill`);
    const errs: string[] = [];
    await this.each(live.filter((m) => !m.infra).map((m) => m.id), (id) => this.containers.kill(id, signal), errs);
    await this.each(live.filter((m) => m.infra).map((m) => m.id), (id) => this.containers.kill(id, signal), errs);
    this.publish('kill', p);
    return { id: p.id, errs };
  }

  async pause(ref: string): Promise<PodActionReport> {
    const p = this.get(ref);
    const running = p.members.filter((m) => m.state === 'running');
    if (!running.length) throw conflict(`pod ${p.id} has no running containers to pause`);
    const errs: string[] = [];
    await this.each(running.map((m) => m.id), (id) => this.containers.pause(id), errs);
    this.publish('pause', p);
    return { id: p.id, errs };
  }

  async unpause(ref: string): Promise<PodActionReport> {
    const p = this.get(ref);
    const paused = p.members.filter((m) => m.state === 'paused');
    if (!paused.length) throw conflict(`pod ${p.id} has no paused containers to unpause`);
    const errs: string[] = [];
    await this.each(paused.map((m) => m.id), (id) => this.containers.unpause(id), errs);
    this.publish('unpause', p);
    return { id: p.id, errs };
  }

  async restart(ref: string): Promise<PodActionReport> {
    const p = this.get(ref);
    const errs: string[] = [];
    try {
      errs.push(...(await this.stop(p.id)).errs);
    } catch (e) {
      if (!(e instanceof EngineError && e.kind === 'not-modified')) throw e;
    }
    if (errs.length) return { id: p.id, errs };
    const r = await this.start(p.id).catch((e: unknown) => {
      if (e instanceof EngineError && e.kind === 'not-modified') return { id: p.id, errs: [] };
      throw e;
    });
    return { id: p.id, errs: r.errs };
  }

  /** The members, then the record, then the infra container; `force` stops running ones first. */
  async remove(ref: string, opts: { force?: boolean } = {}): Promise<PodRemoveReport> {
    const p = this.get(ref);
    if (!opts.force) {
      const live = p.members.find((m) => isLive(m.state) || m.state === 'starting');
      if (live) {
        throw conflict(`pod ${p.id} has containers that are not ready to be removed: cannot remove container ${live.id} as it is ${live.state} - running or paused containers cannot be removed without force`);
      }
    }
    const removed: string[] = [];
    for (const m of p.members.filter((x) => !x.infra)) {
      try {
        removed.push(await this.containers.remove(m.id, { force: opts.force }));
      } catch (e) {
        if (!(e instanceof EngineError && e.kind === 'not-found')) throw e;
      }
    }
    this.store.tx(() => this.store.delete(p.id));
    for (const m of p.members.filter((x) => x.infra)) {
      try {
        removed.push(await this.containers.remove(m.id, { force: true }));
      } catch (e) {
        if (!(e instanceof EngineError && e.kind === 'not-found')) throw e;
      }
    }
    if (p.config.shareParent && p.config.infra) removePodCgroup(podCgroupPath(p.id, p.config.cgroupParent));
    this.publish('remove', p);
    return { id: p.id, removed };
  }

  /** podman's prune: pods whose containers all stopped (Exited), with them. */
  async prune(): Promise<{ id: string; err?: string }[]> {
    const out: { id: string; err?: string }[] = [];
    for (const p of this.list()) {
      if (p.state !== 'Exited' && p.state !== 'Stopped') continue;
      try {
        await this.remove(p.id);
        out.push({ id: p.id });
      } catch (e) {
        out.push({ id: p.id, err: message(e) });
      }
    }
    return out;
  }

  /** `ps` over the processes of every running container of the pod. */
  async top(ref: string, psArgs: string[]): Promise<TopResult> {
    const p = this.get(ref);
    const pids = new Set<number>();
    for (const m of p.members) {
      if (m.state !== 'running' && m.state !== 'paused') continue;
      const all = containerPids(m.pid);
      for (const pid of all.length ? all : [m.pid]) pids.add(pid);
    }
    if (!pids.size) throw conflict(`pod ${p.id} is not running`);
    return topOf(pids, psArgs);
  }
}
