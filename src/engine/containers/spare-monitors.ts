// Spare conmons: `docker run` creates a container and starts it a few round trips later (attach,
// wait, start). A conmon spawned once the create is answered, held on its start pipe before it
// forks or runs anything (oci/conmon.ts launchConmon), has done its exec and loading by the
// time the start comes. Only a few at a time: a client that creates many containers without
// starting them (a create benchmark, a compose file) pays for one spare, not one per container.
import type { ConmonLaunch } from '../../oci/conmon.js';

/** How long a spare waits for its container's start before it is ended. */
const WAIT_MS = 30_000;
/** Spares held at once. */
const MAX_SPARES = 2;

interface Spare {
  /** The conmon arguments it was spawned with: a start that would pass others spawns its own. */
  key: string;
  launch: ConmonLaunch;
  timer: NodeJS.Timeout;
}

export class SpareMonitors {
  private spares = new Map<string, Spare>();

  /** Room for another spare (none held for `id` yet)? */
  wanted(id: string): boolean {
    return this.spares.size < MAX_SPARES && !this.spares.has(id);
  }

  offer(id: string, key: string, launch: ConmonLaunch): void {
    if (!this.wanted(id)) return launch.cancel();
    const timer = setTimeout(() => this.drop(id), WAIT_MS);
    timer.unref();
    this.spares.set(id, { key, launch, timer });
  }

  /** The spare of `id` spawned with `key`, taken out (one with other arguments, or failed, is ended). */
  take(id: string, key: string): ConmonLaunch | undefined {
    const s = this.spares.get(id);
    if (!s) return undefined;
    this.spares.delete(id);
    clearTimeout(s.timer);
    if (s.key === key && s.launch.waiting()) return s.launch;
    s.launch.cancel();
    return undefined;
  }

  /** Ends the spare of `id`, if any (the container is removed). */
  drop(id: string): void {
    const s = this.spares.get(id);
    if (!s) return;
    this.spares.delete(id);
    clearTimeout(s.timer);
    s.launch.cancel();
  }
}
