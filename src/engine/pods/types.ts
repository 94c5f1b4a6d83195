import type { ContainerStatus, PodNamespace } from '../containers/types.js';
import type { EndpointConfig } from '../networks/types.js';

export type { PodNamespace } from '../containers/types.js';

/** podman's pod states, derived from the states of the pod's containers (state.ts). */
export type PodState = 'Created' | 'Running' | 'Degraded' | 'Exited' | 'Paused' | 'Stopped' | 'Error';

export type ExitPolicy = 'continue' | 'stop';

/** The network a pod holds in its infra container: members sharing it see these. */
export interface PodNetwork {
  /** A network's name, `default`, `host` or `none` (the container NetworkMode the infra gets). */
  mode: string;
  endpoints: Record<string, EndpointConfig>;
  /** docker's PortBindings: "80/tcp" → host bindings. */
  portBindings: Record<string, { HostIp: string; HostPort: string }[]>;
  dns: string[];
  dnsSearch: string[];
  dnsOptions: string[];
  extraHosts: string[];
}

/** Resource limits given at create (shown by inspect; berth applies them to the infra container). */
export interface PodResources {
  memory?: number;
  memorySwap?: number;
  cpuShares?: number;
  cpuQuota?: number;
  cpuPeriod?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  blkioWeight?: number;
}

/** Everything persisted about a pod (the `config` column). */
export interface PodConfig {
  labels: Record<string, string>;
  hostname: string;
  /** Whether the pod has an infra container; without one nothing is shared. */
  infra: boolean;
  /** The image and command of the infra container when not berth's own (catatonit). */
  infraImage?: string;
  infraCommand?: string[];
  infraName?: string;
  share: PodNamespace[];
  /** Members are put under the pod's cgroup parent (podman's --share-parent). */
  shareParent: boolean;
  cgroupParent: string;
  exitPolicy: ExitPolicy;
  restartPolicy: string;
  restartTries: number;
  network: PodNetwork;
  resources: PodResources;
  shmSize?: number;
}

export interface PodCreateRequest {
  name?: string;
  labels?: Record<string, string>;
  hostname?: string;
  /** Default true. */
  infra?: boolean;
  infraImage?: string;
  infraCommand?: string[];
  infraName?: string;
  /** Default net, ipc, uts. */
  share?: PodNamespace[];
  shareParent?: boolean;
  cgroupParent?: string;
  exitPolicy?: ExitPolicy;
  restartPolicy?: string;
  restartTries?: number;
  network?: Partial<PodNetwork>;
  resources?: PodResources;
  shmSize?: number;
}

/** A container of a pod as the pod reports it. */
export interface PodMember {
  id: string;
  name: string;
  state: ContainerStatus;
  restartCount: number;
  infra: boolean;
  /** Its process while it runs (0 otherwise). */
  pid: number;
  created: string;
}

export interface PodView {
  id: string;
  name: string;
  created: string;
  config: PodConfig;
  /** '' without an infra container. */
  infraId: string;
  /** The cgroup above its containers' ('' when they are not under one of the pod's). */
  cgroupPath: string;
  state: PodState;
  /** The infra container first, then the others in creation order. */
  members: PodMember[];
}

/** What an action on a pod did: the containers it acted on, errors per container. */
export interface PodActionReport {
  id: string;
  errs: string[];
}

export interface PodRemoveReport {
  id: string;
  /** The removed containers' IDs. */
  removed: string[];
}

/** One container's resource use, for pod stats. */
export interface PodStatsEntry {
  podId: string;
  podName: string;
  containerId: string;
  name: string;
}

/** podman's container state names (ps, pod inspect): "initialized" is shown as "created" there. */
export function podmanContainerState(s: ContainerStatus): string {
  switch (s) {
    case 'initialized':
    case 'starting':
      return 'created';
    case 'removing':
      return 'exited';
    default:
      return s;
  }
}
