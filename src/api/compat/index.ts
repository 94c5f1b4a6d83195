import type { RouteDef } from '../../server/http.js';
import { routes as system } from './system.js';
import { routes as images } from './images.js';
import { routes as containers } from './containers.js';
import { routes as exec } from './exec.js';
import { routes as containerFiles } from './containers-files.js';
import { routes as containerWs } from './containers-ws.js';
import { routes as systemDf } from './system-df.js';

/** Every Docker-compatible route; each resource module declares its own. */
export const compatRoutes: RouteDef[] = [...system, ...images, ...containers, ...exec, ...containerFiles, ...containerWs, ...systemDf];
