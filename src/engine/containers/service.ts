// The container service: one facade over small parts that share one ContainerContext —
// lookups (views), records (create, rename, update, remove, prune), lifecycle (start as named
// steps, stop, kill, restart, pause), exits (claim, finish, reconcile), waits and stdio.
import { join } from 'node:path';
import type { ContainerStore } from '../../state/containers.js';
import type { AttachSession } from './attach.js';
import { effectiveCaps } from './capabilities.js';
import { ContainerContext, type ContainerServiceOptions } from './context.js';
import { writeContainerEtc } from './etc.js';
import { resolveLinks } from './links.js';
import { Exits } from './exits.js';
import { selectContainers } from './filters.js';
import { Lifecycle } from './lifecycle.js';
import type { ContainersPort } from './port.js';
import type { ContainerNetworkState } from '../networks/types.js';
import { ContainerRecords } from './records.js';
import { Starter } from './start.js';
import { ContainerStdio } from './stdio.js';
import type {
  AttachOptions, ContainerLogs, ContainerView, CreateRequest, HostConfig, ListOptions, LogsOptions, PruneResult, WaitCondition,
} from './types.js';
import { dirSize, isLive } from './util.js';
import { ContainerWaits } from './wait.js';
import { UserMounts } from './user-mounts.js';
import { podSystemdUnits, systemdUnits, type SystemdUnitOptions } from './systemd-unit.js';
import { findBinary } from '../../oci/binaries.js';
import { badParameter, EngineError, notImplemented } from '../errors.js';
import { clip } from '../../lib/clip.js';

/** Checkpoints are CRIU's work; berth drives no CRIU yet, and says which is missing. */
function withoutCriu(what: 'checkpoint' | 'restore') {
  const why = findBinary('criu') ? 'berth does not drive CRIU yet' : 'CRIU is not installed (no criu binary on PATH; Debian package criu)';
  return notImplemented(`${what} is not available in this berth build: ${why}`);
}

export type { ContainerServiceOptions } from './context.js';
export type { ContainerView, WaitCondition } from './types.js';
export type { ExitClaim } from './exits.js';
// Helpers other modules import from here.
export { alive, dirSize, isLive, nowIso, noSuchContainer } from './util.js';

/**
 * Container lifecycle over conmon and an OCI runtime. State lives in SQLite only: any number of
 * service and cleanup processes may act on the same containers, each transition is one
 * IMMEDIATE transaction, and nothing here keeps state that another process would miss.
 */
export class ContainerService implements ContainersPort {
  private readonly ctx: ContainerContext;
  private readonly exits: Exits;
  private readonly starter: Starter;
  private readonly waits: ContainerWaits;
  private readonly lifecycle: Lifecycle;
  private readonly records: ContainerRecords;
  private readonly stdio: ContainerStdio;
  private readonly userMounts: UserMounts;

  constructor(o: ContainerServiceOptions) {
    const ctx = (this.ctx = new ContainerContext(o));
    // Exits restart containers through the starter; a start that finds its run already ended hands the exit back.
    this.exits = new Exits(ctx, (id) => this.starter.start(id, true));
    this.starter = new Starter(ctx, (id) => void this.exits.handle(id));
    this.waits = new ContainerWaits(ctx, this.exits);
    this.lifecycle = new Lifecycle(ctx, this.starter, this.waits);
    this.records = new ContainerRecords(ctx, this.lifecycle, this.exits);
    this.stdio = new ContainerStdio(ctx);
    this.userMounts = new UserMounts(ctx);
    if (o.service) {
      this.exits.watch();
      void this.exits.reconcile();
      void this.lifecycle.resumeOrphanedPauses();
    }
  }

  /** The state store, for the engine's other services (exec reads its container's row). */
  get store(): ContainerStore {
    return this.ctx.store;
  }

  get runtimeName(): string {
    return this.ctx.runtime.info.name;
  }

  // ---- lookups -------------------------------------------------------------------------------

  find(ref: string): ContainerView | undefined {
    return this.ctx.lookups.find(ref);
  }

