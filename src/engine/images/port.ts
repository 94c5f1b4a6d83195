import type { Writable } from 'node:stream';
import type {
  ArchiveFormat,
  HistoryItem,
  ImageInfo,
  ImagesDf,
  ImageSummary,
  ImageTree,
  ImportOptions,
  ListOptions,
  PullOptions,
  PullJob,
  DistributionInfo,
  PushJob,
  PushOptions,
  LoginOptions,
  SearchOptions,
  SearchResult,
  LoadReport,
  PruneReport,
  RemoveReport,
  SaveOptions,
} from './types.js';

/**
 * What the API layers may ask of images. Names in and out are full names; a registry-less name
 * given to name an image goes under docker.io (the libpod layer qualifies its own under
 * localhost/ first), and how names are shown is each layer's business.
 */
export interface ImagesPort {
  /** By full ID, name (short names under docker.io, then localhost/), digest or ID prefix. */
  resolve(ref: string): ImageInfo;
  /**
   * Starts a pull of `ref` under `opts.policy` (default always): resolves the name (by
   * `opts.naming`), finds the manifest for the platform, and returns the job to run. No such
   * image or tag is not-found, bad credentials unauthorized, thrown here before any download;
   * `never` without a local image is not-found. A policy met by a local image needs no registry.
   */
  pull(ref: string, opts: PullOptions): Promise<PullJob>;
  /** `GET /distribution/{name}/json`: the manifest descriptor and its platforms, from the registry. */
  distribution(ref: string, opts: Pick<PullOptions, 'naming' | 'auth' | 'tlsVerify'>): Promise<DistributionInfo>;
  /**
   * Starts a push: finds the image(s) here (not-found for a missing image or tag, before any
   * stream) and returns the job that talks to the registry, reporting as it goes.
   */
  push(ref: string, opts: PushOptions): Promise<PushJob>;
  /** Checks credentials against a registry (unauthorized with the registry's words when wrong). */
  login(opts: LoginOptions): Promise<{ registry: string; identityToken?: string }>;
  /** Searches registries (see search.ts for which API each naming rule asks). */
  search(term: string, opts: SearchOptions): Promise<SearchResult[]>;
  /** Filters as docker defines them (reference, label, dangling, before, since, until, id...). */
  list(filters?: Record<string, string[]>, opts?: ListOptions): ImageSummary[];
  history(ref: string): HistoryItem[];
  tree(ref: string): ImageTree;
  /** The image's layer dirs, top first (inspect's GraphDriver). */
  layerDirs(imageId: string): string[];
  /** What the image's top layer adds, changes and deletes against the layers below (podman's image diff). */
  changes(ref: string): { Path: string; Kind: 0 | 1 | 2 }[];
  /** The `images` and `layersSize` of `system df`. */
  df(): ImagesDf;

  tag(ref: string, target: string): string;
  /** Removes the given names (all when none) and returns the full names removed. */
  untag(ref: string, names?: string[]): string[];
  /** docker rmi semantics: a name with siblings is only untagged; images in use are guarded. */
  remove(ref: string, opts?: { force?: boolean; noprune?: boolean }): Promise<RemoveReport>;
  /** Dangling images (all unused with `all`), honouring dangling/until/label filters. */
  prune(filters?: Record<string, string[]>, opts?: { all?: boolean }): Promise<PruneReport>;

  load(input: AsyncIterable<Buffer>): Promise<LoadReport>;
  save(refs: string[], format: ArchiveFormat, out: Writable, opts?: SaveOptions): Promise<void>;
  import(input: AsyncIterable<Buffer>, opts?: ImportOptions): Promise<ImageInfo>;
}
