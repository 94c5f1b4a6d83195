// docker diff: what the container changed relative to its image, read from the overlay upper
// dir (no mount needed): whiteouts are deletions, entries the image has are modifications, the
// rest additions. The placeholders the runtime creates for its mount points (an empty
// /etc/hosts, /proc, /dev...) are not the user's changes and are left out, as docker's init
// layer keeps them out.
import { closeSync, constants, lstatSync, openSync, readdirSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { isFuseBookkeeping, isOpaqueDir } from '../../../storage/overlay-xattrs.js';
import type { FilesDeps } from './service.js';
import type { ContainerView } from '../types.js';
import { containerMounts } from '../mounts.js';

export interface Change {
  Path: string;
  /** 0 modified, 1 added, 2 deleted (docker's ChangeType). */
  Kind: 0 | 1 | 2;
}

const RUNTIME_MOUNTS = ['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys', '/sys/fs/cgroup', '/etc/hosts', '/etc/hostname', '/etc/resolv.conf', '/run/berth-init'];

function lst(p: string): Stats | undefined {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
}

const isWhiteout = (st: Stats) => st.isCharacterDevice() && st.rdev === 0;

const isOpaque = isOpaqueDir;

/** Whether the image's layers (top first) hold `rel` (whiteouts and opaque dirs honoured). */
export function inLower(layers: string[], rel: string): boolean {
  const parts = rel.split('/');
  for (const dir of layers) {
    // A whiteout or an opaque dir on the way down hides everything below in lower layers.
    let hidden = false;
    for (let i = 1; i <= parts.length; i++) {
      const st = lst(join(dir, ...parts.slice(0, i)));
      if (!st) break;
      if (isWhiteout(st)) return false;
      if (i === parts.length) return true;
      if (st.isDirectory() && isOpaque(join(dir, ...parts.slice(0, i)))) hidden = true;
    }
    if (hidden) return false;
  }
  return false;
}

export function changesOf(upper: string, layers: string[], mountDests: string[]): Change[] {
  const out: Change[] = [];
  // The upper dir belongs to the container: directories are held open (O_NOFOLLOW) and entries
  // named through them, so a directory swapped for a link never lists a host directory.
  const DIR = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;
  const walk = (dirFd: number, rel: string) => {
    const at = `/proc/self/fd/${dirFd}`;
    let names: string[];
    try {
      names = readdirSync(at).sort();
    } catch {
      return;
    }
    for (const n of names) {
      const r = rel ? `${rel}/${n}` : n;
      const abs = `${at}/${n}`;
      const st = lst(abs);
      if (!st || isFuseBookkeeping(n, st)) continue;
      if (isWhiteout(st)) {
        out.push({ Path: `/${r}`, Kind: 2 });
        continue;
      }
      const existed = inLower(layers, r);
      out.push({ Path: `/${r}`, Kind: existed ? 0 : 1 });
      if (st.isDirectory()) {
        let fd: number;
        try {
          fd = openSync(abs, DIR);
        } catch {
          continue;
        }
        try {
          walk(fd, r);
        } finally {
          closeSync(fd);
        }
      }
    }
  };
  let root: number;
  try {
    root = openSync(upper, constants.O_RDONLY | constants.O_DIRECTORY);
  } catch {
    return [];
  }
  try {
    walk(root, '');
  } finally {
    closeSync(root);
  }
  // Drop the runtime's mount-point placeholders, then directories changed only because of them.
  const dests = new Set(mountDests);
  const isPlaceholder = (c: Change) => {
    if (!dests.has(c.Path) || c.Kind !== 1) return false;
    const st = lst(join(upper, c.Path));
    if (!st) return true;
    if (st.isDirectory()) return true;
    return st.isFile() && st.size === 0;
  };
  const dropped = out.filter(isPlaceholder).map((c) => c.Path);
  let kept = out.filter((c) => !dropped.includes(c.Path) && !dropped.some((d) => c.Path.startsWith(d + '/') && lst(join(upper, d))?.isDirectory()));
  const hasDescendant = (p: string) => kept.some((c) => c.Path.startsWith(p + '/'));
  kept = kept.filter((c) => {
    if (c.Kind !== 0) return true;
    const wasParentOfDropped = dropped.some((d) => d.startsWith(c.Path + '/'));
    return !wasParentOfDropped || hasDescendant(c.Path);
  });
  return kept;
}

function mountDestsOf(v: ContainerView): string[] {
  const d = [...RUNTIME_MOUNTS];
  for (const m of containerMounts(v.parsed)) d.push(m.destination);
  // The runtime's placeholders for secret files hold nothing of the secret: not the user's changes.
  for (const s of v.parsed.secrets ?? []) if (s.type === 'mount') d.push(s.target);
  return d;
}

export async function containerChanges(engine: FilesDeps, ref: string): Promise<Change[]> {
  const v = engine.containers.get(ref);
  let layers: string[] = [];
  try {
    layers = engine.images.layerDirs(v.imageId);
  } catch {
    /* image gone: everything counts as added */
  }
  return changesOf(v.dirs.upper, layers, mountDestsOf(v));
}

/** The same placeholders, for commit to leave out of the new layer. */
export function placeholderPaths(v: ContainerView, engine: FilesDeps): string[] {
  let layers: string[] = [];
  try {
    layers = engine.images.layerDirs(v.imageId);
  } catch {
    /* none */
  }
  return mountDestsOf(v).filter((p) => {
    const st = lst(join(v.dirs.upper, p));
    return st && !inLower(layers, p.slice(1)) && (st.isDirectory() ? readdirSync(join(v.dirs.upper, p)).length === 0 : st.isFile() && st.size === 0);
  });
}
