import { existsSync } from 'node:fs';
import { findBinary } from './binaries.js';

/** An OCI runtime with runc's command line (runc, crun). */
export interface RuntimeInfo {
  name: string;
  path: string;
}

/** What containers.conf says about runtimes: `[engine] runtime` and `[engine.runtimes]`. */
export interface RuntimeConf {
  runtime?: string;
  runtimes?: Record<string, string[]>;
}

export const cgroupsV2Unified = (): boolean => existsSync('/sys/fs/cgroup/cgroup.controllers');

/** The runtimes berth knows by name, each with the paths containers.conf lists for it. */
export function knownRuntimes(conf: RuntimeConf): Record<string, string> {
  const out: Record<string, string> = {};
  const names = new Set(['runc', 'crun', ...Object.keys(conf.runtimes ?? {})]);
  for (const name of names) {
    const p = findBinary(name, conf.runtimes?.[name] ?? []);
    if (p) out[name] = p;
  }
  return out;
}

export class RuntimeChoiceError extends Error {}

/** Why a runtime cannot run containers on this host, if it cannot. */
function unusable(name: string): string | undefined {
  // crun refuses cgroup v1 and hybrid hosts at every create ("cgroups in hybrid mode not supported").
  if (name === 'crun' && !cgroupsV2Unified()) return 'crun does not support cgroup v1 or hybrid hosts (use runc)';
  return undefined;
}

/**
 * The one runtime choice, shared by /info and container start: BERTH_RUNTIME, else containers.conf
 * `runtime` (looked up in `runtimes`), else the first that works here (crun on a unified
 * hierarchy, runc otherwise). A runtime that was asked for and cannot work is an error, never
 * silently replaced.
 */
export function chooseRuntime(conf: RuntimeConf, env: NodeJS.ProcessEnv = process.env): RuntimeInfo {
  const asked = env.BERTH_RUNTIME || conf.runtime;
  if (asked) {
    const name = asked.includes('/') ? asked.split('/').pop()! : asked;
    const path = findBinary(asked, conf.runtimes?.[asked] ?? []);
    const source = env.BERTH_RUNTIME ? 'BERTH_RUNTIME' : 'containers.conf runtime';
    if (!path) throw new RuntimeChoiceError(`OCI runtime "${asked}" (${source}) not found: install it or list its path under [engine.runtimes]`);
    const why = unusable(name);
    if (why) throw new RuntimeChoiceError(`OCI runtime "${asked}" (${source}) cannot run containers here: ${why}`);
    return { name, path };
  }
  const found = knownRuntimes(conf);
  const order = cgroupsV2Unified() ? ['crun', 'runc'] : ['runc', 'crun'];
  for (const n of [...order, ...Object.keys(found)]) {
    if (found[n] && !unusable(n)) return { name: n, path: found[n] };
  }
  throw new RuntimeChoiceError('no OCI runtime found (install runc or crun)');
}
