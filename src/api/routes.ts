import { Router } from '../server/router.js';
import { compatRoutes } from './compat-routes.js';
import { libpodRoutes } from './libpod-routes.js';

/**
 * The full route table of both layers. The service loads this module only after it is
 * listening, so a cold start answers /_ping before any handler or engine code is compiled.
 */
export function buildRouter(): Router {
  const router = new Router();
  router.add(compatRoutes);
  router.add(libpodRoutes);
  return router;
}