  get(ref: string): ContainerView {
    return this.ctx.lookups.get(ref);
  }

  /** Newest first, through the filters; only live containers unless `all` or a `limit`. */
  list(o: ListOptions): ContainerView[] {
    return selectContainers(this.ctx.lookups.all(), o, { imageId: (r) => this.ctx.images.idOf(r), lookup: (r) => this.find(r), podId: (r) => this.ctx.pods?.().idOf(r), health: () => this.ctx.healthStatuses() });
  }

  counts() {
    return this.ctx.store.counts();
  }

  usesImage(imageId: string): boolean {
    return this.ctx.store.usesImage(imageId);
  }

  /** For the image store's removal check: which containers use an image. */
  containersOfImage(imageId: string): { id: string; running: boolean }[] {
    return this.ctx.store.byImage(imageId).map((r) => ({ id: r.id, running: isLive(r.state) }));
  }

  /** The exit code recorded for an auto-removed container (by ID or name), if any. */
  removedExit(ref: string): number | undefined {
    return this.ctx.store.removedExit(ref);
  }

  /** Whether the restart policy brings the container back after its exit (false once it was removed). */
  willRestart(ref: string): boolean {
    const v = this.find(ref);
    if (!v) {
      if (this.removedExit(ref) !== undefined) return false;
      this.get(ref);
      return false;
    }
    const p = v.parsed.HostConfig.RestartPolicy.Name;
    const restarts = p === 'always' || p === 'unless-stopped' || p === 'on-failure';
    return v.state === 'restarting' || (v.state === 'running' && v.restartCount > 0 && restarts);
  }

  networkState(v: ContainerView): ContainerNetworkState {
    return this.ctx.networks().state(v.id, v.parsed.HostConfig.NetworkMode);
  }

  networkStates(vs: ContainerView[]): Map<string, ContainerNetworkState> {
    return this.ctx.networks().states(vs.map((v) => ({ id: v.id, mode: v.parsed.HostConfig.NetworkMode })));
  }

  /** Rewrites the running container's hosts and resolv.conf for its networks as they are now. */
  refreshEtc(ref: string): void {
    const v = this.ctx.lookups.get(ref);
    if (!isLive(v.state)) return;
    let links: string[] = [];
    try {
      links = resolveLinks(v, this.ctx.lookups, this.ctx.networks()).hosts;
    } catch {
      /* a linked container stopped meanwhile: its entry goes */
    }
    writeContainerEtc(v, this.ctx.networks().runInfo(v.id), links);
  }

  effectiveCaps(v: ContainerView): string[] {
    return effectiveCaps(v.parsed);
  }

  /** overlay's lowerdir for inspect's GraphDriver, as absolute paths ('' when unknown). */
  async lowerDir(v: ContainerView): Promise<string> {
    try {
      const l = await this.ctx.images.lowerSpec(v.imageId);
      return l.lower.split(':').map((p) => (l.cwd && !p.startsWith('/') ? join(l.cwd, p) : p)).join(':');
    } catch {
      return '';
    }
  }

  sizeRw(v: ContainerView): number {
    return dirSize(v.dirs.upper);
  }

  // ---- records -------------------------------------------------------------------------------

  async create(req: CreateRequest): Promise<{ id: string; warnings: string[] }> {
    const r = await this.records.create(req);
    return r;
  }

  rename(ref: string, newName: string): void {
    this.records.rename(ref, newName);
  }

  removeLink(parent: string, alias: string): void {
    this.records.removeLink(parent, alias);
  }

  update(ref: string, u: Partial<HostConfig>): Promise<string[]> {
    return this.records.update(ref, u);
  }

