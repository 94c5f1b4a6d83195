// Networks as the engine models them, and what the API layers exchange with it. The names are
// neutral: each layer shapes them (docker's `bridge` and IPAM block, podman's `podman` and
// subnets list) in src/api/networks/.

export interface Subnet {
  /** CIDR, host bits cleared. */
  subnet: string;
  gateway?: string;
  /** Addresses handed out come from here (docker's IPRange, podman's lease_range). */
  leaseRange?: { start: string; end: string };
  /** The range as docker's CIDR, when it was given so. */
  ipRange?: string;
}

export type NetworkDriver = 'bridge' | 'host' | 'null';

/** A network: a bridge driven through netavark, or one of the built-in `host` and `none`. */
export interface Network {
  id: string;
  /** The default network is stored as `podman`; it also answers to `bridge` (docker's name). */
  name: string;
  driver: NetworkDriver;
  /** RFC 3339 with nanoseconds. */
  created: string;
  /** The bridge on the host ('' for host and none). */
  interface: string;
  subnets: Subnet[];
  ipv6: boolean;
  internal: boolean;
  dnsEnabled: boolean;
  attachable: boolean;
  labels: Record<string, string>;
  /** As the client gave them (docker's com.docker.network.* keys, podman's mtu/isolate/metric). */
  options: Record<string, string>;
  ipamOptions: Record<string, string>;
  /** The network containers get when they ask for none in particular. */
  isDefault: boolean;
  /** host and none: always there, never removed. */
  builtin: boolean;
}

/** A container attached to a network, as network inspect lists it. */
export interface NetworkMember {
  id: string;
  name: string;
  /** The run's endpoint; '' while the container does not run. */
  endpointId: string;
  interfaceName: string;
  macAddress: string;
  /** CIDR forms ("10.1.0.2/24"), '' when none. */
  ipv4: string;
  ipv6: string;
  gateway: string;
  ipv6Gateway: string;
}

export interface NetworkView extends Network {
  /** Containers that run attached to it (by container ID). */
  members: NetworkMember[];
  /** How many containers are attached, running or not. */
  attached: number;
}

export interface NetworkCreateRequest {
  name: string;
  /** Default bridge. */
  driver?: string;
  internal?: boolean;
  attachable?: boolean;
  ipv6?: boolean;
  /** Default true for user networks (docker always resolves names on them). */
  dnsEnabled?: boolean;
  labels?: Record<string, string>;
  options?: Record<string, string>;
  ipamDriver?: string;
  ipamOptions?: Record<string, string>;
  /** Bridge name; also docker's com.docker.network.bridge.name option. */
  interface?: string;
  subnets?: { subnet?: string; gateway?: string; ipRange?: string; leaseRange?: { start?: string; end?: string } }[];
}

/** What a container asks of one network it is attached to. */
export interface EndpointConfig {
  aliases?: string[];
  ipv4?: string;
  ipv6?: string;
  mac?: string;
  /** docker's legacy links given on the endpoint ("name:alias"). */
  links?: string[];
  /** podman's interface_name. */
  interfaceName?: string;
}

export interface NetworkPruneResult {
  /** Names of the removed networks. */
  deleted: string[];
}

/** One network of a container, as container inspect shows it (addresses empty while it does not run). */
export interface ContainerEndpoint {
  networkId: string;
  networkName: string;
  isDefault: boolean;
  /** Given aliases, plus the short ID on networks with name resolution. */
  aliases: string[];
  links: string[];
  ipamConfig: { ipv4?: string; ipv6?: string } | null;
  endpointId: string;
  interfaceName: string;
  macAddress: string;
  /** Plain addresses ("10.1.0.2"), with their prefix lengths apart. */
  ipv4: string;
  ipv4PrefixLen: number;
  ipv6: string;
  ipv6PrefixLen: number;
  gateway: string;
  ipv6Gateway: string;
}

/** A published port as it is bound while the container runs. */
export interface PublishedPort {
  hostIp: string;
  hostPort: number;
  containerPort: number;
  protocol: string;
}

/** A container's networking: its networks in attach order, its ports, its namespace. */
export interface ContainerNetworkState {
  endpoints: ContainerEndpoint[];
  /** Empty unless the container runs. */
  ports: PublishedPort[];
  /** The network namespace's path while it runs ('' otherwise). */
  sandboxKey: string;
}
