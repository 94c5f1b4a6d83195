// podman's registry search: `GET /libpod/images/search` (catalogs of registries other than
// Docker Hub, as containers/image searches them; `listTags` lists one repository's tags).
import type { Ctx, RouteDef } from '../../server/http.js';
import { qBool, qFilters, qInt, sendJson } from '../../server/http.js';
import type { SearchResult } from '../../engine/images/types.js';
import { libpodAuth, tlsVerifyOf } from '../images/push.js';

/** podman's entities.ImageSearchReport. */
const report = (r: SearchResult) => ({
  Index: r.index,
  Name: r.name.startsWith(`${r.index}/`) ? r.name : `${r.index}/${r.name}`,
  Description: r.description,
  Stars: r.stars,
  Official: r.official ? '[OK]' : '',
  Automated: r.automated ? '[OK]' : '',
  Tag: r.tag ?? '',
});

async function search(ctx: Ctx): Promise<void> {
  const listTags = qBool(ctx, 'listTags') || qBool(ctx, 'listtags');
  const limit = qInt(ctx, 'limit');
  const found = await ctx.engine.images.search(ctx.query.get('term') ?? '', {
    naming: 'registries-conf',
    // podman-remote sends limit=0 for "not given".
    limit: limit ? limit : undefined,
    filters: qFilters(ctx),
    auth: libpodAuth(ctx),
    tlsVerify: tlsVerifyOf(ctx),
    listTags,
  });
  sendJson(ctx, 200, found.map(report));
}

export const routes: RouteDef[] = [{ method: 'GET', path: '/libpod/images/search', handler: search }];
