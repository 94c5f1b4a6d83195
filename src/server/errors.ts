import { EngineError, type ErrorKind } from '../engine/errors.js';
import { clipRuns } from '../lib/clip.js';

export type Layer = 'compat' | 'libpod';

const STATUS: Record<ErrorKind, number> = {
  'not-found': 404,
  conflict: 409,
  'bad-parameter': 400,
  'not-modified': 304,
  unauthorized: 401,
  forbidden: 403,
  'not-implemented': 501,
  internal: 500,
};

/** Raised by the HTTP layer itself (bad query, malformed JSON, body too large). */
export class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly causeText = message) {
    super(message);
  }
}

export function statusOf(err: unknown): number {
  if (err instanceof HttpError) return err.status;
  if (err instanceof EngineError) return STATUS[err.kind];
  return 500;
}

/**
 * compat answers `{"message"}` as dockerd does; libpod adds cause and response as podman does.
 * Whatever a message quotes of the request is clipped here too, the one place every error
 * passes: a 100 KB input never comes back whole.
 */
export function errorBody(layer: Layer, status: number, err: unknown): Record<string, unknown> {
  const message = clipRuns(err instanceof Error ? err.message : String(err));
  if (layer === 'compat') return { message };
  const cause = clipRuns(
    err instanceof EngineError ? (err.causeText ?? err.message) : err instanceof HttpError ? err.causeText : message,
  );
  return { cause, message, response: status };
}
