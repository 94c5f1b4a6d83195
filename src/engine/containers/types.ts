import type { ContainerRow } from '../../state/containers.js';
import type { LogLine } from '../../oci/logfile.js';
import type { ContainerConfigLike } from '../images/types.js';
import type { CgroupSample, NetStats } from './cgroup.js';
import type { ContainerDirs } from './rootfs.js';
import type { SecretUse } from '../secrets/types.js';

/** Docker's container Config, as stored and inspected (image defaults merged at create). */
export interface ContainerConfig {
  Hostname: string;
  Domainname: string;
  User: string;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  ExposedPorts?: Record<string, object>;
  Tty: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  Env: string[];
  Cmd: string[] | null;
  Healthcheck?: { Test?: string[]; Interval?: number; Timeout?: number; Retries?: number; StartPeriod?: number; StartInterval?: number };
  Image: string;
  Volumes: Record<string, object> | null;
  WorkingDir: string;
  Entrypoint: string[] | null;
  Labels: Record<string, string>;
  StopSignal?: string;
  StopTimeout?: number;
  /** The default network's MAC address (docker's --mac-address before API 1.44). */
  MacAddress?: string;
}

export interface RestartPolicy {
  Name: '' | 'no' | 'always' | 'unless-stopped' | 'on-failure';
  MaximumRetryCount: number;
}

export interface BlkioThrottle {
  Path: string;
  Rate: number;
}

export interface Ulimit {
  Name: string;
  Soft: number;
  Hard: number;
}

/** The HostConfig fields berth honours; the rest of docker's are echoed with defaults. */
export interface HostConfig {
  Binds: string[] | null;
  NetworkMode: string;
  RestartPolicy: RestartPolicy;
  AutoRemove: boolean;
  CapAdd: string[] | null;
  CapDrop: string[] | null;
  Dns: string[];
  DnsOptions: string[];
  DnsSearch: string[];
  ExtraHosts: string[] | null;
  IpcMode: string;
  PidMode: string;
  UTSMode: string;
  Privileged: boolean;
  ReadonlyRootfs: boolean;
  SecurityOpt: string[] | null;
  Tmpfs?: Record<string, string>;
  ShmSize: number;
  Sysctls?: Record<string, string>;
  Init?: boolean | null;
  Memory: number;
  MemorySwap: number;
  MemoryReservation: number;
  NanoCpus: number;
  CpuShares: number;
  CpuPeriod: number;
  CpuQuota: number;
  CpusetCpus: string;
  CpusetMems?: string;
  CpuRealtimePeriod?: number;
  CpuRealtimeRuntime?: number;
  BlkioWeight?: number;
  /** Stored and shown; runc ignores kernel memory limits (deprecated since kernel 5.4). */
  KernelMemory?: number;
  PidsLimit?: number | null;
  /** docker's --device: host nodes (or directories of them) made in the container, with their cgroup access. */
  Devices?: { PathOnHost: string; PathInContainer?: string; CgroupPermissions?: string }[] | null;
  OomKillDisable?: boolean | null;
  /** 0-100; -1 or absent leaves the kernel's. */
  MemorySwappiness?: number | null;
  BlkioWeightDevice?: { Path: string; Weight: number }[] | null;
  BlkioDeviceReadBps?: BlkioThrottle[] | null;
  BlkioDeviceWriteBps?: BlkioThrottle[] | null;
  BlkioDeviceReadIOps?: BlkioThrottle[] | null;
  BlkioDeviceWriteIOps?: BlkioThrottle[] | null;
  /** Given: these instead of the default masked / read-only paths (docker's API; systempaths=unconfined empties both). */
  MaskedPaths?: string[] | null;
  ReadonlyPaths?: string[] | null;
  /** Device cgroup rules docker's way: "c 1:3 rwm", "b *:* m", "a *:* rwm". */
  DeviceCgroupRules?: string[] | null;
  /** The OCI runtime the container runs with (its name, as containers.conf and docker spell it). */
  Runtime?: string;
  OomScoreAdj: number;
  Ulimits: Ulimit[] | null;
  CgroupParent: string;
  LogConfig: { Type: string; Config: Record<string, string> };
  PortBindings?: Record<string, { HostIp: string; HostPort: string }[]>;
  /** `-P`: every exposed port on a free host port. */
  PublishAllPorts?: boolean;
  /** docker's legacy links on the default bridge: "name:alias". */
  Links?: string[] | null;
  GroupAdd?: string[] | null;
  /** `--mount` entries as docker sends them; parsed into `ContainerSpec.mounts` at create. */
  Mounts?: {
    Type: string;
    Source?: string;
    Target: string;
    ReadOnly?: boolean;
    BindOptions?: { Propagation?: string } | null;
    TmpfsOptions?: { SizeBytes?: number; Mode?: number } | null;
    VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string> | null; DriverConfig?: { Name?: string; Options?: Record<string, string> | null } | null } | null;
    ImageOptions?: { Subpath?: string } | null;
  }[] | null;
  /** `ctr[:ro|rw]`: the bind and volume mounts of these containers, at the same destinations. */
  VolumesFrom?: string[] | null;
  /** The driver of the volumes this container makes; '' or 'local'. */
  VolumeDriver?: string;
}

