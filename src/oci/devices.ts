import { existsSync, lstatSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { OciDevice, OciDeviceRule } from './spec.js';

// Mounted per container, or set up by the runtime itself.
const SKIP = new Set(['/dev/pts', '/dev/shm', '/dev/mqueue', '/dev/fd', '/dev/console', '/dev/ptmx', '/dev/.lxc', '/dev/.udev']);

let cache: OciDevice[] | undefined;

/** major:minor of the block device at `path` (a link is followed), as blkio limits name it. */
export function deviceNumbers(path: string): { major: number; minor: number } {
  const st = statSync(path, { bigint: true });
  // The kernel's ENODEV at start otherwise: a throttle names a disk.
  if (!st.isBlockDevice()) throw new Error(`${path} is not a block device`);
  const rdev = st.rdev;
  return { major: Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn)), minor: Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn)) };
}

/** The device node at `path` (not following a link), or undefined when it is none. */
export function deviceAt(path: string): OciDevice | undefined {
  let st;
  try {
    st = lstatSync(path, { bigint: true });
  } catch {
    return undefined;
  }
  if (!st.isCharacterDevice() && !st.isBlockDevice()) return undefined;
  const rdev = st.rdev;
  const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
  const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
  return { path, type: st.isCharacterDevice() ? 'c' : 'b', major, minor, fileMode: Number(st.mode & 0o777n), uid: Number(st.uid), gid: Number(st.gid) };
}

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
      let isDir = false;
      try {
        isDir = lstatSync(p).isDirectory();
      } catch {
        continue;
      }
      if (isDir) walk(p);
      else {
        const d = deviceAt(p);
        if (d) out.push(d);
      }
    }
  };
  walk(root);
  if (root === '/dev') cache = out;
  return out;
}

/**
 * docker's --device: the node at `hostPath` (a link is followed) as `containerPath`, or every node
 * under a directory; each with its cgroup allow entry. Throws dockerd's error when there is none.
 */
export function devicesFromPath(hostPath: string, containerPath: string, permissions: string): { devices: OciDevice[]; rules: OciDeviceRule[] } {
  let resolved = hostPath;
  try {
    if (lstatSync(hostPath).isSymbolicLink()) resolved = realpathSync(hostPath);
  } catch {
    /* reported below */
  }
  const devices: OciDevice[] = [];
  const one = deviceAt(resolved);
  if (one) devices.push({ ...one, path: containerPath });
  else {
    let isDir = false;
    try {
      isDir = statSync(resolved).isDirectory();
    } catch {
      /* reported below */
    }
    if (isDir) for (const d of hostDevices(resolved)) devices.push({ ...d, path: containerPath + d.path.slice(resolved.length) });
  }
  if (!devices.length) {
    const why = existsSync(resolved) ? 'not a device node' : 'no such file or directory';
    throw new Error(`error gathering device information while adding custom device ${JSON.stringify(hostPath)}: ${why}`);
  }
  return { devices, rules: devices.map((d) => ({ allow: true, type: d.type, major: d.major, minor: d.minor, access: permissions })) };
}
