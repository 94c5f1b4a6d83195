// libpod routes for container files and inspection; handlers shared with the compat layer.
import type { RouteDef } from '../../server/http.js';
import { changesHandler, commitHandler, exportHandler, getArchive, libpodStatsAll, putArchiveHandler, statsHandler, topHandler } from './files.js';

export const routes: RouteDef[] = [
  { method: ['GET', 'HEAD'], path: '/libpod/containers/:name/archive', handler: getArchive },
  { method: 'PUT', path: '/libpod/containers/:name/archive', handler: putArchiveHandler },
  { method: 'GET', path: '/libpod/containers/:name/export', handler: exportHandler },
  { method: 'GET', path: '/libpod/containers/:name/changes', handler: changesHandler },
  { method: 'GET', path: '/libpod/containers/:name/top', handler: topHandler },
  { method: 'GET', path: '/libpod/containers/:name/stats', handler: statsHandler },
  { method: 'GET', path: '/libpod/containers/stats', handler: libpodStatsAll },
  { method: 'POST', path: '/libpod/commit', handler: commitHandler },
];
