// Waiting on a container's state: docker's wait conditions, podman's state names, and the end of
// one run for stop. A waiter also notices an exit nobody applied yet (see Exits.notice).
import { internal } from '../errors.js';
import type { ContainerContext } from './context.js';
import type { Exits } from './exits.js';
import type { WaitCondition } from './types.js';
import { hasRun, isLive } from './util.js';

export class ContainerWaits {
  constructor(
    private readonly ctx: ContainerContext,
    private readonly exits: Exits,
  ) {}

  /**
   * docker's wait: `not-running` returns at once for a stopped container, `next-exit` waits for
   * the next exit, `removed` for the removal. Auto-removed containers still report their code.
   */
  async wait(ref: string, condition: WaitCondition = 'not-running', signal?: AbortSignal): Promise<{ exitCode: number; error?: string }> {
    const { store } = this.ctx;
    const v = this.ctx.lookups.get(ref);
    const id = v.id;
    const startGen = v.generation;
    const startFinished = v.finishedAt;
    const res = await this.ctx.waiters.waitFor(() => {
      const r = store.get(id);
      if (!r) return { exitCode: store.removedExit(id) ?? v.exitCode };
      void this.exits.notice(r);
      if (condition === 'removed') return undefined;
      const ended = (!isLive(r.state) && r.state !== 'starting') || r.state === 'restarting';
      if (condition === 'not-running') return ended ? { exitCode: r.exitCode, error: r.error || undefined } : undefined;
      // next-exit: a new exit recorded since we started waiting.
      if (ended && (r.finishedAt !== startFinished || r.generation !== startGen) && r.finishedAt !== '') {
        return { exitCode: r.exitCode, error: r.error || undefined };
      }
      return undefined;
    }, undefined, signal);
    if (!res) throw internal('wait aborted');
    return res;
  }

  /** Waits until the container is in one of podman's state names; resolves with the exit code. */
  async waitState(ref: string, conditions: string[], signal?: AbortSignal): Promise<number> {
    const { store } = this.ctx;
    const v = this.ctx.lookups.get(ref);
    const want = new Set(conditions.length ? conditions : ['stopped', 'exited']);
    const res = await this.ctx.waiters.waitFor(() => {
      const r = store.get(v.id);
      if (!r) return { code: store.removedExit(v.id) ?? v.exitCode };
      void this.exits.notice(r);
      const st = r.state === 'exited' ? ['exited', 'stopped'] : r.state === 'stopping' ? ['stopping'] : [r.state];
      if (r.state === 'created') st.push('configured');
      // podman's healthy and unhealthy conditions: the health of a running container.
      if ((want.has('healthy') || want.has('unhealthy')) && r.state === 'running') {
        const h = this.ctx.healthStatus(v.id);
        if (h) st.push(h);
      }
      return st.some((s) => want.has(s)) ? { code: r.exitCode } : undefined;
    }, undefined, signal);
    if (!res) throw internal('wait aborted');
    return res.code;
  }

  /** Resolves true once run `gen` of the container is recorded as ended (or it is gone). */
  runEnded(id: string, gen: number, ms?: number): Promise<boolean> {
    const { store } = this.ctx;
    return this.ctx.waiters.waitFor(() => {
      const r = store.get(id);
      if (!r || r.generation !== gen || !hasRun(r.state) || r.state === 'restarting') return true;
      void this.exits.notice(r);
      return undefined;
    }, ms).then((x) => x === true);
  }

  /** Resolves once no exit teardown of the container runs in this process (or after `ms`). */
  async exitHandled(id: string, ms: number): Promise<void> {
    await this.ctx.waiters.waitFor(() => (this.ctx.handling.has(id) ? undefined : true), ms);
  }
}
