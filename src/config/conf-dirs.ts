import { readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The user's containers config dir (~/.config/containers), where containers.conf and registries.conf look. */
export function userContainersDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), 'containers');
}

/** A `.d` folder's `*.conf` files in name order, as containers/common reads drop-ins; none when it is missing. */
export function dropInFiles(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.conf'))
      .sort()
      .map((f) => join(dir, f));
  } catch {
    return [];
  }
}