export type MountType = 'bind' | 'tmpfs' | 'volume' | 'image';
export type Propagation = 'private' | 'rprivate' | 'shared' | 'rshared' | 'slave' | 'rslave';

/** One mount of a container, parsed once from whichever field asked for it (mounts.ts). */
export interface MountSpec {
  type: MountType;
  /**
   * The host path of a bind, a volume's directory, where an image mount's overlay is mounted (all
   * filled in at create); '' for tmpfs.
   */
  source: string;
  /** Absolute, normalised path inside the container. */
  destination: string;
  readOnly: boolean;
  /** Bind propagation; unset means the default (rprivate). */
  propagation?: Propagation;
  /** SELinux relabelling asked for (z shared, Z private); recorded, no labels on these hosts. */
  relabel?: 'z' | 'Z';
  noCopy?: boolean;
  /** tmpfs mount options as given (size=, mode=, ro...). */
  options: string[];
  /** The field it came from: inspect shows each as docker does ('volumes': Config.Volumes, the image's VOLUME, VolumesFrom). */
  origin: 'binds' | 'mounts' | 'tmpfs' | 'volumes';
  /** A Binds entry's option string, echoed as inspect's Mode. */
  mode?: string;
  /** A volume's name; empty until create names an anonymous one. */
  name?: string;
  /** A volume made for this container alone: rm -v and --rm remove it. */
  anonymous?: boolean;
  /** A volume's driver. */
  driver?: string;
  /** An image mount's image: the reference as given, its ID once created. */
  image?: string;
  /** How to make the volume when it does not exist yet (`Mounts`' VolumeOptions). */
  volumeOptions?: { labels?: Record<string, string>; driver?: string; driverOpts?: Record<string, string> };
}

/** What containers need of the volume store (the volume service implements it). */
export interface VolumeSource {
  /**
   * Makes the volumes a new container's mounts name: named ones that do not exist yet (with the
   * mount's labels and driver options), anonymous ones under fresh names; fills each volume
   * mount's name, source and driver. Returns the names made now, to remove if the create fails.
   */
  provide(mounts: MountSpec[]): string[];
  /** Inside the create's transaction: the container uses these volumes (a volume removed meanwhile fails it). */
  claim(containerId: string, names: string[]): void;
  /** At start: the volume exists (made again, empty, if it is gone) and is mounted; resolves with its directory. */
  mount(m: MountSpec, containerId: string): Promise<string>;
  /** Removes those of these volumes that are anonymous and used by no container (rm -v, --rm). */
  removeAnonymous(names: string[]): Promise<void>;
  /**
   * The same in two halves: inside the caller's transaction (the one that deletes the container)
   * the records go, so nobody sees them once the container is gone; `destroy` then removes their files.
   */
  dropAnonymous(names: string[]): string[];
  destroy(names: string[]): Promise<void>;
  /** Removes volumes a create made before it failed (named or not), unless a container uses them meanwhile. */
  discard(names: string[]): Promise<void>;
}

/** How the container was made: the API flavour decides defaults (capability set, names). */
export type Flavor = 'docker' | 'podman';

export { isLive, LIVE_STATES } from '../../state/container-states.js';

/** The namespaces a pod's members may share (podman's --share). */
export type PodNamespace = 'cgroup' | 'ipc' | 'net' | 'pid' | 'uts';

/** A container's place in a pod, recorded at create. */
export interface PodMembership {
  /** The pod's ID. */
  id: string;
  /** This is the pod's infra container (removed only with the pod). */
  infra?: boolean;
  /** The infra container whose namespaces this member joins (none: the pod has no infra). */
  infraId?: string;
  share: PodNamespace[];
}

/** Everything persisted about a container beyond its runtime state. */
export interface ContainerSpec {
  Config: ContainerConfig;
  HostConfig: HostConfig;
  flavor: Flavor;
  /** Image reference as the user gave it (docker shows it in `ps`). */
  imageRef: string;
  /** Path of the init binary bound into the container when HostConfig.Init. */
  initPath?: string;
  /** Extra OCI annotations (libpod's SpecGenerator). */
  annotations?: Record<string, string>;
  /** Every mount, parsed at create (absent in containers made before the mount model). */
  mounts?: MountSpec[];
  /** The pod it belongs to. */
  pod?: PodMembership;
  /** The secrets it was given (names and targets; the data is copied under its dir, secrets.ts). */
  secrets?: SecretUse[];
  /** podman's --health-on-failure (absent: none). */
  healthOnFailure?: 'kill' | 'restart' | 'stop';
}

