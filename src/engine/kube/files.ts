// The play's files on the host: hostPath checks and creations, the keys of a ConfigMap or Secret
// written into its volume, and read back for generate.
import { chmodSync, closeSync, constants, existsSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { badParameter } from '../errors.js';
import { clip } from '../../lib/clip.js';
import type { HostPathType } from './play-map.js';

/** What a hostPath type requires of the host, checked before anything is made. */
export function checkHostPath(h: { path: string; type: HostPathType }): void {
  let st: ReturnType<typeof statSync> | undefined;
  try {
    st = statSync(h.path);
  } catch {
    st = undefined;
  }
  const want = { Directory: 'a directory', File: 'a file', Socket: 'a socket' } as Record<string, string>;
  if (h.type in want) {
    const ok = st && (h.type === 'Directory' ? st.isDirectory() : h.type === 'File' ? st.isFile() : st.isSocket());
    if (!ok) throw badParameter(`hostPath ${clip(h.path)} must be ${want[h.type]} (type ${h.type})`);
  }
  if (st && h.type === 'DirectoryOrCreate' && !st.isDirectory()) throw badParameter(`hostPath ${clip(h.path)} exists and is not a directory`);
  if (st && h.type === 'FileOrCreate' && !st.isFile()) throw badParameter(`hostPath ${clip(h.path)} exists and is not a file`);
}

/** The ...OrCreate types: made empty when missing (Kubernetes' modes: 0755 directories, 0644 files). */
export function makeHostPath(h: { path: string; type: HostPathType }): void {
  if (h.type === 'DirectoryOrCreate' || (h.type === '' && !existsSync(h.path))) mkdirSync(h.path, { recursive: true, mode: 0o755 });
  if (h.type === 'FileOrCreate' && !existsSync(h.path)) {
    mkdirSync(dirname(h.path), { recursive: true, mode: 0o755 });
    writeFileSync(h.path, '', { mode: 0o644, flag: 'wx' });
  }
}

/** Writes a ConfigMap's (or Secret's) keys as files into its fresh volume; none may exist already. */
export function writeFiles(dir: string, files: Record<string, string>, mode: number): void {
  for (const [p, content] of Object.entries(files)) {
    const f = join(dir, p);
    try {
      mkdirSync(dirname(f), { recursive: true, mode: 0o755 });
      // 'wx': never through something already there (a link would be followed by a plain open).
      writeFileSync(f, content, { mode, flag: 'wx' });
      chmodSync(f, mode);
    } catch (e) {
      // Keys that collide as paths ("a" and "a/b"): the YAML's mistake.
      throw badParameter(`cannot write key ${clip(p)} as a file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
}

/** The files at the top of a ConfigMap volume, as its keys. */
export function readFiles(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  try {
    for (const n of readdirSync(dir).sort()) {
      // O_NOFOLLOW: a link put in the volume is no way to read a host file into the YAML.
      let fd: number;
      try {
        fd = openSync(join(dir, n), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
      } catch {
        continue;
      }
      try {
        if (fstatSync(fd).isFile()) out[n] = readFileSync(fd, 'utf8');
      } finally {
        closeSync(fd);
      }
    }
  } catch {
    // A volume without its directory has no keys to say.
  }
  return out;
}
