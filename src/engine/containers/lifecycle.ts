// Moving a container between states at a client's request: start, stop, kill, restart, pause,
// unpause. Each holds the container's lock while it acts; exits are recorded by Exits.
import { ownerAlive, ownerToken } from '../../lib/owner.js';
import { conflict, internal, notModified } from '../errors.js';
import type { ContainerContext } from './context.js';
import { parseSignal } from './signals.js';
import type { Starter } from './start.js';
import type { ContainerView } from './types.js';
import type { ContainerWaits } from './wait.js';
import { hasRun, isLive, noSuchContainer } from './util.js';

export class Lifecycle {
  constructor(
    private readonly ctx: ContainerContext,
    private readonly starter: Starter,
    private readonly waits: ContainerWaits,
  ) {}

  async start(ref: string): Promise<void> {
    const v = this.ctx.lookups.get(ref);
    await this.startInfra(v);
    await this.ctx.locks.run(v.id, () => this.starter.start(v.id));
  }

  /** podman's init: created in the runtime, its process not started (see Starter.init). */
  async init(ref: string): Promise<void> {
    const v = this.ctx.lookups.get(ref);
    await this.startInfra(v);
    await this.ctx.locks.run(v.id, () => this.starter.init(v.id));
  }

  /** A pod member joins its infra container's namespaces: that one runs first (podman's order). */
  private async startInfra(v: ContainerView): Promise<void> {
    const infraId = v.parsed.pod?.infraId;
    if (!infraId) return;
    const infra = this.ctx.lookups.find(infraId);
    if (!infra || infra.state === 'running' || infra.state === 'paused') return;
    await this.ctx.locks.run(infra.id, async () => {
      const cur = this.ctx.store.get(infra.id);
      if (cur && cur.state !== 'running' && cur.state !== 'paused') await this.starter.start(infra.id);
    });
  }

  async kill(ref: string, signal?: string): Promise<void> {
    const v = this.ctx.lookups.get(ref);
    const sig = parseSignal(signal, 'SIGKILL');
    if (!isLive(v.state) || v.state === 'restarting') throw conflict(`Cannot kill container: ${ref}: Container ${v.id} is not running`);
    // As in docker: only SIGKILL or the stop signal count as the user stopping it (no restart).
    if (sig === 9 || sig === parseSignal(v.parsed.Config.StopSignal, 'SIGTERM')) {
      this.ctx.store.tx(() => this.ctx.store.update(v.id, { stopRequested: true }));
    }
    await this.signal(v, sig);
  }

  async stop(ref: string, timeoutSec?: number, signal?: string): Promise<void> {
    const v = this.ctx.lookups.get(ref);
    // A start in progress (a client's, or the restart policy's) is stopped once it is done.
    if (!hasRun(v.state) && v.state !== 'starting') throw notModified('container already stopped');
    const sig = parseSignal(signal || v.parsed.Config.StopSignal, 'SIGTERM');
    const t = timeoutSec ?? v.parsed.Config.StopTimeout ?? 10;
    await this.ctx.locks.run(v.id, () => this.stopLocked(v.id, sig, t));
    this.ctx.publish('stop', v.id, {}, v);
  }

  /** Signals the run, then SIGKILL after `timeoutSec` (0: at once, negative: never); the caller holds the lock. */
  async stopLocked(id: string, sig: number, timeoutSec: number): Promise<void> {
    const { store } = this.ctx;
    const row = store.get(id);
    if (!row || !hasRun(row.state)) return;
    store.tx(() => store.update(id, { stopRequested: true }));
    if (row.state === 'restarting') {
      store.tx(() => store.update(id, { state: 'exited' }));
      return this.ctx.kick();
    }
    const v = this.ctx.lookups.view(row);
    // An initialized container's process never ran its command: nothing to stop gracefully.
    if (timeoutSec !== 0 && row.state !== 'initialized') {
      await this.signal(v, sig);
      if (await this.waits.runEnded(id, row.generation, timeoutSec < 0 ? undefined : timeoutSec * 1000)) return;
    }
    await this.signal({ ...v, state: store.get(id)?.state ?? v.state }, 9);
    if (!(await this.waits.runEnded(id, row.generation, 30_000))) throw internal(`container ${id} did not exit after SIGKILL`);
  }

  /**
   * The first half of a forced removal, without the lock: aborts a start in progress in this
   * process and kills a live run at once, so a stop waiting out its timeout ends now.
   */
  async killForRemoval(id: string): Promise<void> {
    const { ctx } = this;
    ctx.starts.get(id)?.abort('the container is being removed');
    const row = ctx.store.get(id);
    if (!row || !isLive(row.state) || row.state === 'restarting') return;
    ctx.store.tx(() => ctx.store.update(id, { stopRequested: true }));
    await this.signal(ctx.lookups.view(row), 9).catch(() => undefined);
  }

  async restart(ref: string, timeoutSec?: number, signal?: string): Promise<void> {
    const { ctx } = this;
    const v = ctx.lookups.get(ref);
    const stopped = await ctx.locks.run(v.id, async () => {
      const row = ctx.store.get(v.id);
      if (!row || !isLive(row.state)) return false;
      const sig = parseSignal(signal || v.parsed.Config.StopSignal, 'SIGTERM');
      await this.stopLocked(v.id, sig, timeoutSec ?? v.parsed.Config.StopTimeout ?? 10);
      return true;
    });
    // The exit handler tears down under this lock: it can only run once the stop let go of it
    // (waiting for it while holding the lock would wait out the whole bound).
    if (stopped) await this.waits.exitHandled(v.id, 5000);
    await this.startInfra(v);
    await ctx.locks.run(v.id, async () => {
      const cur = ctx.store.get(v.id);
      if (!cur) throw noSuchContainer(ref);
      if (!isLive(cur.state)) await this.starter.start(v.id);
    });
    ctx.publish('restart', v.id, {}, v);
  }

