// A container's filesystem seen from the host, for copy in/out, stat and export. Every path is
// resolved here component by component in the container's own namespace: symlinks (absolute or
// relative, with any number of "..") are followed relative to the container's root, never the
// host's, so `ln -s / escape` or `ln -s ../../.. up` inside a container can only ever name
// files of that container. Files bind-mounted into the container (hosts, resolv.conf, volumes)
// are found at their host sources.
//
// The walk holds an open descriptor for each directory it passes (opened with O_NOFOLLOW) and
// names the next component through /proc/self/fd/N/name, as openat would: a process in a running
// container that swaps a directory for a link between our checks cannot redirect us to the host
// (the open fails on the link instead). Callers get an Entry: a directory descriptor and a name.
import { closeSync, constants, lstatSync, mkdirSync, openSync, readlinkSync, statSync, type Stats } from 'node:fs';
import { basename, dirname } from 'node:path';
import { badParameter, notFound } from '../../errors.js';
import { clip } from '../../../lib/clip.js';

export interface FsMount {
  /** Absolute path inside the container. */
  dest: string;
  /** Where its content lives on the host. */
  source: string;
}

const MAX_LINKS = 40;
const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/** Splits a container path into components, dropping empty and "." ones. */
export function components(p: string): string[] {
  return p.split('/').filter((c) => c !== '' && c !== '.');
}

const joinC = (dir: string, name: string) => (dir === '/' ? `/${name}` : `${dir}/${name}`);

/**
 * One located path: the directory that holds it (an open descriptor) and its name there. `name`
 * is '' when the entry is that directory itself (the root, a mount point). `path` is what to hand
 * to fs calls: with l-calls and O_NOFOLLOW the final component is never followed.
 */
export interface Entry {
  dirFd: number;
  name: string;
  cpath: string;
  path: string;
  /** lstat of the entry (stat for a directory-itself entry); undefined when it does not exist. */
  stat(): Stats | undefined;
  close(): void;
}

/** A directory held open. */
export interface DirRef {
  fd: number;
  cpath: string;
  /** `/proc/self/fd/N`: the directory itself; `${path}/name` names a child without following links above it. */
  path: string;
  close(): void;
}

const fdPath = (fd: number) => `/proc/self/fd/${fd}`;

