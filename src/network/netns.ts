// A container's own network namespace, kept by a bind mount (as podman and `ip netns` keep
// theirs): netavark configures it before the container exists, runc joins it by path, and it
// outlives both the service and the container's processes until its teardown.
import { execFile } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { privateDir } from '../lib/private-fs.js';

const TIMEOUT_MS = 30_000;

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: TIMEOUT_MS, killSignal: 'SIGKILL' }, (err, _o, stderr) => {
      if (err) reject(new Error(String(stderr).trim() || err.message));
      else resolve();
    });
  });
}

/** Creates a new network namespace bound at `path` (util-linux unshare's persistent form). */
export async function createNetns(path: string): Promise<void> {
  privateDir(dirname(path));
  writeFileSync(path, '', { mode: 0o600 });
  try {
    await run('unshare', [`--net=${path}`, 'true']);
  } catch (e) {
    rmSync(path, { force: true });
    throw new Error(`creating the network namespace: ${(e as Error).message}`);
  }
}

/** Unbinds and removes it; the namespace ends with its last process. Missing is fine. */
export async function removeNetns(path: string): Promise<void> {
  if (!existsSync(path)) return;
  await run('umount', [path]).catch(() => run('umount', ['-l', path]).catch(() => undefined));
  rmSync(path, { force: true });
}
