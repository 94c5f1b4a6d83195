import type { SecretCreateRequest, SecretView } from './types.js';

/** What the API layers may ask of secrets. An unknown name or ID is a not-found EngineError. */
export interface SecretsPort {
  /** A taken name is a conflict unless `replace`. */
  create(req: SecretCreateRequest): SecretView;
  /** Filters: name (pattern), id (prefix), label, label!. */
  list(filters?: Record<string, string[]>): SecretView[];
  /** By name, full ID or a unique ID prefix. */
  get(ref: string): SecretView;
  /** The secret's data (podman's `inspect --showsecret`). */
  data(ref: string): Buffer;
  /** Resolves with the removed secret's ID. */
  remove(ref: string): string;
  /** Removes every secret; resolves with their IDs. */
  removeAll(): string[];
}
