// Whether this berth runs rootless: not root, or root of a user namespace that does not map the
// whole id space (the launcher's, where berth is uid 0 but owns only the user's ranges).
import { readFileSync } from 'node:fs';

let cached: boolean | undefined;

export function isRootless(): boolean {
  if (cached !== undefined) return cached;
  if (process.getuid?.() !== 0) return (cached = true);
  try {
    const map = readFileSync('/proc/self/uid_map', 'utf8').trim().split(/\s+/);
    cached = !(map.length === 3 && map[0] === '0' && map[1] === '0' && map[2] === '4294967295');
  } catch {
    cached = false;
  }
  return cached;
}
