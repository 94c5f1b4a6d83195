import type { Change, CommitRequest, PathStat, PutOptions, StatsOptions, StatsReading, StatsSample, TopResult } from '../types.js';

/** What the API layers may ask of a container's files and processes. */
export interface ContainerFilesPort {
  /** A path's stat; links in its directories are followed inside the container, never to the host. */
  stat(ref: string, path: string): Promise<PathStat>;
  /** A tar of the path (held mounted until the tar is consumed or abandoned). */
  archive(ref: string, path: string): Promise<{ stat: PathStat; tar: AsyncIterable<Buffer> }>;
  /** Extracts a tar (optionally compressed) into the directory at `path`. */
  put(ref: string, path: string, body: AsyncIterable<Buffer>, o: PutOptions): Promise<void>;
  /** The whole root filesystem as a tar. */
  export(ref: string): Promise<AsyncIterable<Buffer>>;
  changes(ref: string): Promise<Change[]>;
  /** The host's `ps` with these arguments, limited to the container's processes. */
  top(ref: string, psArgs: string[]): Promise<TopResult>;
  /** Readings of one container (the lookup happens on the first step). */
  stats(ref: string, o: StatsOptions): AsyncGenerator<StatsSample>;
  /** One reading of each container given by ID, or of every running one. */
  readStats(ids?: string[]): StatsReading[];
  /** A new image of the container's changes; resolves with its ID. */
  commit(ref: string, req: CommitRequest): Promise<{ id: string }>;
}
