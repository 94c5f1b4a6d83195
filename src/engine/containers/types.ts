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
  Healthcheck?: { Test?: string[]; Interval?: number; Timeout?: number; Retries?: number; StartPeriod?: number };
  Image: string;
  Volumes: Record<string, object> | null;
  WorkingDir: string;
  Entrypoint: string[] | null;
  Labels: Record<string, string>;
  StopSignal?: string;
  StopTimeout?: number;
}

export interface RestartPolicy {
  Name: '' | 'no' | 'always' | 'unless-stopped' | 'on-failure';
  MaximumRetryCount: number;
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
  PidsLimit?: number | null;
  OomScoreAdj: number;
  Ulimits: Ulimit[] | null;
  CgroupParent: string;
  LogConfig: { Type: string; Config: Record<string, string> };
  PortBindings?: Record<string, { HostIp: string; HostPort: string }[]>;
  GroupAdd?: string[] | null;
  /** `--mount` entries (bind and tmpfs are honoured; they are folded into Binds/Tmpfs at create). */
  Mounts?: { Type: string; Source?: string; Target: string; ReadOnly?: boolean; TmpfsOptions?: { SizeBytes?: number; Mode?: number } }[] | null;
}

/** How the container was made: the API flavour decides defaults (capability set, names). */
export type Flavor = 'docker' | 'podman';

export { isLive, LIVE_STATES } from '../../state/container-states.js';

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
  /** overlay's lowerdir value (topmost first), relative to `cwd` when given (short links). */
  lowerSpec(imageId: string): { cwd?: string; lower: string } | Promise<{ cwd?: string; lower: string }>;
}