function tryLstat(p: string): Stats | undefined {
  try {
    return lstatSync(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // A name longer than the filesystem takes names nothing there.
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG') return undefined;
    throw e;
  }
}

export class ContainerFs {
  private readonly mounts: FsMount[];

  constructor(
    readonly root: string,
    mounts: FsMount[] = [],
  ) {
    this.mounts = mounts
      .map((m) => ({ dest: '/' + components(m.dest).join('/'), source: m.source }))
      .filter((m) => m.dest !== '/');
  }

  private mountAt(cpath: string): FsMount | undefined {
    return this.mounts.find((m) => m.dest === cpath);
  }

  /**
   * Walks `p` (relative paths start at `/`). Symlinks in every component but the last are
   * followed inside the container; the last only with `followFinal`. With `mkdirs`, missing
   * directories on the way are created (mode 0755, in the directory we hold); without, a
   * missing directory on the way is a not-found error.
   */
  locate(p: string, followFinal: boolean, o: { mkdirs?: boolean; lenient?: boolean } = {}): Entry {
    const todo = components(p);
    const rootFd = openSync(this.root, DIR_FLAGS);
    const stack: { fd: number; cpath: string }[] = [{ fd: rootFd, cpath: '/' }];
    const release = (keep?: number) => {
      for (const s of stack) if (s.fd !== keep) closeSync(s.fd);
    };
    let links = 0;
    try {
      while (todo.length) {
        const c = todo.shift()!;
        const cur = stack[stack.length - 1];
        if (c === '..') {
          if (stack.length > 1) closeSync(stack.pop()!.fd);
          continue;
        }
        const cand = joinC(cur.cpath, c);
        const last = todo.length === 0;
        const m = this.mountAt(cand);
        if (m) {
          // Mount sources are trusted host paths chosen by the engine.
          const st = tryLstat(m.source);
          if (st?.isDirectory()) {
            stack.push({ fd: openSync(m.source, DIR_FLAGS & ~constants.O_NOFOLLOW), cpath: cand });
            if (last) break;
            continue;
          }
          if (!last) throw notFound(`${clip(cand)} is not a directory`);
          const dfd = openSync(dirname(m.source), DIR_FLAGS & ~constants.O_NOFOLLOW);
          release();
          return this.entry(dfd, basename(m.source), cand);
        }
        const here = `${fdPath(cur.fd)}/${c}`;
        let st = tryLstat(here);
        if (st?.isSymbolicLink() && (!last || followFinal)) {
          if (++links > MAX_LINKS) throw badParameter(`too many levels of symbolic links resolving ${clip(p)}`);
          const target = readlinkSync(here);
          if (target.startsWith('/')) while (stack.length > 1) closeSync(stack.pop()!.fd);
          todo.unshift(...components(target));
          continue;
        }
        if (last) {
          const e = this.entry(cur.fd, c, cand);
          release(cur.fd);
          return e;
        }
        if (!st && o.mkdirs) {
          mkdirSync(here, { mode: 0o755 });
          st = tryLstat(here);
        }
        if (!st && o.lenient) {
          // Only for naming (resolve): the rest is taken as written.
          let cp = cand;
          for (const r of todo) cp = r === '..' ? cp.split('/').slice(0, -1).join('/') || '/' : joinC(cp, r);
          release();
          return { dirFd: -1, name: '', cpath: cp, path: '', stat: () => undefined, close: () => undefined };
        }
        if (!st) throw notFound(`no such file or directory: ${clip(cand)}`);
        if (!st.isDirectory()) throw notFound(`not a directory: ${clip(cand)}`);
        let fd: number;
        try {
          fd = openSync(here, DIR_FLAGS);
        } catch (e) {
          // Swapped for a link (ELOOP) or removed since the lstat: refuse rather than follow.
          throw notFound(`${clip(cand)} changed while being resolved: ${(e as Error).message}`);
        }
        stack.push({ fd, cpath: cand });
      }
      // The path names a directory we hold: the entry is that directory itself.
      const top = stack[stack.length - 1];
      release(top.fd);
      return this.entry(top.fd, '', top.cpath);
    } catch (e) {
      release();
      throw e;
    }
  }

  private entry(dirFd: number, name: string, cpath: string): Entry {
    const path = name ? `${fdPath(dirFd)}/${name}` : fdPath(dirFd);
    let closed = false;
    return {
      dirFd,
      name,
      cpath,
      path,
      stat: () => {
        try {
          return name ? lstatSync(path) : statSync(path);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG') return undefined;
          throw e;
        }
      },
      close: () => {
        if (!closed) closeSync(dirFd);
        closed = true;
      },
    };
  }

  /** The directory at `p` (links followed), held open; with `mkdirs` it and its parents are created. */
  openDir(p: string, o: { mkdirs?: boolean } = {}): DirRef {
    const e = this.locate(p, true, o);
    try {
      if (!e.name) return { fd: e.dirFd, cpath: e.cpath, path: fdPath(e.dirFd), close: e.close };
      let st = e.stat();
      if (!st && o.mkdirs) {
        mkdirSync(e.path, { mode: 0o755 });
        st = e.stat();
      }
      if (!st) throw notFound(`no such file or directory: ${clip(e.cpath)}`);
      if (!st.isDirectory()) throw notFound(`not a directory: ${clip(e.cpath)}`);
      const fd = openSync(e.path, DIR_FLAGS);
      e.close();
      return { fd, cpath: e.cpath, path: fdPath(fd), close: () => closeSync(fd) };
    } catch (err) {
      e.close();
      throw err;
    }
  }

  /**
   * The canonical container path of `p`: links followed inside the container (the last one only
   * with `followFinal`); components past a missing one are kept literally.
   */
  resolve(p: string, followFinal: boolean): string {
    const e = this.locate(p, followFinal, { lenient: true });
    e.close();
    return e.cpath;
  }

  /** Locates an existing path; a missing one is docker's "Could not find the file". */
  locateExisting(p: string, followFinal: boolean, containerName: string): { entry: Entry; st: Stats } {
    let e: Entry;
    try {
      e = this.locate(p, followFinal);
    } catch (err) {
      if ((err as { kind?: string }).kind === 'not-found') throw notFound(`Could not find the file ${clip(p)} in container ${containerName}`);
      throw err;
    }
    const st = e.stat();
    if (!st) {
      e.close();
      throw notFound(`Could not find the file ${clip(p)} in container ${containerName}`);
    }
    return { entry: e, st };
  }
}

/** Go's os.FileMode bits, as docker's path-stat header carries them. */
export function goFileMode(st: Stats): number {
  let m = st.mode & 0o777;
  if (st.mode & 0o4000) m += 2 ** 23; // ModeSetuid
  if (st.mode & 0o2000) m += 2 ** 22; // ModeSetgid
  if (st.mode & 0o1000) m += 2 ** 20; // ModeSticky
  if (st.isDirectory()) m += 2 ** 31;
  else if (st.isSymbolicLink()) m += 2 ** 27;
  else if (st.isFIFO()) m += 2 ** 25;
  else if (st.isSocket()) m += 2 ** 24;
  else if (st.isCharacterDevice()) m += 2 ** 26 + 2 ** 21;
  else if (st.isBlockDevice()) m += 2 ** 26;
  return m;
}
