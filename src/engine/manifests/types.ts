// What the API layers pass to and get from local manifest lists (podman manifest ...).
import type { ManifestFormat } from '../images/types.js';

export type { ManifestFormat };

export interface ListPlatform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  features?: string[];
}

/** One instance of a list, as the list document names it. */
export interface ListEntry {
  mediaType: string;
  digest: string;
  size: number;
  platform?: ListPlatform;
  annotations?: Record<string, string>;
}

export interface ManifestList {
  /** Hex ID (random, as podman's). */
  id: string;
  /** Full names (localhost/mylist:latest). */
  names: string[];
  mediaType: string;
  manifests: ListEntry[];
  /** The document as stored (and pushed, once instances are there). */
  bytes: Buffer;
}

export interface AddOptions {
  /** A list named by a reference: add every instance (else the one for this platform). */
  all?: boolean;
  /** Overrides for the platform of the instances added. */
  os?: string;
  arch?: string;
  variant?: string;
  osVersion?: string;
  features?: string[];
  annotations?: Record<string, string>;
  auth?: import('../../registry/types.js').RegistryAuth;
  tlsVerify?: boolean;
}

export interface ModifyReport {
  id: string;
  /** The instance digests added, removed or annotated. */
  images: string[];
}

export interface ManifestPushOptions {
  destination: string;
  /** Push the instances too (default), not only the list. */
  all?: boolean;
  format?: ManifestFormat;
  auth?: import('../../registry/types.js').RegistryAuth;
  tlsVerify?: boolean;
}

export type ManifestPushEvent =
  | { type: 'instance'; digest: string; index: number; count: number }
  | { type: 'image'; event: import('../images/types.js').PushEvent }
  | { type: 'list'; digest: string; tag: string };

export interface ManifestPushJob {
  repository: string;
  run(onEvent?: (e: ManifestPushEvent) => void, signal?: AbortSignal): Promise<{ digest: string }>;
}
