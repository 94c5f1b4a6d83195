import type { ImageInfo } from '../../images/types.js';
// docker commit: the container's upper dir becomes a new top layer on its image, with the
// container's config (plus overrides and Dockerfile-style changes) as the image config.
import type { FilesDeps } from './service.js';
import { applyChanges } from '../../images/changes.js';
import type { ContainerConfigLike } from '../../images/types.js';
import type { CommitRequest } from '../types.js';
import { diffTar } from '../../../storage/diff-tar.js';
import { placeholderPaths } from './changes.js';
import { badParameter } from '../../errors.js';

const IMAGE_KEYS = ['User', 'ExposedPorts', 'Env', 'Cmd', 'Healthcheck', 'Volumes', 'WorkingDir', 'Entrypoint', 'OnBuild', 'Labels', 'StopSignal', 'Hostname', 'Domainname', 'Tty', 'OpenStdin', 'StdinOnce', 'AttachStdin', 'AttachStdout', 'AttachStderr', 'ArgsEscaped'] as const;

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v as object).length === 0;
  return false;
}

export async function commitContainer(engine: FilesDeps, ref: string, req: CommitRequest): Promise<ImageInfo> {
  const svc = engine.containers;
  const v = svc.get(ref);
  const images = engine.images;
  const base = images.get(v.imageId);
  const c = v.parsed.Config as unknown as Record<string, unknown>;
  let config: ContainerConfigLike = {};
  for (const k of IMAGE_KEYS) if (c[k] !== undefined) (config as Record<string, unknown>)[k] = c[k];
  // The container's Image field is the name it was created from, not part of the new image.
  config.Image = base ? `sha256:${base.id}` : '';
  for (const [k, val] of Object.entries(req.config ?? {})) {
    if (!isEmpty(val)) (config as Record<string, unknown>)[k] = val;
  }
  try {
    config = applyChanges(config, req.changes);
  } catch (e) {
    throw badParameter((e as Error).message);
  }
  const exclude = new Set(placeholderPaths(v, engine).map((p) => p.slice(1)));
  // Recorded as berth's own pause: a service that finds this one killed mid-commit resumes it.
  let paused = false;
  if (req.pause && v.state === 'running') paused = await svc.pauseOwn(v.id).catch(() => false);
  try {
    const img = await images.commit({
      baseImageId: base?.id,
      diff: diffTar(v.dirs.upper, exclude),
      config: config as never,
      author: req.author || undefined,
      comment: req.comment || undefined,
      createdBy: [...((v.parsed.Config.Entrypoint as string[] | null) ?? []), ...((v.parsed.Config.Cmd as string[] | null) ?? [])].join(' '),
      // dockerd records where the image came from; docker-compose 1.x reads container_config.
      container: v.id,
      containerConfig: { ...v.parsed.Config, OnBuild: null } as ContainerConfigLike,
      reference: req.reference,
    });
    engine.events.publish('container', 'commit', v.id, { ...(v.parsed.Config.Labels ?? {}), name: v.name, image: v.image, comment: req.comment ?? '' });
    return img;
  } finally {
    if (paused) await svc.unpauseOwn(v.id).catch(() => undefined);
  }
}
