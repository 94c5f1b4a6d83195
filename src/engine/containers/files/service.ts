import type { EventBus } from '../../events.js';
import type { ImageService } from '../../images/service.js';
import type { ContainerService } from '../service.js';
import type { ImageSource } from '../types.js';
import { archivePath, exportContainer, putArchive, statPath, type PutOptions } from './archive.js';
import { containerChanges } from './changes.js';
import { commitContainer, type CommitRequest } from './commit.js';
import { top } from '../top.js';
import { statsStream } from '../stats.js';

/** What the file, inspection and commit operations need of the engine. */
export interface FilesDeps {
  containers: ContainerService;
  images: ImageService;
  imageSource: ImageSource;
  events: EventBus;
}

/** A container's files and processes: archive, export, changes, top, stats, commit. */
export class ContainerFiles {
  constructor(private readonly deps: FilesDeps) {}

  stat(ref: string, path: string, libpod = false) {
    return statPath(this.deps, ref, path, libpod);
  }
  archive(ref: string, path: string, libpod = false) {
    return archivePath(this.deps, ref, path, libpod);
  }
  put(ref: string, path: string, body: AsyncIterable<Buffer>, o: PutOptions) {
    return putArchive(this.deps, ref, path, body, o);
  }
  export(ref: string) {
    return exportContainer(this.deps, ref);
  }
  changes(ref: string) {
    return containerChanges(this.deps, ref);
  }
  top(ref: string, psArgs: string | undefined, layer: 'compat' | 'libpod') {
    return top(this.deps, ref, psArgs, layer);
  }
  stats(ref: string, o: Parameters<typeof statsStream>[2]) {
    return statsStream(this.deps, ref, o);
  }
  commit(ref: string, req: CommitRequest) {
    return commitContainer(this.deps, ref, req);
  }
}
