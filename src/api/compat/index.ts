import type { RouteDef } from '../../server/http.js';
import { routes as system } from './system.js';

/** Every Docker-compatible route; each resource module declares its own. */
export const compatRoutes: RouteDef[] = [...system];
