import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { clipRuns } from '../lib/clip.js';
import { startThroughFifo } from './exec-fifo.js';
import { deleteStoppedRunc } from './runc-delete.js';

import type { RuntimeInfo } from './runtime-choice.js';

export type { RuntimeInfo } from './runtime-choice.js';

export class RuntimeError extends Error {
  constructor(message: string, readonly stderr: string, readonly code: number | null) {
    super(message);
  }
}

/** Drives the runtime binary for one state directory (`--root`). */
export class Runtime {
  constructor(
    readonly info: RuntimeInfo,
    readonly stateDir: string,
  ) {}

  run(args: string[], timeoutMs = 30_000): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(this.info.path, ['--root', this.stateDir, ...args], { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 4 << 20 }, (err, stdout, stderr) => {
        if (err) {
          const timedOut = err.killed && err.code !== 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER';
          const msg = cleanMessage(String(stderr)) || (timedOut ? `${this.info.name} ${args[0]} did not finish within ${timeoutMs / 1000} s` : clipRuns(err.message));
          reject(new RuntimeError(msg, String(stderr), typeof err.code === 'number' ? err.code : null));
        } else resolve(String(stdout));
      });
    });
  }

  /** runc's start is its exec fifo (see exec-fifo.ts); whatever that cannot settle, the runtime does. */
  async start(id: string): Promise<void> {
    if (this.info.name === 'runc' && (await startThroughFifo(join(this.stateDir, id, 'exec.fifo')))) return;
    await this.run(['start', id]);
  }
  kill(id: string, signal: number | string, all = false) {
    return this.run(['kill', ...(all ? ['--all'] : []), id, String(signal)]);
  }
  pause(id: string) {
    return this.run(['pause', id]);
  }
  resume(id: string) {
    return this.run(['resume', id]);
  }
  /** Forgets the container; a stopped one of runc's is removed without running runc (runc-delete.ts). */
  async delete(id: string, force = true): Promise<void> {
    if (this.info.name === 'runc' && (await deleteStoppedRunc(this.stateDir, id))) return;
    try {
      await this.run(['delete', ...(force ? ['--force'] : []), id]);
    } catch (e) {
      if (!/does not exist|not found/i.test((e as RuntimeError).stderr ?? '')) throw e;
    }
  }
  /** `runc state`: undefined when the runtime no longer knows the container. */
  async state(id: string): Promise<{ status: string; pid: number } | undefined> {
    try {
      const out = JSON.parse(await this.run(['state', id])) as { status: string; pid: number };
      return out;
    } catch (e) {
      if (e instanceof RuntimeError) return undefined;
      throw e;
    }
  }
}

/**
 * runc prints logrus lines (`time=".." level=error msg="..."`) or JSON; keep only the message,
 * with any long value it quotes (a client's cpuset, a path) clipped.
 */
export function cleanMessage(stderr: string): string {
  const lines = stderr.trim().split('\n').filter(Boolean);
  const msgs = lines.map((l) => {
    try {
      const j = JSON.parse(l) as { msg?: string };
      if (j.msg) return j.msg;
    } catch {
      /* not JSON */
    }
    const m = /msg="((?:[^"\\]|\\.)*)"/.exec(l);
    return m ? m[1].replace(/\\"/g, '"').replace(/\\\\/g, '\\') : l;
  });
  return clipRuns(msgs.join('; '));
}
