import type { HostFacts, SystemInfo } from './types.js';

/** What the API layers may ask of system. */
export interface SystemPort {
  /** berth, its host, runtime and store, for /info. */
  info(): Promise<SystemInfo>;
  /** The host alone, for /version: no state DB, no tool probes. */
  host(): HostFacts;
}
