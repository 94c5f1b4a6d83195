// The network service: records (create, list, inspect, remove, prune) and attaching containers
// (connect, disconnect) over the store, netavark and the container service.
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import type { ContainersConf } from '../../config/containers-conf.js';
import type { StoragePaths } from '../../config/paths.js';
import { clip } from '../../lib/clip.js';
import { Netavark } from '../../network/netavark.js';
import { createNetns, removeNetns } from '../../network/netns.js';
import { NetworkStore } from '../../state/networks.js';
import { badParameter, conflict, EngineError, internal } from '../errors.js';
import type { EventBus } from '../events.js';
import { noSuchContainer } from '../containers/util.js';
import { isBridgeMode, NetworkAttachments } from './attachments.js';
import { filterNetworks, pruneSelector } from './filters.js';
import type { NetworksPort } from './port.js';
import { NetworkRegistry } from './registry.js';
import { RootlessNetworking } from './rootless.js';
import type { EndpointConfig, Network, NetworkCreateRequest, NetworkPruneResult, NetworkView } from './types.js';

/** What networks need of containers: lookups, their lock, and removal (podman's forced network rm). */
export interface ContainerAccess {
  find(ref: string): { id: string; name: string; state: string; mode: string } | undefined;
  exclusive<T>(id: string, fn: () => Promise<T>): Promise<T>;
  remove(id: string): Promise<void>;
  /** Its networks changed while it runs: /etc/hosts and resolv.conf follow. */
  networkChanged(id: string): void;
}

export interface NetworkServiceOptions {
  db: Database;
  paths: StoragePaths;
  conf: ContainersConf;
  events: EventBus;
  /** netavark, aardvark-dns and flock; throws when netavark is missing. */
  tools: () => { netavark: string; aardvark?: string; flock: string };
  containers: () => ContainerAccess;
  /** Set when berth runs rootless: how to run berth itself (the port forwarder) and the tools its networks need. */
  rootless?: { self: () => string[]; nsenter: () => string; flock: () => string };
}

const forbidden = (msg: string) => new EngineError('forbidden', msg, 'forbidden');
/** A run whose network is set up: a connect or disconnect acts on it at once. */
const running = (state: string) => state === 'running' || state === 'paused' || state === 'stopping' || state === 'initialized';

export class NetworkService implements NetworksPort {
  readonly store: NetworkStore;
  readonly registry: NetworkRegistry;
  /** The container side: create's attachments, each run's setup and teardown. */
  readonly attachments: NetworkAttachments;
  private netavarkDriver: Netavark | undefined;

  constructor(private readonly o: NetworkServiceOptions) {
    this.store = new NetworkStore(o.db);
    this.registry = new NetworkRegistry(this.store, o.conf.network ?? {}, o.events);
    this.attachments = new NetworkAttachments({
      store: this.store,
      registry: this.registry,
      netavark: () => (this.netavarkDriver ??= new Netavark(o.tools(), join(o.paths.runRoot, 'networks'))),
      netnsDir: join(o.paths.runRoot, 'netns'),
      rootless: o.rootless && new RootlessNetworking({ runRoot: o.paths.runRoot, conf: o.conf.network ?? {}, flock: o.rootless.flock, nsenter: o.rootless.nsenter, self: o.rootless.self, ns: { create: createNetns, remove: removeNetns } }),
    });
  }

  create(req: NetworkCreateRequest): NetworkView {
    return this.view(this.registry.create(req));
  }

  list(filters: Record<string, string[]> = {}): NetworkView[] {
    return filterNetworks(this.views(this.registry.all()), filters);
  }

  get(ref: string): NetworkView {
    return this.view(this.registry.get(ref));
  }

  async remove(ref: string, opts: { force?: boolean } = {}): Promise<Network> {
    const net = this.registry.get(ref);
    if (net.builtin || net.isDefault) throw forbidden(`${clip(ref)} is a pre-defined network and cannot be removed`);
    if (opts.force) {
      for (const m of this.store.membersOf(net.id)) await this.o.containers().remove(m.containerId);
    }
    this.store.tx(() => {
      if (this.store.membersOf(net.id).length) throw conflict(`error while removing network: network ${net.name} id ${net.id} has active endpoints`);
      this.store.delete(net.id);
    });
    this.registry.publish('destroy', net);
    return net;
  }

  async prune(filters: Record<string, string[]> = {}): Promise<NetworkPruneResult> {
    const selected = pruneSelector(filters);
    const deleted: string[] = [];
    for (const n of this.views(this.registry.stored())) {
      if (!selected(n)) continue;
      try {
        await this.remove(n.id);
        deleted.push(n.name);
      } catch {
        /* a container attached meanwhile: it stays */
      }
    }
    return { deleted };
  }

  async connect(ref: string, containerRef: string, cfg: EndpointConfig): Promise<void> {
    const net = this.registry.get(ref);
    if (net.builtin) throw forbidden(`container cannot be disconnected from host network or connected to host network`);
    const access = this.o.containers();
    const c = access.find(containerRef);
    if (!c) throw noSuchContainer(containerRef);
    if (!isBridgeMode(c.mode)) throw badParameter('container sharing network namespace with another container or host cannot be connected to any other network');
    this.attachments.checkConnect(c.id, net);
    const config = this.attachments.plan(net.id, { [net.id]: cfg }).endpoints[0].config;
    await access.exclusive(c.id, async () => {
      this.store.tx(() => {
        if (this.store.endpointsOf(c.id).some((e) => e.networkId === net.id)) throw forbidden(`endpoint with name ${c.name} already exists in network ${net.name}`);
        this.store.addEndpoint(c.id, net.id, JSON.stringify(config));
      });
      const cur = access.find(c.id);
      if (!cur || !running(cur.state)) return;
      try {
        await this.attachments.connectRunning(c.id, cur.name, net, config);
      } catch (e) {
        this.store.tx(() => this.store.removeEndpoint(c.id, net.id));
        throw e instanceof EngineError ? e : internal((e as Error).message);
      }
      access.networkChanged(c.id);
    });
    this.registry.publish('connect', net, { container: c.id });
  }

  async disconnect(ref: string, containerRef: string, _force = false): Promise<void> {
    const net = this.registry.get(ref);
    if (net.builtin) throw forbidden(`container cannot be disconnected from host network or connected to host network`);
    const access = this.o.containers();
    const c = access.find(containerRef);
    if (!c) throw noSuchContainer(containerRef);
    await access.exclusive(c.id, async () => {
      if (!this.store.endpointsOf(c.id).some((e) => e.networkId === net.id)) throw badParameter(`container ${c.id} is not connected to network ${net.name}`);
      const cur = access.find(c.id);
      const live = cur !== undefined && running(cur.state);
      if (live) await this.attachments.disconnectRunning(c.id, net);
      this.store.tx(() => this.store.removeEndpoint(c.id, net.id));
      if (live) access.networkChanged(c.id);
    });
    this.registry.publish('disconnect', net, { container: c.id });
  }

  private view(n: Network): NetworkView {
    return this.views([n])[0];
  }

  private views(nets: Network[]): NetworkView[] {
    const counts = this.store.memberCounts();
    const names = this.store.runNames();
    return nets.map((n) => ({ ...n, members: n.builtin ? [] : this.attachments.members(n.id, names), attached: counts.get(n.id) ?? 0 }));
  }
}
