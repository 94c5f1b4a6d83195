// A registry client for one operation on one repository, set up the way each naming rule wants
// it: credentials from the request (else the auth files), plain HTTP allowed where docker allows
// it (loopback), where registries.conf says `insecure`, or where the caller turned TLS
// verification off.
import { credentialsFor, hostInsecure, isLoopbackRegistry, loadRegistriesConf, RegistryClient, type Credentials, type RegistryAuth, type Timeouts } from '../../registry/index.js';

export interface AccessOptions {
  naming: 'docker' | 'registries-conf';
  auth?: RegistryAuth;
  tlsVerify?: boolean;
  /** Credentials given outright (login), instead of being looked up. */
  credentials?: Credentials;
  /** Default: the client's (BERTH_REGISTRY_TIMEOUT through the image service). */
  timeouts?: Timeouts;
}

/** What the caller allows beyond registries.conf: all with TLS verification off; docker's loopback rule. */
export function callerAllowsPlainHttp(registry: string, o: Pick<AccessOptions, 'naming' | 'tlsVerify'>): boolean {
  return o.tlsVerify === false || (o.tlsVerify === undefined && o.naming === 'docker' && isLoopbackRegistry(registry));
}

export function registryInsecure(registry: string, o: Pick<AccessOptions, 'naming' | 'tlsVerify'>): boolean {
  return callerAllowsPlainHttp(registry, o) || hostInsecure(loadRegistriesConf(), registry);
}

export async function registryClient(registry: string, repo: string | undefined, o: AccessOptions): Promise<RegistryClient> {
  const credentials = o.credentials ?? (await credentialsFor(o.auth, registry, repo));
  return new RegistryClient({ registry, credentials, insecure: registryInsecure(registry, o), timeouts: o.timeouts });
}
