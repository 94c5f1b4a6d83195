import type { ExecService } from './service.js';

/** What the API layers may ask of exec. */
export type ExecPort = ExecService;
