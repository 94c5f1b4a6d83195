import type { ImageRecord, LayerRow } from '../../state/images.js';
import type { ContainerConfigLike } from './changes.js';

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

/** An image with its config parsed, as every read API sees it. */
export interface ImageInfo extends ImageRecord {
  cfg: ImageConfig;
  /** Layer rows bottom first. */
  layerRows: LayerRow[];
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
  untagged: string[];
  deleted: string[];
}

export interface LoadReport {
  /** `replaced`: names that moved here from another image, which docker reports. */
  images: { id: string; names: string[]; replaced: { name: string; oldId: string }[] }[];
}
