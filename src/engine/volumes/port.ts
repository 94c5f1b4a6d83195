import type { VolumeCreateRequest, VolumePruneOptions, VolumePruneResult, VolumeUsage, VolumeView } from './types.js';

/** What the API layers may ask of volumes. An unknown name is a not-found EngineError. */
export interface VolumesPort {
  /** Resolves with the volume and whether this call made it. */
  create(req: VolumeCreateRequest): Promise<{ volume: VolumeView; created: boolean }>;
  find(name: string): VolumeView | undefined;
  get(name: string): VolumeView;
  /** Filters: name, label, label!, dangling, driver, opt, until. */
  list(filters?: Record<string, string[]>): VolumeView[];
  /** A volume in use is a conflict; with `force` the containers using it are removed first (podman's). */
  remove(name: string, opts?: { force?: boolean }): Promise<void>;
  /** Removes unused volumes the filters select. */
  prune(o?: VolumePruneOptions): Promise<VolumePruneResult>;
  /** Every volume with its size and reference count. */
  usage(): VolumeUsage[];
  /** The volume's content as a tar stream. */
  exportTar(name: string): Promise<AsyncIterable<Buffer>>;
  /** Extracts a tar (plain or compressed) into the volume, owners and modes as archived. */
  importTar(name: string, body: AsyncIterable<Buffer>): Promise<void>;
}
