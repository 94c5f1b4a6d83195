// The local volume driver, docker's and podman's: a volume is a directory under the storage root
// (volumes/NAME/_data), or, with the options type/device/o, a filesystem mounted there (tmpfs,
// a bind of a host directory, a device with mount options). A mounted volume stays mounted from
// its first use until it is removed: no unmount can then race a container that starts using it.
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, renameSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { isRootless } from '../../config/rootless.js';
import { unmappedIdProblem } from '../../config/id-range.js';
import { clip } from '../../lib/clip.js';
import { privateDir } from '../../lib/private-fs.js';
import { unmount } from '../../storage/overlay.js';
import { badParameter, internal } from '../errors.js';
import { isMounted } from '../containers/rootfs.js';
import { MountedError, removeTree } from './remove-tree.js';

const run = promisify(execFile);
const BOUND = { timeout: 30_000, killSignal: 'SIGKILL' } as const;

export const LOCAL = 'local';
const KEYS = new Set(['type', 'o', 'device']);
/** What `o` may hold without type and device (podman's): the owner of the volume's directory. */
const OWNER_KEYS = new Set(['uid', 'gid']);
const SAFE = /^[A-Za-z0-9._:@%+=,\/-]*$/;

export interface DriverOptions {
  type?: string;
  o?: string;
  device?: string;
}

/** The options a create asks for, checked as dockerd checks them (and podman's uid/gid in `o`). */
export function checkOptions(opts: Record<string, unknown> | undefined): { options: Record<string, string>; uid: number; gid: number } {
  const options: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts ?? {})) {
    if (!KEYS.has(k)) throw badParameter(`invalid option key: "${clip(k)}"`);
    if (typeof v !== 'string') throw badParameter(`invalid option "${k}": expected a string`);
    if (v.startsWith('-') || !SAFE.test(v) || v.length > 4096) throw badParameter(`invalid option "${k}": ${JSON.stringify(clip(v))}`);
    if (v !== '') options[k] = v;
  }
  let uid = 0;
  let gid = 0;
  const mounts = options.type !== undefined || options.device !== undefined;
  if (options.type !== undefined && options.device === undefined) throw badParameter('missing required option: "device"');
  if (options.device !== undefined && options.type === undefined) throw badParameter('missing required option: "type"');
  if (options.o !== undefined && !mounts) {
    for (const kv of options.o.split(',')) {
      const [k, v = ''] = kv.split('=');
      if (!OWNER_KEYS.has(k) || !/^\d{1,10}$/.test(v)) throw badParameter('missing required option: "device"');
      if (k === 'uid') uid = Number(v);
      else gid = Number(v);
    }
  }
  const flags = (options.o ?? '').split(',');
  // The owner a directory or a tmpfs (its uid=/gid= mount options) is given must exist here.
  const owners: ['uid' | 'gid', number][] = [['uid', uid], ['gid', gid]];
  if (mounts) for (const f of flags) if (/^[ug]id=\d{1,10}$/.test(f)) owners.push([f.startsWith('u') ? 'uid' : 'gid', Number(f.slice(4))]);
  for (const [kind, id] of owners) {
    const problem = unmappedIdProblem(kind, id);
    if (problem) throw badParameter(`invalid option "o": ${problem}`);
  }
  const binds = flags.includes('bind') || flags.includes('rbind');
  // A user namespace may mount tmpfs and bind what the user can reach; any other filesystem (a
  // device, nfs, ...) only root can mount, so it is refused here rather than at the first start.
  if (mounts && isRootless() && options.type !== 'tmpfs' && !binds) {
    throw badParameter(`invalid option "type": a rootless berth cannot mount a ${JSON.stringify(clip(options.type!))} filesystem (that needs root); rootless volumes take type=tmpfs or o=bind`);
  }
  if (mounts && binds) {
    const dev = options.device!;
    if (!isAbsolute(dev) || !existsSync(dev) || !statSync(dev).isDirectory()) throw badParameter(`invalid option "device": bind source ${JSON.stringify(clip(dev))} is not an existing directory`);
  }
  return { options, uid, gid };
}

/** Whether the driver mounts a filesystem on the volume's directory. */
export const mountsSomething = (options: Record<string, string>): boolean => options.type !== undefined;

export class LocalDriver {
  constructor(
    /** root/volumes */
    readonly root: string,
  ) {}

  dir(name: string): string {
    return join(this.root, name);
  }

  dataDir(name: string): string {
    return join(this.root, name, '_data');
  }

  private trash(): string {
    return join(this.root, '.trash');
  }

  /** The volume's directory, made if missing (also on demand, for a record whose directory is gone). */
  ensure(name: string, owner?: { uid: number; gid: number }): string {
    privateDir(this.root);
    const data = this.dataDir(name);
    if (existsSync(data)) return data;
    privateDir(this.dir(name));
    mkdirSync(data, { mode: 0o755 });
    if (owner && (owner.uid || owner.gid)) chownSync(data, owner.uid, owner.gid);
    return data;
  }

  /**
   * A fresh directory for a volume just recorded: anything left at that name by an interrupted
   * removal is cleared first (a new volume never shows an old one's files).
   */
  create(name: string, owner: { uid: number; gid: number }): string {
    if (existsSync(this.dir(name))) this.discard(this.dir(name));
    return this.ensure(name, owner);
  }

  /** Mounts what the options name on the volume's directory, unless it is mounted already. */
  async mount(name: string, options: Record<string, string>): Promise<string> {
    const data = this.ensure(name);
    if (!mountsSomething(options) || isMounted(data)) return data;
    const args = ['-t', options.type!, ...(options.o ? ['-o', options.o] : []), options.device!, data];
    try {
      await run('mount', args, BOUND);
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      throw internal(`error while mounting volume '${name}': failed to mount local volume: ${clip((err.stderr || err.message).trim(), 400)}`);
    }
    return data;
  }

  /** Unmounts what the driver mounted there (lazily if busy); an error while it stays mounted. */
  async unmount(name: string): Promise<void> {
    const data = this.dataDir(name);
    if (!isMounted(data)) return;
    await unmount(data).catch(() => unmount(data, true));
    if (isMounted(data)) throw internal(`remove ${name}: the volume is still mounted at ${data}`);
  }

  /** Unmounts, then moves the directory out of the way and removes it, links never followed. */
  async destroy(name: string): Promise<void> {
    await this.unmount(name);
    this.discard(this.dir(name));
  }

  private discard(dir: string): void {
    if (!existsSync(dir)) return;
    privateDir(this.trash());
    const t = join(this.trash(), randomBytes(8).toString('hex'));
    try {
      renameSync(dir, t);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    try {
      removeTree(t);
    } catch (e) {
      // Left in the trash: the next sweep tries again once whatever holds it is gone.
      if (!(e instanceof MountedError)) throw e;
    }
  }

  /** After a crash: directories whose record is gone, and the trash, are removed. */
  sweep(known: (name: string) => boolean): void {
    let names: string[];
    try {
      names = readdirSync(this.root);
    } catch {
      return;
    }
    for (const n of names) {
      if (n === '.trash' || known(n)) continue;
      try {
        if (!isMounted(this.dataDir(n))) this.discard(this.dir(n));
      } catch {
        /* busy: the next sweep */
      }
    }
    let trash: string[] = [];
    try {
      trash = readdirSync(this.trash());
    } catch {
      return;
    }
    for (const t of trash) {
      try {
        removeTree(join(this.trash(), t));
      } catch {
        /* still mounted: the next sweep */
      }
    }
  }
}
