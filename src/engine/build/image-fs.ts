// Reading an image's files during a build: single paths looked up through its layer dirs
// (top first), whole trees through a read-only overlay mount for COPY --from.
import { mkdir, readFile, rm, lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { mountOverlay, unmount } from '../../storage/overlay.js';
import type { ImageService } from '../images/service.js';
import type { ImageInfo } from '../images/types.js';
import { resolveScoped } from './context.js';

/** The lstat of `path` in the image (the topmost layer holding it), ignoring whiteouts. */
export async function statInImage(images: ImageService, img: ImageInfo | undefined, path: string) {
  if (!img) return undefined;
  for (const dir of images.layerDirs(img.id)) {
    try {
      const st = await lstat(await resolveScoped(dir, path.replace(/^\/+/, ''), true, 'the image'));
      if (st.isCharacterDevice() && st.rdev === 0) return undefined; // a whiteout
      return st;
    } catch {
      /* not in this layer */
    }
  }
  return undefined;
}

async function readInImage(images: ImageService, img: ImageInfo | undefined, path: string): Promise<string | undefined> {
  if (!img) return undefined;
  for (const dir of images.layerDirs(img.id)) {
    try {
      return await readFile(join(dir, path), 'utf8');
    } catch {
      /* next layer */
    }
  }
  return undefined;
}

/** `--chown` as numbers: names are looked up in the image's /etc/passwd and /etc/group. */
export async function resolveOwner(images: ImageService, img: ImageInfo | undefined, spec: string): Promise<{ uid: number; gid: number }> {
  const [u, g] = spec.split(':');
  const lookup = async (file: string, name: string): Promise<number> => {
    if (/^\d+$/.test(name)) return Number(name);
    const text = (await readInImage(images, img, file)) ?? '';
    for (const line of text.split('\n')) {
      const f = line.split(':');
      if (f[0] === name) return Number(f[2]);
    }
    throw new Error(`unable to convert uid/gid chown string to host mapping: no such ${file === 'etc/passwd' ? 'user' : 'group'} ${JSON.stringify(name)} in the image`);
  };
  const uid = await lookup('etc/passwd', u);
  let gid = uid;
  if (g !== undefined) gid = await lookup('etc/group', g);
  else if (!/^\d+$/.test(u)) {
    const text = (await readInImage(images, img, 'etc/passwd')) ?? '';
    const f = text.split('\n').map((l) => l.split(':')).find((x) => x[0] === u);
    gid = f ? Number(f[3]) : uid;
  }
  return { uid, gid };
}

/** The image's root filesystem, read-only, until `release`. */
export async function openImageRoot(images: ImageService, img: ImageInfo, scratch: string): Promise<{ dir: string; release: () => Promise<void> }> {
  const dirs = images.layerDirs(img.id);
  if (dirs.length === 0) {
    const empty = join(scratch, `empty-${img.id.slice(0, 12)}`);
    await mkdir(empty, { recursive: true });
    return { dir: empty, release: async () => undefined };
  }
  if (dirs.length === 1) return { dir: dirs[0], release: async () => undefined };
  const target = join(scratch, `from-${img.id.slice(0, 12)}-${Math.random().toString(36).slice(2, 8)}`);
  await mkdir(target, { recursive: true });
  const spec = images.lowerSpec(img.id);
  await mountOverlay({ lower: spec.lower, cwd: spec.cwd, target });
  return {
    dir: target,
    release: async () => {
      await unmount(target, true);
      await rm(target, { recursive: true, force: true });
    },
  };
}
