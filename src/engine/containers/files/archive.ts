// docker cp: stat, tar out and tar in for a container path, running or stopped. All paths go
// through ContainerFs (container-fs.ts), so links inside the container never reach host files;
// files are opened with O_NOFOLLOW and an existing link at a target is replaced, not written through.
import { closeSync, constants, existsSync, fchmodSync, fchownSync, futimesSync, linkSync, lstatSync, mkdirSync, openSync, readdirSync, readlinkSync, symlinkSync, type Stats } from 'node:fs';
import { lchown, lutimes, open, rm } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import tar from 'tar-stream';
import type { FilesDeps } from './service.js';
import type { ContainerView } from '../types.js';
import { isLive } from '../util.js';
import { isMounted, mountRootfs, unmountRootfs } from '../rootfs.js';
import { badParameter, EngineError, internal } from '../../errors.js';
import { clip, quote } from '../../../lib/clip.js';
import { ContainerFs, components, goFileMode, type Entry, type FsMount } from './container-fs.js';
import { ByteSource, TarError, TarReader, type TarHeader } from '../../../storage/tar-reader.js';
import { decompressed } from '../../../storage/compression.js';
import { bindSources, containerMounts } from '../mounts.js';

/** A container path's stat (docker's X-Docker-Container-Path-Stat, plus the path it resolved to). */
export interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  /** Where a symbolic link points, resolved inside the container; '' for anything else. */
  linkTarget: string;
  /** The path inside the container, links in its directories followed. */
  path: string;
}

function fsMounts(v: ContainerView): FsMount[] {
  const m: FsMount[] = [];
  for (const f of ['hosts', 'hostname', 'resolv.conf']) {
    const src = join(v.dirs.userdata, f);
    if (existsSync(src)) m.push({ dest: `/etc/${f}`, source: src });
  }
  m.push(...bindSources(containerMounts(v.parsed)));
  return m;
}

/**
 * Runs `fn` with the container's root filesystem reachable. A running container's mount is used
 * as it is. A stopped one is mounted for the duration under the container's lock (a start waits
 * for the copy, and never finds its root unmounted under it), then unmounted again.
 */
export async function withContainerFs<T>(engine: FilesDeps, ref: string, fn: (fs: ContainerFs, v: ContainerView) => Promise<T>): Promise<T> {
  const svc = engine.containers;
  const v0 = svc.get(ref);
  if (v0.state === 'removing') throw new EngineError('conflict', `container ${v0.id} is being removed`);
  const live = () => {
    const cur = svc.store.get(v0.id);
    return cur !== undefined && (isLive(cur.state) || cur.state === 'starting');
  };
  if (live() && isMounted(v0.dirs.merged)) return fn(new ContainerFs(v0.dirs.merged, fsMounts(v0)), v0);
  return svc.exclusive(v0.id, async () => {
    const v = svc.get(v0.id);
    const mountedBefore = isMounted(v.dirs.merged);
    if (!mountedBefore) {
      try {
        await mountRootfs(v.dirs, await engine.imageSource.lowerSpec(v.imageId));
      } catch (e) {
        throw internal(`cannot mount the container's root filesystem: ${(e as Error).message}`);
      }
    }
    try {
      return await fn(new ContainerFs(v.dirs.merged, fsMounts(v)), v);
    } finally {
      if (!live()) await unmountRootfs(v.dirs).catch(() => undefined);
    }
  });
}

/** `dir/` and `dir/.` name the directory a final link points to; a bare name is the link itself. */
const namesDir = (p: string) => /(^|\/)\.?$/.test(p) && p !== '.';

function statOf(fs: ContainerFs, requested: string, cpath: string, st: Stats): PathStat {
  const parts = components(requested);
  return {
    name: parts.length ? parts[parts.length - 1] : '/',
    size: Number(st.size),
    mode: goFileMode(st),
    mtime: new Date(Number(st.mtimeMs)).toISOString(),
    linkTarget: st.isSymbolicLink() ? fs.resolve(cpath, true) : '',
    path: cpath,
  };
}

