import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * The one place berth looks for the programs it drives (runtimes, conmon, init, ps...).
 * Podman's helper dirs (containers.conf's helper_binaries_dir) come after PATH because Debian puts
 * conmon, catatonit, netavark and aardvark-dns there; results are cached because every container start asks.
 */
const HELPER_DIRS = ['/usr/local/libexec/podman', '/usr/local/lib/podman', '/usr/libexec/podman', '/usr/lib/podman', '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

const cache = new Map<string, string | undefined>();

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable `name` in `preferred` paths, then PATH, then the helper dirs. */
export function findBinary(name: string, preferred: string[] = []): string | undefined {
  for (const p of preferred) if (isExecutable(p)) return p;
  if (name.includes('/')) return isExecutable(name) ? name : undefined;
  const key = `${name}\0${process.env.PATH ?? ''}`;
  if (cache.has(key)) return cache.get(key);
  let found: string | undefined;
  for (const d of [...(process.env.PATH ?? '').split(delimiter), ...HELPER_DIRS]) {
    if (d && isExecutable(join(d, name))) {
      found = join(d, name);
      break;
    }
  }
  cache.set(key, found);
  return found;
}

/** catatonit (podman's choice) or tini, for `--init`. */
export function findInit(): string | undefined {
  return findBinary('catatonit') ?? findBinary('tini');
}
