// What the registry client is given and says, shared by the engine and (through the images
// port's types) the API layers. No HTTP dialect here: headers are decoded by the API layer.

/**
 * Credentials for one registry. Username/password go to Basic auth or to the token server;
 * `identityToken` is an OAuth2 refresh token (docker's `identitytoken`, what `docker login`
 * keeps); `registryToken` is a bearer token sent as is (docker's `registrytoken`).
 */
export interface Credentials {
  username?: string;
  password?: string;
  identityToken?: string;
  registryToken?: string;
}

/**
 * Credentials a request came with: one set (X-Registry-Auth) and/or a set per registry
 * (X-Registry-Config, podman's multi-registry X-Registry-Auth). Keys are registry hosts as
 * users write them (`localhost:5000`, `docker.io`, `https://index.docker.io/v1/`).
 */
export interface RegistryAuth {
  single?: Credentials;
  byRegistry?: Record<string, Credentials>;
}

export const hasCredentials = (c: Credentials | undefined): c is Credentials =>
  !!c && !!(c.username || c.password || c.identityToken || c.registryToken);