/** A path in the container as a client gives it: no NUL (no file has one), no longer than PATH_MAX. */
function checkPath(path: string): void {
  if (!path) throw badParameter('path is required');
  if (path.includes('\0')) throw badParameter(`invalid path ${quote(path, 64)}: it contains a NUL byte`);
  if (path.length > 4096) throw badParameter(`invalid path ${quote(path, 64)}: longer than 4096 characters`);
}

export async function statPath(engine: FilesDeps, ref: string, path: string): Promise<PathStat> {
  checkPath(path);
  return withContainerFs(engine, ref, async (fs, v) => {
    const { entry, st } = fs.locateExisting(path, namesDir(path), v.name);
    entry.close();
    return statOf(fs, path, entry.cpath, st);
  });
}

/**
 * A tar of `path` as docker makes it: entries named after the path's last component (so
 * `dir/.` yields `./...`), links stored as links, never followed.
 */
export async function archivePath(engine: FilesDeps, ref: string, path: string): Promise<{ stat: PathStat; tar: AsyncIterable<Buffer> }> {
  checkPath(path);
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let ready!: (x: { stat: PathStat; tar: AsyncIterable<Buffer> }) => void;
  let fail!: (e: unknown) => void;
  const out = new Promise<{ stat: PathStat; tar: AsyncIterable<Buffer> }>((res, rej) => {
    ready = res;
    fail = rej;
  });
  // The mount stays while the tar streams; it ends (and may unmount) when the stream is done.
  withContainerFs(engine, ref, async (fs, v) => {
    const trailingDot = /(^|\/)\.$/.test(path);
    const { entry, st } = fs.locateExisting(path, namesDir(path), v.name);
    let stat: PathStat;
    try {
      stat = statOf(fs, path, entry.cpath, st);
    } catch (e) {
      entry.close();
      throw e;
    }
    // The root itself: entries "/bin", "/etc"... (docker's rebase of the root to an empty name).
    const rebase = trailingDot ? '.' : entry.cpath === '/' && stat.name === '/' ? '' : stat.name;
    ready({ stat, tar: releasing(tarTrees([[entry, rebase]]), () => {
      entry.close();
      release();
    }) });
    await held;
  }).catch((e) => {
    fail(e);
    release();
  });
  return out;
}

/**
 * The tar stream with `done` run exactly once when it ends, fails or is abandoned (return()),
 * also when abandoned before its first chunk: that is what releases the mount and the lock.
 */
function releasing(inner: AsyncGenerator<Buffer>, done: () => void): AsyncIterable<Buffer> {
  let finished = false;
  const finish = () => {
    if (!finished) {
      finished = true;
      done();
    }
  };
  return {
    [Symbol.asyncIterator]: () => ({
      async next() {
        try {
          const r = await inner.next();
          if (r.done) finish();
          return r;
        } catch (e) {
          finish();
          throw e;
        }
      },
      async return() {
        try {
          await inner.return(undefined);
        } finally {
          finish();
        }
        return { done: true as const, value: undefined };
      },
    }),
  };
}

const fdPath = (fd: number) => `/proc/self/fd/${fd}`;
const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/**
 * One tar of several located trees, each `[entry, name in the archive]`. Directories are walked
 * through descriptors opened with O_NOFOLLOW, files opened with O_NOFOLLOW, links stored as links.
 */
