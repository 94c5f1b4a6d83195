import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let launcher: string | undefined;

/**
 * The berth launcher for conmon's exit command: the script this process was started with, or
 * <package>/bin/berth.js found above this module (its depth differs between tsc output and the
 * bundle).
 */
export function berthLauncher(): string {
  if (launcher) return launcher;
  const argv1 = process.argv[1];
  if (argv1 && /berth(\.js)?$/.test(argv1) && existsSync(argv1)) return (launcher = argv1);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'bin', 'berth.js');
    if (existsSync(candidate)) return (launcher = candidate);
    dir = dirname(dir);
  }
  throw new Error('cannot find bin/berth.js for the container exit command');
}

/** argv prefix conmon runs when a container exits; berth appends `container cleanup ...`. */
export function berthExitCommand(): string[] {
  return [process.execPath, berthLauncher()];
}
