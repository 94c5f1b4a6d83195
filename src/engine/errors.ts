// Typed engine errors. The server maps `kind` to a status code once (server/errors.ts);
// the engine never knows about HTTP.
export type ErrorKind =
  | 'not-found'
  | 'conflict'
  | 'bad-parameter'
  | 'not-modified'
  | 'unauthorized'
  | 'forbidden'
  | 'not-implemented'
  | 'internal';

export class EngineError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    /** Underlying cause (runtime message, errno), shown as libpod's "cause". */
    readonly causeText?: string,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

export const notFound = (msg: string) => new EngineError('not-found', msg, 'no such object');
export const conflict = (msg: string) => new EngineError('conflict', msg, 'conflict');
export const badParameter = (msg: string) => new EngineError('bad-parameter', msg, 'bad parameter');
export const forbidden = (msg: string) => new EngineError('forbidden', msg, 'forbidden');
export const unauthorized = (msg: string) => new EngineError('unauthorized', msg, 'unauthorized');
export const notModified = (msg = 'not modified') => new EngineError('not-modified', msg);
export const notImplemented = (msg: string) => new EngineError('not-implemented', msg, 'not implemented');
export const internal = (msg: string, cause?: string) => new EngineError('internal', msg, cause);
