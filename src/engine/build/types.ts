// What a build is asked to do and what it reports, in neither API layer's dialect: each layer
// words the events its own way (dockerd's "Step 1/5 : ...", podman's "STEP 1/5: ...").

export interface BuildRequest {
  /** Path of the Dockerfile inside the context; default "Dockerfile" (then "Containerfile"). */
  dockerfile?: string;
  /** Names to give the result (repo[:tag]); registry-less ones go under docker.io unless qualified by the caller. */
  tags: string[];
  buildArgs: Record<string, string>;
  labels: Record<string, string>;
  target?: string;
  noCache: boolean;
  /** Images whose build steps may serve as cache (docker's cachefrom); local images only. */
  cacheFrom: string[];
  /** Ask for base images again even when stored. */
  pull: boolean;
  /** Remove intermediate containers after a successful step (default true); `forceRm` also after a failed one. */
  rm: boolean;
  forceRm: boolean;
  /** Report only the resulting ID. */
  quiet: boolean;
  /** Squash the final stage's new layers into one. */
  squash: boolean;
  platform?: string;
  /** A tarball URL or git URL to take the context from instead of the body. */
  remote?: string;
  /** RUN containers: their network mode, extra hosts and resource limits. */
  run: RunSettings;
  /** Which API asked: its containers are made the same way as that layer's own. */
  flavor: 'docker' | 'podman';
  /** Keep the image format to OCI (podman's `format=oci`) or docker's; recorded only. */
  format?: 'oci' | 'docker';
}

export interface RunSettings {
  networkMode?: string;
  extraHosts: string[];
  memory?: number;
  memorySwap?: number;
  cpuShares?: number;
  cpuSetCpus?: string;
  cpuPeriod?: number;
  cpuQuota?: number;
  shmSize?: number;
  ulimits: { Name: string; Soft: number; Hard: number }[];
}

/** Progress of a build, in order. */
export type BuildEvent =
  | { kind: 'step'; n: number; total: number; instruction: string }
  /** Output of a RUN step's process. */
  | { kind: 'output'; text: string }
  | { kind: 'cached' }
  | { kind: 'running'; container: string }
  | { kind: 'removed'; container: string }
  /** The image a step left (hex ID). */
  | { kind: 'image'; id: string }
  /** A note worth showing (a base image used, a warning). */
  | { kind: 'note'; text: string }
  | { kind: 'done'; id: string; names: string[] };

/** A failed build: `code` is the failing RUN's exit code (1 otherwise). */
export class BuildError extends Error {
  constructor(message: string, readonly code = 1) {
    super(message);
  }
}
