// Registry failures as engine errors: a missing image or tag is not-found, bad credentials
// unauthorized (both found before any stream starts, so the API answers 404 / 401), anything
// else keeps the registry's words as an internal error.
import { RegistryError, RegistriesConfError } from '../../registry/index.js';
import { badParameter, EngineError, forbidden, internal, notFound, unauthorized } from '../errors.js';

export function fromRegistryError(e: unknown, what?: string): unknown {
  if (e instanceof EngineError) return e;
  if (e instanceof RegistriesConfError) return badParameter(e.message);
  if (!(e instanceof RegistryError)) return e;
  const msg = what ? `${what}: ${e.registryText ?? e.message}` : e.message;
  switch (e.kind) {
    case 'not-found':
      return notFound(msg);
    case 'unauthorized':
      return unauthorized(msg);
    case 'denied':
      return forbidden(msg);
    default:
      return internal(e.message, e.message);
  }
}
