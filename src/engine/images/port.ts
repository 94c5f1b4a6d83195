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
  PullPolicy,
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
   * The image a pull with `policy` leaves: the local one where the policy allows it. A pull that
   * needs a registry is not-implemented until the registry client lands; `never` without a
   * local image is not-found.
   */
  pull(ref: string, policy: PullPolicy): { id: string };
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
