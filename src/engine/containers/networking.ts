// What containers need of networks: the networks a create asks for, checked; a run's network
// set up at start (its namespace, addresses, name servers) and torn down at its end; and what
// inspect shows. The network service implements it (engine/networks/attachments.ts).
import type { ContainerNetworkState, EndpointConfig } from '../networks/types.js';
import type { ContainerSpec } from './types.js';

export interface NetworkPlan {
  /** HostConfig.NetworkMode as stored. */
  mode: string;
  /** The networks the container is attached to, the mode's first. */
  endpoints: { networkId: string; config: EndpointConfig }[];
}

export interface NetworkedContainer {
  id: string;
  name: string;
  /** The generation the run will have once running. */
  generation: number;
  spec: ContainerSpec;
}

/** What a start learns from its network, for /etc/hosts, resolv.conf and links. */
export interface NetworkRunInfo {
  netnsPath: string;
  /** The container's addresses, first network first. */
  addresses: string[];
  /** The first network's gateway (the host, as containers reach it). */
  gateway: string;
  /** Set when a network resolves names: aardvark-dns on these addresses. */
  nameservers: string[];
}

export interface ContainerNetworking {
  /** Checks the networks a create names (they must exist), creating the default one on first use. */
  plan(mode: string, endpoints: Record<string, EndpointConfig>, mac?: string): NetworkPlan;
  /** Records the attachments; runs inside the create's transaction. */
  attach(containerId: string, plan: NetworkPlan): void;
  /** Sets up the run's networks in a new namespace; undone by `teardown`. */
  setup(c: NetworkedContainer, signal?: AbortSignal): Promise<NetworkRunInfo>;
  /** What the running container's network answers now (after connects and disconnects). */
  runInfo(containerId: string): NetworkRunInfo | undefined;
  /** Tears down runs up to `generation` (all when undefined); idempotent, any process may call it. */
  teardown(containerId: string, generation?: number): Promise<void>;
  /** `mode` is its NetworkMode: host and none are networks too. */
  state(containerId: string, mode: string): ContainerNetworkState;
  /** Many containers' states, for lists (one read of the store). */
  states(containers: { id: string; mode: string }[]): Map<string, ContainerNetworkState>;
  /** Tears down what no live container holds (after a crash); `live` says which containers still run. */
  reconcile(live: (containerId: string) => boolean): Promise<void>;
}
