import type { RouteDef } from '../server/http.js';
import { routes as system } from './system/compat.js';
import { routes as build } from './build/compat.js';
import { routes as images } from './images/compat.js';
import { routes as containers } from './containers/compat.js';
import { routes as exec } from './exec/compat.js';
import { routes as containerFiles } from './containers/compat-files.js';
import { routes as containerWs } from './containers/compat-ws.js';
import { routes as systemDf } from './system/compat-df.js';
import { routes as swarm } from './swarm/compat.js';
import { routes as volumes } from './volumes/compat.js';
import { routes as networks } from './networks/compat.js';
import { compatPushRoutes as push } from './images/push.js';
import { routes as registry } from './registry/compat.js';
import { routes as secrets } from './secrets/compat.js';

/** Every Docker-compatible route; each resource module declares its own. */
export const compatRoutes: RouteDef[] = [...build, ...system, ...images, ...containers, ...exec, ...containerFiles, ...containerWs, ...systemDf, ...swarm, ...volumes, ...networks, ...push, ...registry, ...secrets];
