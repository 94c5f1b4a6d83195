// What the volume engine reports and takes; the API layers import these types from here only.

/** A volume as the engine reports it: its record, where its files are, and who uses it. */
export interface VolumeView {
  name: string;
  /** 'local', the one driver berth has. */
  driver: string;
  /** The directory on the host containers see (volumes/NAME/_data under the storage root). */
  mountpoint: string;
  /** ISO 8601. */
  createdAt: string;
  labels: Record<string, string>;
  /** The driver options it was created with ({} when none). */
  options: Record<string, string>;
  anonymous: boolean;
  uid: number;
  gid: number;
  /** IDs of the containers that use it, oldest first. */
  users: string[];
  /** Containers using it that run now (podman's MountCount, for volumes mounted with options). */
  liveUsers: number;
  /** Whether the driver mounts something on it (options type/device): podman counts those mounts. */
  mounted: boolean;
}

export interface VolumeCreateRequest {
  /** Empty or absent: a generated 64-hex name. */
  name?: string;
  /** '' or 'local'. */
  driver?: string;
  labels?: Record<string, string>;
  /** The local driver's `type`, `o`, `device`. */
  options?: Record<string, string>;
  /** What a create of an existing name does: hand the volume back (docker) or fail with a conflict (podman). */
  ifExists?: 'return' | 'conflict';
}

export interface VolumePruneOptions {
  /** docker's and podman's prune filters: label, label!, until, all. */
  filters?: Record<string, string[]>;
  /** Anonymous volumes only unless all (docker's default from API 1.42); false prunes every unused one. */
  anonymousOnly?: boolean;
}

export interface VolumePruneResult {
  deleted: { name: string; size: number }[];
  reclaimed: number;
}

/** `/system/df`'s part: each volume with its size on disk and how many containers use it. */
export interface VolumeUsage {
  volume: VolumeView;
  size: number;
  refCount: number;
}
