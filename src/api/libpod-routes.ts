import type { RouteDef } from '../server/http.js';
import { routes as system } from './system/libpod.js';
import { routes as build } from './build/libpod.js';
import { routes as images } from './images/libpod.js';
import { routes as containers } from './containers/libpod.js';
import { routes as exec } from './exec/libpod.js';
import { routes as containerFiles } from './containers/libpod-files.js';
import { routes as volumes } from './volumes/libpod.js';
import { routes as networks } from './networks/libpod.js';

/** Every libpod route; each resource module declares its own. */
export const libpodRoutes: RouteDef[] = [...build, ...system, ...images, ...containers, ...exec, ...containerFiles, ...volumes, ...networks];
