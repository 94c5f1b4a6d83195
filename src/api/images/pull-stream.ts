// How each layer words a pull's progress: dockerd's JSON messages (status/id/progressDetail,
// what the docker CLI and compose render) and podman's report stream ({"stream"} lines, then
// {"images","id"}). The engine's events are layer-neutral (engine/images/types.ts PullEvent).
import type { ServerResponse } from 'node:http';
import { familiarName } from '../../lib/image-ref.js';
import type { PullEvent } from '../../engine/images/types.js';

function size(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return i ? `${v.toFixed(2).replace(/\.?0+$/, '')}${units[i]}` : `${v}B`;
}

/** docker's progress bar: `[=====>      ]  1.2MB/3.4MB`. */
export function progressBar(current: number, total: number): string {
  const width = 50;
  const filled = total > 0 ? Math.min(width, Math.floor((current / total) * width)) : 0;
  const bar = filled >= width ? '='.repeat(width) : '='.repeat(filled) + '>' + ' '.repeat(Math.max(0, width - filled - 1));
  return `[${bar}] ${size(current).padStart(8)}/${size(total)}`;
}

/** The remote path docker shows in "Pulling from": library/busybox, team/app. */
const remotePath = (repo: string) => repo.slice(repo.indexOf('/') + 1);

/** dockerd's messages for one event (undefined: docker says nothing for it). */
export function compatMessage(e: PullEvent): object | undefined {
  switch (e.type) {
    case 'resolved':
      return { status: `Pulling from ${remotePath(e.repo)}`, id: e.digest ?? e.tag ?? 'latest' };
    case 'layer': {
      const base = { progressDetail: {}, id: e.id };
      switch (e.state) {
        case 'exists':
          return { status: 'Already exists', ...base };
        case 'pending':
          return { status: 'Pulling fs layer', ...base };
        case 'waiting':
          return { status: 'Waiting', ...base };
        case 'downloading':
          return { status: 'Downloading', progressDetail: { current: e.current ?? 0, total: e.total ?? 0 }, progress: progressBar(e.current ?? 0, e.total ?? 0), id: e.id };
        case 'verifying':
          return { status: 'Verifying Checksum', ...base };
        case 'downloaded':
          return { status: 'Download complete', ...base };
        case 'extracting':
          return { status: 'Extracting', progressDetail: { current: e.current ?? 0, total: e.total ?? 0 }, progress: progressBar(e.current ?? 0, e.total ?? 0), id: e.id };
        case 'complete':
          return { status: 'Pull complete', ...base };
      }
      return undefined;
    }
    case 'image':
      return undefined;
    default:
      return undefined;
  }
}

/** The closing lines: the digest, then whether anything new came. */
export function compatDone(name: string, digest: string, upToDate: boolean): object[] {
  const shown = familiarName(name);
  return [{ status: `Digest: ${digest}` }, { status: upToDate ? `Status: Image is up to date for ${shown}` : `Status: Downloaded newer image for ${shown}` }];
}

export function compatError(message: string): object {
  return { errorDetail: { message }, error: message };
}

/** podman's report lines for one event. */
export function libpodLines(e: PullEvent, state: { started: boolean }): string[] {
  switch (e.type) {
    case 'resolved':
      return [`Trying to pull ${e.name}...`];
    case 'layer':
      if (!state.started && (e.state === 'pending' || e.state === 'exists')) {
        state.started = true;
        const first = 'Getting image source signatures';
        return e.state === 'exists' ? [first, `Copying blob ${e.digest} skipped: already exists`] : [first, `Copying blob ${e.digest}`];
      }
      if (e.state === 'exists') return [`Copying blob ${e.digest} skipped: already exists`];
      if (e.state === 'pending') return [`Copying blob ${e.digest}`];
      return [];
    case 'config':
      return [`Copying config ${e.digest}`];
    case 'writing-manifest':
      return ['Writing manifest to image destination'];
    default:
      return [];
  }
}

export const writeJsonLine = (res: ServerResponse, o: object) => res.write(JSON.stringify(o) + '\n');
