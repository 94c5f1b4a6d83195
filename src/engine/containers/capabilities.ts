import { ALL_CAPS, DOCKER_DEFAULT_CAPS, PODMAN_DEFAULT_CAPS, resolveCaps } from '../../oci/caps.js';
import type { ContainerSpec } from './types.js';

/** The capabilities a container's process is given, as inspect reports them (its flavour's defaults, adds, drops). */
export function effectiveCaps(spec: ContainerSpec): string[] {
  const h = spec.HostConfig;
  if (h.Privileged) return ALL_CAPS;
  return resolveCaps(spec.flavor === 'podman' ? PODMAN_DEFAULT_CAPS : DOCKER_DEFAULT_CAPS, h.CapAdd ?? [], h.CapDrop ?? []);
}
