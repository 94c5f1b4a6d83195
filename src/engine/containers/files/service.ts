import type { EventBus } from '../../events.js';
import type { ImageService } from '../../images/service.js';
import type { ContainerService } from '../service.js';
import type { CommitRequest, ImageSource, StatsOptions } from '../types.js';
import { archivePath, exportContainer, putArchive, statPath, type PutOptions } from './archive.js';
import { containerChanges } from './changes.js';
import { commitContainer } from './commit.js';
import type { ContainerFilesPort } from './port.js';
import { top } from '../top.js';
import { readAll, statsStream } from '../stats.js';

/** What the file, inspection and commit operations need of the engine. */
export interface FilesDeps {
  containers: ContainerService;
  images: ImageService;
  imageSource: ImageSource;
  events: EventBus;
}

/** A container's files and processes: archive, export, changes, top, stats, commit. */
export class ContainerFiles implements ContainerFilesPort {
  constructor(private readonly deps: FilesDeps) {}

  stat(ref: string, path: string) {
    return statPath(this.deps, ref, path);
  }
  archive(ref: string, path: string) {
    return archivePath(this.deps, ref, path);
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
  top(ref: string, psArgs: string[]) {
    return top(this.deps, ref, psArgs);
  }
  stats(ref: string, o: StatsOptions) {
    return statsStream(this.deps, ref, o);
  }
  readStats(ids?: string[]) {
    return readAll(this.deps, ids);
  }
  commit(ref: string, req: CommitRequest) {
    return commitContainer(this.deps, ref, req);
  }
}
