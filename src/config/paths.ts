import { homedir } from 'node:os';
import { join } from 'node:path';
import { isRootless, rootlessUid } from './rootless.js';

/** Where berth keeps persistent data (layers, state DB) and runtime data (sockets, mounts). */
export interface StoragePaths {
  root: string;
  runRoot: string;
}

// BERTH_ROOT / BERTH_RUNROOT exist so tests and side-by-side benchmarks get private storage.
export function storagePaths(env: NodeJS.ProcessEnv = process.env): StoragePaths {
  if (env.BERTH_ROOT || env.BERTH_RUNROOT) {
    const root = env.BERTH_ROOT ?? '/var/lib/berth';
    return { root, runRoot: env.BERTH_RUNROOT ?? join(root, 'run') };
  }
  if (!isRootless()) return { root: '/var/lib/berth', runRoot: '/run/berth' };
  const xdgData = env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  const xdgRun = env.XDG_RUNTIME_DIR || `/tmp/berth-run-${rootlessUid()}`;
  return { root: join(xdgData, 'berth'), runRoot: join(xdgRun, 'berth') };
}
