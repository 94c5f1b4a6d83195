// The engine as the API layers see it: one narrow port per resource. Files under src/api/ import
// from the engine only these ports and the resources' types (test/unit/api/boundary.test.ts).
import type { ContainersPort } from './containers/port.js';
import type { ContainerFilesPort } from './containers/files/port.js';
import type { EventsPort } from './events/port.js';
import type { ExecPort } from './exec/port.js';
import type { HealthPort } from './health/port.js';
import type { ImagesPort } from './images/port.js';
import type { NetworksPort } from './networks/port.js';
import type { SystemPort } from './system/port.js';
import type { VolumesPort } from './volumes/port.js';

export type { ContainersPort, ContainerFilesPort, EventsPort, ExecPort, HealthPort, ImagesPort, NetworksPort, SystemPort, VolumesPort };

export interface EnginePorts {
  readonly containers: ContainersPort;
  readonly containerFiles: ContainerFilesPort;
  readonly images: ImagesPort;
  readonly exec: ExecPort;
  readonly health: HealthPort;
  readonly system: SystemPort;
  readonly volumes: VolumesPort;
  readonly networks: NetworksPort;
  readonly events: EventsPort;
  /** Runs `fn` when the service shuts down (ends streams); returns an unregister. */
  onShutdown(fn: () => void | Promise<void>): () => void;
}
