import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { ContainersConf } from '../../config/containers-conf.js';
import type { StoragePaths } from '../../config/paths.js';
import { knownRuntimes } from '../../oci/runtime-choice.js';
import { loadRegistriesConf } from '../../registry/registries-conf.js';
import type { Toolchain } from '../engine.js';
import type { EventBus } from '../events.js';
import { BERTH_VERSION } from '../../version.js';
import { findBinary } from '../../oci/binaries.js';
import { preferredConnector } from '../../network/rootless/tools.js';
import { backingFilesystem, debianPackage, fsUsage, hostFacts, toolVersion } from './host.js';
import { overlayKind } from '../../storage/overlay.js';
import type { SystemPort } from './port.js';
import { systemPrune, systemReset, type PruneTargets } from './prune.js';
import { currentIdMaps, isRootless, type IdMapEntry } from '../../config/rootless.js';
import { cgroupFacts } from '../../oci/cgroup-delegation.js';
import type { ContainerCounts, HostFacts, NetworkToolsInfo, RootlessInfo, StorageInfo, SystemInfo, ToolInfo, SystemPruneOptions, SystemPruneReport, SystemResetReport } from './types.js';

export interface SystemServiceDeps {
  paths: StoragePaths;
  conf: ContainersConf;
  events: EventBus;
  tools: Toolchain;
  counts: () => { containers: ContainerCounts; images: number };
  /** The unix socket the service listens on, if any (libpod's remoteSocket). */
  socketPath?: string;
  /** The services prune and reset act through, built on first use. */
  targets: () => PruneTargets;
}

export class SystemService implements SystemPort {
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

  host(): HostFacts {
    return hostFacts();
  }

  prune(o?: SystemPruneOptions): Promise<SystemPruneReport> {
    return systemPrune(this.engine.targets(), o);
  }

  reset(): Promise<SystemResetReport> {
    return systemReset(this.engine.targets());
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
    const root = this.engine.paths.root;
    const [rtVersion, conmonVersion, network, storage] = await Promise.all([toolVersion(rt.path || undefined), toolVersion(conmonPath || undefined), networkTools(this.engine.conf), storageInfo(root)]);
    const counts = this.engine.counts();
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
      storage,
      rootless: isRootless(),
      rootlessInfo: isRootless() ? rootlessInfo() : undefined,
      eventListeners: this.engine.events.listenerCount,
      confFiles: this.engine.conf.files,
      socketPath: this.engine.socketPath,
      registries: registriesInfo(),
      network,
    };
  }
}

function rootlessInfo(): RootlessInfo {
  const maps = currentIdMaps();
  const shape = (m: IdMapEntry[]) => m.map((e) => ({ containerId: e.inside, hostId: e.outside, size: e.count }));
  return { uidMap: shape(maps.uid), gidMap: shape(maps.gid), cgroupDelegation: cgroupFacts().delegated };
}

/** The tools /info names and the Debian packages that bring them (asked of dpkg in one call). */
const TOOL_PACKAGES = { netavark: 'netavark', 'aardvark-dns': 'aardvark-dns', pasta: 'passt', slirp4netns: 'slirp4netns', 'fuse-overlayfs': 'fuse-overlayfs' } as const;

async function tool(name: keyof typeof TOOL_PACKAGES): Promise<ToolInfo> {
  const path = findBinary(name) ?? '';
  const [version, pkg] = await Promise.all([toolVersion(path || undefined, name === 'fuse-overlayfs'), path ? debianPackage(TOOL_PACKAGES[name], Object.values(TOOL_PACKAGES)) : '']);
  return { path, package: pkg, version };
}

/**
 * Rootless layers are mounted by fuse-overlayfs once the kernel's overlay could not be (or
 * BERTH_ROOTLESS_OVERLAY=fuse); until the first mount decides, the kernel's is what is tried.
 */
async function storageInfo(root: string): Promise<StorageInfo> {
  const fuse = isRootless() && overlayKind() === 'fuse';
  return {
    driver: 'overlay',
    backingFilesystem: backingFilesystem(existsSync(root) ? root : '/'),
    nativeDiff: !fuse,
    mountProgram: fuse ? await tool('fuse-overlayfs') : undefined,
  };
}

async function networkTools(conf: ContainersConf): Promise<NetworkToolsInfo> {
  const [netavark, aardvark, pasta, slirp4netns] = await Promise.all([tool('netavark'), tool('aardvark-dns'), tool('pasta'), tool('slirp4netns')]);
  return { backend: 'netavark', netavark, aardvark, pasta, slirp4netns, rootlessNetworkCmd: isRootless() ? preferredConnector(conf.network?.default_rootless_network_cmd) : '' };
}

/** Read per call: an edit of registries.conf shows at once, as the next pull reads it. */
function registriesInfo(): SystemInfo['registries'] {
  try {
    const conf = loadRegistriesConf();
    return {
      search: conf.search,
      entries: conf.registries.map((r) => ({ prefix: r.prefix, location: r.location, insecure: r.insecure, blocked: r.blocked, mirrors: r.mirrors.map((m) => ({ location: m.location, insecure: m.insecure })), mirrorByDigestOnly: r.mirrorByDigestOnly })),
    };
  } catch (e) {
    // A broken file fails each pull with its reason; info still answers and says it.
    return { search: [], entries: [], error: (e as Error).message };
  }
}