  async pause(ref: string): Promise<void> {
    const v = this.ctx.lookups.get(ref);
    await this.ctx.locks.run(v.id, () => this.pauseLocked(v.id));
    this.ctx.publish('pause', v.id, {}, v);
  }

  async unpause(ref: string): Promise<void> {
    const v = this.ctx.lookups.get(ref);
    await this.ctx.locks.run(v.id, () => this.unpauseLocked(v.id));
    this.ctx.publish('unpause', v.id, {}, v);
  }

  /**
   * A pause berth takes for itself (commit copies a still filesystem): recorded with this
   * process as its owner before the runtime freezes anything, so a service that finds the owner
   * killed resumes it. Resolves false when the container was not running.
   */
  async pauseOwn(id: string): Promise<boolean> {
    const paused = await this.ctx.locks.run(id, async () => {
      if (this.ctx.store.get(id)?.state !== 'running') return false;
      await this.pauseLocked(id, ownerToken());
      return true;
    });
    if (paused) this.ctx.publish('pause', id);
    return paused;
  }

  /** Ends a pause of `pauseOwn`, unless a client unpaused (and maybe paused) it meanwhile. */
  async unpauseOwn(id: string): Promise<void> {
    const { store } = this.ctx;
    const resumed = await this.ctx.locks.run(id, async () => {
      if (store.ownPause(id) !== ownerToken()) return false;
      if (store.get(id)?.state === 'paused') {
        await this.unpauseLocked(id);
        return true;
      }
      store.tx(() => store.clearOwnPause(id));
      return false;
    });
    if (resumed) this.ctx.publish('unpause', id);
  }

  /** After a restart of the service: berth's own pauses whose owner was killed are undone. */
  resumeOrphanedPauses(): Promise<unknown> {
    const { ctx } = this;
    const work = ctx.store.ownPauses().filter((p) => !ownerAlive(p.owner)).map((p) =>
      ctx.locks.run(p.id, async () => {
        if (ctx.store.ownPause(p.id) !== p.owner) return;
        const row = ctx.store.get(p.id);
        if (row?.state === 'paused') await this.unpauseLocked(p.id).catch(() => undefined);
        else {
          // Killed between recording the pause and the state change: the runtime may have frozen it.
          if (row && isLive(row.state)) await ctx.runtime.resume(p.id).catch(() => undefined);
          ctx.store.tx(() => ctx.store.clearOwnPause(p.id));
        }
      }),
    );
    return Promise.allSettled(work).then(() => ctx.kick());
  }

  private async pauseLocked(id: string, owner?: string): Promise<void> {
    const { ctx } = this;
    ctx.store.tx(() => {
      const r = ctx.store.get(id);
      if (!r) throw noSuchContainer(id);
      if (r.state === 'paused') throw conflict(`Container ${id} is already paused`);
      if (r.state !== 'running') throw conflict(`Container ${id} is not running`);
      if (owner) ctx.store.setOwnPause(id, owner);
    });
    try {
      await ctx.runtime.pause(id);
    } catch (e) {
      if (owner) ctx.store.tx(() => ctx.store.clearOwnPause(id));
      throw internal(`cannot pause container: ${(e as Error).message}`);
    }
    ctx.store.tx(() => ctx.store.update(id, { state: 'paused' }));
  }

  private async unpauseLocked(id: string): Promise<void> {
    const { ctx } = this;
    const r = ctx.store.get(id);
    if (!r) throw noSuchContainer(id);
    if (r.state !== 'paused') throw conflict(`Container ${id} is not paused`);
    await ctx.runtime.resume(id).catch((e: Error) => {
      throw internal(`cannot unpause container: ${e.message}`);
    });
    ctx.store.tx(() => {
      ctx.store.update(id, { state: 'running' });
      ctx.store.clearOwnPause(id);
    });
  }

  private async signal(v: ContainerView, sig: number): Promise<void> {
    const { ctx } = this;
    try {
      await ctx.runtime.kill(v.id, sig);
    } catch (e) {
      const cur = ctx.store.get(v.id);
      if (cur && isLive(cur.state) && !/not running|process already finished|container not running/i.test((e as Error).message)) {
        throw internal(`cannot send signal ${sig}: ${(e as Error).message}`);
      }
    }
    ctx.publish('kill', v.id, { signal: String(sig) }, v);
    // A frozen process only sees the signal once thawed; docker does the same for kill and stop.
    if (v.state === 'paused' && (sig === 9 || sig === parseSignal(v.parsed.Config.StopSignal, 'SIGTERM'))) {
      await ctx.runtime.resume(v.id).catch(() => undefined);
      ctx.store.tx(() => {
        const cur = ctx.store.get(v.id);
        if (cur?.state === 'paused') ctx.store.update(v.id, { state: 'running' });
        ctx.store.clearOwnPause(v.id);
      });
    }
  }
}
