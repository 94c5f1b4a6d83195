// How berth starts a monitor (conmon): a child that leads its own session, with pipes on chosen
// fds. Node's spawn() forks the whole service: measured here, the event loop stopped 2-7 ms per
// conmon (the page tables of a 60-90 MiB process copied, then torn down again by the child's
// exec), on the path of every start and exec, and the next request waited behind it. The
// peercred addon clones without copying (CLONE_VM|CLONE_VFORK) and reaps the child itself; where
// the addon is not built, Node's spawn does it as before.
import { spawn } from 'node:child_process';
import { optionalAddon } from '../lib/native-addon.js';
import { Socket } from 'node:net';
import { PassThrough, type Readable, type Writable } from 'node:stream';

type Kind = 'ignore' | 'read' | 'write';
type SpawnAddon = { spawnDetached?: (file: string, args: string[], env: string[], cwd: string, stdio: Kind[]) => { pid: number; fds: number[] } };


export interface Detached {
  pid: number | undefined;
  /** This process's end of each of the child's fds: a stream for 'read' and 'write', null for 'ignore'. */
  stdio: (Readable | Writable | null)[];
  /**
   * Called if the child could not be run (a missing binary): at once, as the callback is given (the
   * streams are then ended), or on Node's spawn soon after.
   */
  onError(cb: (e: Error) => void): void;
}

export interface DetachedOptions {
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** What each of the child's fds is, from 0: /dev/null, or a pipe this process reads or writes. */
  stdio: Kind[];
}

/** Starts `file` (an absolute path) as the leader of a new session; nothing waits on it. */
export function spawnDetached(file: string, args: string[], o: DetachedOptions): Detached {
  const a = optionalAddon<SpawnAddon>('berth-peercred');
  if (a?.spawnDetached) {
    const env = Object.entries(o.env).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${v}`]));
    let r: { pid: number; fds: number[] };
    try {
      r = a.spawnDetached(file, args, env, o.cwd, o.stdio);
    } catch (e) {
      const err = e as Error;
      const ended = () => {
        const s = new PassThrough();
        s.end();
        return s;
      };
      return { pid: undefined, stdio: o.stdio.map((k) => (k === 'ignore' ? null : ended())), onError: (cb) => cb(err) };
    }
    const stdio = o.stdio.map((k, i) => (k === 'ignore' ? null : new Socket({ fd: r.fds[i], readable: k === 'read', writable: k === 'write' })));
    return { pid: r.pid, stdio, onError: () => undefined };
  }
  const child = spawn(file, args, { stdio: o.stdio.map((k) => (k === 'ignore' ? 'ignore' : 'pipe')), env: o.env, cwd: o.cwd, detached: true });
  child.unref();
  return { pid: child.pid, stdio: child.stdio.map((s) => s ?? null) as (Readable | Writable | null)[], onError: (cb) => child.on('error', cb) };
}
