import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { storagePaths } from '../config/paths.js';
import { CliError, type GlobalOptions } from './errors.js';

/**
 * `berth container cleanup ID`: conmon's exit command. Records the exit, unmounts, and applies
 * --rm and the restart policy, whether or not a service is running. A running service usually
 * handles the exit first (and removes the exit file); then this returns before loading anything.
 */
export async function cleanupCommand(args: string[], g: GlobalOptions): Promise<number> {
  const ids = args.filter((a) => !a.startsWith('-'));
  if (ids.length !== 1 || !/^[0-9a-f]{64}$/.test(ids[0])) throw new CliError('container cleanup needs exactly one full container ID');
  const paths = storagePaths(g.storageEnv);
  if (!existsSync(join(paths.runRoot, 'exits', ids[0]))) return 0;
  const [{ loadContainersConf }, { Engine }] = await Promise.all([import('../config/containers-conf.js'), import('../engine/engine.js')]);
  const engine = new Engine({ paths, conf: await loadContainersConf(g.storageEnv), role: 'cleanup' });
  try {
    await engine.containers.handleExit(ids[0]);
  } finally {
    await engine.close();
  }
  return 0;
}
