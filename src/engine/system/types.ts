// What system reports of berth, its host, runtime and store (/info, /version).
import type { StoragePaths } from '../../config/paths.js';

/** Facts of this host that /info and /version report. Gathered on demand, never at start-up. */
export interface HostFacts {
  kernel: string;
  osName: string;
  osId: string;
  osVersion: string;
  osCodename: string;
  arch: string;
  goArch: string;
  cpus: number;
  memTotal: number;
  memFree: number;
  swapTotal: number;
  swapFree: number;
  hostname: string;
  uptimeSeconds: number;
  cgroupVersion: '1' | '2';
  cgroupControllers: string[];
  memoryLimit: boolean;
  swapLimit: boolean;
  cpuCfs: boolean;
  cpuShares: boolean;
  cpuset: boolean;
  pidsLimit: boolean;
  bridgeNfIptables: boolean;
  seccompProfile: string | undefined;
  /** Since boot, from /proc/stat's aggregate line: the basis podman reports too. */
  cpuUtilization: { userPercent: number; systemPercent: number; idlePercent: number };
}

export interface RuntimeInfo {
  name: string;
  path: string;
  version: string;
}

export interface ContainerCounts {
  total: number;
  running: number;
  paused: number;
  stopped: number;
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
  /** How layers are mounted: the filesystem under the root and, rootless, fuse-overlayfs when it does the mounting. */
  storage: StorageInfo;
  rootless: boolean;
  /** Rootless only: the user namespace's maps and what cgroups it may use. */
  rootlessInfo?: RootlessInfo;
  eventListeners: number;
  confFiles: string[];
  socketPath: string | undefined;
  /** The network stack: netavark (and aardvark-dns) for bridges; rootless, what connects namespaces to the host. */
  network: NetworkToolsInfo;
  /** registries.conf as pulls read it: search registries and the [[registry]] entries. */
  registries: { search: string[]; entries: RegistryInfo[]; error?: string };
}

export interface StorageInfo {
  driver: 'overlay';
  backingFilesystem: string;
  /** The kernel's overlay computes diffs itself; fuse-overlayfs mounts are diffed by walking the upper dir. */
  nativeDiff: boolean;
  /** Set when a program, not the kernel, mounts the layers (fuse-overlayfs, rootless). */
  mountProgram?: ToolInfo;
}

export interface IdMapping {
  containerId: number;
  hostId: number;
  size: number;
}

export interface RootlessInfo {
  uidMap: IdMapping[];
  gidMap: IdMapping[];
  /** The delegated cgroup v2 subtree containers go under, undefined when none (no limits). */
  cgroupDelegation?: { path: string; controllers: string[] };
}

export interface RegistryInfo {
  prefix: string;
  location: string;
  insecure: boolean;
  blocked: boolean;
  mirrors: { location: string; insecure: boolean }[];
  mirrorByDigestOnly: boolean;
}

/** podman's system prune: what to take besides stopped containers, unused networks and dangling images. */
export interface SystemPruneOptions {
  /** Every unused image, not only dangling ones. */
  all?: boolean;
  /** Unused volumes too. */
  volumes?: boolean;
  /** label, label!, until: given to each resource's prune. */
  filters?: Record<string, string[]>;
}

export interface SystemPruneReport {
  /** Pods removed (with their containers), each with the error when one could not be. */
  pods: { id: string; err?: string }[];
  containers: { id: string; size: number }[];
  /** The removed containers' writable layers (per container sizes are not measured). */
  containersReclaimed: number;
  /** Names. */
  networks: string[];
  volumes: { name: string; size: number }[];
  images: { id: string; size: number }[];
  reclaimed: number;
}

export interface SystemResetReport {
  /** What could not be removed, each with its reason. */
  errors: string[];
}

export interface ToolInfo {
  path: string;
  /** The Debian package and version that installed it ('' when unknown). */
  package: string;
  version: string;
}

export interface NetworkToolsInfo {
  backend: 'netavark';
  netavark: ToolInfo;
  aardvark: ToolInfo;
  pasta: ToolInfo;
  slirp4netns: ToolInfo;
  /** Rootless: what a container's default network and the rootless netns are connected with ('' rootful). */
  rootlessNetworkCmd: string;
}
