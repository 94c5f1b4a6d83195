// What the API layers exchange with exec: the create request, the session as inspect shows it,
// and a start in progress.
import type { ExecConfig, ExecRow } from '../../state/exec.js';

export type { ExecConfig, ExecRow, ExecState } from '../../state/exec.js';

export interface ExecCreateRequest {
  Cmd?: string[] | string | null;
  Env?: string[] | null;
  WorkingDir?: string;
  User?: string;
  Privileged?: boolean;
  Tty?: boolean;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  /** Kept as given; the stream layer parses it when it attaches. */
  DetachKeys?: string;
  ConsoleSize?: [number, number] | null;
}

/** A session as inspect shows it. */
export interface ExecView extends ExecRow {
  running: boolean;
}

/** The client's side of a started process's stdio: output out, stdin in. */
export interface ExecStdio {
  onOutput(cb: (stream: 1 | 2, data: Buffer) => void): void;
  /** Called once the stdio has ended (the process closed it, or `close`). */
  onEnd(cb: (err?: string) => void): void;
  write(data: Buffer): void;
  endStdin(): void;
  /** Lets go of the stdio; the process keeps running (detach). */
  close(): void;
}

export interface ExecStartOptions {
  detach: boolean;
  /** [height, width]: the initial console size. */
  size?: [number, number];
}

/** A start in progress in this process: the client's stdio and the result. */
export interface ExecRun {
  id: string;
  /** Whether the process runs on a terminal (the session's Tty). */
  tty: boolean;
  /** The session's config as created. */
  config: ExecConfig;
  /** The stdio relay; undefined for a detached start. */
  session: ExecStdio | undefined;
  /** Resolves once the process started (pid), rejects with EngineError when it could not. */
  started: Promise<number>;
  /** Resolves with the exit code once recorded in the state DB. */
  exited: Promise<number>;
}
