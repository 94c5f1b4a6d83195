// COPY and ADD as a layer tar: the sources (context files, another stage's or image's files, a
// downloaded URL) placed at the destination with docker's rules, ready for the layer store.
import { constants, createReadStream } from 'node:fs';
import { lstat, open, readdir, readlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { decompressed } from '../../storage/compression.js';
import { safeEntryPath } from '../../storage/tar-paths.js';
import { BuildError } from './types.js';

export interface CopySource {
  /** Host path, already resolved inside its root. */
  abs: string;
  /** The name it takes in a destination dir. */
  name: string;
  /** A mode to give it instead of its own (ADD of a URL: 0600). */
  mode?: number;
}

export interface CopyPlan {
  sources: CopySource[];
  /** Absolute path in the image. */
  dest: string;
  /** The destination is a directory (trailing slash, several sources, or one in the image). */
  destIsDir: boolean;
  owner?: { uid: number; gid: number };
  chmod?: number;
  /** ADD: local tar archives are extracted at the destination. */
  extract: boolean;
  /** The destination's metadata when the image already has it as a directory (kept as it is). */
  existingDest?: { mode: number; uid: number; gid: number };
  /** Ancestors of the destination, outermost first, with the metadata they have in the image. */
  parents: { path: string; mode: number; uid: number; gid: number }[];
}

async function isArchive(abs: string): Promise<boolean> {
  const fh = await open(abs, constants.O_RDONLY);
  try {
    const b = Buffer.alloc(512);
    const { bytesRead } = await fh.read(b, 0, 512, 0);
    if (bytesRead >= 2 && b[0] === 0x1f && b[1] === 0x8b) return true;
    if (bytesRead >= 4 && b.readUInt32LE(0) === 0xfd2fb528) return true;
    return bytesRead === 512 && b.toString('latin1', 257, 262) === 'ustar';
  } finally {
    await fh.close();
  }
}

/** Streams the layer tar of one COPY/ADD. */
export async function* copyTar(plan: CopyPlan): AsyncGenerator<Buffer> {
  const pack = tar.pack();
  const rel = (p: string) => p.replace(/^\/+/, '');
  // COPY gives root ownership unless --chown says otherwise.
  const own = (_st: unknown) => plan.owner ?? { uid: 0, gid: 0 };
  const put = (h: Partial<tar.Header> & { name: string }, body?: AsyncIterable<Buffer> | Buffer) =>
    new Promise<void>((resolve, reject) => {
      const done = (err?: Error | null) => (err ? reject(err) : resolve());
      if (body === undefined) return void pack.entry(h as tar.Header, done);
      if (Buffer.isBuffer(body)) return void pack.entry(h as tar.Header, body, done);
      const w = pack.entry(h as tar.Header, done);
      pipeline(Readable.from(body), w as unknown as NodeJS.WritableStream).catch(reject);
    });
  const emitted = new Set<string>();
  const dir = async (path: string, mode: number, uid: number, gid: number, mtime = new Date()) => {
    if (emitted.has(path)) return;
    emitted.add(path);
    if (path === plan.dest && plan.existingDest) ({ mode, uid, gid } = plan.existingDest);
    await put({ name: `${rel(path)}/`, type: 'directory', mode, uid, gid, mtime });
  };
  const walk = async (abs: string, to: string, mode?: number): Promise<void> => {
    const st = await lstat(abs);
    const o = own(st);
    const m = plan.chmod ?? mode ?? st.mode & 0o7777;
    if (st.isDirectory()) {
      await dir(to, plan.chmod ?? st.mode & 0o7777, o.uid, o.gid, st.mtime);
      for (const n of (await readdir(abs)).sort()) await walk(join(abs, n), posix.join(to, n));
    } else if (st.isSymbolicLink()) {
      await put({ name: rel(to), type: 'symlink', linkname: await readlink(abs), mode: 0o777, uid: o.uid, gid: o.gid, mtime: st.mtime });
    } else if (st.isFile()) {
      await put({ name: rel(to), type: 'file', size: st.size, mode: m, uid: o.uid, gid: o.gid, mtime: st.mtime }, st.size ? (createReadStream(abs) as AsyncIterable<Buffer>) : Buffer.alloc(0));
    }
    // Devices, fifos and sockets are not copied from a context.
  };
  const extractInto = async (abs: string, to: string): Promise<void> => {
    const { stream } = await decompressed(createReadStream(abs) as AsyncIterable<Buffer>);
    const ex = tar.extract();
    const feed = pipeline(Readable.from(stream), ex as unknown as NodeJS.WritableStream);
    feed.catch((e: Error) => ex.destroy(e));
    for await (const entry of ex) {
      const h = entry.header;
      const name = safeEntryPath(h.name);
      if (!name) {
        entry.resume();
        continue;
      }
      const target = posix.join(to, name);
      const o = plan.owner ?? { uid: h.uid ?? 0, gid: h.gid ?? 0 };
      if (h.type === 'directory') {
        entry.resume();
        await dir(target, h.mode ?? 0o755, o.uid, o.gid, h.mtime);
      } else if (h.type === 'file' || h.type === 'symlink' || h.type === 'link') {
        const linkname = h.type === 'link' ? rel(posix.join(to, safeEntryPath(h.linkname ?? '', 'hard link target'))) : h.linkname;
        if (h.type === 'file') await put({ ...h, name: rel(target), uid: o.uid, gid: o.gid, pax: undefined }, entry as AsyncIterable<Buffer>);
        else {
          entry.resume();
          await put({ ...h, name: rel(target), linkname, uid: o.uid, gid: o.gid, size: 0, pax: undefined });
        }
      } else entry.resume();
    }
    await feed;
  };
  const producer = (async () => {
    for (const p of plan.parents) await dir(p.path, p.mode, p.uid, p.gid);
    for (const s of plan.sources) {
      const st = await lstat(s.abs).catch(() => undefined);
      if (!st) throw new BuildError(`COPY failed: file not found in build context or excluded by .dockerignore: stat ${s.name}: file does not exist`);
      if (st.isDirectory()) {
        // A directory's contents go into the destination, not the directory itself.
        const o = own(st);
        await dir(plan.dest, plan.chmod ?? st.mode & 0o7777, o.uid, o.gid, st.mtime);
        for (const n of (await readdir(s.abs)).sort()) await walk(join(s.abs, n), posix.join(plan.dest, n));
      } else if (plan.extract && st.isFile() && (await isArchive(s.abs))) {
        await dir(plan.dest, 0o755, 0, 0);
        await extractInto(s.abs, plan.dest);
      } else {
        const to = plan.destIsDir ? posix.join(plan.dest, s.name) : plan.dest;
        if (plan.destIsDir) await dir(plan.dest, 0o755, own(st).uid, own(st).gid);
        await walk(s.abs, to, s.mode);
      }
    }
  })().then(
    () => pack.finalize(),
    (e) => pack.destroy(e),
  );
  for await (const c of pack as AsyncIterable<Buffer>) yield c;
  await producer;
}
