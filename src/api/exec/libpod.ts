import type { Ctx, RouteDef } from '../../server/http.js';
import { sendJson } from '../../server/http.js';
import { createExec, inspectExec, resizeExec, startExec } from './handlers.js';

async function create(ctx: Ctx): Promise<void> {
  sendJson(ctx, 201, { Id: await createExec(ctx) });
}

function inspect(ctx: Ctx): void {
  sendJson(ctx, 200, inspectExec(ctx));
}

export const routes: RouteDef[] = [
  { method: 'POST', path: '/libpod/containers/:name/exec', handler: create },
  { method: 'POST', path: '/libpod/exec/:id/start', handler: startExec },
  { method: 'POST', path: '/libpod/exec/:id/resize', handler: resizeExec },
  { method: 'GET', path: '/libpod/exec/:id/json', handler: inspect },
];
