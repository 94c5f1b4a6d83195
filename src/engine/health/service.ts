// Healthchecks run by berth itself: each running container with a check gets a scheduler process
// of its own (timer.ts) from its start to its exit, so probes go on with or without a service.
// Each probe is recorded in the state DB by whichever process ran it; the transition to healthy
// or unhealthy is an event, and an unhealthy container gets podman's on-failure action.
import type { Database } from 'better-sqlite3';
import { HealthStore, type HealthRow } from '../../state/health.js';
import { conflict } from '../errors.js';
import type { EventBus } from '../events.js';
import type { ContainerService, ContainerView } from '../containers/service.js';
import type { ContainerHealthHooks, HealthSchedule } from '../containers/context.js';
import type { ExecService } from '../exec/service.js';
import { effectiveHealthcheck, nextDelayMs, type EffectiveHealthcheck } from './config.js';
import type { HealthPort } from './port.js';
import { runProbe } from './probe.js';
import { isTimer, spawnTimer, stopTimer } from './timer.js';
import { applyProbe, initialHealth, OUTPUT_MAX, PODMAN_OUTPUT_MAX } from './transitions.js';
import type { HealthRunResult, HealthState } from './types.js';

export interface HealthServiceDeps {
  db: Database;
  events: EventBus;
  containers: () => ContainerService;
  exec: () => ExecService;
  /** berth's argv for the scheduler's ticks, storage options included (`container healthcheck tick ID` follows). */
  berth: string[];
}

const stateOf = (r: HealthRow): HealthState => ({ Status: r.Status, FailingStreak: r.FailingStreak, Log: r.Log });

export class HealthService implements HealthPort, ContainerHealthHooks {
  private readonly store: HealthStore;

  constructor(private readonly deps: HealthServiceDeps) {
    this.store = new HealthStore(deps.db);
  }

  state(containerId: string): HealthState | undefined {
    const r = this.store.get(containerId);
    return r && stateOf(r);
  }

  states(): Map<string, HealthState> {
    return new Map(this.store.all().map((r) => [r.containerId, stateOf(r)]));
  }

  status(id: string): string | undefined {
    return this.store.get(id)?.Status;
  }

  statuses(): Map<string, string> {
    return new Map(this.store.all().map((r) => [r.containerId, r.Status]));
  }

  // ---- the container's lifecycle -----------------------------------------------------------

  /** A run began: health starts over (the log stays, as in dockerd) and its scheduler starts. */
  started(id: string): void {
    const v = this.deps.containers().find(id);
    const hc = v && effectiveHealthcheck(v.parsed.Config.Healthcheck);
    if (!v || !hc) return;
    const prev = this.store.get(id);
    if (prev) stopTimer(prev.timerPid);
    this.store.tx(() => this.store.put({ containerId: id, ...initialHealth(prev), timerPid: 0, generation: v.generation }));
    const first = hc.startIntervalMs ?? hc.intervalMs;
    const pid = spawnTimer(first, [...this.deps.berth, 'container', 'healthcheck', 'tick', id]);
    this.store.tx(() => this.store.setTimer(id, pid));
  }

  schedule(id: string): HealthSchedule | undefined {
    const r = this.store.get(id);
    return r && { timerPid: r.timerPid, generation: r.generation };
  }

  /**
   * Run `generation` ended: its scheduler stops (never a newer run's, should this exit be applied
   * late); dockerd reports a container whose checks stopped as unhealthy.
   */
  ended(id: string, generation: number, before?: HealthSchedule): void {
    const s = this.schedule(id) ?? before;
    if (!s || s.generation !== generation) return;
    stopTimer(s.timerPid);
    this.store.tx(() => {
      const cur = this.store.get(id);
      if (cur && cur.generation === generation) this.store.put({ ...cur, Status: 'unhealthy', timerPid: 0 });
    });
  }

