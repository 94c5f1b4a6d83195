import type { ContainerService } from './service.js';

/** What the API layers may ask of containers. */
export type ContainersPort = ContainerService;
