/**
 * Lifecycle states as docker names them; 'removing' guards a delete in progress. 'initialized' is
 * podman's: created in the runtime (conmon monitors it) with its process not yet started.
 */
export type ContainerStatus = 'created' | 'initialized' | 'starting' | 'running' | 'paused' | 'restarting' | 'exited' | 'removing' | 'stopping';

/**
 * The states in which a container's processes exist (or are about to again): what `docker ps`
 * lists without `-a`, what stop and kill act on and what `running` counts in /info.
 */
export const LIVE_STATES = ['running', 'paused', 'stopping', 'restarting'] as const satisfies readonly ContainerStatus[];

const LIVE: ReadonlySet<string> = new Set(LIVE_STATES);
export const isLive = (state: string): boolean => LIVE.has(state);

/** A run the runtime and conmon hold: live, or initialized (created in the runtime, not started). */
export const hasRun = (state: string): boolean => LIVE.has(state) || state === 'initialized';
