// `docker login` as dockerd checks it: the credentials against the registry (a token asked with
// them, or Basic against /v2/), never stored here — clients keep them in their own files.
import { registryHostOf, type Timeouts } from '../../registry/index.js';
import { fromRegistryError } from './registry-errors.js';
import { registryClient } from './registry-access.js';
import type { LoginOptions } from './types.js';

/** The registry a login names: `https://index.docker.io/v1/` and empty are Docker Hub. */
export function loginRegistry(server: string): string {
  const s = server.trim();
  return s ? registryHostOf(s) : 'docker.io';
}

export async function login(o: LoginOptions, timeouts?: Timeouts): Promise<{ registry: string; identityToken?: string }> {
  const registry = loginRegistry(o.server);
  try {
    const client = await registryClient(registry, undefined, { naming: o.naming, tlsVerify: o.tlsVerify, credentials: o.credentials, timeouts });
    return { registry, ...(await client.login()) };
  } catch (e) {
    throw fromRegistryError(e);
  }
}
