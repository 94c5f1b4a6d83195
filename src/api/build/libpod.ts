// POST /libpod/build: podman's stream ("STEP 1/5: ...", "--> id", the full ID on the last line,
// which podman-remote takes as the result).
import type { Ctx, RouteDef } from '../../server/http.js';
import type { BuildEvent } from '../../engine/build/types.js';
import { streamBuild } from './compat.js';

const short = (id: string) => id.slice(0, 12);

function line(e: BuildEvent, quiet: boolean): object[] {
  if (quiet && e.kind !== 'done') return [];
  switch (e.kind) {
    case 'step':
      return [{ stream: `STEP ${e.n}/${e.total}: ${e.instruction}\n` }];
    case 'output':
      return [{ stream: e.text }];
    case 'cached':
      return [{ stream: '--> Using cache\n' }];
    case 'image':
      return [{ stream: `--> ${short(e.id)}\n` }];
    case 'note':
      return [{ stream: `${e.text}\n` }];
    case 'running':
    case 'removed':
      return [];
    case 'done':
      if (quiet) return [{ stream: `${e.id}\n` }];
      return [...(e.names.length ? [{ stream: `COMMIT ${e.names[0]}\n` }] : []), ...e.names.map((n) => ({ stream: `Successfully tagged ${n}\n` })), { stream: `${e.id}\n` }];
  }
}

async function build(ctx: Ctx): Promise<void> {
  await streamBuild(ctx, 'podman', line, (message) => ({ error: message, errorDetail: { message } }));
}

export const routes: RouteDef[] = [{ method: 'POST', path: '/libpod/build', handler: build }];