  /**
   * After a restart of the service: a running container whose scheduler is gone (killed, or
   * the host's processes were) gets a new one.
   */
  reconcile(): void {
    const containers = this.deps.containers();
    for (const r of this.store.all()) {
      const v = containers.find(r.containerId);
      if (!v || v.state !== 'running' || r.generation !== v.generation || !effectiveHealthcheck(v.parsed.Config.Healthcheck)) continue;
      if (r.timerPid && isTimer(r.timerPid)) continue;
      const hc = effectiveHealthcheck(v.parsed.Config.Healthcheck)!;
      const pid = spawnTimer(hc.intervalMs, [...this.deps.berth, 'container', 'healthcheck', 'tick', r.containerId]);
      this.store.tx(() => this.store.setTimer(r.containerId, pid));
    }
  }

  // ---- probes --------------------------------------------------------------------------------

  async runNow(ref: string): Promise<HealthRunResult> {
    const v = this.deps.containers().get(ref);
    const hc = effectiveHealthcheck(v.parsed.Config.Healthcheck);
    if (!hc) throw conflict(`container ${v.id} has no defined healthcheck`);
    if (v.state !== 'running') throw conflict(`container ${v.id} is not running`);
    return this.probe(v, hc);
  }

  /**
   * One scheduled probe (the scheduler's tick): the delay until the next one in milliseconds,
   * or undefined when the loop `timerPid` is not the container's current scheduler (or it does
   * not run): the loop then ends.
   */
  async tick(id: string, timerPid: number): Promise<number | undefined> {
    const v = this.deps.containers().find(id);
    const r = this.store.get(id);
    const hc = v && effectiveHealthcheck(v.parsed.Config.Healthcheck);
    if (!v || !hc || !r || r.timerPid !== timerPid || r.generation !== v.generation) return undefined;
    // A paused container is not probed (its exec could not run); the schedule goes on.
    if (v.state === 'paused') return hc.intervalMs;
    if (v.state !== 'running') return undefined;
    const res = await this.probe(v, hc);
    return nextDelayMs(hc, Date.parse(v.startedAt), Date.now(), res.state.Status);
  }

  private async probe(v: ContainerView, hc: EffectiveHealthcheck): Promise<HealthRunResult> {
    const entry = await runProbe(this.deps.exec(), v.id, hc.argv, hc.timeoutMs, v.parsed.flavor === 'podman' ? PODMAN_OUTPUT_MAX : OUTPUT_MAX);
    const inStartPeriod = Date.parse(entry.Start) - Date.parse(v.startedAt) < hc.startPeriodMs;
    const out = this.store.tx(() => {
      const cur = this.store.get(v.id) ?? { containerId: v.id, ...initialHealth(), timerPid: 0, generation: v.generation };
      // A probe that outlived its run (the container stopped or restarted meanwhile) changes nothing.
      const row = this.deps.containers().store.get(v.id);
      if (!row || row.generation !== v.generation || cur.generation !== v.generation) return { state: stateOf(cur), changed: false };
      const next = applyProbe(stateOf(cur), entry, { retries: hc.retries, inStartPeriod });
      this.store.put({ ...cur, ...next.state });
      return next;
    });
    if (out.changed) this.publish(v, out.state.Status);
    if (out.changed && out.state.Status === 'unhealthy') await this.onFailure(v);
    const verdict = entry.ExitCode === 0 ? 'healthy' : 'unhealthy';
    return { verdict, state: out.state };
  }

  /** podman's --health-on-failure, once the container turned unhealthy. */
  private async onFailure(v: ContainerView): Promise<void> {
    const action = v.parsed.healthOnFailure ?? 'none';
    const c = this.deps.containers();
    try {
      if (action === 'kill') await c.kill(v.id, 'SIGKILL');
      else if (action === 'stop') await c.stop(v.id);
      else if (action === 'restart') await c.restart(v.id);
    } catch {
      /* stopped or removed meanwhile: nothing left to act on */
    }
  }

  /** docker's event: `health_status: healthy`, with the container's labels, name and image. */
  private publish(v: ContainerView, status: string): void {
    this.deps.events.publish('container', `health_status: ${status}`, v.id, { ...(v.parsed.Config.Labels ?? {}), name: v.name, image: v.image });
  }
}
