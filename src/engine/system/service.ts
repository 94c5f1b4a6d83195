import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { ContainersConf } from '../../config/containers-conf.js';
import type { StoragePaths } from '../../config/paths.js';
import { knownRuntimes } from '../../oci/runtime-choice.js';
import type { Toolchain } from '../engine.js';
import type { EventBus } from '../events.js';
import { fsUsage, hostFacts, toolVersion, type HostFacts } from './host.js';

export const BERTH_VERSION = '0.1.0';
/** Docker Engine API version the compat layer implements. */
export const COMPAT_API_VERSION = '1.41';
export const COMPAT_MIN_API_VERSION = '1.24';
/** libpod API version implemented (the swagger in shared/specs). */
export const LIBPOD_API_VERSION = '5.4.2';

export interface RuntimeInfo {
  name: string;
  path: string;
  version: string;
}

/** Facts about berth and its host, shaped neutrally; each API layer renders its own format. */
export interface SystemInfo {
  id: string;
  version: string;
  host: HostFacts;
  runtime: RuntimeInfo;
  runtimes: Record<string, string>;
  conmon: { path: string; version: string };
  init: string | undefined;
  containers: ContainerCounts;
  images: number;
  paths: StoragePaths;
  graphRootUsage: { total: number; used: number };
  rootless: boolean;
  eventListeners: number;
  confFiles: string[];
  socketPath: string | undefined;
}

export interface ContainerCounts {
  total: number;
  running: number;
  paused: number;
  stopped: number;
}

export interface SystemServiceDeps {
  paths: StoragePaths;
  conf: ContainersConf;
  events: EventBus;
  tools: Toolchain;
  counts: () => { containers: ContainerCounts; images: number };
  /** The unix socket the service listens on, if any (libpod's remoteSocket). */
  socketPath?: string;
}

export class SystemService {
  private idCache: string | undefined;

  constructor(private readonly engine: SystemServiceDeps) {}

  /** A stable daemon ID kept in the storage root, like dockerd's engine-id. */
  id(): string {
    if (this.idCache) return this.idCache;
    const file = join(this.engine.paths.root, 'engine-id');
    try {
      this.idCache = readFileSync(file, 'utf8').trim();
    } catch {
      this.idCache = randomBytes(32).toString('hex');
      try {
        mkdirSync(this.engine.paths.root, { recursive: true, mode: 0o700 });
        writeFileSync(file, this.idCache, { mode: 0o600 });
      } catch {
        // Read-only root: the ID is still stable for this process.
      }
    }
    return this.idCache;
  }

  async info(): Promise<SystemInfo> {
    const runtimes = knownRuntimes(this.engine.conf.engine);
    // /info reports the runtime containers get; a broken choice shows as its name with no path.
    let rt: { name: string; path: string };
    try {
      rt = this.engine.tools.runtime();
    } catch {
      rt = { name: this.engine.conf.engine.runtime ?? 'runc', path: '' };
    }
    let conmonPath = '';
    try {
      conmonPath = this.engine.tools.conmon();
    } catch {
      /* reported as empty */
    }
    const [rtVersion, conmonVersion] = await Promise.all([toolVersion(rt.path || undefined), toolVersion(conmonPath || undefined)]);
    const counts = this.engine.counts();
    const root = this.engine.paths.root;
    return {
      id: this.id(),
      version: BERTH_VERSION,
      host: hostFacts(),
      runtime: { name: rt.name, path: rt.path, version: rtVersion },
      runtimes,
      conmon: { path: conmonPath, version: conmonVersion },
      init: this.engine.tools.init(),
      containers: counts.containers,
      images: counts.images,
      paths: this.engine.paths,
      graphRootUsage: fsUsage(existsSync(root) ? root : '/'),
      rootless: process.getuid?.() !== 0,
      eventListeners: this.engine.events.listenerCount,
      confFiles: this.engine.conf.files,
      socketPath: this.engine.socketPath,
    };
  }
}
