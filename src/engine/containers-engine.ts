import { fileURLToPath } from 'node:url';
import type { Engine } from './engine.js';
import { ContainerService } from './containers.js';
import type { ImageSource } from './container-types.js';
import { imageService, setImageUseChecker } from './images.js';
import { which } from './host.js';

const services = new WeakMap<Engine, ContainerService>();

// conmon runs this when a container exits; berth's launcher sits at <package>/bin/berth.js.
const BERTH_JS = fileURLToPath(new URL('../../../bin/berth.js', import.meta.url));

export function berthExitCommand(): string[] {
  return [process.execPath, BERTH_JS];
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
