import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { chmod, lchown, link, lstat, lutimes, mkdir, open, readFile, rm, symlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { setAttribute } from '@napi-rs/xattr';
import { decompressed, type Compression } from './compression.js';
import { ByteSource, TarError, TarReader, type TarHeader } from './tar-reader.js';
import { classifyWhiteout, safeEntryPath, UnsafeEntryError } from './tar-paths.js';
import { SplitRecorder } from './tar-split.js';
import { isOverlayXattr, opaqueXattr } from './overlay-xattrs.js';
import { isRootless } from '../config/rootless.js';

const run = promisify(execFile);
const WRITE_BATCH = 256 * 1024;

export interface UnpackResult {
  /** "sha256:..." of the uncompressed tar stream. */
  diffId: string;
  tarSize: number;
  /** Bytes of file content and symlink targets, as dockerd counts a layer. */
  contentSize: number;
  compression: Compression;
}

export class LayerDigestError extends Error {}

// No node API creates device nodes; layers carry few of them (whiteouts mostly), so a spawn each is fine.
async function mknod(path: string, kind: 'c' | 'b' | 'p', mode: number, major = 0, minor = 0): Promise<void> {
  const args = ['-m', (mode & 0o7777).toString(8), path, kind];
  if (kind !== 'p') args.push(String(major), String(minor));
  await run('mknod', args, { timeout: 10_000, killSignal: 'SIGKILL' });
}

async function exists(p: string) {
  try {
    return await lstat(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * Applies one layer tar (gzip, zstd or plain) to the empty directory `dest`, converting OCI
 * whiteouts to overlay ones, and records its tar-split at `splitPath`. Refuses entries that
 * would land or link outside `dest`. The caller unpacks into a scratch dir and discards it on
 * error, so a failed layer leaves nothing behind.
 */
export async function unpackLayer(
  input: AsyncIterable<Buffer>,
  dest: string,
  splitPath: string,
  opts: { expectDiffId?: string; lenientEnd?: boolean; /** No diff ID wanted (a build context): skips hashing the stream. */ noDigest?: boolean } = {},
): Promise<UnpackResult> {
  const { stream, compression } = await decompressed(input);
  const hash = createHash('sha256');
  let tarSize = 0;
  async function* tap(): AsyncGenerator<Buffer> {
    for await (const c of stream) {
      if (!opts.noDigest) hash.update(c);
      tarSize += c.length;
      yield c;
    }
  }
  const split = new SplitRecorder(splitPath);
  const reader = new TarReader(new ByteSource(tap()), (b) => split.raw(b), opts.lenientEnd);
  const applier = new Applier(dest, split);
  try {
    for (let h = await reader.next(); h; h = await reader.next()) await applier.apply(h, reader);
    await applier.finish();
  } finally {
    await split.close();
  }
  if (tarSize === 0) throw new TarError('empty input: a layer must be a tar archive');
  const diffId = 'sha256:' + hash.digest('hex');
  if (opts.expectDiffId && opts.expectDiffId !== diffId) {
    throw new LayerDigestError(`layer content does not match its digest: expected ${opts.expectDiffId}, got ${diffId}`);
  }
  return { diffId, tarSize, contentSize: applier.contentSize, compression };
}

/**
 * Rootless, owners are ids of berth's user namespace: one beyond the user's /etc/subuid range
 * cannot exist on disk (EINVAL), which is said with the fix rather than as a bare errno.
 */
async function chownMapped(path: string, uid: number, gid: number, entry: string): Promise<void> {
  try {
    await lchown(path, uid, gid);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EINVAL' || !isRootless()) throw e;
    throw new UnmappedOwnerError(
      `layer entry ${JSON.stringify(entry)} is owned by ${uid}:${gid}, which this user namespace does not map: ` +
        `rootless berth maps ids 1.. to the user's /etc/subuid and /etc/subgid ranges, which need at least ${Math.max(uid, gid) + 1} ids (e.g. 65536)`,
    );
  }
}

export class UnmappedOwnerError extends Error {}

class Applier {
  /** Relative dirs verified to be real directories (not symlinks) inside dest. */
  private safeDirs = new Set<string>(['']);
  /** Regular files whose bodies the split record will read back from disk. */
  private recorded = new Map<string, number>();
  private dirTimes: [string, number][] = [];
  contentSize = 0;

  constructor(private dest: string, private split: SplitRecorder) {}

  private abs(rel: string) {
    return rel ? join(this.dest, rel) : this.dest;
  }

  /** Creates missing parents; refuses to pass through a symlink or a non-directory. */
  private async ensureParents(rel: string, create: boolean, entry: string): Promise<void> {
    const parts = rel.split('/');
    parts.pop();
    let cur = '';
    for (const p of parts) {
      cur = cur ? `${cur}/${p}` : p;
      if (this.safeDirs.has(cur)) continue;
      const st = await exists(this.abs(cur));
      if (!st) {
        if (!create) throw new UnsafeEntryError(`tar entry ${JSON.stringify(entry)}: ${cur} does not exist in the layer`);
        await mkdir(this.abs(cur), { mode: 0o755 });
      } else if (st.isSymbolicLink()) {
        throw new UnsafeEntryError(`unsafe tar entry ${JSON.stringify(entry)}: would be written through symlink ${JSON.stringify(cur)}`);
      } else if (!st.isDirectory()) {
        throw new UnsafeEntryError(`tar entry ${JSON.stringify(entry)}: parent ${JSON.stringify(cur)} is not a directory`);
      }
      this.safeDirs.add(cur);
    }
  }

  /** Before `rel` is replaced: keep bodies the split record still needs, forget stale dirs. */
  private async release(rel: string): Promise<void> {
    const under = rel + '/';
    for (const [p, idx] of this.recorded) {
      if (p === rel || p.startsWith(under)) {
        this.split.inline(idx, await readFile(this.abs(p)));
        this.recorded.delete(p);
      }
    }
    for (const d of this.safeDirs) if (d === rel || d.startsWith(under)) this.safeDirs.delete(d);
  }

  /** Clears the way for a new entry at rel; returns true when an existing directory is kept. */
  private async prepare(rel: string, wantDir: boolean): Promise<boolean> {
    const st = await exists(this.abs(rel));
    if (!st) return false;
    if (wantDir && st.isDirectory()) return true;
    await this.release(rel);
    await rm(this.abs(rel), { recursive: true, force: true });
    return false;
  }

  async apply(h: TarHeader, reader: TarReader): Promise<void> {
    const rel = safeEntryPath(h.name);
    if (!rel) {
      // The layer root itself ("./"): its metadata belongs to the mount point, not to us.
      return;
    }
    const wh = classifyWhiteout(rel);
    if (wh.kind === 'aufs-meta') return;
    await this.ensureParents(rel, true, h.name);
    if (wh.kind === 'opaque') {
      if (wh.dir) {
        await this.ensureParents(wh.dir + '/x', true, h.name);
        if (!(await this.prepare(wh.dir, true))) await mkdir(this.abs(wh.dir), { mode: 0o755 });
        this.safeDirs.add(wh.dir);
      }
      await setAttribute(this.abs(wh.dir), opaqueXattr(), 'y');
      return;
    }
    if (wh.kind === 'whiteout') {
      await this.prepare(wh.path, false);
      await mknod(this.abs(wh.path), 'c', 0, 0, 0);
      await lchown(this.abs(wh.path), 0, 0);
      await lutimes(this.abs(wh.path), h.mtime, h.mtime);
      return;
    }
    const target = this.abs(rel);
    switch (h.type) {
      case 'dir': {
        if (!(await this.prepare(rel, true))) await mkdir(target, { mode: 0o700 });
        this.safeDirs.add(rel);
        break;
      }
      case 'file': {
        await this.prepare(rel, false);
        const fh = await open(target, 'wx', 0o600);
        try {
          // Gathered into ~256 KiB writev calls: one write per 16-64 KiB chunk cost a pull a third of its time.
          // One batch in flight while the next is read: decompression and writing overlap.
          let batch: Buffer[] = [];
          let bytes = 0;
          let inFlight: Promise<unknown> | undefined;
          try {
            for await (const c of reader.body()) {
              batch.push(c);
              bytes += c.length;
              if (bytes >= WRITE_BATCH) {
                await inFlight;
                inFlight = fh.writev(batch);
                // Awaited before the next batch or in finally; meanwhile a failure must not count as unhandled.
                inFlight.catch(() => undefined);
                batch = [];
                bytes = 0;
              }
            }
          } finally {
            await inFlight;
          }
          if (batch.length) await fh.writev(batch);
        } finally {
          await fh.close();
        }
        if (h.size > 0) this.recorded.set(rel, this.split.file(rel, h.size));
        this.contentSize += h.size;
        break;
      }
      case 'symlink': {
        await this.prepare(rel, false);
        await symlink(h.linkname, target);
        // docker's layer size counts a symlink as its target's length (lstat size).
        this.contentSize += Buffer.byteLength(h.linkname);
        break;
      }
      case 'link': {
        const src = safeEntryPath(h.linkname, 'hard link target');
        if (!src) throw new UnsafeEntryError(`unsafe tar entry ${JSON.stringify(h.name)}: hard link to the layer root`);
        await this.ensureParents(src, false, h.name);
        const st = await exists(this.abs(src));
        if (!st) throw new UnsafeEntryError(`tar entry ${JSON.stringify(h.name)}: hard link target ${JSON.stringify(h.linkname)} is not in the layer`);
        if (st.isDirectory()) throw new UnsafeEntryError(`tar entry ${JSON.stringify(h.name)}: hard link to a directory`);
        if (src === rel) return;
        await this.prepare(rel, false);
        await link(this.abs(src), target);
        // A hard link shares the target's inode: owner, mode and times are already the target's.
        return;
      }
      case 'char':
      case 'block':
      case 'fifo': {
        // A user namespace may not make device nodes: skipped, as podman does rootless (the
        // runtime binds the devices a container gets).
        if (h.type !== 'fifo' && isRootless()) return;
        await this.prepare(rel, false);
        await mknod(target, h.type === 'char' ? 'c' : h.type === 'block' ? 'b' : 'p', h.mode, h.devmajor, h.devminor);
        break;
      }
    }
    await chownMapped(target, h.uid, h.gid, h.name);
    if (h.type !== 'symlink') {
      for (const [k, v] of Object.entries(h.xattrs)) {
        // overlay's own xattrs (opaque, redirect, origin) steer the mount: only whiteouts set them.
        if (isOverlayXattr(k)) continue;
        // trusted.* needs CAP_SYS_ADMIN on the host: a user namespace cannot set it.
        if (k.startsWith('trusted.') && isRootless()) continue;
        try {
          await setAttribute(target, k, v);
        } catch (e) {
          // Filesystems without user xattrs (tmpfs on old kernels) must not sink a whole pull.
          if (!/not supported|ENOTSUP|EOPNOTSUPP/i.test(String((e as Error).message))) throw e;
        }
      }
      // After chown, which clears set-id bits.
      await chmod(target, h.mode);
    }
    if (h.type === 'dir') this.dirTimes.push([target, h.mtime]);
    else if (h.type === 'symlink') await lutimes(target, h.mtime, h.mtime);
    else await utimes(target, h.mtime, h.mtime);
  }

  /** Directory mtimes last: creating their children would have moved them. */
  async finish(): Promise<void> {
    for (const [p, t] of this.dirTimes.reverse()) await utimes(p, t, t);
  }
}
