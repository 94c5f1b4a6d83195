// Which credentials a registry operation uses: those the request came with for that registry,
// else the one set it came with, else the user's auth files (auth.json, ~/.docker/config.json).
import { authKeys, credentialsFromFiles } from './auth-files.js';
import { hasCredentials, type Credentials, type RegistryAuth } from './types.js';

/** Normalises a key of X-Registry-Config ("https://localhost:5000/v1/") to a host[:port]. */
export function registryHostOf(key: string): string {
  const k = key.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  return k === 'index.docker.io' || k === 'registry-1.docker.io' ? 'docker.io' : k;
}

/**
 * Credentials for `registry` (host[:port]) and repository `repo` (path without registry).
 * `auth` is what the request carried; files are read only when it carried nothing for this
 * registry, as dockerd and podman do.
 */
export async function credentialsFor(auth: RegistryAuth | undefined, registry: string, repo?: string, env: NodeJS.ProcessEnv = process.env): Promise<Credentials | undefined> {
  if (auth?.byRegistry) {
    const keys = authKeys(registry, repo);
    for (const k of keys) {
      const c = auth.byRegistry[k];
      if (hasCredentials(c)) return c;
    }
    for (const [k, c] of Object.entries(auth.byRegistry)) if (registryHostOf(k) === registryHostOf(registry) && hasCredentials(c)) return c;
  }
  if (hasCredentials(auth?.single)) return auth.single;
  return credentialsFromFiles(registry, repo, env);
}
