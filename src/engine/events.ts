// The engine's event bus. Every layer publishes here (images, containers, ...); the /events
// endpoints of both API layers subscribe. Docker's message shape is the common currency:
// libpod clients read the same fields.
export type EventType = 'container' | 'image' | 'volume' | 'network' | 'pod' | 'daemon' | 'system' | 'exec';

export interface EngineEvent {
  Type: EventType;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local';
  time: number;
  timeNano: number;
  // Legacy top-level fields that docker still sends for containers and images.
  status?: string;
  id?: string;
  from?: string;
}

export type EventFilters = Record<string, string[]>;
export type Listener = (e: EngineEvent) => void;

const HISTORY = 1024;

export class EventBus {
  private listeners = new Set<Listener>();
  private history: EngineEvent[] = [];

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
    this.history.push(e);
    if (this.history.length > HISTORY) this.history.splice(0, this.history.length - HISTORY);
    for (const l of this.listeners) l(e);
    return e;
  }

  /** Events already published with timeNano in [sinceNs, untilNs]. */
  past(sinceNs: number, untilNs = Infinity): EngineEvent[] {
    return this.history.filter((e) => e.timeNano >= sinceNs && e.timeNano <= untilNs);
  }

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
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
    const refs = [e.Actor.ID, attr.image, attr.name].filter(Boolean);
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
