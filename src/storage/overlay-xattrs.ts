// The xattrs overlay keeps its bookkeeping in. Rootful overlay uses trusted.overlay.*; in a user
// namespace (mounted with `userxattr`) the kernel reads user.overlay.* instead, and
// fuse-overlayfs also knows its own user.fuseoverlayfs.*. Readers accept every form, so layers
// and upper dirs made either way read the same.
import { lstatSync, type Stats } from 'node:fs';
import { getAttributeSync } from '@napi-rs/xattr';
import { isRootless } from '../config/rootless.js';

const OPAQUE = ['trusted.overlay.opaque', 'user.overlay.opaque', 'user.fuseoverlayfs.opaque'];

/** The opaque-dir xattr a layer made by this berth gets. */
export function opaqueXattr(): string {
  return isRootless() ? 'user.overlay.opaque' : 'trusted.overlay.opaque';
}

/**
 * fuse-overlayfs marks a directory it made opaque with a file of this name in it (and a whiteout
 * named `.wh..opq` beside it): both are its bookkeeping, not the container's files.
 */
const FUSE_OPAQUE_FILE = '.wh..wh..opq';

/** An upper-dir entry that only records fuse-overlayfs's opaque marking. */
export function isFuseBookkeeping(name: string, st: Stats): boolean {
  return (name === FUSE_OPAQUE_FILE && st.isFile()) || (name === '.wh..opq' && st.isCharacterDevice() && st.rdev === 0);
}

/** An opaque directory: lower layers' entries under it are hidden. */
export function isOpaqueDir(path: string): boolean {
  try {
    if (lstatSync(`${path}/${FUSE_OPAQUE_FILE}`).isFile()) return true;
  } catch {
    /* not marked the fuse-overlayfs way */
  }
  for (const name of OPAQUE) {
    try {
      if (getAttributeSync(path, name)?.toString() === 'y') return true;
    } catch {
      /* unreadable (trusted.* in a user namespace) or absent */
    }
  }
  return false;
}

/** overlay's own xattrs steer a mount: they are never content to copy, carry or restore. */
export function isOverlayXattr(name: string): boolean {
  return name.startsWith('trusted.overlay.') || name.startsWith('user.overlay.') || name.startsWith('user.fuseoverlayfs.');
}
