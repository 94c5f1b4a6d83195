// The engine's event bus. Every resource publishes here (images, containers, ...); the /events
// endpoints of both API layers subscribe (events/port.ts, events/types.ts).
import { randomBytes } from 'node:crypto';
import { familiarName } from '../lib/image-ref.js';
import type { EventLog } from '../state/events.js';
import type { EventsPort } from './events/port.js';
import type { EngineEvent, EventFilters, EventType, Listener } from './events/types.js';

const HISTORY = 1024;
/** How often a service with listeners looks for events other processes logged. */
const POLL_MS = 100;

/**
 * Publishes to local listeners at once and, when a shared log is attached, to the state DB so
 * that other processes on the same storage (cleanup processes, a second service) see the event
 * and so that `since` reaches back past this process's start.
 */
export class EventBus implements EventsPort {
  private listeners = new Set<Listener>();
  private history: EngineEvent[] = [];
  private readonly origin = randomBytes(8).toString('hex');
  private logCache: EventLog | undefined;
  private seen = 0;
  private poller: NodeJS.Timeout | undefined;

  /** `log` opens the shared event log on first use; without it events stay in this process. */
  constructor(private readonly openLog?: () => EventLog) {}

  private get log(): EventLog | undefined {
    if (!this.openLog) return undefined;
    if (!this.logCache) {
      this.logCache = this.openLog();
      this.seen = this.logCache.lastSeq();
    }
    return this.logCache;
  }

  publish(type: EventType, action: string, id: string, attributes: Record<string, string> = {}): EngineEvent {
    const nowNs = BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
    const e: EngineEvent = {
      Type: type,
      Action: action,
      Actor: { ID: id, Attributes: attributes },
      scope: 'local',
      time: Number(nowNs / 1_000_000_000n),
      timeNano: Number(nowNs),
    };
    if (type === 'container' || type === 'image') {
      e.status = action;
      e.id = id;
      if (attributes.image) e.from = attributes.image;
    }
    const log = this.log;
    if (log) {
      try {
        log.append(this.origin, e.timeNano, JSON.stringify(e));
      } catch {
        // A busy or read-only DB must not fail the operation the event reports.
      }
    } else {
      this.history.push(e);
      if (this.history.length > HISTORY) this.history.splice(0, this.history.length - HISTORY);
    }
    this.deliver(e);
    return e;
  }

  /** Events already published with timeNano in [sinceNs, untilNs], from every process. */
  past(sinceNs: number, untilNs = Infinity): EngineEvent[] {
    const log = this.log;
    if (!log) return this.history.filter((e) => e.timeNano >= sinceNs && e.timeNano <= untilNs);
    return log.between(sinceNs, untilNs).map((r) => JSON.parse(r.body) as EngineEvent);
  }

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    this.startPolling();
    return () => {
      this.listeners.delete(l);
      if (!this.listeners.size) this.stopPolling();
    };
  }

  matches(e: EngineEvent, filters: EventFilters): boolean {
    return matchesEvent(e, filters);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  close(): void {
    this.stopPolling();
    this.listeners.clear();
  }

  private deliver(e: EngineEvent): void {
    for (const l of this.listeners) l(e);
  }

  private startPolling(): void {
    if (this.poller || !this.openLog) return;
    const log = this.log!;
    this.poller = setInterval(() => {
      try {
        for (const r of log.since(this.seen)) {
          this.seen = r.seq;
          if (r.origin !== this.origin) this.deliver(JSON.parse(r.body) as EngineEvent);
        }
      } catch {
        // Retried on the next tick.
      }
    }, POLL_MS);
    // Listeners keep the service busy through their connections; the poller alone must not.
    this.poller.unref();
  }

  private stopPolling(): void {
    if (this.poller) clearInterval(this.poller);
    this.poller = undefined;
  }
}

/** Docker's event filters: type, event/action, container, image, label, volume, network, pod. */
export function matchesEvent(e: EngineEvent, f: EventFilters): boolean {
  const want = (k: string) => f[k] && f[k].length > 0;
  const attr = e.Actor.Attributes;
  if (want('type') && !f.type.includes(e.Type)) return false;
  const actions = [...(f.event ?? []), ...(f.action ?? [])];
  if (actions.length && !actions.some((a) => a === e.Action || e.Action.startsWith(a + ':'))) return false;
  const byObject = (key: EventType) => {
    if (!want(key)) return true;
    if (e.Type !== key) return false;
    return f[key].some((v) => e.Actor.ID.startsWith(v) || attr.name === v);
  };
  for (const k of ['container', 'volume', 'network', 'pod'] as const) if (!byObject(k)) return false;
  if (want('image')) {
    // An image's full name also answers to its familiar form: `image=busybox` finds its events.
    const familiar = e.Type === 'image' && attr.name ? familiarName(attr.name) : undefined;
    const refs = [e.Actor.ID, attr.image, attr.name, familiar].filter(Boolean);
    if (!f.image.some((v) => refs.some((r) => r === v || r!.startsWith(v) || r!.split(':')[0] === v))) return false;
  }
  if (want('label')) {
    for (const l of f.label) {
      const i = l.indexOf('=');
      const ok = i < 0 ? l in attr : attr[l.slice(0, i)] === l.slice(i + 1);
      if (!ok) return false;
    }
  }
  return true;
}
