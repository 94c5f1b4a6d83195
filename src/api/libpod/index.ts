import type { RouteDef } from '../../server/http.js';
import { routes as system } from './system.js';

/** Every libpod route; each resource module declares its own. */
export const libpodRoutes: RouteDef[] = [...system];
