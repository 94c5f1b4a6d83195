// GET /libpod/generate/{name}/systemd: podman 5.4 still serves it (its CLI calls it deprecated);
// a container's unit, or a pod's units (the pod's and one per member), as a map of unit name to
// unit text.
import type { Ctx, RouteDef } from '../../server/http.js';
import { qBool, qInt, qList, sendJson } from '../../server/http.js';
import { HttpError } from '../../server/errors.js';

const SECONDS = { min: 0, max: 2 ** 31 - 1 };

const PARAMS = ['useName', 'new', 'noHeader', 'startTimeout', 'stopTimeout', 'restartSec', 'restartPolicy', 'containerPrefix', 'podPrefix', 'separator', 'wants', 'after', 'requires', 'additionalEnvVariables', 'templateUnitFile'];
const CANONICAL = new Map(PARAMS.map((p) => [p.toLowerCase(), p]));

/** podman's bindings send these names in lower case (its server matches them case-insensitively). */
function canonicalQuery(ctx: Ctx): Ctx {
  const q = new URLSearchParams();
  for (const [k, v] of ctx.query) q.append(CANONICAL.get(k.toLowerCase()) ?? k, v);
  return { ...ctx, query: q };
}

async function systemd(raw: Ctx): Promise<void> {
  const ctx = canonicalQuery(raw);
  const q = ctx.query;
  if (qBool(ctx, 'templateUnitFile')) throw new HttpError(400, 'template unit files need new=true, which berth cannot generate');
  sendJson(ctx, 200, ctx.engine.containers.systemdUnits(ctx.params.name, {
    useName: qBool(ctx, 'useName'),
    new: qBool(ctx, 'new'),
    noHeader: qBool(ctx, 'noHeader'),
    startTimeout: qInt(ctx, 'startTimeout', undefined, SECONDS),
    stopTimeout: qInt(ctx, 'stopTimeout', undefined, SECONDS),
    restartSec: qInt(ctx, 'restartSec', undefined, SECONDS),
    restartPolicy: q.get('restartPolicy') || undefined,
    containerPrefix: q.get('containerPrefix') ?? undefined,
    podPrefix: q.get('podPrefix') ?? undefined,
    separator: q.get('separator') ?? undefined,
    wants: qList(ctx, 'wants'),
    after: qList(ctx, 'after'),
    requires: qList(ctx, 'requires'),
    env: qList(ctx, 'additionalEnvVariables'),
  }));
}

export const routes: RouteDef[] = [{ method: 'GET', path: '/libpod/generate/:name/systemd', handler: systemd }];
