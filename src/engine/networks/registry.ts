// The networks that exist: stored ones, the default one (created on first use) and the
// built-in host and none; lookups by ID, name or ID prefix; creation and removal of records.
import type { ContainersConf } from '../../config/containers-conf.js';
import { clip } from '../../lib/clip.js';
import { formatCidr, nth, parseCidr } from '../../network/ip.js';
import { hostRoutes, interfaceExists } from '../../network/host.js';
import type { NetworkStore } from '../../state/networks.js';
import { badParameter, notFound } from '../errors.js';
import type { EventBus } from '../events.js';
import { nowIso } from '../containers/util.js';
import { buildNetwork, DEFAULT_NETWORK_PREFIX, freeSubnet } from './create.js';
import { BUILTIN_NETWORKS, DEFAULT_ALIASES, DEFAULT_NAME, fromRow, newNetworkId, toRow } from './model.js';
import type { Network, NetworkCreateRequest } from './types.js';

export const noSuchNetwork = (ref: string) => notFound(`network ${clip(ref)} not found`);

export class NetworkRegistry {
  constructor(
    private readonly store: NetworkStore,
    private readonly conf: ContainersConf['network'],
    private readonly events: EventBus,
  ) {}

  /** Stored networks, the default one among them once it exists. */
  stored(): Network[] {
    return this.store.list().map(fromRow);
  }

  /** Every network a list shows: the default one first (made now if need be), host, none, then the user's. */
  all(): Network[] {
    const def = this.ensureDefault();
    return [def, ...BUILTIN_NETWORKS, ...this.stored().filter((n) => n.id !== def.id)];
  }

  find(ref: string): Network | undefined {
    if (DEFAULT_ALIASES.has(ref)) return this.ensureDefault();
    const b = BUILTIN_NETWORKS.find((n) => n.name === ref || n.id === ref);
    if (b) return b;
    const r = this.store.lookup(ref);
    if (r === 'ambiguous') throw badParameter(`network ${clip(ref)} is ambiguous: more than one network ID starts with it`);
    if (r) return fromRow(r);
    // A built-in network's ID prefix, as for any other network.
    return /^[0-9a-f]+$/.test(ref) ? BUILTIN_NETWORKS.find((n) => n.id.startsWith(ref)) : undefined;
  }

  get(ref: string): Network {
    const n = this.find(ref);
    if (!n) throw noSuchNetwork(ref);
    return n;
  }

  byId(id: string): Network | undefined {
    const r = this.store.get(id);
    return r ? fromRow(r) : BUILTIN_NETWORKS.find((n) => n.id === id);
  }

  /** The default network, created on first use with containers.conf's default_subnet or a free one. */
  ensureDefault(): Network {
    const row = this.store.lookup(DEFAULT_NAME);
    if (row && row !== 'ambiguous') return fromRow(row);
    const id = newNetworkId();
    const taken = [...this.stored().flatMap((n) => n.subnets.map((s) => parseCidr(s.subnet)!)), ...hostRoutes()];
    const conf = this.conf.default_subnet ? parseCidr(this.conf.default_subnet) : undefined;
    if (this.conf.default_subnet && !conf) throw badParameter(`containers.conf: invalid default_subnet ${clip(this.conf.default_subnet)}`);
    const subnet = conf ? { subnet: formatCidr(conf), gateway: nth(conf, 1n) } : freeSubnet([], taken, DEFAULT_NETWORK_PREFIX);
    const net: Network = {
      id, name: DEFAULT_NAME, driver: 'bridge', created: nowIso(), interface: `br-${id.slice(0, 12)}`, subnets: [subnet],
      ipv6: false, internal: false, dnsEnabled: false, attachable: false, labels: {}, options: {},
      ipamOptions: { driver: 'host-local' }, isDefault: true, builtin: false,
    };
    try {
      this.store.tx(() => this.store.insert(toRow(net)));
    } catch (e) {
      // Another process made it first: theirs is the one.
      if (!/UNIQUE constraint failed/.test(String(e))) throw e;
      const again = this.store.lookup(DEFAULT_NAME);
      if (!again || again === 'ambiguous') throw e;
      return fromRow(again);
    }
    return net;
  }

  create(req: NetworkCreateRequest): Network {
    const id = newNetworkId();
    const net = this.store.tx(() => {
      const n = buildNetwork(req, id, nowIso(), {
        existing: this.all(),
        hostRoutes: hostRoutes(),
        interfaceInUse: interfaceExists,
        pools: this.conf.default_subnet_pools ?? [],
      });
      this.store.insert(toRow(n));
      return n;
    });
    this.publish('create', net);
    return net;
  }

  delete(n: Network): void {
    this.store.tx(() => this.store.delete(n.id));
    this.publish('destroy', n);
  }

  publish(action: string, n: Network, extra: Record<string, string> = {}): void {
    this.events.publish('network', action, n.id, { name: n.name, type: n.driver, ...extra });
  }
}
