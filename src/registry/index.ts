/**
 * berth's registry client (OCI distribution spec): the one way the engine talks to registries.
 *
 * How to use it (pull, push, login and search all start the same way):
 *
 *   import { RegistryClient, credentialsFor, repoScope, loadRegistriesConf } from '../../registry/index.js';
 *   const creds = await credentialsFor(auth, 'localhost:5000', 'team/app');   // request's, else auth files
 *   const c = new RegistryClient({ registry: 'localhost:5000', credentials: creds, insecure });
 *   await c.login();                                   // POST /auth: throws RegistryError('unauthorized')
 *   const m = await c.manifest('team/app', 'latest');  // bytes, mediaType, digest
 *   const { stream } = await c.blob('team/app', digest);
 *   const size = await c.blobSize('team/app', digest, [repoScope('team/app', ['pull', 'push'])]);
 *   const a = await c.request('POST', '/v2/team/app/blobs/uploads/', { scopes: [repoScope('team/app', ['pull', 'push'])] });
 *   await c.ok(a, 'starting an upload');              // throws the registry's error for non-2xx
 *
 * - `request()` authenticates for the scopes given (Bearer token per scope set, cached per
 *   client; Basic where the registry asks for it), retries once on a fresh 401 challenge when the
 *   body is a Buffer, and follows redirects for GET/HEAD (dropping credentials off-origin).
 *   A stream body is sent once: make a cheap call with the same scopes first (e.g. blobSize) so
 *   the token is in hand.
 * - `insecure` allows plain HTTP and unverified TLS (https tried first): pass it for
 *   tls-verify=false, registries.conf `insecure = true` (`hostInsecure()`), and in docker's
 *   rules for loopback registries (`isLoopbackRegistry()`).
 * - Certificates come from certs.d (`tlsFor()`; BERTH_CERTS_D overrides the dirs).
 * - Every failure is a RegistryError with `kind` (unauthorized, denied, not-found, unreachable,
 *   timeout, protocol), the HTTP status, and the registry's `errors` (codes like MANIFEST_UNKNOWN);
 *   the engine maps them to its own errors (engine/images/registry-errors.ts: `fromRegistryError`).
 * - API layers decode X-Registry-Auth / X-Registry-Config with src/api/http/registry-auth.ts into
 *   a `RegistryAuth` and pass it through the engine's ports untouched.
 */
export { RegistryClient, MANIFEST_ACCEPT, MEDIA, repoScope, type Manifest, type RegistryClientOptions, type RequestOptions } from './client.js';
export { RegistryError, errorFromResponse, type RegistryErrorKind } from './errors.js';
export { credentialsFor, registryHostOf } from './credentials.js';
export { authFiles, credentialsFromFiles } from './auth-files.js';
export { hasCredentials, type Credentials, type RegistryAuth } from './types.js';
export { loadRegistriesConf, pullSources, hostInsecure, findRegistry, RegistriesConfError, type RegistriesConf, type PullSource } from './registries-conf.js';
export { tlsFor, certsDirs, type TlsMaterial } from './tls.js';
export { readBody, drop, DEFAULT_TIMEOUTS, timeoutsFromEnv, type HttpAnswer, type Timeouts } from './transport.js';
export { parseWwwAuthenticate, type Challenge } from './www-authenticate.js';
export { isLoopbackRegistry } from './loopback.js';