/** Image facts the container engine needs; the image store implements this. */
export interface ImageConfigLite {
  Env?: string[];
  Cmd?: string[] | null;
  Entrypoint?: string[] | null;
  WorkingDir?: string;
  User?: string;
  ExposedPorts?: Record<string, object>;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  Healthcheck?: ContainerConfig['Healthcheck'];
  Volumes?: Record<string, object> | null;
}

export interface ResolvedImage {
  id: string;
  config: ImageConfigLite;
}

export interface ImageSource {
  /** Throws a not-found EngineError naming the reference when absent. */
  resolve(ref: string): ResolvedImage | Promise<ResolvedImage>;
  /** The ID of a local image, or undefined when there is none (list filters: `ancestor`). */
  idOf(ref: string): string | undefined;
  /** overlay's lowerdir value (topmost first), relative to `cwd` when given (short links). */
  lowerSpec(imageId: string): { cwd?: string; lower: string } | Promise<{ cwd?: string; lower: string }>;
}

// ---- what the engine reports -------------------------------------------------------------------
// The API layers import these types from here (and only here): the modules that produce them
// re-export or import them, so a handler never reaches into engine internals for a type.

export type { ContainerRow, ContainerStatus } from '../../state/containers.js';
export type { ContainerDirs } from './rootfs.js';
export type { CreateRequest } from './create.js';
export type { SecretRequest } from './secrets.js';
export type { SystemdUnitOptions } from './systemd-unit.js';
export type { Change } from './files/changes.js';
export type { PathStat, PutOptions } from './files/archive.js';
export type { CgroupSample, NetStats } from './cgroup.js';
export type { LogLine } from '../../oci/logfile.js';
/** The config fields a commit request may override (docker's container config, loosely typed). */
export type { ContainerConfigLike } from '../images/types.js';

/** A container as the engine reports it: the row plus its parsed spec and paths. */
export interface ContainerView extends ContainerRow {
  parsed: ContainerSpec;
  dirs: ContainerDirs;
  /** Every mount, from the typed model (mounts.ts). */
  mounts: MountSpec[];
}

/** docker's wait conditions: stopped now, the next exit, or the removal. */
export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

/** A list request: docker's `filters`; without `all` (or a `limit`) only live containers. */
export interface ListOptions {
  all?: boolean;
  /** The newest `limit` containers, live or not (docker's and podman's limit, podman's `last`). */
  limit?: number;
  filters?: Record<string, string[]>;
}

export interface PruneResult {
  deleted: string[];
  /** Bytes of the removed containers' writable layers. */
  reclaimed: number;
}

export interface LogsOptions {
  follow?: boolean;
  sinceNs?: bigint;
  untilNs?: bigint;
  tail?: number;
  signal?: AbortSignal;
}

export interface ContainerLogs {
  tty: boolean;
  lines: AsyncGenerator<LogLine>;
  batches: () => AsyncGenerator<LogLine[]>;
}

export interface AttachOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

/** One client's attachment to a container's stdio (see attach.ts). */
export interface AttachStream {
  readonly id: string;
  readonly tty: boolean;
  onOutput(cb: (stream: 1 | 2, data: Buffer) => void): void;
  onEnd(cb: (err?: string) => void): void;
  write(data: Buffer): void;
  endStdin(): void;
  close(): void;
}

/** `ps` output limited to the container's processes. */
export interface TopResult {
  Titles: string[];
  Processes: string[][];
}

/** One reading of a container's resource use (zeros when it does not run). */
export interface StatsReading {
  id: string;
  name: string;
  running: boolean;
  readAt: Date;
  cg: CgroupSample | undefined;
  system: { usage: number; online: number };
  net: Record<string, NetStats>;
  startedAt: string;
}

export interface StatsOptions {
  intervalMs: number;
  stream: boolean;
  /** Take a reading one interval before the first one reported (docker's precpu_stats). */
  prime: boolean;
  signal: AbortSignal;
}

/** A reading with the one before it (undefined for the first unprimed reading). */
export interface StatsSample {
  cur: StatsReading;
  pre: StatsReading | undefined;
}

export interface CommitRequest {
  /** repo[:tag] to name the image (registry-less under docker.io); none leaves it untagged. */
  reference?: string;
  comment?: string;
  author?: string;
  /** Freeze a running container while its changes are read (docker's default). */
  pause: boolean;
  changes: string[];
  /** Config fields from the request body, over the container's. */
  config?: ContainerConfigLike;
  /** podman's `format`: oci (default) or docker; recorded only. */
  format?: string;
}
