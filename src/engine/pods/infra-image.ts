// The image of berth's infra containers: one file, the host's catatonit (statically linked in
// Debian), run as `catatonit -P` (it only waits). Made locally on first use, never pulled,
// as podman builds its podman-pause image. The command is the image's CMD where podman's image has
// an ENTRYPOINT: the same process either way, and images already made stay valid. (A list
// Entrypoint, as `infra_command` gives, is shaped for podman-remote 4.x by the libpod layer.)
import { readFileSync } from 'node:fs';
import tar from 'tar-stream';
import { findBinary } from '../../oci/binaries.js';
import { internal } from '../errors.js';

export const INFRA_IMAGE = 'localhost/berth-pause:catatonit-1';
export const INFRA_COMMAND = ['/catatonit', '-P'];

/** What making the image needs of the image store. */
export interface InfraImageStore {
  exists(ref: string): boolean;
  import(input: AsyncIterable<Buffer>, opts: { reference: string; changes: string[]; message: string }): Promise<unknown>;
}

async function layerTar(binary: Buffer): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on('data', (c: unknown) => chunks.push(c as Buffer));
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  const epoch = new Date(0);
  pack.entry({ name: 'catatonit', mode: 0o755, mtime: epoch, uid: 0, gid: 0 }, binary);
  // Mount points the runtime would otherwise make in the writable layer of every infra container.
  for (const d of ['dev', 'proc', 'sys', 'etc', 'run', 'tmp']) pack.entry({ name: d, type: 'directory', mode: 0o755, mtime: epoch });
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** One per engine: concurrent pod creates make the image once. */
export class InfraImage {
  private making: Promise<void> | undefined;

  constructor(private readonly store: InfraImageStore) {}

  /** The reference of the infra image, made now when it is missing. */
  async ensure(): Promise<string> {
    if (this.store.exists(INFRA_IMAGE)) return INFRA_IMAGE;
    this.making ??= this.make().finally(() => {
      this.making = undefined;
    });
    await this.making;
    return INFRA_IMAGE;
  }

  private async make(): Promise<void> {
    const bin = findBinary('catatonit');
    if (!bin) throw internal('catatonit is not installed: the infra containers of pods run it (Debian package catatonit)');
    const layer = await layerTar(readFileSync(bin));
    await this.store.import(
      (async function* () {
        yield layer;
      })(),
      { reference: INFRA_IMAGE, changes: [`CMD ${JSON.stringify(INFRA_COMMAND)}`], message: 'berth pod infra image (catatonit)' },
    );
  }
}
