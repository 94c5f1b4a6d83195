import { Router } from '../server/router.js';
import { compatRoutes } from './compat-routes.js';
import { libpodRoutes } from './libpod-routes.js';
import { withQueryChecks } from './http/query-check.js';

/**
 * The full route table of both layers. The service loads this module only after it is
 * listening, so a cold start answers /_ping before any handler or engine code is compiled.
 * Every route's integer and boolean query parameters (as the specs type them) are checked
 * before its handler runs.
 */
export function buildRouter(): Router {
  const router = new Router();
  router.add(withQueryChecks(compatRoutes));
  router.add(withQueryChecks(libpodRoutes));
  return router;
}
