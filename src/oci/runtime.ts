import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';

/** An OCI runtime with runc's command line (runc, crun). */
export interface RuntimeInfo {
  name: string;
  path: string;
}

const SEARCH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

function which(name: string): string | undefined {
  for (const d of SEARCH) {
    const p = `${d}/${name}`;
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return undefined;
}

export const cgroupsV2Unified = (): boolean => existsSync('/sys/fs/cgroup/cgroup.controllers');

let detected: RuntimeInfo | undefined;

/**
 * crun refuses cgroup v1/hybrid hosts ("cgroups in hybrid mode not supported"), runc handles
 * both. Prefer crun only on a unified hierarchy; BERTH_RUNTIME overrides.
 */
export function detectRuntime(env = process.env): RuntimeInfo {
  if (detected) return detected;
  const forced = env.BERTH_RUNTIME;
  if (forced) {
    const path = forced.includes('/') ? forced : which(forced);
    if (!path) throw new Error(`OCI runtime ${forced} not found`);
    return (detected = { name: path.split('/').pop()!, path });
  }
  const order = cgroupsV2Unified() ? ['crun', 'runc'] : ['runc', 'crun'];
  for (const n of order) {
    const path = which(n);
    if (path) return (detected = { name: n, path });
  }
  throw new Error('no OCI runtime found (install runc or crun)');
}

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
      execFile(this.info.path, ['--root', this.stateDir, ...args], { timeout: timeoutMs, maxBuffer: 4 << 20 }, (err, stdout, stderr) => {
        if (err) {
          const msg = cleanMessage(String(stderr)) || err.message;
          reject(new RuntimeError(msg, String(stderr), typeof err.code === 'number' ? err.code : null));
        } else resolve(String(stdout));
      });
    });
  }

  start(id: string) {
    return this.run(['start', id]);
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
  async delete(id: string, force = true): Promise<void> {
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

/** runc prints logrus lines (`time=".." level=error msg="..."`) or JSON; keep only the message. */
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
  return msgs.join('; ');
}
