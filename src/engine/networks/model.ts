// Networks between the store's rows and the engine's records, and the ones every engine has.
import { createHash, randomBytes } from 'node:crypto';
import type { NetworkRow } from '../../state/networks.js';
import type { Network } from './types.js';

/** The default network's stored name (podman's); compat clients know it as `bridge`. */
export const DEFAULT_NAME = 'podman';
/** Names that always mean the default network. */
export const DEFAULT_ALIASES = new Set(['podman', 'bridge', 'default']);
/** Names no user network may take. */
export const RESERVED_NAMES = new Set(['podman', 'bridge', 'default', 'host', 'none']);

export const newNetworkId = (): string => randomBytes(32).toString('hex');

const ZERO_TIME = '0001-01-01T00:00:00Z';

function builtin(name: 'host' | 'none'): Network {
  return {
    id: createHash('sha256').update(`berth network ${name}`).digest('hex'),
    name,
    driver: name === 'host' ? 'host' : 'null',
    created: ZERO_TIME,
    interface: '',
    subnets: [],
    ipv6: false,
    internal: false,
    dnsEnabled: false,
    attachable: false,
    labels: {},
    options: {},
    ipamOptions: {},
    isDefault: false,
    builtin: true,
  };
}

export const HOST_NETWORK = builtin('host');
export const NONE_NETWORK = builtin('none');
export const BUILTIN_NETWORKS = [HOST_NETWORK, NONE_NETWORK];

type StoredConfig = Omit<Network, 'id' | 'name' | 'created' | 'builtin'>;

export function toRow(n: Network): NetworkRow {
  const { id, name, created, builtin: _b, ...config } = n;
  return { id, name, created, config: JSON.stringify(config satisfies StoredConfig) };
}

export function fromRow(r: NetworkRow): Network {
  const c = JSON.parse(r.config) as StoredConfig;
  return { ...c, id: r.id, name: r.name, created: r.created, builtin: false };
}
