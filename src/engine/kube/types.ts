// The kube objects berth reads and writes, typed by the Kubernetes OpenAPI models
// (npm kubernetes-models; type imports only: nothing of it is loaded at run time).
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IService } from 'kubernetes-models/v1/Service';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import type { IPersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import type { IVolume } from 'kubernetes-models/v1/Volume';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IDaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { CreateRequest } from '../containers/types.js';

export type { IPod, IPodSpec, IContainer, IService, IConfigMap, ISecret, IPersistentVolumeClaim, IVolume, IDeployment, IDaemonSet, IJob };

/** One document of a kube YAML: whatever its kind, with the fields every object has. */
export interface KubeDoc {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [k: string]: unknown;
}

/** What `generate` is asked: containers, pods or volumes by name or ID. */
export interface GenerateRequest {
  names: string[];
  /** Add a Service for the published ports. */
  service?: boolean;
  /** The workload kind; default pod. */
  type?: 'pod' | 'deployment' | 'daemonset';
  /** A deployment's replicas (0 or absent: 1). */
  replicas?: number;
}

export interface PlayOptions {
  /** Network modes or names the pods join (podman's --network). */
  networks?: string[];
  /** One address per pod, in the order the pods are made. */
  staticIPs?: string[];
  staticMACs?: string[];
  /** Start the pods (default true). */
  start?: boolean;
  /** Remove pods of the same names first. */
  replace?: boolean;
  /** Added to every pod's containers. */
  annotations?: Record<string, string>;
  logDriver?: string;
  logOptions?: Record<string, string>;
  noHosts?: boolean;
}

/** What a play would make, found without making anything: each pod's network and containers. */
export interface KubePlan {
  pods: {
    name: string;
    /** The network mode its infra container gets: `host`, `none`, a network's name; undefined the default. */
    networkMode?: string;
    containers: { name: string; init: boolean; create: CreateRequest }[];
  }[];
}

export interface PlayedPod {
  id: string;
  name: string;
  containers: string[];
  initContainers: string[];
  containerErrors: string[];
}

export interface PlayReport {
  pods: PlayedPod[];
  /** Names of the volumes the play made (PersistentVolumeClaims, ConfigMap volumes). */
  volumes: string[];
  /** IDs of the secrets stored from Secret documents. */
  secrets: string[];
  /** Documents not acted on: unknown kinds, kinds berth does not play. */
  skipped: { kind: string; name: string; reason: string }[];
}

export interface TeardownReport {
  /** Pods (or, without a pod, the workload's containers) stopped and removed: IDs. */
  stopped: string[];
  removed: { id: string; containers: string[]; error?: string }[];
  /** Volumes removed (with `force`). */
  volumes: string[];
  /** IDs of the secrets removed (the YAML's Secret documents). */
  secrets: string[];
}
