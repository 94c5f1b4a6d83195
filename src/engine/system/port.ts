import type { HostFacts, SystemInfo, SystemPruneOptions, SystemPruneReport, SystemResetReport } from './types.js';

/** What the API layers may ask of system. */
export interface SystemPort {
  /** berth, its host, runtime and store, for /info. */
  info(): Promise<SystemInfo>;
  /** The host alone, for /version: no state DB, no tool probes. */
  host(): HostFacts;
  /** Stopped containers, unused networks, (volumes), dangling (all: unused) images. */
  prune(o?: SystemPruneOptions): Promise<SystemPruneReport>;
  /** Every container, image, volume, user network and secret removed; the service goes on. */
  reset(): Promise<SystemResetReport>;
}
