// The build context: the client's tar unpacked into a scratch dir (streamed to disk, never held
// in memory), .dockerignore applied, and source paths resolved so that neither `..` nor a
// symlink can reach outside it.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { unpackLayer } from '../../storage/unpack.js';
import { TarError } from '../../storage/tar-reader.js';
import { UnsafeEntryError } from '../../storage/tar-paths.js';
import { IgnoreMatcher } from './dockerignore.js';
import { BuildError } from './types.js';

/** Unpacks the context tar (plain, gzip or zstd) into the empty dir `dir`; traversal entries are refused. */
export async function receiveContext(input: AsyncIterable<Buffer>, dir: string, splitPath: string): Promise<void> {
  try {
    await unpackLayer(input, dir, splitPath, { lenientEnd: true, noDigest: true });
  } catch (e) {
    if (e instanceof UnsafeEntryError || e instanceof TarError) throw new BuildError(`invalid build context: ${e.message}`);
    throw new BuildError(`reading the build context: ${(e as Error).message}`);
  } finally {
    await rm(splitPath, { force: true });
  }
}

/** Removes what .dockerignore leaves out, keeping `keep` (the Dockerfile, .dockerignore itself). */
export async function applyDockerignore(dir: string, keep: string[]): Promise<void> {
  let text: string;
  try {
    text = await readFile(join(dir, '.dockerignore'), 'utf8');
  } catch {
    return;
  }
  const m = IgnoreMatcher.parse(text);
  if (m.empty) return;
  const kept = new Set(keep.map((k) => posix.normalize(k).replace(/^\/+/, '')));
  const walk = async (rel: string): Promise<boolean> => {
    // Returns whether anything under `rel` was kept.
    let any = false;
    for (const name of await readdir(join(dir, rel))) {
      const r = rel ? `${rel}/${name}` : name;
      const st = await lstat(join(dir, r));
      const out = m.excluded(r) && !kept.has(r);
      if (st.isDirectory()) {
        if (out && !m.hasExceptions && ![...kept].some((k) => k.startsWith(`${r}/`))) {
          await rm(join(dir, r), { recursive: true, force: true });
          continue;
        }
        const inner = await walk(r);
        if (out && !inner) await rm(join(dir, r), { recursive: true, force: true });
        else any = true;
      } else if (out) await rm(join(dir, r), { force: true });
      else any = true;
    }
    return any;
  };
  await walk('');
}

/** A context-relative source path, cleaned; `..` past the root and absolute paths are refused. */
export function contextPath(p: string): string {
  const norm = posix.normalize(p.startsWith('/') ? `.${p}` : p);
  if (p.startsWith('/') || norm === '..' || norm.startsWith('../')) throw new BuildError(`forbidden path outside the build context: ${p}`);
  return norm === '.' ? '' : norm.replace(/\/+$/, '');
}

/**
 * The host path of `rel` inside `root`, following symlinks in its parents (and in the last
 * component when `followLast`), each hop kept inside `root`; a link that leads out is an error.
 */
export async function resolveScoped(root: string, rel: string, followLast = true, what = 'the build context'): Promise<string> {
  const pending = rel.split('/').filter((s) => s && s !== '.');
  const done: string[] = [];
  let hops = 0;
  while (pending.length) {
    const comp = pending.shift()!;
    if (comp === '..') {
      if (!done.length) throw new BuildError(`forbidden path outside ${what}: ${rel}`);
      done.pop();
      continue;
    }
    const here = join(root, ...done, comp);
    let st;
    try {
      st = await lstat(here);
    } catch {
      done.push(comp, ...pending);
      return join(root, ...done); // does not exist: the caller reports it
    }
    if (st.isSymbolicLink() && (pending.length || followLast)) {
      if (++hops > 40) throw new BuildError(`too many levels of symbolic links: ${rel}`);
      const target = await readlink(here);
      if (target.startsWith('/')) throw new BuildError(`forbidden path outside ${what}: ${rel} (a symlink to ${target})`);
      // Resolved from the link's directory: a `..` past the root is caught as it is walked.
      const parts = target.split('/').filter((x) => x && x !== '.');
      pending.unshift(...parts);
      continue;
    }
    done.push(comp);
  }
  return join(root, ...done);
}

const GLOB = /[*?[]/;

function globRegex(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = seg.indexOf(']', i + 1);
      if (end < 0) throw new BuildError(`syntax error in pattern ${seg}`);
      re += `[${seg.slice(i + 1, end).replace(/^!/, '^')}]`;
      i = end;
    } else re += c.replace(/[.*+?^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** The context-relative paths a COPY source names (wildcards expanded, sorted); none is an error. */
export async function expandSource(root: string, src: string): Promise<string[]> {
  const rel = contextPath(src);
  if (!GLOB.test(rel)) return [rel];
  let found = [''];
  for (const seg of rel.split('/')) {
    const next: string[] = [];
    for (const base of found) {
      if (!GLOB.test(seg)) {
        next.push(base ? `${base}/${seg}` : seg);
        continue;
      }
      const re = globRegex(seg);
      let names: string[] = [];
      try {
        names = await readdir(await resolveScoped(root, base));
      } catch {
        /* not a directory */
      }
      for (const n of names.sort()) if (re.test(n)) next.push(base ? `${base}/${n}` : n);
    }
    found = next;
  }
  if (!found.length) throw new BuildError(`COPY failed: no source files were specified (${src} matches nothing)`);
  return found;
}

/** A digest of the sources (names, modes, sizes, link targets and contents): COPY's cache input. */
export async function contentDigest(sources: { abs: string; name: string }[]): Promise<string> {
  const h = createHash('sha256');
  const walk = async (abs: string, name: string): Promise<void> => {
    const st = await lstat(abs);
    h.update(`${name}\0${st.mode}\0${st.uid}:${st.gid}\0`);
    if (st.isSymbolicLink()) h.update(`->${await readlink(abs)}\0`);
    else if (st.isDirectory()) {
      for (const n of (await readdir(abs)).sort()) await walk(join(abs, n), `${name}/${n}`);
    } else if (st.isFile()) {
      h.update(`${st.size}\0`);
      for await (const c of createReadStream(abs)) h.update(c as Buffer);
    }
  };
  for (const s of sources) await walk(s.abs, s.name);
  return h.digest('hex');
}
