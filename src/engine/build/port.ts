import type { BuildEvent, BuildRequest } from './types.js';

/** What the API layers may ask of the builder. */
export interface BuildPort {
  /**
   * Checks the request (bad parameters throw before anything starts) and returns the build's
   * events; the context tar (plain or compressed) is read as the build starts. A failed build
   * ends the events with a BuildError, after removing what it made; so does `signal` (the
   * client went away), which also kills a running RUN step.
   */
  build(req: BuildRequest, context: AsyncIterable<Buffer> | undefined, signal?: AbortSignal): AsyncGenerator<BuildEvent>;
  /** Validates a request without starting it (the API answers 400 for a bad one). */
  check(req: BuildRequest): void;
}
