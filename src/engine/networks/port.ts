import type { EndpointConfig, Network, NetworkCreateRequest, NetworkPruneResult, NetworkView } from './types.js';

/**
 * What the API layers may ask of networks. A `ref` is an ID, a unique ID prefix or a name; the
 * default network answers to `bridge` and `podman`; an unknown one is a not-found EngineError.
 */
export interface NetworksPort {
  create(req: NetworkCreateRequest): NetworkView;
  /** Every network (the default one, host, none, then the user's) through the filters. */
  list(filters?: Record<string, string[]>): NetworkView[];
  get(ref: string): NetworkView;
  /** 409 while containers are attached, unless `force` removes them too (podman's). */
  remove(ref: string, opts?: { force?: boolean }): Promise<Network>;
  /** Removes unused user networks the filters (until, label, label!) select. */
  prune(filters?: Record<string, string[]>): Promise<NetworkPruneResult>;
  /** Attaches a container, also a running one (its new interface comes up at once). */
  connect(ref: string, container: string, config: EndpointConfig): Promise<void>;
  disconnect(ref: string, container: string, force?: boolean): Promise<void>;
}
