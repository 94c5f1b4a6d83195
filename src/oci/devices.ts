import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { OciDevice } from './spec.js';

// Mounted per container, or set up by the runtime itself.
const SKIP = new Set(['/dev/pts', '/dev/shm', '/dev/mqueue', '/dev/fd', '/dev/console', '/dev/ptmx', '/dev/.lxc', '/dev/.udev']);

let cache: OciDevice[] | undefined;

/** The host's device nodes, as docker and podman give them to privileged containers. */
export function hostDevices(root = '/dev'): OciDevice[] {
  if (cache && root === '/dev') return cache;
  const out: OciDevice[] = [];
  const walk = (dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(dir, n);
      if (SKIP.has(p)) continue;
      let st;
      try {
        st = lstatSync(p, { bigint: true });
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(p);
      else if (st.isCharacterDevice() || st.isBlockDevice()) {
        const rdev = st.rdev;
        const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
        const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
        out.push({ path: p, type: st.isCharacterDevice() ? 'c' : 'b', major, minor, fileMode: Number(st.mode & 0o777n), uid: Number(st.uid), gid: Number(st.gid) });
      }
    }
  };
  walk(root);
  if (root === '/dev') cache = out;
  return out;
}
