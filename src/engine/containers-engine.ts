import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Engine } from './engine.js';
import { ContainerService } from './containers.js';
import type { ImageSource } from './container-types.js';
import { imageService, setImageUseChecker } from './images.js';
import { which } from './host.js';

const services = new WeakMap<Engine, ContainerService>();

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

export function berthExitCommand(): string[] {
  return [process.execPath, berthLauncher()];
}

/** Adapts the image store to what containers need: config at create, layers at start. */
export function imageSourceOf(engine: Engine): ImageSource {
  return {
    resolve(ref) {
      const img = imageService(engine).resolve(ref);
      return { id: img.id, config: img.cfg.config ?? {} };
    },
    lowerSpec(imageId) {
      return imageService(engine).lowerSpec(imageId);
    },
  };
}

export function initBinary(): string | undefined {
  return which('catatonit', ['/usr/libexec/podman']) ?? which('tini');
}

/**
 * The container service of a running service process, created on first use: it watches the
 * exit dir and reconciles state left by earlier processes.
 */
export function containerService(engine: Engine): ContainerService {
  let s = services.get(engine);
  if (s) return s;
  s = new ContainerService({
    paths: engine.paths,
    db: engine.db,
    events: engine.events,
    images: imageSourceOf(engine),
    exitCommand: berthExitCommand(),
    service: true,
    initPath: initBinary(),
  });
  services.set(engine, s);
  const svc = s;
  setImageUseChecker((id) => ({ containers: svc.containersOfImage(id) }));
  engine.onShutdown(() => svc.close());
  return s;
}
