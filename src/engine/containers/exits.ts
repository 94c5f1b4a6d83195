// Container exits: conmon writes an exit file and runs `berth container cleanup`; the service
// watches the exit dir too. Whichever process claims the exit in its transaction records it,
// tears down (unmount, runtime state) and applies --rm or the restart policy.
import { existsSync, readFileSync, renameSync, rmSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { cgroupOomKilled } from '../../oci/oom.js';
import type { ContainerRow } from '../../state/containers.js';
import type { ContainerContext } from './context.js';
import { anonymousVolumes, containerMounts } from './mounts.js';
import { restartDelayMs, shouldRestart } from './restart-policy.js';
import { exitDir, mountPoints, removeDirs, unmountRootfs, type ContainerDirs } from './rootfs.js';
import { LIVE_STATES, type ContainerSpec, type ContainerView } from './types.js';
import { alive, cgroupsPathOf, hasRun, nowIso } from './util.js';

export interface ExitClaim {
  row: ContainerRow;
  view: ContainerView;
  dirs: ContainerDirs;
  removed: boolean;
  restart: boolean;
  /** Anonymous volumes whose records went with an auto-removed container: their files are removed in `finish`. */
  volumes?: string[];
  /** The exit file's removal, under way; `finish` ends after it (a cleanup process exits then). */
  fileRemoved?: Promise<unknown>;
}

export class Exits {
  private watcher: FSWatcher | undefined;

  constructor(
    private readonly ctx: ContainerContext,
    /** Starts the container again for its restart policy; the caller holds its lock. */
    private readonly restart: (id: string) => Promise<void>,
  ) {}

  /** inotify on the exit dir: exits are applied within milliseconds while the service runs. */
  watch(): void {
    try {
      this.watcher = watch(exitDir(this.ctx.paths), (_ev, file) => {
        if (file && /^[0-9a-f]{64}$/.test(String(file))) void this.handle(String(file));
      });
      this.watcher.unref();
    } catch {
      /* polling in waiters still notices exits recorded by cleanup processes */
    }
  }

  close(): void {
    this.watcher?.close();
  }

  /**
   * Applies conmon's exit file: records the exit, then tears down and applies --rm or the restart
   * policy. Runs in the service (inotify) and in `container cleanup` (conmon's exit command);
   * whichever claims the row in its transaction does the work, the other finds nothing to do.
   */
  async handle(id: string): Promise<void> {
    const claim = this.claim(id);
    if (claim) await this.finish(claim);
  }

  /** The synchronous half: one transaction records the exit (or removes an --rm container). */
  claim(id: string): ExitClaim | undefined {
    const { ctx } = this;
    const { store } = ctx;
    const d = ctx.dirs(id);
    let text: string;
    try {
      text = readFileSync(d.exitFile, 'utf8').trim();
    } catch {
      return undefined;
    }
    if (text === '') return undefined; // conmon is still writing it; the next event brings the rest
    // Read before the record: an --rm container's health goes with its row.
    const schedule = ctx.healthSchedule(id);
    const code = Number.parseInt(text, 10);
    const exitCode = Number.isNaN(code) || code < 0 ? 137 : code;
    let oom = existsSync(join(d.bundle, 'oom'));
    let keepFile = false;
    const claim = store.tx(() => {
      const row = store.get(id);
      if (row && !oom) oom = cgroupOomKilled(cgroupsPathOf(id, JSON.parse(row.spec) as ContainerSpec));
      // A start in progress owns the file's future: never drop an exit we could not apply yet.
      if (row?.state === 'starting') keepFile = true;
      if (!row || !hasRun(row.state) || row.state === 'restarting') return undefined;
      const spec = JSON.parse(row.spec) as ContainerSpec;
      const restart = shouldRestart(spec.HostConfig.RestartPolicy, exitCode, row);
      const finishedAt = nowIso();
      if (spec.HostConfig.AutoRemove) {
        store.recordRemovedExit(id, row.name, exitCode);
        store.delete(id);
        // --rm takes the container's anonymous volumes along (docker and podman): gone with it.
        const volumes = ctx.volumes.dropAnonymous(anonymousVolumes(containerMounts(spec)));
        return { row, removed: true, restart: false, volumes };
      }
      store.update(id, { state: restart ? 'restarting' : 'exited', exitCode, finishedAt, pid: 0, conmonPid: 0, oomKilled: oom });
      return { row, removed: false, restart };
    });
    // A claimed exit's file goes on the pool: an ext4 unlink took ~0.9 ms of the event loop here,
    // ahead of the answers the claim completes (a wait, an --rm run). Nothing reads it once the
    // row says exited; the exit command's guard looks 50 ms later.
    const fileRemoved = claim ? rm(d.exitFile, { force: true }).catch(() => undefined) : undefined;
    if (!claim && !keepFile) rmSync(d.exitFile, { force: true });
    if (!claim) return undefined;
    ctx.healthEnded(id, claim.row.generation, schedule);
    const view = ctx.lookups.view(claim.row);
    // An --rm container's view is the events' and the teardown's own: no lookup will find it again.
    if (claim.removed) ctx.lookups.forget(id);
    if (oom) ctx.publish('oom', id, {}, view);
    ctx.publish('die', id, { exitCode: String(exitCode) }, view);
    ctx.kick();
    return { ...claim, view, dirs: d, fileRemoved };
  }

  /** The slow half: unmount, forget the runtime state, then --rm or restart. */
  async finish(claim: ExitClaim): Promise<void> {
    const { ctx } = this;
    const id = claim.row.id;
    const d = claim.dirs;
    ctx.handling.add(id);
    try {
      await ctx.locks.run(id, async () => {
        // The exit is recorded: the answers it completes (a wait, an --rm run) go out first; the
        // teardown's first spawn (umount) forks this process and would hold them up by
        // milliseconds. The lock is already queued: a start coming meanwhile waits for the teardown.
        await new Promise((r) => setImmediate(r));
        await this.teardown(id, d, claim.row.generation);
        if (!claim.removed) return;
        await removeDirs(d);
        await ctx.volumes.destroy(claim.volumes ?? []).catch(() => undefined);
        ctx.publish('destroy', id, {}, claim.view);
        ctx.kick();
      });
    } finally {
      ctx.handling.delete(id);
      await claim.fileRemoved;
    }
    if (claim.removed || !claim.restart) return this.podMemberEnded(claim.view);
    // The back-off waits without the lock: a stop or removal meanwhile acts at once (and wins).
    await new Promise((r) => setTimeout(r, restartDelayMs(claim.row.restartCount)));
    await ctx.locks.run(id, async () => {
      const go = ctx.store.tx(() => {
        const cur = ctx.store.get(id);
        if (!cur || cur.state !== 'restarting' || cur.stopRequested) {
          if (cur?.state === 'restarting') ctx.store.update(id, { state: 'exited' });
          return false;
        }
        ctx.store.update(id, { restartCount: cur.restartCount + 1 });
        return true;
      });
      if (!go) return ctx.kick();
      await this.restart(id).catch(() => ctx.kick());
    });
  }

  /** The run of a pod member ended for good: the pod's exit policy may stop the pod. */
  private async podMemberEnded(v: ContainerView): Promise<void> {
    const pod = v.parsed.pod;
    if (!pod || pod.infra) return;
    await this.ctx.pods?.().memberExited(pod.id).catch(() => undefined);
  }

  /**
   * Called while someone waits on a live container: applies an exit file the watcher missed,
   * and stands in for a conmon that died (killed, OOM) by writing the exit file it never will
   * once the container's process is gone too.
   */
  notice(r: ContainerRow): Promise<void> | undefined {
    if (!hasRun(r.state) || r.state === 'restarting') return undefined;
    const d = this.ctx.dirs(r.id);
    if (existsSync(d.exitFile)) return this.handle(r.id);
    if (!r.conmonPid || alive(r.conmonPid, 'conmon') || this.processAlive(r)) return undefined;
    try {
      writeFileSync(`${d.exitFile}.tmp`, '137');
      renameSync(`${d.exitFile}.tmp`, d.exitFile);
    } catch {
      return undefined;
    }
    return this.handle(r.id);
  }

  /** The container's init still runs: the runtime knows it and its pid is not a zombie. */
  private processAlive(r: ContainerRow): boolean {
    if (!r.pid || !existsSync(join(this.ctx.stateDir, r.id))) return false;
    return alive(r.pid, '');
  }

  /**
   * Tears down the network of its runs up to `generation` (all when undefined: a newer run may
   * already be starting in another process), unmounts the root, makes the runtime forget it.
   */
  async teardown(id: string, d: ContainerDirs, generation?: number): Promise<void> {
    await this.ctx.networks().teardown(id, generation).catch(() => undefined);
    await unmountRootfs(d).catch(() => undefined);
    // A container the runtime never knew (created, never started) needs no `runc delete`.
    if (existsSync(join(this.ctx.stateDir, id))) await this.ctx.runtime.delete(id).catch(() => undefined);
  }

  /**
   * After a restart of the service: apply exit files that arrived while nobody watched, notice
   * containers whose conmon died without one, and finish interrupted removals.
   */
  reconcile(): Promise<void> {
    const { ctx } = this;
    const { store } = ctx;
    const slow: Promise<unknown>[] = [];
    for (const row of store.byState('starting')) {
      if (alive(row.pid, 'node')) continue;
      // Its starter died half-way: whatever it left (conmon, mount) is cleaned up, the run never was.
      slow.push(ctx.locks.run(row.id, async () => {
        const cur = store.get(row.id);
        if (cur?.state !== 'starting' || alive(cur.pid, 'node')) return;
        await ctx.runtime.kill(row.id, 9).catch(() => undefined);
        await this.teardown(row.id, ctx.dirs(row.id));
        store.tx(() => store.update(row.id, { state: cur.finishedAt ? 'exited' : 'created', pid: 0, conmonPid: 0, error: 'interrupted while starting' }));
      }));
    }
    for (const row of store.byState(...LIVE_STATES, 'removing', 'initialized')) {
      const d = ctx.dirs(row.id);
      if (row.state === 'removing') {
        slow.push(ctx.locks.run(row.id, async () => {
          await this.teardown(row.id, d);
          await removeDirs(d);
          store.tx(() => store.delete(row.id));
        }));
        continue;
      }
      const claim = this.claim(row.id);
      if (claim) {
        slow.push(this.finish(claim));
        continue;
      }
      if (row.state === 'restarting') {
        // Its restarter died with the previous process; start it from here.
        slow.push(ctx.locks.run(row.id, async () => {
          const cur = store.get(row.id);
          if (cur?.state !== 'restarting' || cur.stopRequested) return;
          store.tx(() => store.update(row.id, { restartCount: cur.restartCount + 1 }));
          await this.restart(row.id).catch(() => undefined);
        }));
        continue;
      }
      // conmon gone without an exit file (killed, or the host rebooted): the exit is ours to record,
      // and the restart policy applies as for any exit (always/unless-stopped come back, as in dockerd).
      const p = this.notice(row);
      if (p) slow.push(p);
    }
    // An exit handled by a process that died before its teardown leaves a mount behind.
    const mounted = mountPoints(join(ctx.paths.runRoot, 'containers'));
    for (const row of store.byState('exited', 'created')) {
      const d = ctx.dirs(row.id);
      if (mounted.has(d.merged) && !ctx.handling.has(row.id)) slow.push(ctx.locks.run(row.id, () => this.teardown(row.id, d)));
    }
    ctx.kick();
    return Promise.allSettled(slow)
      .then(() => ctx.networks().reconcile((cid) => {
        // What a run holds stays while the run does (or while its starter still works on it).
        const r = store.get(cid);
        return !!r && (hasRun(r.state) || (r.state === 'starting' && alive(r.pid, 'node')) || ctx.handling.has(cid));
      }))
      .catch(() => undefined)
      .then(() => ctx.kick());
  }
}
