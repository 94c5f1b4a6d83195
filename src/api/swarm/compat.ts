// Swarm: berth is a single node that is never part of a swarm, so every swarm endpoint answers
// as dockerd does on such a node — 503 with dockerd's words, never 404. SDKs clean up with
// `swarm/leave` and accept only 406 or 503 (docker-py 7.1 does it around every network test).
import type { Ctx, RouteDef } from '../../server/http.js';
import { HttpError } from '../../server/errors.js';

const NOT_MANAGER = 'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.';
const NOT_IN_SWARM = 'This node is not part of a swarm';
// dockerd would create or join a swarm here; berth has no swarm mode to offer.
const NO_SWARM_MODE = 'This node cannot be part of a swarm: berth does not implement swarm mode';

const unavailable = (message: string) => async (_ctx: Ctx): Promise<void> => {
  throw new HttpError(503, message);
};

const manager = unavailable(NOT_MANAGER);

export const routes: RouteDef[] = [
  { method: 'POST', path: '/swarm/init', handler: unavailable(NO_SWARM_MODE) },
  { method: 'POST', path: '/swarm/join', handler: unavailable(NO_SWARM_MODE) },
  { method: 'POST', path: '/swarm/leave', handler: unavailable(NOT_IN_SWARM) },
  { method: 'GET', path: '/swarm', handler: manager },
  { method: 'GET', path: '/swarm/unlockkey', handler: manager },
  { method: 'POST', path: '/swarm/update', handler: manager },
  { method: 'POST', path: '/swarm/unlock', handler: manager },
  { method: 'GET', path: '/services', handler: manager },
  { method: 'GET', path: '/services/:id', handler: manager },
  { method: 'POST', path: '/services/create', handler: manager },
  { method: 'POST', path: '/services/:id/update', handler: manager },
  { method: 'DELETE', path: '/services/:id', handler: manager },
  { method: 'GET', path: '/services/:id/logs', handler: manager },
  { method: 'GET', path: '/nodes', handler: manager },
  { method: 'GET', path: '/nodes/:id', handler: manager },
  { method: 'DELETE', path: '/nodes/:id', handler: manager },
  { method: 'POST', path: '/nodes/:id/update', handler: manager },
  { method: 'GET', path: '/tasks', handler: manager },
  { method: 'GET', path: '/tasks/:id', handler: manager },
  { method: 'GET', path: '/tasks/:id/logs', handler: manager },
  { method: 'GET', path: '/configs', handler: manager },
  { method: 'POST', path: '/configs/create', handler: manager },
  { method: 'GET', path: '/configs/:id', handler: manager },
  { method: 'DELETE', path: '/configs/:id', handler: manager },
  { method: 'POST', path: '/configs/:id/update', handler: manager },
];
