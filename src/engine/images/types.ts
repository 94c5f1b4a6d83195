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

/** podman's pull policies: `always` asks the registry, the others take a local image when there is one. */
export type PullPolicy = 'always' | 'missing' | 'newer' | 'never';
export const PULL_POLICIES: readonly PullPolicy[] = ['always', 'missing', 'newer', 'never'];
