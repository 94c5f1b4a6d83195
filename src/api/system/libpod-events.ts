// Events as podman names them. berth's bus speaks docker's words (die, destroy, delete, load);
// podman's clients parse the status into their own enumeration and fail on a word they do not
// know (podman-remote 4.3 crashes), so the libpod layer renames what podman calls otherwise and
// leaves out what podman never reports.
import type { EngineEvent } from '../../engine/events/types.js';

/** podman's event statuses (libpod/events: Status) that podman-remote 4.3 already parses. */
const PODMAN_STATUSES = new Set([
  'attach', 'auto-update', 'build', 'checkpoint', 'cleanup', 'commit', 'connect', 'copy', 'create', 'disconnect',
  'died', 'exec', 'exec_died', 'export', 'health_status', 'history', 'import', 'init', 'kill', 'loadfromarchive',
  'mount', 'pause', 'prune', 'pull', 'push', 'refresh', 'remove', 'rename', 'renumber', 'restart', 'restore',
  'log-rotation', 'save', 'start', 'stop', 'sync', 'tag', 'unmount', 'unpause', 'untag',
]);

/**
 * Words and types later podmans added, from the API version that surely has them: podman-remote
 * 4.3 crashes on `update` and on the `secret` type (secret events came with podman 5.5).
 */
const LATER_STATUSES: Record<string, number> = { update: 5.0, 'pull-error': 5.0 };
const LATER_TYPES: Partial<Record<EngineEvent['Type'], number>> = { secret: 5.05 };

const RENAMED: Record<string, string> = { die: 'died', destroy: 'remove', delete: 'remove', load: 'loadfromarchive', exec_die: 'exec_died' };

function podmanStatus(action: string): string {
  // docker's exec actions carry the command after a colon ("exec_start: sh -c ..."); podman's do not.
  const base = action.split(':')[0];
  if (base === 'exec_create' || base === 'exec_start') return 'exec';
  if (base.startsWith('health_status')) return 'health_status';
  return RENAMED[base] ?? base;
}

/** The event in podman's words, or undefined when a podman client of that API level has no such event. */
export function libpodEvent(e: EngineEvent, level = Infinity): EngineEvent | undefined {
  const status = podmanStatus(e.Action);
  const since = LATER_STATUSES[status];
  if (!PODMAN_STATUSES.has(status) && !(since !== undefined && level >= since)) return undefined;
  if (level < (LATER_TYPES[e.Type] ?? 0)) return undefined;
  const attrs = { ...e.Actor.Attributes };
  // podman names a volume by its name attribute (its ID is the name).
  if (e.Type === 'volume' && attrs.name === undefined) attrs.name = e.Actor.ID;
  // podman sends containerExitCode with every event, and its clients drop (4.3: crash on) one without it.
  attrs.containerExitCode = status === 'died' && attrs.exitCode !== undefined ? attrs.exitCode : '0';
  // A health transition is docker's action `health_status: healthy`; podman's is `health_status`
  // with the status beside it.
  const health = status === 'health_status' ? /^health_status: (.+)$/.exec(e.Action)?.[1] : undefined;
  return { ...e, Action: status, status, Actor: { ...e.Actor, Attributes: attrs }, ...(health ? { HealthStatus: health } : {}) };
}
