// Events as both API layers stream them. Docker's message shape is the common currency: libpod
// clients read the same fields.

export type EventType = 'container' | 'image' | 'volume' | 'network' | 'pod' | 'daemon' | 'system' | 'exec' | 'secret';

/** `Actor.Attributes.name` of an image event is a full name (docker.io/library/busybox:latest). */
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
