import type { Ctx, RouteDef } from '../../server/http.js';
import { sendJson } from '../../server/http.js';
import { dfImages } from '../images/compat.js';
import { dfContainers } from '../containers/compat.js';
import { dfVolumes } from '../volumes/compat.js';

/** `docker system df`: images with shared/unique sizes, containers with their RW sizes, volumes with theirs. */
async function df(ctx: Ctx): Promise<void> {
  const { Images, LayersSize } = await dfImages(ctx);
  sendJson(ctx, 200, {
    LayersSize,
    Images,
    Containers: await dfContainers(ctx),
    Volumes: dfVolumes(ctx),
    BuildCache: [],
  });
}

export const routes: RouteDef[] = [{ method: 'GET', path: '/system/df', handler: df }];
