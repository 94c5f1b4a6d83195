// The image types both API layers read and the options they pass: everything the API needs of
// images besides the port itself (port.ts).
import type { ImageRecord, LayerRow } from '../../state/images.js';

export type { ArchiveFormat } from '../../storage/archive-write.js';

/** The container-config part of an image config, as docker's JSON spells it. */
export interface ContainerConfigLike {
  User?: string;
  ExposedPorts?: Record<string, object>;
  Env?: string[];
  Cmd?: string[] | null;
  Entrypoint?: string[] | null;
  Volumes?: Record<string, object> | null;
  WorkingDir?: string;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  OnBuild?: string[] | null;
  Healthcheck?: { Test?: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; Retries?: number; StartInterval?: number };
  [k: string]: unknown;
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

/** The OCI / docker image config as stored (its sha256 is the image ID). */
export interface ImageConfig {
  architecture?: string;
  os?: string;
  variant?: string;
  'os.version'?: string;
  created?: string;
  author?: string;
  comment?: string;
  docker_version?: string;
  container?: string;
  config?: ContainerConfigLike | null;
  container_config?: ContainerConfigLike | null;
  history?: HistoryEntry[];
  rootfs: { type: string; diff_ids: string[] };
}

/**
 * An image with its config parsed, as every read API sees it. Names and digests are full
 * (docker.io/library/busybox:latest); each API layer shows them its own way.
 */
export interface ImageInfo extends ImageRecord {
  /** Bytes of its layers. */
  size: number;
  cfg: ImageConfig;
  /** Layer rows bottom first. */
  layerRows: LayerRow[];
}

/** A list entry: the image, and what the lister asked to be counted. */
export interface ImageSummary extends ImageInfo {
  /** Bytes of its layers that other images also use (with `sharedSize`). */
  sharedSize?: number;
  /** How many containers use it (with `containers`). */
  containers?: number;
}

export interface ListOptions {
  /** Reference filters also match full names (docker.io/library/x), not only familiar ones. */
  matchFullNames?: boolean;
  /** Count each image's shared bytes. */
  sharedSize?: boolean;
  /** Count the containers of each image (asks the container store once per image). */
  containers?: boolean;
  /** Also untagged images that are another image's parent (a build's intermediate steps), as `docker images -a`. */
  all?: boolean;
}

/** An image's layers, bottom first, and how other images stand on them (`podman image tree`). */
export interface ImageTree {
  image: ImageInfo;
  /** `topOf`: the images whose top layer this is. */
  layers: { id: string; size: number; topOf: ImageInfo[] }[];
  /** Images built on this one: their layers start with all of its layers. */
  children: ImageInfo[];
}

export interface ImageUse {
  containers: { id: string; running: boolean }[];
}

export interface HistoryItem {
  id: string;
  created: number;
  createdBy: string;
  tags: string[];
  size: number;
  comment: string;
}

export interface RemoveReport {
  /** Full names. */
  untagged: string[];
  /** `sha256:` IDs of the images and layers deleted. */
  deleted: string[];
}

export interface PruneReport {
  report: RemoveReport;
  reclaimed: number;
  perImage: { id: string; size: number }[];
}

/** The images part of `system df`. */
export interface ImagesDf {
  images: (ImageSummary & { sharedSize: number; containers: number })[];
  layersSize: number;
}

export interface LoadReport {
  /** `replaced`: names that moved here from another image, which docker reports. */
  images: { id: string; names: string[]; replaced: { name: string; oldId: string }[] }[];
}

export interface SaveOptions {
  /** How a full name is written in a docker-archive's manifest.json (docker writes familiar ones). */
  archiveName?: (name: string) => string;
}

export interface ImportOptions {
  /** Name to give the image (repo[:tag]); a registry-less one goes under docker.io. */
  reference?: string;
  message?: string;
  /** Dockerfile instructions: CMD, ENV, WORKDIR, ENTRYPOINT, EXPOSE, LABEL, USER, VOLUME... */
  changes?: string[];
  source?: string;
  platform?: { os?: string; architecture?: string; variant?: string };
}

/** The manifest a push writes: docker's schema 2 or OCI's. */
export type ManifestFormat = 'docker' | 'oci';

export interface PushOptions {
  /**
   * Where to push (a reference, registry-less names under docker.io); default: the image's own
   * name. Without a tag, every tag of that repository held here is pushed (`docker push -a`).
   */
  destination?: string;
  /** Only with a destination naming no tag: push this one tag rather than all of them. */
  tag?: string;
  auth?: import('../../registry/types.js').RegistryAuth;
  /** false: plain HTTP and unverified TLS allowed (podman's --tls-verify=false). */
  tlsVerify?: boolean;
  /** docker's rule (loopback registries plain HTTP) or registries.conf's. */
  naming: 'docker' | 'registries-conf';
  /** Default: docker for the docker rule, else the format the image came in (OCI for none). */
  format?: ManifestFormat;
}

/**
 * What a push reports as it goes, for the API layers to word. `layer` ids are diff IDs; each
 * layer goes preparing → (waiting →) pushing → one of pushed, exists, mounted (from `from`).
 */
export type PushEvent =
  | { type: 'repository'; name: string }
  | { type: 'layer'; diffId: string; state: 'preparing' | 'waiting' | 'pushing' | 'pushed' | 'exists' | 'mounted'; digest?: string; current?: number; total?: number; from?: string }
  | { type: 'config'; digest: string; exists: boolean }
  | { type: 'manifest'; tag: string; digest: string; size: number };

export interface PushResult {
  /** The tag pushed and its manifest digest and size (one per tag). */
  pushed: { tag: string; digest: string; size: number; imageId: string }[];
}

/**
 * A push whose images are found here (a missing one is not-found before any stream starts);
 * `run` talks to the registry, reporting as it goes.
 */
export interface PushJob {
  /** The full repository pushed to (127.0.0.1:5000/team/app). */
  repository: string;
  run(onEvent?: (e: PushEvent) => void, signal?: AbortSignal): Promise<PushResult>;
}

export interface LoginOptions {
  /** The registry as the client names it: host[:port], a URL, or empty for Docker Hub. */
  server: string;
  credentials: import('../../registry/types.js').Credentials;
  naming: 'docker' | 'registries-conf';
  tlsVerify?: boolean;
}

export interface SearchOptions {
  /** 25 when not given (both daemons' default); at most 100. */
  limit?: number;
  /** is-official, is-automated (true|false), stars (a minimum). */
  filters?: Record<string, string[]>;
  auth?: import('../../registry/types.js').RegistryAuth;
  tlsVerify?: boolean;
  /**
   * docker asks the registry's search API (v1) and nothing else; containers/image lists a
   * registry's catalog (/v2/_catalog) where the registry is not Docker Hub.
   */
  naming: 'docker' | 'registries-conf';
  /** The term names one repository; its tags are listed (podman's --list-tags). */
  listTags?: boolean;
}

export interface SearchResult {
  /** The registry searched (docker.io, 127.0.0.1:5000). */
  index: string;
  /** The repository as the registry names it (library/busybox, team/app). */
  name: string;
  description: string;
  stars: number;
  official: boolean;
  automated: boolean;
  tag?: string;
}

/** podman's pull policies: `always` asks the registry, the others take a local image when there is one. */
export type PullPolicy = 'always' | 'missing' | 'newer' | 'never';
export const PULL_POLICIES: readonly PullPolicy[] = ['always', 'missing', 'newer', 'never'];

export type { Credentials, RegistryAuth } from '../../registry/types.js';

/**
 * How a name without a registry is completed for a pull: docker's rule (docker.io/library/,
 * loopback registries plain HTTP by default) or containers/image's (registries.conf aliases,
 * then its unqualified-search registries in order).
 */
export type NamingRule = 'docker' | 'registries-conf';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface PullOptions {
  policy?: PullPolicy;
  naming: NamingRule;
  /** Default: this host's. Missing fields are this host's. */
  platform?: Partial<Platform>;
  auth?: import('../../registry/types.js').RegistryAuth;
  /** false: plain HTTP and unverified TLS allowed for this pull (podman's --tls-verify=false). */
  tlsVerify?: boolean;
  /** Every tag of the repository (podman's --all-tags). */
  allTags?: boolean;
}

/**
 * What a pull reports as it goes, for the API layers to word: `layer` ids are the short
 * (12 hex) digests of the blobs as docker shows them; `digest` their full digests.
 */
export type PullEvent =
  | { type: 'trying'; name: string }
  | { type: 'resolved'; name: string; repo: string; tag?: string; digest?: string }
  | { type: 'layer'; id: string; digest: string; state: 'exists' | 'pending' | 'waiting' | 'downloading' | 'verifying' | 'downloaded' | 'extracting' | 'complete'; current?: number; total?: number }
  | { type: 'config'; digest: string }
  | { type: 'writing-manifest' }
  | { type: 'image'; id: string; name: string; digest: string; upToDate: boolean };

export interface PullResult {
  /** Hex ID of the image pulled (of each image, with allTags). */
  id: string;
  ids: string[];
  /** The full name stored (repo:tag) or repo@digest for a pull by digest. */
  name: string;
  /** The manifest (or index) digest of what was named. */
  digest: string;
  /** Nothing was downloaded: the image was here already. */
  upToDate: boolean;
}

/**
 * A pull, once its manifest is found (or the policy settled it without a registry): errors up
 * to here (no such image or tag, no credentials) are the caller's to answer as status codes;
 * `run` downloads and stores, reporting as it goes.
 */
export interface PullJob {
  /** The full name being pulled (docker.io/library/busybox:latest). */
  name: string;
  /** The policy took a local image: `run` downloads nothing. */
  local?: string;
  run(onEvent?: (e: PullEvent) => void): Promise<PullResult>;
}

export interface DistributionInfo {
  descriptor: { mediaType: string; digest: string; size: number };
  platforms: Platform[];
}
