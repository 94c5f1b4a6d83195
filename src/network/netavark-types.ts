// The JSON netavark 1.x reads on setup/teardown and prints after setup (its src/network/types.rs).

export interface NetavarkSubnet {
  subnet: string;
  gateway?: string;
  lease_range?: { start_ip?: string; end_ip?: string };
}

export interface NetavarkNetwork {
  name: string;
  id: string;
  driver: string;
  network_interface: string;
  subnets: NetavarkSubnet[];
  ipv6_enabled: boolean;
  internal: boolean;
  dns_enabled: boolean;
  options?: Record<string, string>;
  ipam_options?: Record<string, string>;
}

export interface PerNetworkOptions {
  interface_name: string;
  static_ips: string[];
  aliases?: string[];
  static_mac?: string;
}

export interface PortMapping {
  host_ip: string;
  container_port: number;
  host_port: number;
  /** 1 for one port; n maps host_port..+n-1 to container_port..+n-1. */
  range: number;
  protocol: string;
}

/** One container's networks, keyed by network name in both maps. */
export interface NetworkOptions {
  container_id: string;
  container_name: string;
  networks: Record<string, PerNetworkOptions>;
  network_info: Record<string, NetavarkNetwork>;
  port_mappings?: PortMapping[];
  /** Upstream resolvers aardvark-dns uses for this container (docker's --dns on user networks). */
  dns_servers?: string[];
}

export interface NetAddress {
  gateway?: string;
  /** The container's address with the subnet's prefix: "10.1.0.2/24". */
  ipnet: string;
}

/** What setup prints, per network name. */
export interface StatusBlock {
  dns_search_domains?: string[];
  dns_server_ips?: string[];
  interfaces?: Record<string, { mac_address: string; subnets?: NetAddress[] }>;
}