  remove(ref: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<string> {
    return this.records.remove(ref, opts);
  }

  prune(filters: Record<string, string[]> = {}): Promise<PruneResult> {
    return this.records.prune(filters);
  }

  // ---- lifecycle -----------------------------------------------------------------------------

  start(ref: string): Promise<void> {
    return this.lifecycle.start(ref);
  }

  stop(ref: string, timeoutSec?: number, signal?: string): Promise<void> {
    return this.lifecycle.stop(ref, timeoutSec, signal);
  }

  init(ref: string): Promise<void> {
    return this.lifecycle.init(ref);
  }

  restart(ref: string, timeoutSec?: number, signal?: string): Promise<void> {
    return this.lifecycle.restart(ref, timeoutSec, signal);
  }

  mount(ref: string): Promise<string> {
    return this.userMounts.mount(ref);
  }

  unmount(ref: string): Promise<void> {
    return this.userMounts.unmount(ref);
  }

  mounted(): Record<string, string> {
    return this.userMounts.mounted();
  }

  /** A container's unit or, as podman falls back to, a pod's units (the pod's and its members'). */
  systemdUnits(ref: string, o: SystemdUnitOptions): Record<string, string> {
    const unitCtx = { endpoint: this.ctx.endpoint, runRoot: this.ctx.paths.runRoot };
    const v = this.find(ref);
    if (v) return systemdUnits(v, o, unitCtx);
    const pods = this.ctx.pods?.();
    const podId = pods?.idOf(ref);
    if (!pods || !podId) throw new EngineError('not-found', `${clip(ref)} does not refer to a container or pod: no container or pod with that name or ID`, 'no such container');
    const members = this.ctx.lookups.all().filter((c) => c.parsed.pod?.id === podId);
    const infra = members.find((c) => c.parsed.pod?.infra);
    if (!infra) throw badParameter(`generating systemd unit files: pod ${clip(ref)} has no infra container`);
    return podSystemdUnits({ id: podId!, name: pods!.nameOf(podId!) ?? podId! }, infra, members.filter((c) => c !== infra), o, unitCtx);
  }

  async checkpoint(ref: string): Promise<never> {
    this.ctx.lookups.get(ref);
    throw withoutCriu('checkpoint');
  }

  async restore(ref: string): Promise<never> {
    this.ctx.lookups.get(ref);
    throw withoutCriu('restore');
  }

  kill(ref: string, signal?: string): Promise<void> {
    return this.lifecycle.kill(ref, signal);
  }

  pause(ref: string): Promise<void> {
    return this.lifecycle.pause(ref);
  }

  unpause(ref: string): Promise<void> {
    return this.lifecycle.unpause(ref);
  }

  /** A pause for berth's own use (commit), undone by a later service if this process dies; false when not running. */
  pauseOwn(id: string): Promise<boolean> {
    return this.lifecycle.pauseOwn(id);
  }

  unpauseOwn(id: string): Promise<void> {
    return this.lifecycle.unpauseOwn(id);
  }

  // ---- exits and waits -----------------------------------------------------------------------

  /** Applies the container's exit file (conmon's exit command runs `berth container cleanup`). */
  handleExit(id: string): Promise<void> {
    return this.exits.handle(id);
  }

  wait(ref: string, condition: WaitCondition = 'not-running', signal?: AbortSignal): Promise<{ exitCode: number; error?: string }> {
    return this.waits.wait(ref, condition, signal);
  }

  waitState(ref: string, conditions: string[], signal?: AbortSignal): Promise<number> {
    return this.waits.waitState(ref, conditions, signal);
  }

  // ---- stdio ---------------------------------------------------------------------------------

  logs(ref: string, o: LogsOptions): ContainerLogs {
    return this.stdio.logs(ref, o);
  }

  attach(ref: string, o: AttachOptions): Promise<AttachSession> {
    return this.stdio.attach(ref, o);
  }

  resize(ref: string, height: number, width: number): void {
    this.stdio.resize(ref, height, width);
  }

  // ---- misc ----------------------------------------------------------------------------------

  /** Runs `fn` under this container's lock: starts, stops and removals in this process wait for it. */
  exclusive<T>(id: string, fn: () => Promise<T>): Promise<T> {
    return this.ctx.exclusive(id, fn);
  }

  close(): void {
    this.exits.close();
    this.ctx.waiters.close();
  }
}
