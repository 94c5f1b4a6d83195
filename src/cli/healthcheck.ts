import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { storagePaths } from '../config/paths.js';
import { CliError, type GlobalOptions } from './errors.js';

/**
 * `berth container healthcheck run ID`: runs the container's check now and prints its verdict
 * (exit 1 when it failed, as podman's does). `berth container healthcheck tick ID TIMERPID`: one
 * probe of the per-container scheduler (engine/health/timer.ts), which prints the seconds to
 * sleep before the next one; nothing and exit 1 when the schedule is over.
 */
export async function healthcheckCommand(args: string[], g: GlobalOptions): Promise<number> {
  const [sub, ref, timer] = args;
  if (sub === 'tick' && (!ref || !/^[0-9a-f]{64}$/.test(ref) || !/^\d+$/.test(timer ?? ''))) throw new CliError('container healthcheck tick needs a full container ID and the scheduler pid');
  if (sub !== 'tick' && (sub !== 'run' || !ref)) throw new CliError('Usage: berth container healthcheck run CONTAINER');
  const paths = storagePaths(g.storageEnv);
  // A scheduler whose container (or whole storage) is gone ends here, before anything is opened
  // or made again.
  if (sub === 'tick' && !existsSync(join(paths.root, 'containers', ref))) return 1;
  const [{ loadContainersConf }, { Engine }, { seconds }] = await Promise.all([
    import('../config/containers-conf.js'),
    import('../engine/engine.js'),
    import('../engine/health/timer.js'),
  ]);
  const engine = new Engine({ paths, conf: await loadContainersConf(g.storageEnv), role: 'cleanup' });
  try {
    if (sub === 'tick') {
      const next = await engine.health.tick(ref, Number(timer));
      if (next === undefined) return 1;
      process.stdout.write(`${seconds(next)}\n`);
      return 0;
    }
    const r = await engine.health.runNow(ref).catch((e: Error) => {
      throw new CliError(e.message);
    });
    process.stdout.write(`${r.verdict}\n`);
    return r.verdict === 'healthy' ? 0 : 1;
  } finally {
    await engine.close();
  }
}
