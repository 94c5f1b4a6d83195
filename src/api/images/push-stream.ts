// How each layer words a push's progress: dockerd's JSON messages (status/id/progressDetail,
// the digest line and the aux PushResult the docker CLI reads) and podman's report stream
// ({"stream"} lines, the manifest digest last). The engine's events are layer-neutral
// (engine/images/types.ts PushEvent).
import type { PushEvent } from '../../engine/images/types.js';
import { progressBar } from './pull-stream.js';

/** docker's short layer ID: 12 hex of the diff ID. */
const shortId = (diffId: string) => diffId.replace(/^sha256:/, '').slice(0, 12);

/** dockerd's messages for one event (undefined: docker says nothing for it). */
export function compatPushMessages(e: PushEvent): object[] {
  switch (e.type) {
    case 'repository':
      return [{ status: `The push refers to repository [${e.name}]` }];
    case 'layer': {
      const base = { progressDetail: {}, id: shortId(e.diffId) };
      switch (e.state) {
        case 'preparing':
          return [{ status: 'Preparing', ...base }];
        case 'waiting':
          return [{ status: 'Waiting', ...base }];
        case 'pushing':
          return [{ status: 'Pushing', progressDetail: { current: e.current ?? 0, total: e.total ?? 0 }, progress: progressBar(e.current ?? 0, e.total ?? 0), id: base.id }];
        case 'pushed':
          return [{ status: 'Pushed', ...base }];
        case 'exists':
          return [{ status: 'Layer already exists', ...base }];
        case 'mounted':
          return [{ status: `Mounted from ${e.from}`, ...base }];
      }
      return [];
    }
    case 'manifest':
      return [{ status: `${e.tag}: digest: ${e.digest} size: ${e.size}` }, { progressDetail: {}, aux: { Tag: e.tag, Digest: e.digest, Size: e.size } }];
    default:
      return [];
  }
}

/** podman's report lines (containers/image's copy progress, as podman-remote prints it). */
export function libpodPushLines(e: PushEvent, state: { started: boolean }): string[] {
  const out: string[] = [];
  if (!state.started && (e.type === 'layer' || e.type === 'config')) {
    state.started = true;
    out.push('Getting image source signatures');
  }
  if (e.type === 'layer') {
    if (e.state === 'exists') out.push(`Copying blob ${shortId(e.digest ?? e.diffId)} skipped: already exists`);
    else if (e.state === 'pushed' || e.state === 'mounted') out.push(`Copying blob ${e.digest}`);
  } else if (e.type === 'config') {
    out.push(`Copying config ${e.digest}`);
  } else if (e.type === 'manifest') {
    out.push('Writing manifest to image destination');
  }
  return out;
}
