// The file driver: each secret's data in its own file under the storage root, readable by the
// service's user only (podman's "file" driver keeps them unencrypted the same way). Writes go to
// a temporary file renamed over the old one, so a replace never leaves half a secret.
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { privateDir, writePrivateFile } from '../../lib/private-fs.js';

export const FILE_DRIVER = 'file';

export class FileDriver {
  constructor(private readonly dir: string) {}

  private path(id: string): string {
    return join(this.dir, id);
  }

  store(id: string, data: Buffer): void {
    privateDir(this.dir);
    const tmp = `${this.path(id)}.tmp-${process.pid}`;
    writePrivateFile(tmp, data);
    renameSync(tmp, this.path(id));
  }

  /** Undefined when the file is gone (removed by hand): the caller names the secret. */
  read(id: string): Buffer | undefined {
    const p = this.path(id);
    return existsSync(p) ? readFileSync(p) : undefined;
  }

  delete(id: string): void {
    rmSync(this.path(id), { force: true });
  }
}
