import type { AddOptions, ManifestList, ManifestPushJob, ManifestPushOptions, ModifyReport } from './types.js';

/**
 * Local manifest lists (podman manifest create/add/remove/annotate/inspect/push/rm). Names in
 * and out are full; a registry-less name is put under localhost/, as podman does.
 */
export interface ManifestsPort {
  /** A new list (conflict when the name is taken; `amend` takes an existing list instead). */
  create(name: string, images: string[], opts?: AddOptions & { amend?: boolean }): Promise<ManifestList>;
  /** A local list by name or ID (not-found otherwise). */
  get(name: string): ManifestList;
  exists(name: string): boolean;
  /**
   * The local list, else what a registry holds under that reference (podman inspects remote
   * lists and images too).
   */
  inspect(name: string, opts?: Pick<AddOptions, 'auth' | 'tlsVerify'>): Promise<{ mediaType: string; bytes: Buffer }>;
  /** Images: local images (containers-storage: or a local name) or registry references (docker://). */
  add(name: string, images: string[], opts?: AddOptions): Promise<ModifyReport>;
  remove(name: string, digests: string[]): ModifyReport;
  annotate(name: string, digests: string[], opts: AddOptions): ModifyReport;
  delete(name: string): { id: string; names: string[] };
  /** Finds the list and destination (errors before any stream); `run` pushes. */
  push(name: string, opts: ManifestPushOptions): ManifestPushJob;
}
