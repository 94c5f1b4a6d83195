// A step's image: the parent's layers plus, for a step that changed files, one new layer (a
// RUN container's upper dir, a COPY's tar), with the step in the history either way.
import { hexOf } from '../../storage/digest.js';
import type { ImageService } from '../images/service.js';
import type { ContainerConfigLike, ImageConfig, ImageInfo } from '../images/types.js';
import { hostArch } from '../images/archives.js';

export interface StepCommit {
  parent?: ImageInfo;
  config: ContainerConfigLike;
  createdBy: string;
  /** A layer tar; none for a metadata-only step. */
  diff?: AsyncIterable<Buffer>;
  /** The RUN container the layer came from (docker's `container`). */
  container?: string;
  platform?: { os?: string; architecture?: string };
}

/** Records the step's image; a layer it made and no image took is dropped on failure. */
export function commitStep(images: ImageService, c: StepCommit): Promise<ImageInfo> {
  return images.locked(async () => {
    const chain = [...(c.parent?.layers ?? [])];
    const diffIds = [...(c.parent?.cfg.rootfs.diff_ids ?? [])];
    let made: string | undefined;
    try {
      if (c.diff) {
        const row = await images.layers.put(chain.at(-1) ?? null, c.diff);
        if (!images.state.layerUsers(row.id)) made = row.id;
        chain.push(row.id);
        diffIds.push(row.diff_id);
      }
      const now = new Date().toISOString();
      const cfg: ImageConfig = {
        architecture: c.parent?.cfg.architecture ?? c.platform?.architecture ?? hostArch(),
        config: c.config,
        ...(c.container ? { container: c.container } : {}),
        container_config: { ...c.config, Cmd: ['/bin/sh', '-c', c.createdBy] },
        created: now,
        history: [...(c.parent?.cfg.history ?? []), { created: now, created_by: c.createdBy, ...(c.diff ? {} : { empty_layer: true }) }],
        os: c.parent?.cfg.os ?? c.platform?.os ?? 'linux',
        rootfs: { type: 'layers', diff_ids: diffIds },
      };
      const img = images.record(Buffer.from(JSON.stringify(cfg)), chain, { parent: c.parent ? `sha256:${c.parent.id}` : '' });
      return img;
    } catch (e) {
      if (made && images.state.layerUsers(made) === 0) await images.layers.remove(made);
      throw e;
    } finally {
      if (made) images.state.releaseLayerClaims([hexOf(made)]);
    }
  });
}
