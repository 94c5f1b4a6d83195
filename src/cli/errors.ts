/** A refusal of the command line: printed as `Error: ...`, exit code 125 as podman uses. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 125) {
    super(message);
  }
}

export interface GlobalOptions {
  logLevel: string;
  /** Environment carrying --root/--runroot so every part resolves the same storage paths. */
  storageEnv: NodeJS.ProcessEnv;
}
