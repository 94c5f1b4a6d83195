// Docker-compatible routes for container files and inspection (docker cp, export, diff, top,
// stats, commit); the handlers are shared with the libpod layer.
import type { RouteDef } from '../../server/http.js';
import { changesHandler, commitHandler, exportHandler, getArchive, putArchiveHandler, statsHandler, topHandler } from './files.js';

export const routes: RouteDef[] = [
  { method: ['GET', 'HEAD'], path: '/containers/:id/archive', handler: getArchive },
  { method: 'PUT', path: '/containers/:id/archive', handler: putArchiveHandler },
  { method: 'GET', path: '/containers/:id/export', handler: exportHandler },
  { method: 'GET', path: '/containers/:id/changes', handler: changesHandler },
  { method: 'GET', path: '/containers/:id/top', handler: topHandler },
  { method: 'GET', path: '/containers/:id/stats', handler: statsHandler },
  { method: 'POST', path: '/commit', handler: commitHandler },
];