export async function* tarTrees(roots: [Entry, string][]): AsyncGenerator<Buffer> {
  const pack = tar.pack();
  const seen = new Map<string, string>();
  const add = (h: Partial<tar.Header> & { name: string }, body?: Buffer) =>
    new Promise<void>((resolve, reject) => {
      const done = (err?: Error | null) => (err ? reject(err) : resolve());
      if (body) pack.entry(h as tar.Header, body, done);
      else pack.entry(h as tar.Header, done);
    });
  // `at` names the entry without following its last component; `dirFd` is set when it is a held directory.
  const walk = async (at: string, st: Stats, name: string, heldDir?: number): Promise<void> => {
    const base = { name, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: new Date(Number(st.mtimeMs)) };
    if (st.isDirectory()) {
      await add({ ...base, name: name.endsWith('/') ? name : `${name}/`, type: 'directory' });
      let fd = heldDir;
      if (fd === undefined) {
        try {
          fd = openSync(at, DIR_FLAGS);
        } catch {
          return; // swapped for a link or gone: never followed
        }
      }
      try {
        let names: string[] = [];
        try {
          names = readdirSync(fdPath(fd)).sort();
        } catch {
          /* unreadable */
        }
        for (const n of names) {
          const child = `${fdPath(fd)}/${n}`;
          let cst: Stats;
          try {
            cst = lstatSync(child);
          } catch {
            continue;
          }
          await walk(child, cst, name === '.' ? `./${n}` : `${name.replace(/\/$/, '')}/${n}`);
        }
      } finally {
        if (heldDir === undefined) closeSync(fd);
      }
    } else if (st.isSymbolicLink()) {
      await add({ ...base, type: 'symlink', linkname: readlinkSync(at) });
    } else if (st.isFile()) {
      const key = `${st.dev}:${st.ino}`;
      if (st.nlink > 1 && seen.has(key)) {
        await add({ ...base, type: 'link', linkname: seen.get(key)! });
        return;
      }
      if (st.nlink > 1) seen.set(key, name);
      let fh;
      try {
        // O_NOFOLLOW: a link swapped in since the lstat is refused, not followed to the host.
        fh = await open(at, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
      } catch {
        return;
      }
      try {
        const fst = await fh.stat();
        if (!fst.isFile()) return;
        await new Promise<void>((resolve, reject) => {
          const entry = pack.entry({ ...base, size: Number(fst.size) } as tar.Header, (err) => (err ? reject(err) : resolve()));
          if (Number(fst.size) === 0) {
            entry.end(Buffer.alloc(0));
            return;
          }
          const src = fh!.createReadStream({ autoClose: false, start: 0, end: Number(fst.size) - 1 });
          src.on('error', reject);
          src.pipe(entry as unknown as NodeJS.WritableStream);
        });
      } finally {
        await fh.close();
      }
    } else if (st.isCharacterDevice() || st.isBlockDevice()) {
      const rdev = Number(st.rdev);
      await add({ ...base, type: st.isCharacterDevice() ? 'character-device' : 'block-device', devmajor: (rdev >> 8) & 0xfff, devminor: (rdev & 0xff) | ((rdev >> 12) & 0xfff00) });
    } else if (st.isFIFO()) {
      await add({ ...base, type: 'fifo' });
    }
  };
  const walkAll = async () => {
    for (const [e, name] of roots) {
      const st = e.stat();
      if (st) await walk(e.path, st, name, e.name ? undefined : e.dirFd);
    }
  };
  const producer = walkAll().then(
    () => pack.finalize(),
    (e) => pack.destroy(e as Error),
  );
  for await (const c of pack as AsyncIterable<Buffer>) yield c;
  await producer;
}

export interface PutOptions {
  noOverwriteDirNonDir: boolean;
  copyUIDGID: boolean;
}

/**
 * Extracts a tar (optionally compressed) into directory `path` of the container. Each entry's
 * parent is resolved inside the container and held open; the entry itself replaces whatever is
 * at its name (a link there is removed, never followed); ownership, mode and times are set on
 * descriptors, not paths. Names with ".." or absolute names are refused.
 */
export async function putArchive(engine: FilesDeps, ref: string, path: string, body: AsyncIterable<Buffer>, o: PutOptions): Promise<void> {
  checkPath(path);
  await withContainerFs(engine, ref, async (fs, v) => {
    if (v.parsed.HostConfig.ReadonlyRootfs) throw new EngineError('forbidden', 'container rootfs is marked read-only');
    let dest;
    try {
      dest = fs.openDir(path);
    } catch (e) {
      if ((e as { kind?: string }).kind === 'not-found') {
        const msg = /not a directory/.test((e as Error).message) ? 'extraction point is not a directory' : `Could not find the file ${path} in container ${v.name}`;
        throw new EngineError(/not a directory/.test(msg) ? 'bad-parameter' : 'not-found', msg);
      }
      throw e;
    }
    const destPath = dest.cpath;
    dest.close();
    await extractInto(fs, destPath, body, o);
  });
}

/** Extracts a tar (optionally compressed) into `destPath` of `fs`, an existing directory. */
export async function extractInto(fs: ContainerFs, destPath: string, body: AsyncIterable<Buffer>, o: PutOptions): Promise<void> {
  const { stream } = await decompressed(body);
  const reader = new TarReader(new ByteSource(stream));
  const dirTimes: { cpath: string; mtime: number }[] = [];
  try {
    for (let h = await reader.next(); h; h = await reader.next()) {
      await extractEntry(fs, destPath, h, reader, o, dirTimes);
    }
  } catch (e) {
    if (e instanceof TarError) throw badParameter(`invalid tar archive: ${e.message}`);
    throw e;
  }
  // Directory times last: creating their entries changed them.
  for (const d of dirTimes.reverse()) {
    try {
      const dir = fs.openDir(d.cpath);
      try {
        futimesSync(dir.fd, d.mtime, d.mtime);
      } finally {
        dir.close();
      }
    } catch {
      /* gone or replaced */
    }
  }
}

/** A tar of what `entry` holds, entries named `./...`; the entry is closed when the stream ends or is abandoned. */
export function contentTar(entry: Entry): AsyncIterable<Buffer> {
  return releasing(tarTrees([[entry, '.']]), () => entry.close());
}

function entryParts(name: string): string[] {
  if (name.includes('\0')) throw badParameter(`invalid tar entry name ${quote(name)}`);
  const parts = components(name);
  if (parts.includes('..')) throw badParameter(`invalid tar entry ${quote(name)}: path traversal`);
  return parts;
}

/** Sets owner, mode and times through a descriptor of what was just made (never a path that could be swapped). */
function finishFd(fd: number, uid: number, gid: number, mode: number, mtime: number, times: boolean): void {
  try {
    fchownSync(fd, uid, gid);
  } catch {
    /* e.g. an id the filesystem refuses */
  }
  // chown clears set-id bits: the mode goes on after it.
  fchmodSync(fd, mode);
  if (times) futimesSync(fd, mtime, mtime);
}

async function extractEntry(fs: ContainerFs, dest: string, h: TarHeader, reader: TarReader, o: PutOptions, dirTimes: { cpath: string; mtime: number }[]): Promise<void> {
  const parts = entryParts(h.name);
  if (!parts.length) return; // the extraction dir itself
  const name = parts[parts.length - 1];
  // The parent as the container sees it, links followed inside the container, held open.
  const parent = fs.openDir([dest, ...parts.slice(0, -1)].join('/'), { mkdirs: true });
  try {
    const at = `${parent.path}/${name}`;
    const cpath = parent.cpath === '/' ? `/${name}` : `${parent.cpath}/${name}`;
    let existing: Stats | undefined;
    try {
      existing = lstatSync(at);
    } catch {
      existing = undefined;
    }
    if (existing) {
      if (o.noOverwriteDirNonDir) {
        if (existing.isDirectory() && h.type !== 'dir') throw badParameter(`cannot overwrite directory "${clip(cpath)}" with non-directory "${clip(h.name)}"`);
        if (!existing.isDirectory() && h.type === 'dir') throw badParameter(`cannot overwrite non-directory "${clip(cpath)}" with directory "${clip(h.name)}"`);
      }
      // rm on a link removes the link; a directory is only replaced by a non-directory.
      if (!(existing.isDirectory() && h.type === 'dir')) await rm(at, { recursive: true, force: true });
    }
    const mode = h.mode & 0o7777;
    const uid = o.copyUIDGID ? h.uid : 0;
    const gid = o.copyUIDGID ? h.gid : 0;
    switch (h.type) {
      case 'dir': {
        if (!existing?.isDirectory()) mkdirSync(at, { mode: 0o700 });
        const fd = openSync(at, DIR_FLAGS);
        try {
          finishFd(fd, uid, gid, mode, h.mtime, false);
        } finally {
          closeSync(fd);
        }
        dirTimes.push({ cpath, mtime: h.mtime });
        break;
      }
      case 'file': {
        const fh = await open(at, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
        try {
          for await (const c of reader.body()) await fh.write(c);
          finishFd(fh.fd, uid, gid, mode, h.mtime, true);
        } finally {
          await fh.close();
        }
        break;
      }
      case 'symlink':
        symlinkSync(h.linkname, at);
        await lchown(at, uid, gid).catch(() => undefined);
        await lutimes(at, h.mtime, h.mtime).catch(() => undefined);
        break;
      case 'link': {
        // Hard link targets name another entry of this archive, relative to the extraction dir.
        const tparts = entryParts(h.linkname);
        if (!tparts.length) throw badParameter(`invalid hard link ${clip(h.name)} -> ${clip(h.linkname)}`);
        const tdir = fs.openDir([dest, ...tparts.slice(0, -1)].join('/'));
        try {
          const tat = `${tdir.path}/${tparts[tparts.length - 1]}`;
          const tst = lstatSync(tat, { throwIfNoEntry: false });
          if (!tst || tst.isDirectory()) throw badParameter(`invalid hard link ${clip(h.name)} -> ${clip(h.linkname)}`);
          linkSync(tat, at);
        } finally {
          tdir.close();
        }
        break;
      }
      case 'char':
      case 'block':
      case 'fifo':
        // mknod runs as another process: it reaches our held directory through our pid's fd table.
        await mknod(`/proc/${process.pid}/fd/${parent.fd}/${name}`, h);
        await lchown(at, uid, gid).catch(() => undefined);
        await lutimes(at, h.mtime, h.mtime).catch(() => undefined);
        break;
    }
  } finally {
    parent.close();
  }
}

function mknod(host: string, h: TarHeader): Promise<void> {
  const kind = h.type === 'char' ? 'c' : h.type === 'block' ? 'b' : 'p';
  const args = kind === 'p' ? [host, 'p'] : [host, kind, String(h.devmajor), String(h.devminor)];
  return new Promise((resolve, reject) => {
    execFile('mknod', ['-m', (h.mode & 0o7777).toString(8), ...args], { timeout: 10_000, killSignal: 'SIGKILL' }, (err, _o, stderr) => (err ? reject(new Error(String(stderr).trim() || err.message)) : resolve()));
  });
}

/** The whole root filesystem as a tar (docker export): the root's children as top-level entries. */
export async function exportContainer(engine: FilesDeps, ref: string): Promise<AsyncIterable<Buffer>> {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  return new Promise<AsyncIterable<Buffer>>((ready, fail) => {
    withContainerFs(engine, ref, async (fs) => {
      // Bind mounts are the container's view, not its filesystem: export leaves them out.
      const plain = new ContainerFs(fs.root);
      const entries: [Entry, string][] = [];
      try {
        for (const n of readdirSync(fs.root).sort()) entries.push([plain.locate(`/${n}`, false), n]);
      } catch (e) {
        for (const [x] of entries) x.close();
        throw e;
      }
      ready(releasing(tarTrees(entries), () => {
        for (const [e] of entries) e.close();
        release();
      }));
      await held;
    }).catch((e) => {
      fail(e);
      release();
    });
  });
}
