// Events as podman names them. berth's bus speaks docker's words (die, destroy, delete, load);
// podman's clients parse the status into their own enumeration and fail on a word they do not
// know (podman-remote 4.3 crashes), so the libpod layer renames what podman calls otherwise and
// leaves out what podman never reports.
import type { EngineEvent } from '../../engine/events/types.js';

/** podman's event statuses (libpod/events: Status), 4.x and 5.x. */
const PODMAN_STATUSES = new Set([
  'attach', 'autoupdate', 'build', 'checkpoint', 'cleanup', 'commit', 'connect', 'copy', 'create', 'disconnect',
  'died', 'exec', 'exec_died', 'exited', 'export', 'health_status', 'import', 'init', 'kill', 'loadfromarchive',
  'mount', 'pause', 'prune', 'pull', 'push', 'refresh', 'remove', 'rename', 'renumber', 'restart', 'restore',
  'rotate', 'save', 'start', 'stop', 'sync', 'tag', 'unmount', 'unpause', 'untag', 'update',
]);

const RENAMED: Record<string, string> = { die: 'died', destroy: 'remove', delete: 'remove', load: 'loadfromarchive', exec_die: 'exec_died' };

function podmanStatus(action: string): string {
  // docker's exec actions carry the command after a colon ("exec_start: sh -c ..."); podman's do not.
  const base = action.split(':')[0];
  if (base === 'exec_create' || base === 'exec_start') return 'exec';
  if (base.startsWith('health_status')) return 'health_status';
  return RENAMED[base] ?? base;
}

/** The event in podman's words, or undefined when podman has no such event. */
export function libpodEvent(e: EngineEvent): EngineEvent | undefined {
  const status = podmanStatus(e.Action);
  if (!PODMAN_STATUSES.has(status)) return undefined;
  const attrs = { ...e.Actor.Attributes };
  // podman names a volume by its name attribute (its ID is the name).
  if (e.Type === 'volume' && attrs.name === undefined) attrs.name = e.Actor.ID;
  // podman sends containerExitCode with every event, and its clients drop (4.3: crash on) one without it.
  attrs.containerExitCode = status === 'died' && attrs.exitCode !== undefined ? attrs.exitCode : '0';
  return { ...e, Action: status, status, Actor: { ...e.Actor, Attributes: attrs } };
}
