import type { EngineEvent, EventFilters, Listener } from './types.js';

/** What the API layers may ask of events: the past, and a live subscription. */
export interface EventsPort {
  past(sinceNs: number, untilNs?: number): EngineEvent[];
  subscribe(l: Listener): () => void;
  /** Events matching docker/libpod filters (type, event, container, image, label, ...). */
  matches(e: EngineEvent, filters: EventFilters): boolean;
}
