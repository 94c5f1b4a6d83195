import { execFile } from 'node:child_process';
import { optionalAddon } from '../lib/native-addon.js';
import { promisify } from 'node:util';
import { isRootless } from '../config/rootless.js';
import { findBinary } from '../oci/binaries.js';

const run = promisify(execFile);
// A mount that never returns (a hung filesystem) fails instead of holding up its caller.
const BOUND = { timeout: 30_000, killSignal: 'SIGKILL' } as const;
const MNT_DETACH = 2;

export interface OverlayMount {
  /** lowerdir value, top layer first; may be relative to `cwd` (short `l/` links). */
  lower: string;
  /** Without upper/work the mount is read-only (needs at least two lower dirs). */
  upper?: string;
  work?: string;
  target: string;
  /** Directory the relative lower paths are resolved from (the kernel uses the caller's cwd). */
  cwd?: string;
  extraOptions?: string[];
}

interface MountAddon {
  mount(source: string, target: string, fstype: string, flags: number, data: string, cwd?: string | null): Promise<void>;
  umount(target: string, flags: number): Promise<void>;
}
/**
 * The mount(2) addon (native/mount): every container start mounts a root and every exit
 * unmounts it, and a mount(8) process forked from the service cost ~4 ms of each. Where it is
 * not built, the binaries do it as before.
 */
const mountAddon = () => optionalAddon<MountAddon>('berth-mount');

/** An errno error of the addon as mount(8) would say it: the errno's text. */
function reason(e: unknown): string {
  const err = e as { stderr?: string; message: string };
  return (err.stderr || err.message).trim();
}

/** Mounts an overlay; relative lowerdir links resolve from `cwd` (on the mounting thread only). */
export async function mountOverlay(m: OverlayMount): Promise<void> {
  const opts = [`lowerdir=${m.lower}`];
  if (m.upper) opts.push(`upperdir=${m.upper}`, `workdir=${m.work}`);
  opts.push(...(m.extraOptions ?? []));
  const rootless = isRootless();
  if (rootless && overlayKind() === 'fuse') return mountFuse(m, opts);
  // In a user namespace the kernel keeps overlay's xattrs under user.overlay.* (userxattr).
  if (rootless) opts.push('userxattr');
  const data = opts.join(',');
  if (data.length >= 4096) throw new Error(`overlay mount options too long (${data.length} bytes; the kernel allows one page)`);
  try {
    const a = mountAddon();
    if (a) await a.mount('overlay', m.target, 'overlay', 0, data, m.cwd ?? null);
    else await run('mount', ['-t', 'overlay', 'overlay', '-o', data, m.target], { cwd: m.cwd, ...BOUND });
    if (rootless) kind = 'native';
  } catch (e) {
    const msg = reason(e);
    // The kernel cannot mount overlay from this user namespace: fuse-overlayfs, from now on.
    if (rootless && kind === undefined && /permission denied|not permitted|unknown filesystem|wrong fs type|no such device/i.test(msg) && findBinary('fuse-overlayfs')) {
      kind = 'fuse';
      return mountFuse(m, opts.filter((o) => o !== 'userxattr'));
    }
    throw new Error(`mounting overlay at ${m.target}: ${msg}`);
  }
}

/**
 * Rootless overlay: 'native' (the kernel's, with userxattr) once a mount has worked, 'fuse'
 * (fuse-overlayfs) once one could not or when BERTH_ROOTLESS_OVERLAY=fuse forces it;
 * undefined until the first mount decides.
 */
let kind: 'native' | 'fuse' | undefined;

export function overlayKind(): 'native' | 'fuse' | undefined {
  if (kind === undefined && process.env.BERTH_ROOTLESS_OVERLAY === 'fuse') kind = 'fuse';
  return kind;
}

async function mountFuse(m: OverlayMount, opts: string[]): Promise<void> {
  const bin = findBinary('fuse-overlayfs');
  if (!bin) throw new Error(`mounting overlay at ${m.target}: the kernel's overlay cannot be mounted here and fuse-overlayfs is not installed (Debian/Ubuntu: apt-get install fuse-overlayfs)`);
  try {
    await run(bin, ['-o', opts.join(','), m.target], { cwd: m.cwd, ...BOUND });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    const msg = (err.stderr || err.message).trim();
    const hint = /\/dev\/fuse: permission denied/i.test(msg) ? ' (/dev/fuse must be usable by the user: chmod 0666 /dev/fuse, as Debian makes it)' : '';
    throw new Error(`mounting fuse-overlayfs at ${m.target}: ${msg}${hint}`);
  }
}

/** Unmounts `target` (lazily: detached now, gone once unused); a path not mounted is no error. */
export async function unmount(target: string, lazy = false): Promise<void> {
  const a = mountAddon();
  try {
    if (a) await a.umount(target, lazy ? MNT_DETACH : 0);
    else await run('umount', lazy ? ['-l', target] : [target], BOUND);
  } catch (e) {
    const err = e as { stderr?: string; code?: string };
    // EINVAL: not a mount point; ENOENT: no such path (umount(8) says either in words).
    if (err.code === 'EINVAL' || err.code === 'ENOENT' || /not mounted|no mount point/i.test(err.stderr ?? '')) return;
    throw new Error(`unmounting ${target}: ${reason(e)}`);
  }
}
