import type { ExecCreateRequest, ExecRun, ExecStartOptions, ExecView } from './types.js';

/** What the API layers may ask of exec. */
export interface ExecPort {
  /** A session in a running container; returns its ID. */
  create(containerRef: string, req: ExecCreateRequest): { id: string };
  /** The session, with an exit that happened while nobody watched applied first. */
  inspect(ref: string): ExecView;
  /** Exec IDs of a container (container inspect's ExecIDs). */
  idsOf(containerId: string): string[];
  /**
   * Claims and starts the session. Validation and the claim happen before this returns (so the
   * caller can still answer with an error); the process starts in the background.
   */
  start(ref: string, o: ExecStartOptions): ExecRun;
  resize(ref: string, height: number, width: number): void;
}
