// docker top / podman top: the host's ps, limited to the processes of the container's cgroup.
import { execFile } from 'node:child_process';
import type { FilesDeps } from './files/service.js';
import { badParameter, conflict } from '../errors.js';
import { containerPids } from './cgroup.js';
import type { TopResult } from './types.js';

function ps(args: string[]): Promise<string> {
  // The client's arguments: one with a NUL cannot be passed to a program at all.
  if (args.some((a) => a.includes('\0'))) return Promise.reject(badParameter('ps arguments cannot contain NUL bytes'));
  return new Promise((resolve, reject) => {
    execFile('ps', args, { maxBuffer: 16 << 20, timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) reject(badParameter(`ps ${args.join(' ')}: ${String(stderr).trim() || err.message}`));
      else resolve(String(stdout));
    });
  });
}

/** Splits ps output: every column but the last is one field, the last takes the rest of the line. */
export function parsePs(out: string, pids: Set<number>): TopResult {
  const lines = out.split('\n').filter((l) => l.trim());
  // The client's ps arguments asked for no output (no header either).
  if (!lines.length) throw badParameter('ps printed nothing');
  const titles = lines[0].trim().split(/\s+/);
  const pidCol = titles.indexOf('PID');
  if (pidCol < 0) throw badParameter(`Couldn't find PID field in ps output`);
  const procs: string[][] = [];
  for (const l of lines.slice(1)) {
    const f = l.trim().split(/\s+/);
    const row = [...f.slice(0, titles.length - 1), f.slice(titles.length - 1).join(' ')];
    if (pids.has(Number(row[pidCol]))) procs.push(row);
  }
  return { Titles: titles, Processes: procs };
}

/** `ps` on the host with `psArgs`, keeping the rows of these processes (a pod's containers). */
export async function topOf(pids: Set<number>, psArgs: string[]): Promise<TopResult> {
  return parsePs(await ps(psArgs), pids);
}

/** Runs `ps` with `psArgs` on the host; the rows of the container's processes are kept (a PID column is needed). */
export async function top(engine: FilesDeps, ref: string, psArgs: string[]): Promise<TopResult> {
  const v = engine.containers.get(ref);
  if (v.state !== 'running' && v.state !== 'paused') throw conflict(`Container ${v.id} is not running`);
  const pids = new Set(containerPids(v.pid));
  if (!pids.size) pids.add(v.pid);
  return parsePs(await ps(psArgs), pids);
}
