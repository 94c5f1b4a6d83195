// A container's state in docker's words: the State field and the `Status` column of `docker ps`.
import type { ContainerView } from '../../engine/containers/types.js';

/** Docker's names for our states ('stopping' is still running to clients). */
export function dockerStatus(state: string): string {
  if (state === 'stopping') return 'running';
  // Docker has no transient start state nor podman's initialized one; the container is not running yet.
  if (state === 'starting' || state === 'initialized') return 'created';
  return state;
}

/** docker's units.HumanDuration. */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const m = Math.floor(s / 60);
  if (m === 1) return 'About a minute';
  if (m < 60) return `${m} minutes`;
  const h = Math.round(s / 3600);
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  if (h < 24 * 7 * 2) return `${Math.floor(h / 24)} days`;
  if (h < 24 * 30 * 3) return `${Math.floor(h / 24 / 7)} weeks`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24 / 30)} months`;
  return `${Math.floor(h / 24 / 365)} years`;
}

/** How `docker ps` shows a running container's health: `(health: starting)`, `(healthy)`, `(unhealthy)`. */
export function healthSuffix(status: string | undefined): string {
  if (!status) return '';
  return status === 'starting' ? ' (health: starting)' : ` (${status})`;
}

/** The `Status` column of `docker ps`; `health` is the container's health status, if it has a check. */
export function statusText(c: ContainerView, now = Date.now(), health?: string): string {
  const st = dockerStatus(c.state);
  const since = (t: string) => humanDuration(now - Date.parse(t));
  switch (st) {
    case 'running':
      return `Up ${since(c.startedAt)}${healthSuffix(health)}`;
    case 'paused':
      return `Up ${since(c.startedAt)} (Paused)`;
    case 'restarting':
      return `Restarting (${c.exitCode}) ${since(c.finishedAt)} ago`;
    case 'exited':
      return c.finishedAt ? `Exited (${c.exitCode}) ${since(c.finishedAt)} ago` : 'Created';
    case 'removing':
      return 'Removal In Progress';
    default:
      return 'Created';
  }
}
