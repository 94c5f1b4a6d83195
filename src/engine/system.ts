import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Engine } from './engine.js';
import { fsUsage, hostFacts, toolVersion, which, type HostFacts } from './host.js';

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
  containers: ReturnType<Engine['countContainers']>;
  images: number;
  paths: Engine['paths'];
  graphRootUsage: { total: number; used: number };
  rootless: boolean;
  eventListeners: number;
  confFiles: string[];
}

export class SystemService {
  private idCache: string | undefined;

  constructor(private readonly engine: Engine) {}

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

  /** The OCI runtimes found on this host; runc first because crun refuses cgroup v1 hybrid. */
  runtimes(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const name of ['runc', 'crun']) {
      const p = which(name);
      if (p) out[name] = p;
    }
    return out;
  }

  defaultRuntime(): string {
    const conf = this.engine.conf.engine.runtime;
    const found = this.runtimes();
    if (conf && found[conf]) return conf;
    if (found.runc) return 'runc';
    if (found.crun && hostFacts().cgroupVersion === '2') return 'crun';
    return Object.keys(found)[0] ?? 'runc';
  }

  async info(): Promise<SystemInfo> {
    const runtimes = this.runtimes();
    const rt = this.defaultRuntime();
    const conmonPath = which('conmon') ?? '';
    const [rtVersion, conmonVersion] = await Promise.all([toolVersion(runtimes[rt]), toolVersion(conmonPath || undefined)]);
    const root = this.engine.paths.root;
    return {
      id: this.id(),
      version: BERTH_VERSION,
      host: hostFacts(),
      runtime: { name: rt, path: runtimes[rt] ?? '', version: rtVersion },
      runtimes,
      conmon: { path: conmonPath, version: conmonVersion },
      init: which('catatonit') ?? which('tini'),
      containers: this.engine.countContainers(),
      images: this.engine.countImages(),
      paths: this.engine.paths,
      graphRootUsage: fsUsage(existsSync(root) ? root : '/'),
      rootless: process.getuid?.() !== 0,
      eventListeners: this.engine.events.listenerCount,
      confFiles: this.engine.conf.files,
    };
  }
}
