import type { SystemService } from './service.js';

/** What the API layers may ask of system. */
export type SystemPort = SystemService;
