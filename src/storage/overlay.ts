import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { isRootless } from '../config/rootless.js';
import { findBinary } from '../oci/binaries.js';

const run = promisify(execFile);
// A mount that never returns (a hung filesystem) fails instead of holding up its caller.
const BOUND = { timeout: 30_000, killSignal: 'SIGKILL' } as const;

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

/** Node has no mount(2): the `mount` binary does it, from `cwd` so short lowerdir links resolve. */
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
    await run('mount', ['-t', 'overlay', 'overlay', '-o', data, m.target], { cwd: m.cwd, ...BOUND });
    if (rootless) kind = 'native';
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    const msg = (err.stderr || err.message).trim();
    // The kernel cannot mount overlay from this user namespace: fuse-overlayfs, from now on.
    if (rootless && kind === undefined && /permission denied|not permitted|unknown filesystem|wrong fs type/i.test(msg) && findBinary('fuse-overlayfs')) {
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

export async function unmount(target: string, lazy = false): Promise<void> {
  try {
    await run('umount', lazy ? ['-l', target] : [target], BOUND);
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    if (/not mounted|no mount point/i.test(err.stderr ?? '')) return;
    throw new Error(`unmounting ${target}: ${(err.stderr || err.message).trim()}`);
  }
}
