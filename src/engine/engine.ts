import type { Database } from 'better-sqlite3';
import type { ContainersConf } from '../config/containers-conf.js';
import type { StoragePaths } from '../config/paths.js';
import { openState } from '../state/db.js';
import { ContainerStore } from '../state/containers.js';
import { ImageState } from '../state/images.js';
import { EventLog } from '../state/events.js';
import { EventBus } from './events.js';
import { SystemService } from './system.js';

export interface EngineOptions {
  paths: StoragePaths;
  conf: ContainersConf;
  /** The endpoint the service listens on, for /info's remote socket. */
  socketPath?: string;
}

export interface ContainerCounts {
  total: number;
  running: number;
  paused: number;
  stopped: number;
}

/**
 * The one engine both API layers call. Domain services hang off it and are created on first
 * use, so a cold start that answers only /_ping opens no database and loads no domain code.
 */
export class Engine {
  /** Shared through the state DB with cleanup processes and other services on this storage. */
  readonly events = new EventBus(() => new EventLog(this.db));
  readonly system: SystemService;

  constructor(readonly opts: EngineOptions) {
    this.system = new SystemService(this);
  }

  get paths(): StoragePaths {
    return this.opts.paths;
  }

  get conf(): ContainersConf {
    return this.opts.conf;
  }

  /** The state DB, opened on first use. */
  get db(): Database {
    return openState(this.opts.paths.root);
  }

  // Counts for /info, read straight from the state tables.
  countContainers(): ContainerCounts {
    return new ContainerStore(this.db).counts();
  }

  countImages(): number {
    return new ImageState(this.db).count();
  }

  private shutdownHooks = new Set<() => void | Promise<void>>();

  /** Runs `fn` when the service shuts down (ends streams, stops watchers); returns an unregister. */
  onShutdown(fn: () => void | Promise<void>): () => void {
    this.shutdownHooks.add(fn);
    return () => this.shutdownHooks.delete(fn);
  }

  /** Releases what the engine holds (streams, watchers) before the service exits. */
  async close(): Promise<void> {
    const hooks = [...this.shutdownHooks];
    this.shutdownHooks.clear();
    await Promise.allSettled(hooks.map(async (h) => h()));
    this.events.close();
  }
}
