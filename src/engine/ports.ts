// The engine as the API layers see it: one narrow port per resource. Files under src/api/ import
// from the engine only these ports and the resources' types (test/unit/api/boundary.test.ts).
import type { BuildPort } from './build/port.js';
import type { ContainersPort } from './containers/port.js';
import type { ContainerFilesPort } from './containers/files/port.js';
import type { EventsPort } from './events/port.js';
import type { ExecPort } from './exec/port.js';
import type { HealthPort } from './health/port.js';
import type { ImagesPort } from './images/port.js';
import type { KubePort } from './kube/port.js';
import type { ManifestsPort } from './manifests/port.js';
import type { NetworksPort } from './networks/port.js';
import type { PodsPort } from './pods/port.js';
import type { SecretsPort } from './secrets/port.js';
import type { SystemPort } from './system/port.js';
import type { VolumesPort } from './volumes/port.js';

export type { BuildPort, ContainersPort, ContainerFilesPort, EventsPort, ExecPort, HealthPort, ImagesPort, KubePort, ManifestsPort, NetworksPort, PodsPort, SecretsPort, SystemPort, VolumesPort };

export interface EnginePorts {
  readonly containers: ContainersPort;
  readonly containerFiles: ContainerFilesPort;
  readonly images: ImagesPort;
  readonly manifests: ManifestsPort;
  readonly exec: ExecPort;
  readonly health: HealthPort;
  readonly system: SystemPort;
  readonly volumes: VolumesPort;
  readonly networks: NetworksPort;
  readonly pods: PodsPort;
  readonly secrets: SecretsPort;
  readonly events: EventsPort;
  readonly kube: KubePort;
  readonly build: BuildPort;
  /** Runs `fn` when the service shuts down (ends streams); returns an unregister. */
  onShutdown(fn: () => void | Promise<void>): () => void;
}
