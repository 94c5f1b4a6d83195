// Files that hold a container's secrets (its config with the env, its process specs, its state
// and logs) are for their owner only: 0700 dirs, 0600 files, also where an older version made
// them 0755/0644 (modes given at creation do not change what already exists).
import { chmodSync, closeSync, fchmodSync, mkdirSync, openSync, writeSync } from 'node:fs';

/** Creates `path` (and missing parents) mode 0700, and tightens it if it exists. */
export function privateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  chmodSync(path, 0o700);
}

/** Writes `data` to a file only its owner may read; the mode is set before a byte is written. */
export function writePrivateFile(path: string, data: string | Buffer): void {
  const fd = openSync(path, 'w', 0o600);
  try {
    fchmodSync(fd, 0o600);
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
  } finally {
    closeSync(fd);
  }
}
