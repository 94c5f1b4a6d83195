import type { RouteDef } from '../server/http.js';
import { routes as system } from './system/libpod.js';
import { routes as build } from './build/libpod.js';
import { routes as images } from './images/libpod.js';
import { routes as containers } from './containers/libpod.js';
import { routes as exec } from './exec/libpod.js';
import { routes as containerFiles } from './containers/libpod-files.js';
import { routes as volumes } from './volumes/libpod.js';
import { routes as networks } from './networks/libpod.js';
import { libpodPushRoutes as push } from './images/push.js';
import { routes as registry } from './registry/libpod.js';
import { routes as manifests } from './manifests/libpod.js';
import { routes as pods } from './pods/libpod.js';
import { routes as secrets } from './secrets/libpod.js';
import { routes as systemOps } from './system/libpod-system.js';
import { routes as generate } from './containers/generate.js';
import { routes as update } from './containers/libpod-update.js';
import { routes as kube } from './kube/libpod.js';

/** Every libpod route; each resource module declares its own. */
export const libpodRoutes: RouteDef[] = [...build, ...system, ...images, ...containers, ...exec, ...containerFiles, ...volumes, ...networks, ...push, ...registry, ...manifests, ...pods, ...secrets, ...systemOps, ...generate, ...update, ...kube];
