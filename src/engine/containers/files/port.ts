import type { ContainerFiles } from './service.js';

/** What the API layers may ask of a container's files and processes. */
export type ContainerFilesPort = ContainerFiles;
