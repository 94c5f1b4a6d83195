// Removing a volume's directory. Containers wrote its content: links in it may point anywhere on
// the host, and a running one could swap a directory for a link while we walk. Every directory
// is opened with O_NOFOLLOW and its entries are named through the descriptor, so a link is only
// ever unlinked; the walk never descends into another filesystem or a mount point.
import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, rmdirSync, unlinkSync } from 'node:fs';
import { mountPoints } from '../containers/rootfs.js';

const DIR = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;
const at = (fd: number, name: string) => `/proc/self/fd/${fd}/${name}`;

export class MountedError extends Error {}

/** Removes `path` and everything under it without following a link; refuses while anything is mounted below it. */
export function removeTree(path: string): void {
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (!st) return;
  if (!st.isDirectory()) return unlinkSync(path);
  const mounted = [...mountPoints(path)].filter((p) => p === path || p.startsWith(`${path}/`));
  if (mounted.length) throw new MountedError(`${mounted[0]} is still mounted`);
  const fd = openSync(path, DIR);
  try {
    clear(fd, fstatSync(fd).dev);
  } finally {
    closeSync(fd);
  }
  rmdirSync(path);
}

function clear(fd: number, dev: number): void {
  for (const name of readdirSync(`/proc/self/fd/${fd}`)) {
    const p = at(fd, name);
    const st = lstatSync(p, { throwIfNoEntry: false });
    if (!st) continue;
    if (!st.isDirectory()) {
      unlinkSync(p);
      continue;
    }
    // Swapped for a link since the lstat: the open fails (ELOOP) rather than follow it.
    const child = openSync(p, DIR);
    try {
      if (fstatSync(child).dev !== dev) throw new MountedError(`${name}: another filesystem is mounted there`);
      clear(child, dev);
    } finally {
      closeSync(child);
    }
    rmdirSync(p);
  }
}
