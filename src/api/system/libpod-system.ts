// podman's system df, prune and reset. df and prune answer podman's reports (SystemDfReport,
// SystemPruneReport); reset (podman-remote refuses to send it, the API has it) answers 204 once
// everything is gone, or 500 naming what could not be removed.
import type { Ctx, RouteDef } from '../../server/http.js';
import { noContent, qBool, qFilters, sendJson } from '../../server/http.js';
import { HttpError } from '../../server/errors.js';
import { splitName } from '../../lib/image-ref.js';
import { dockerStatus } from '../containers/status.js';

const iso = (ms: number) => new Date(ms).toISOString();

async function df(ctx: Ctx): Promise<void> {
  const e = ctx.engine;
  const images = e.images.df();
  const containers = e.containers.list({ all: true });
  const volumes = e.volumes.usage();
  sendJson(ctx, 200, {
    ImagesSize: images.layersSize,
    Images: images.images.map((i) => {
      const { repo, tag } = i.names.length ? splitName(i.names[0]) : { repo: '<none>', tag: '<none>' };
      return { Repository: repo, Tag: tag, ImageID: i.id, Created: iso(i.created), Size: i.size, SharedSize: i.sharedSize, UniqueSize: i.size - i.sharedSize, Containers: i.containers };
    }),
    Containers: containers.map((v) => {
      const rw = e.containers.sizeRw(v);
      return {
        ContainerID: v.id,
        Image: v.imageId,
        Command: [...(v.parsed.Config.Entrypoint ?? []), ...(v.parsed.Config.Cmd ?? [])],
        LocalVolumes: v.mounts.filter((m) => m.type === 'volume').length,
        Size: rw,
        RWSize: rw,
        Created: v.created,
        Status: dockerStatus(v.state),
        Names: v.name,
      };
    }),
    Volumes: volumes.map((u) => ({ VolumeName: u.volume.name, Links: u.refCount, Size: u.size, ReclaimableSize: u.refCount ? 0 : u.size })),
  });
}

async function prune(ctx: Ctx): Promise<void> {
  const r = await ctx.engine.system.prune({ all: qBool(ctx, 'all'), volumes: qBool(ctx, 'volumes'), filters: qFilters(ctx) });
  sendJson(ctx, 200, {
    // podman's Err is a Go error, which its clients cannot decode from any value but null: a pod
    // that could not be removed stays, unreported, as its containers' prune errors do.
    PodPruneReport: r.pods.filter((p) => !p.err).map((p) => ({ Id: p.id, Err: null })),
    ContainerPruneReports: r.containers.map((c) => ({ Id: c.id, Size: c.size, Err: null })),
    ImagePruneReports: r.images.map((i) => ({ Id: i.id, Size: i.size, Err: null })),
    NetworkPruneReports: r.networks.map((n) => ({ Name: n, Error: null })),
    VolumePruneReports: r.volumes.map((v) => ({ Id: v.name, Size: v.size, Err: null })),
    ReclaimedSpace: r.reclaimed,
  });
}

async function reset(ctx: Ctx): Promise<void> {
  const r = await ctx.engine.system.reset();
  if (r.errors.length) throw new HttpError(500, `system reset left some things in place: ${r.errors.join('; ')}`);
  noContent(ctx);
}

export const routes: RouteDef[] = [
  { method: 'GET', path: '/libpod/system/df', handler: df },
  { method: 'POST', path: '/libpod/system/prune', handler: prune },
  { method: 'POST', path: '/libpod/system/reset', handler: reset },
];
