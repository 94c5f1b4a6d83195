// What containers need of pods: the namespaces and names a new member takes, whether a pod still
// holds its infra container, and the pod's exit policy once a member's run has ended. The pod
// service implements it (engine/pods/membership.ts); containers know pods only through this.
import type { PodNamespace } from './types.js';

/** A pod as a container joining it sees it. */
export interface PodJoin {
  podId: string;
  /** The container holding the shared namespaces; undefined without one (infra=false). */
  infraId?: string;
  /** The namespaces its members share with the infra container. */
  share: PodNamespace[];
  /** The name members share with the UTS namespace. */
  hostname: string;
  /** The cgroup parent members are put under unless they name their own ('' for the default). */
  cgroupParent: string;
  /** The restart policy of members that ask for none ('' for none). */
  restartPolicy: string;
  restartTries: number;
}

export interface ContainerPods {
  /** The pod a new container joins, by name or ID; a not-found EngineError when there is none. */
  join(ref: string): PodJoin;
  /** A pod's ID by name, ID or unique ID prefix; undefined when there is none. */
  idOf(ref: string): string | undefined;
  /** A pod's name by its ID. */
  nameOf(podId: string): string | undefined;
  /** Whether the pod exists (its infra container is removed only with it). */
  exists(podId: string): boolean;
  /** Before a container of the pod (its infra one too) starts: what the pod holds for it (its cgroup). */
  prepareStart(podId: string): void;
  /** A member's run ended for good (no restart follows): the pod applies its exit policy. */
  memberExited(podId: string): Promise<void>;
}
