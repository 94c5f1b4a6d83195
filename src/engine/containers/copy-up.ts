// Copy-up: a fresh, empty volume mounted where the image has content is seeded with that content
// (files, links, devices, owners, modes and times), and its directory takes the owner and mode
// of the image's, as dockerd and podman do. The image side is read through ContainerFs, so a
// link in the image can only ever name the container's own files.
import { chmodSync, chownSync, readdirSync } from 'node:fs';
import { ContainerFs } from './files/container-fs.js';
import { contentTar, extractInto } from './files/archive.js';

export function isEmptyDir(dir: string): boolean {
  try {
    return readdirSync(dir).length === 0;
  } catch {
    return false;
  }
}

/** Copies what `rootfs` has at `dest` (a directory) into `volumeDir`; nothing when it has none. */
export async function copyUp(rootfs: string, dest: string, volumeDir: string): Promise<void> {
  let entry;
  try {
    entry = new ContainerFs(rootfs).locate(dest, true);
  } catch {
    return; // a component on the way is missing or not a directory: nothing to copy
  }
  const st = entry.stat();
  if (!st?.isDirectory()) {
    entry.close();
    return;
  }
  chownSync(volumeDir, st.uid, st.gid);
  chmodSync(volumeDir, st.mode & 0o7777);
  await extractInto(new ContainerFs(volumeDir), '/', contentTar(entry), { noOverwriteDirNonDir: false, copyUIDGID: true });
}
