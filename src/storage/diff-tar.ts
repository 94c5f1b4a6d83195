// An overlay upper dir as an OCI layer tar (for commit): overlay whiteouts go back to `.wh.`
// entries, opaque dirs to `.wh..wh..opq`, hard links within the dir stay links.
import { closeSync, constants, openSync } from 'node:fs';
import { lstat, open, readdir, readlink } from 'node:fs/promises';
import { getAttributeSync, listAttributesSync } from '@napi-rs/xattr';
import tar from 'tar-stream';
import { opaqueEntryName, whiteoutEntryName } from './tar-paths.js';
import { isFuseBookkeeping, isOpaqueDir, isOverlayXattr } from './overlay-xattrs.js';

const major = (rdev: number) => Number((BigInt(rdev) >> 8n) & 0xfffn) | Number((BigInt(rdev) >> 32n) & ~0xfffn);
const minor = (rdev: number) => (rdev & 0xff) | Number((BigInt(rdev) >> 12n) & 0xfff00n);

const isOpaque = isOpaqueDir;

/** Xattrs worth carrying (overlay's own bookkeeping is not), as pax records; UTF-8 values only. */
function paxXattrs(path: string): Record<string, string> | undefined {
  let names: string[];
  try {
    names = listAttributesSync(path);
  } catch {
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const n of names) {
    if (isOverlayXattr(n) || n === 'security.selinux') continue;
    const v = getAttributeSync(path, n);
    if (!v) continue;
    const s = v.toString('utf8');
    if (Buffer.from(s, 'utf8').equals(v)) out[`SCHILY.xattr.${n}`] = s;
  }
  return Object.keys(out).length ? out : undefined;
}

/**
 * Streams `dir` (an overlay upper dir, or any rootfs) as an uncompressed layer tar. `exclude`
 * names relative paths to leave out (commit drops the runtime's mount-point placeholders).
 */
export async function* diffTar(dir: string, exclude: ReadonlySet<string> = new Set()): AsyncGenerator<Buffer> {
  const pack = tar.pack();
  const seen = new Map<string, string>();
  const base = (rel: string, st: Awaited<ReturnType<typeof lstat>>) => ({
    name: rel,
    mode: Number(st.mode) & 0o7777,
    uid: Number(st.uid),
    gid: Number(st.gid),
    mtime: new Date(Number(st.mtimeMs)),
  });
  const add = (h: Partial<tar.Header> & { name: string }, body?: Buffer) =>
    new Promise<void>((resolve, reject) => {
      const done = (err?: Error | null) => (err ? reject(err) : resolve());
      if (body) pack.entry(h as tar.Header, body, done);
      else pack.entry(h as tar.Header, done);
    });
  // Directories are held open (O_NOFOLLOW) and entries named through /proc/self/fd/N/name, files
  // opened with O_NOFOLLOW: a running container swapping a directory for a link to a host path
  // while it is committed cannot make its files part of the image.
  const DIR = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;
  const walk = async (dirFd: number, rel: string): Promise<void> => {
    const at = `/proc/self/fd/${dirFd}`;
    const names = (await readdir(at)).sort();
    for (const name of names) {
      const r = rel ? `${rel}/${name}` : name;
      if (exclude.has(r)) continue;
      const abs = `${at}/${name}`;
      let st;
      try {
        st = await lstat(abs);
      } catch {
        continue; // removed meanwhile
      }
      if (isFuseBookkeeping(name, st)) continue;
      if (st.isCharacterDevice() && st.rdev === 0) {
        await add({ ...base(whiteoutEntryName(r), st), mode: 0o644, size: 0 }, Buffer.alloc(0));
      } else if (st.isDirectory()) {
        let fd: number;
        try {
          fd = openSync(abs, DIR);
        } catch {
          continue; // swapped for a link since the lstat: never followed
        }
        try {
          // xattrs are read without following (lgetxattr): through the held parent, by name.
          await add({ ...base(`${r}/`, st), type: 'directory', pax: paxXattrs(abs) });
          if (isOpaque(abs)) await add({ ...base(opaqueEntryName(r), st), mode: 0o644, size: 0 }, Buffer.alloc(0));
          await walk(fd, r);
        } finally {
          closeSync(fd);
        }
      } else if (st.isSymbolicLink()) {
        await add({ ...base(r, st), type: 'symlink', linkname: await readlink(abs) });
      } else if (st.isFile()) {
        const key = `${st.dev}:${st.ino}`;
        const first = st.nlink > 1 ? seen.get(key) : undefined;
        if (first) {
          await add({ ...base(r, st), type: 'link', linkname: first });
          continue;
        }
        let fh;
        try {
          fh = await open(abs, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
        } catch {
          continue;
        }
        try {
          const fst = await fh.stat();
          if (!fst.isFile()) continue;
          if (st.nlink > 1) seen.set(key, r);
          const size = Number(fst.size);
          await new Promise<void>((resolve, reject) => {
            const entry = pack.entry({ ...base(r, fst), size, pax: paxXattrs(abs) }, (err) => (err ? reject(err) : resolve()));
            if (size === 0) {
              entry.end(Buffer.alloc(0));
              return;
            }
            const src = fh!.createReadStream({ autoClose: false, start: 0, end: size - 1 });
            src.on('error', reject);
            src.pipe(entry as unknown as NodeJS.WritableStream);
          });
        } finally {
          await fh.close();
        }
      } else if (st.isCharacterDevice() || st.isBlockDevice()) {
        await add({ ...base(r, st), type: st.isCharacterDevice() ? 'character-device' : 'block-device', devmajor: major(Number(st.rdev)), devminor: minor(Number(st.rdev)) });
      } else if (st.isFIFO()) {
        await add({ ...base(r, st), type: 'fifo' });
      }
      // Sockets are not carried in layers.
    }
  };
  const rootFd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  const producer = walk(rootFd, '')
    .finally(() => closeSync(rootFd))
    .then(
      () => pack.finalize(),
      (e) => pack.destroy(e),
    );
  for await (const c of pack as AsyncIterable<Buffer>) yield c;
  await producer;
}
