// Containers on networks: the attachments a create records, and each run's network — a new
// namespace bound under the runroot, leases, published ports and netavark's setup — recorded
// before anything is made, so that any process (the service, `container cleanup`, the next
// service after a crash) can tear it down, exactly once.
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ownerAlive, ownerToken } from '../../lib/owner.js';
import { clip } from '../../lib/clip.js';
import type { Netavark } from '../../network/netavark.js';
import type { NetavarkNetwork, NetworkOptions, StatusBlock } from '../../network/netavark-types.js';
import { createNetns, removeNetns } from '../../network/netns.js';
import { connectorMode, connectorModeProblem } from '../../network/rootless/connector-mode.js';
import { stopHelper } from '../../network/rootless/process.js';
import type { NetworkStore, RunRow } from '../../state/networks.js';
import type { ContainerNetworking, NetworkedContainer, NetworkPlan, NetworkRunInfo } from '../containers/networking.js';
import { badParameter, conflict, EngineError, internal } from '../errors.js';
import { netavarkOptions } from './create.js';
import { pickAddresses } from './ipam.js';
import { HOST_NETWORK, NONE_NETWORK } from './model.js';
import { bindPorts, requestedPorts } from './ports.js';
import type { NetworkRegistry } from './registry.js';
import type { RootlessNetworking, RootlessRunState } from './rootless.js';
import type { ContainerEndpoint, ContainerNetworkState, EndpointConfig, Network, NetworkMember, PublishedPort } from './types.js';

/** What a run's setup answered for one network, kept with the run (by network ID). */
export interface EndpointStatus {
  endpointId: string;
  interfaceName: string;
  macAddress: string;
  ipv4: string;
  ipv6: string;
  gateway: string;
  ipv6Gateway: string;
}

const NO_CONFIG: EndpointConfig = Object.freeze({});
/** A run's options as stored: netavark's, and what a rootless run started besides. */
type StoredOptions = NetworkOptions & { rootless?: RootlessRunState };
/** netavark's part of stored options. */
const plain = (o: StoredOptions): NetworkOptions => {
  const { rootless: _r, ...rest } = o;
  return rest;
};
const ROOTLESS_MIX = 'rootless: the default network (pasta or slirp4netns) cannot be combined with other networks; put the container on user-defined networks only';
const MAC_RE = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i;
/** A teardown another process is doing is waited for this long before a new run goes ahead. */
const TEARDOWN_WAIT_MS = 30_000;

export const isBridgeMode = (mode: string) => !['host', 'none'].includes(mode) && !mode.startsWith('container:');

export interface AttachmentDeps {
  store: NetworkStore;
  registry: NetworkRegistry;
  netavark: () => Netavark;
  /** Where run namespaces are bound: runRoot/netns. */
  netnsDir: string;
  /** How namespaces are made and undone (tests give fakes); default: bind mounts under netnsDir. */
  netns?: { create(path: string): Promise<void>; remove(path: string): Promise<void>; exists(path: string): boolean };
  /** Set when berth runs rootless: the default network through pasta/slirp4netns, user networks in the rootless netns. */
  rootless?: RootlessNetworking;
}

/** A container's network state as the last list built it, and its JSON to tell an equal one. */
interface KeptState {
  /** The database's stamp when it was last built; undefined: built inside a transaction. */
  stamp: string | undefined;
  mode: string;
  json: string;
  state: ContainerNetworkState;
}

const REAL_NETNS = { create: createNetns, remove: removeNetns, exists: existsSync };

export class NetworkAttachments implements ContainerNetworking {
  private readonly ns: NonNullable<AttachmentDeps['netns']>;

  constructor(private readonly d: AttachmentDeps) {
    this.ns = d.netns ?? REAL_NETNS;
  }

  // ---- create ----------------------------------------------------------------------------------

  plan(mode: string, endpoints: Record<string, EndpointConfig>, mac?: string): NetworkPlan {
    const m = mode || 'default';
    if (!isBridgeMode(m)) return { mode: m, endpoints: [] };
    const { registry } = this.d;
    // podman's `--network pasta|slirp4netns`: the default network through that connector.
    const problem = this.d.rootless ? connectorModeProblem(m) : undefined;
    if (problem) throw badParameter(`network mode "${clip(m)}": ${problem}`);
    if (this.d.rootless && connectorMode(m)) {
      if (Object.keys(endpoints ?? {}).some((ref) => registry.get(ref).id !== registry.ensureDefault().id)) throw badParameter(ROOTLESS_MIX);
      return { mode: m, endpoints: [{ networkId: registry.ensureDefault().id, config: checkEndpoint(registry.ensureDefault(), mac ? { mac } : {}) }] };
    }
    const first = registry.get(m);
    if (first.builtin) return { mode: first.name, endpoints: [] };
    const out = new Map<string, { networkId: string; config: EndpointConfig }>();
    const configs = Object.entries(endpoints ?? {}).map(([ref, cfg]) => ({ net: registry.get(ref), cfg: cfg ?? {} }));
    for (const c of configs) if (c.net.builtin) throw badParameter(`container cannot be connected to the ${c.net.name} network and to others`);
    if (this.d.rootless && [first, ...configs.map((c) => c.net)].some((n) => n.isDefault) && configs.some((c) => c.net.id !== first.id)) throw badParameter(ROOTLESS_MIX);
    const firstCfg = { ...(configs.find((c) => c.net.id === first.id)?.cfg ?? {}), ...(mac ? { mac } : {}) };
    for (const [net, cfg] of [[first, firstCfg] as const, ...configs.map((c) => [c.net, c.cfg] as const)]) {
      if (out.has(net.id)) continue;
      out.set(net.id, { networkId: net.id, config: checkEndpoint(net, cfg) });
    }
    return { mode: m, endpoints: [...out.values()] };
  }

  /** Rootless: a connect that would put the default network (pasta/slirp4netns) beside another is refused. */
  checkConnect(containerId: string, net: Network): void {
    if (!this.d.rootless) return;
    const others = this.d.store.endpointsOf(containerId).filter((e) => e.networkId !== net.id);
    if (!others.length) return;
    if (net.isDefault || others.some((e) => this.d.registry.byId(e.networkId)?.isDefault)) throw badParameter(ROOTLESS_MIX);
  }

  attach(containerId: string, plan: NetworkPlan): void {
    for (const e of plan.endpoints) this.d.store.addEndpoint(containerId, e.networkId, JSON.stringify(e.config));
  }

  // ---- runs ------------------------------------------------------------------------------------

  async setup(c: NetworkedContainer): Promise<NetworkRunInfo> {
    const { store } = this.d;
    await this.clearRuns(c.id);
    let eps = this.endpoints(c.id);
    // A container made before networks existed is on its mode's network from now on.
    if (!eps.length && isBridgeMode(c.spec.HostConfig.NetworkMode) && !store.endpointsOf(c.id).length) {
      const plan = this.plan(c.spec.HostConfig.NetworkMode, {});
      store.tx(() => this.attach(c.id, plan));
      eps = this.endpoints(c.id);
    }
    const h = c.spec.HostConfig;
    const rl = this.d.rootless;
    const viaConnector = !!rl && eps.some((e) => e.network.isDefault);
    if (viaConnector && eps.length > 1) throw badParameter(ROOTLESS_MIX);
    const reqs = eps.length ? requestedPorts(h.PortBindings, !!h.PublishAllPorts, Object.keys(c.spec.Config.ExposedPorts ?? {})) : [];
    const ports = reqs.length ? await bindPorts(reqs, this.portsHeld(c.id)) : [];
    const netns = join(this.d.netnsDir, `${c.id}-${c.generation}`);
    const opts = store.tx(() => {
      const held = this.portsHeld(c.id);
      const clash = ports.find((p) => held.some((q) => q.protocol === p.protocol && q.hostPort === p.hostPort && (!q.hostIp || !p.hostIp || q.hostIp === p.hostIp)));
      if (clash) throw conflict(`Bind for ${clash.hostIp || '0.0.0.0'}:${clash.hostPort} failed: port is already allocated`);
      const o: StoredOptions = { container_id: c.id, container_name: c.name, networks: {}, network_info: {} };
      // Rootless, netavark's port rules would act inside the rootless netns only: pasta or the forwarder publishes instead.
      if (ports.length && !rl) o.port_mappings = ports.map((p) => ({ host_ip: p.hostIp, container_port: p.containerPort, host_port: p.hostPort, range: 1, protocol: p.protocol }));
      if (h.Dns?.length) o.dns_servers = h.Dns;
      if (!viaConnector) eps.forEach((e, i) => this.addToOptions(o, c.id, e.network, e.config, e.config.interfaceName || `eth${i}`));
      if (rl) o.rootless = { mode: viaConnector ? 'connector' : 'netavark', helpers: [], nameservers: [] };
      store.insertRun({ containerId: c.id, generation: c.generation, netns, options: JSON.stringify(o), ports: JSON.stringify(ports), status: '{}', owner: '' });
      return o;
    });
    // Short: a slirp4netns API socket path must fit in sun_path (108 bytes).
    const tag = `${c.id.slice(0, 16)}-${c.generation}`;
    try {
      await this.ns.create(netns);
      let status: Record<string, EndpointStatus>;
      if (rl && viaConnector) {
        const mode = h.NetworkMode;
        const r = await rl.connectDefault(netns, tag, ports, connectorMode(mode));
        this.saveRootless(c.id, c.generation, { mode: 'connector', helpers: [r.helper], nameservers: h.Dns?.length ? [] : [r.nameserver] });
        const a = r.address;
        status = { [eps[0].network.id]: { endpointId: randomBytes(32).toString('hex'), interfaceName: a.interfaceName, macAddress: a.macAddress, ipv4: a.ipv4, ipv6: a.ipv6, gateway: a.gateway, ipv6Gateway: a.ipv6Gateway } };
      } else {
        const answer = Object.keys(opts.networks).length ? await this.netavarkSetup(netns, plain(opts)) : {};
        status = statusOf(eps.map((e) => e.network), opts, answer);
        if (rl && ports.length) {
          const fwd = await rl.forward(netns, tag, ports, forwardTarget(status));
          this.saveRootless(c.id, c.generation, { mode: 'netavark', helpers: [fwd], nameservers: [] });
        }
      }
      store.tx(() => store.updateRun(c.id, c.generation, { status: JSON.stringify(status) }));
      return this.runInfo(c.id) ?? runInfo(netns, eps.map((e) => e.network), status);
    } catch (e) {
      await this.teardownRun({ containerId: c.id, generation: c.generation }).catch(() => undefined);
      // What the request asked for and cannot have (a taken port, rootless limits) stays the client's error.
      if (e instanceof EngineError && e.kind !== 'internal') throw e;
      throw internal(`setting up the container's network: ${(e as Error).message}`);
    }
  }

  /** Records what a rootless run started, at once: a failure after this point still ends it. */
  private saveRootless(containerId: string, generation: number, state: RootlessRunState): void {
    const { store } = this.d;
    store.tx(() => {
      const cur = store.runsOf(containerId).find((r) => r.generation === generation);
      if (!cur) return;
      const o = JSON.parse(cur.options) as StoredOptions;
      o.rootless = state;
      store.updateRun(containerId, generation, { options: JSON.stringify(o) });
    });
  }

  /** netavark setup/teardown on a run's namespace: inside the rootless netns when rootless. */
  private netavarkSetup(netns: string, o: NetworkOptions): Promise<Record<string, StatusBlock>> {
    const rl = this.d.rootless;
    return rl ? rl.netns.use((inNs) => this.d.netavark().setup(netns, o, inNs)) : this.d.netavark().setup(netns, o);
  }

  private async netavarkTeardown(netns: string, o: NetworkOptions, rootless: boolean): Promise<void> {
    const rl = this.d.rootless;
    if (rootless && rl) await rl.netns.release((inNs) => this.d.netavark().teardown(netns, o, inNs));
    else if (!rootless) await this.d.netavark().teardown(netns, o);
  }

  /** One network more on a running container's run (network connect). */
  async connectRunning(containerId: string, name: string, net: Network, config: EndpointConfig): Promise<void> {
    const { store } = this.d;
    const run = this.currentRun(containerId);
    if (!run) return;
    if ((JSON.parse(run.options) as StoredOptions).rootless?.mode === 'connector') throw badParameter(ROOTLESS_MIX);
    const used = new Set(Object.values((JSON.parse(run.options) as NetworkOptions).networks).map((n) => n.interface_name));
    let i = 0;
    while (used.has(`eth${i}`)) i++;
    const one = store.tx(() => {
      const o: NetworkOptions = { container_id: containerId, container_name: name, networks: {}, network_info: {} };
      this.addToOptions(o, containerId, net, config, config.interfaceName || `eth${i}`);
      return o;
    });
    let answer: Record<string, StatusBlock>;
    try {
      answer = await this.netavarkSetup(run.netns, one);
    } catch (e) {
      store.tx(() => this.releaseLeases(containerId, one));
      throw internal(`connecting the container to network ${net.name}: ${(e as Error).message}`);
    }
    store.tx(() => {
      const cur = store.runsOf(containerId).find((r) => r.generation === run.generation);
      if (!cur) return;
      const o = JSON.parse(cur.options) as NetworkOptions;
      o.networks[net.name] = one.networks[net.name];
      o.network_info[net.name] = one.network_info[net.name];
      const status = { ...(JSON.parse(cur.status) as Record<string, EndpointStatus>), ...statusOf([net], one, answer) };
      store.updateRun(containerId, run.generation, { options: JSON.stringify(o), status: JSON.stringify(status) });
    });
  }

  /** One network less on a running container's run (network disconnect). */
  async disconnectRunning(containerId: string, net: Network): Promise<void> {
    const { store } = this.d;
    const run = this.currentRun(containerId);
    if (!run) return;
    const all = JSON.parse(run.options) as StoredOptions;
    if (all.rootless?.mode === 'connector') throw badParameter('rootless: a container on the default network (pasta or slirp4netns) cannot be disconnected from it while it runs');
    const key = Object.keys(all.network_info).find((k) => all.network_info[k].id === net.id);
    if (!key) return;
    const one: NetworkOptions = { container_id: containerId, container_name: all.container_name, networks: { [key]: all.networks[key] }, network_info: { [key]: all.network_info[key] } };
    if (all.port_mappings) one.port_mappings = all.port_mappings;
    await this.netavarkTeardown(run.netns, one, !!all.rootless).catch((e: Error) => {
      throw internal(`disconnecting the container from network ${net.name}: ${e.message}`);
    });
    store.tx(() => {
      this.releaseLeases(containerId, one);
      const cur = store.runsOf(containerId).find((r) => r.generation === run.generation);
      if (!cur) return;
      const o = JSON.parse(cur.options) as NetworkOptions;
      delete o.networks[key];
      delete o.network_info[key];
      const status = JSON.parse(cur.status) as Record<string, EndpointStatus>;
      delete status[net.id];
      store.updateRun(containerId, run.generation, { options: JSON.stringify(o), status: JSON.stringify(status) });
    });
    await this.retargetForwarder(containerId, run.generation, forwardTarget(JSON.parse(run.status) as Record<string, EndpointStatus>));
  }

  /**
   * Rootless published ports on user networks go to the first network's address: when a
   * disconnect took that one away, the forwarder is started again aimed at the next network's
   * (or ended, with none left), so the ports keep answering as netavark's rules would rootful.
   */
  private async retargetForwarder(containerId: string, generation: number, before: string): Promise<void> {
    const rl = this.d.rootless;
    const cur = this.d.store.runsOf(containerId).find((r) => r.generation === generation);
    if (!rl || !cur) return;
    const o = JSON.parse(cur.options) as StoredOptions;
    const ports = JSON.parse(cur.ports) as PublishedPort[];
    const after = forwardTarget(JSON.parse(cur.status) as Record<string, EndpointStatus>);
    if (o.rootless?.mode !== 'netavark' || !ports.length || after === before) return;
    const old = o.rootless.helpers.filter((h) => h.kind === 'forwarder');
    for (const h of old) await stopHelper(h);
    const kept = o.rootless.helpers.filter((h) => h.kind !== 'forwarder');
    this.saveRootless(containerId, generation, { ...o.rootless, helpers: kept });
    if (!after) return;
    const fwd = await rl.forward(cur.netns, `${containerId.slice(0, 16)}-${generation}`, ports, after);
    this.saveRootless(containerId, generation, { ...o.rootless, helpers: [...kept, fwd] });
  }

  runInfo(containerId: string): NetworkRunInfo | undefined {
    const run = this.currentRun(containerId);
    if (!run) return undefined;
    const o = JSON.parse(run.options) as StoredOptions;
    const status = JSON.parse(run.status) as Record<string, EndpointStatus>;
    if (o.rootless?.mode === 'connector') {
      const nets = Object.keys(status).map((id) => this.d.registry.byId(id)).filter((n): n is Network => !!n);
      return { ...runInfo(run.netns, nets, status), nameservers: o.rootless.nameservers };
    }
    const nets = Object.keys(o.networks).map((k) => this.d.registry.byId(o.network_info[k].id)).filter((n): n is Network => !!n);
    return runInfo(run.netns, nets, status);
  }

  async teardown(containerId: string, generation?: number): Promise<void> {
    for (const r of this.d.store.runsOf(containerId)) {
      if (generation !== undefined && r.generation > generation) continue;
      await this.teardownRun(r);
    }
  }

  async reconcile(live: (containerId: string) => boolean): Promise<void> {
    const { store } = this.d;
    for (const r of store.allRuns()) {
      if (live(r.containerId)) continue;
      await this.teardownRun(r).catch(() => undefined);
    }
    // Leases and namespaces no run accounts for (their process died between two writes).
    const runs = store.allRuns();
    const holders = new Set(runs.map((r) => r.containerId));
    store.tx(() => {
      for (const id of store.leaseHolders()) if (!holders.has(id)) store.release(id);
    });
    const known = new Set(runs.map((r) => r.netns));
    let files: string[] = [];
    try {
      files = readdirSync(this.d.netnsDir);
    } catch {
      /* no namespaces made yet */
    }
    for (const f of files) {
      const p = join(this.d.netnsDir, f);
      if (!known.has(p)) await this.ns.remove(p).catch(() => undefined);
    }
  }

  // ---- what inspect shows ----------------------------------------------------------------------

  state(containerId: string, mode: string): ContainerNetworkState {
    const builtin = builtinState(mode);
    if (builtin) return builtin;
    const { store } = this.d;
    const eps = store.endpointsOf(containerId);
    const nets = new Map<string, Network>();
    for (const e of eps) {
      const n = this.d.registry.byId(e.networkId);
      if (n) nets.set(n.id, n);
    }
    return stateOf(containerId, eps, nets, this.currentRun(containerId));
  }

  /**
   * Every state here comes from the database: a state built while its stamp (state/db.ts) was
   * what it is now is still the answer, and a state built again equal to the one before is that
   * same object (the API keeps what it shaped from it: api/containers/list-text.ts). Shared
   * between lists: never changed by callers.
   */
  states(containers: { id: string; mode: string }[]): Map<string, ContainerNetworkState> {
    const stamp = this.d.store.stamp();
    const kept = this.kept;
    const out = new Map<string, ContainerNetworkState>();
    if (stamp !== undefined) {
      for (const c of containers) {
        const k = kept.get(c.id);
        if (!k || k.stamp !== stamp || k.mode !== c.mode) break;
        out.set(c.id, k.state);
      }
      if (out.size === containers.length) return out;
    }
    const built = this.buildStates(containers);
    for (const c of containers) {
      const state = built.get(c.id)!;
      const k = kept.get(c.id);
      if (k && k.state === state) {
        k.stamp = stamp;
        k.mode = c.mode;
        continue;
      }
      const json = Object.isFrozen(state) ? '' : JSON.stringify(state);
      if (k && k.mode === c.mode && json && k.json === json) {
        k.stamp = stamp;
        built.set(c.id, k.state);
      } else kept.set(c.id, { stamp, mode: c.mode, json, state });
    }
    // What this list did not ask for and is no longer current goes (removed containers' among it).
    for (const [id, k] of kept) if (k.stamp !== stamp && !built.has(id)) kept.delete(id);
    return built;
  }

  /** The states lists were given, by container ID. */
  private kept = new Map<string, KeptState>();

  private buildStates(containers: { id: string; mode: string }[]): Map<string, ContainerNetworkState> {
    const { store } = this.d;
    const nets = new Map(this.d.registry.stored().map((n) => [n.id, n]));
    const byContainer = new Map<string, ReturnType<NetworkStore['allEndpoints']>>();
    for (const e of store.allEndpoints()) {
      let l = byContainer.get(e.containerId);
      if (!l) byContainer.set(e.containerId, (l = []));
      l.push(e);
    }
    const runs = new Map<string, RunRow>();
    for (const r of store.allRuns()) if (!r.owner && (runs.get(r.containerId)?.generation ?? -1) < r.generation) runs.set(r.containerId, r);
    const out = new Map<string, ContainerNetworkState>();
    for (const c of containers) {
      const eps = byContainer.get(c.id) ?? [];
      if (eps.length > 1) eps.sort((a, b) => a.seq - b.seq);
      out.set(c.id, builtinState(c.mode) ?? stateOf(c.id, eps, nets, runs.get(c.id)));
    }
    return out;
  }

  /** Running containers on a network, as network inspect lists them. */
  members(networkId: string, names: Map<string, string>): NetworkMember[] {
    const out: NetworkMember[] = [];
    for (const r of this.d.store.allRuns()) {
      if (r.owner) continue;
      const s = (JSON.parse(r.status) as Record<string, EndpointStatus>)[networkId];
      if (!s) continue;
      out.push({ id: r.containerId, name: names.get(r.containerId) ?? '', ...s });
    }
    return out;
  }

  // ---- inner steps -----------------------------------------------------------------------------

  private endpoints(containerId: string): { network: Network; config: EndpointConfig }[] {
    const out: { network: Network; config: EndpointConfig }[] = [];
    for (const e of this.d.store.endpointsOf(containerId)) {
      const network = this.d.registry.byId(e.networkId);
      if (network && !network.builtin) out.push({ network, config: JSON.parse(e.config) as EndpointConfig });
    }
    return out;
  }

  /** Leases addresses on `net` and adds it to the options; inside the caller's transaction. */
  private addToOptions(o: NetworkOptions, containerId: string, net: Network, cfg: EndpointConfig, iface: string): void {
    const { store } = this.d;
    const ips = pickAddresses(net, cfg, store.leasedIps(net.id));
    for (const ip of ips) store.lease(net.id, ip, containerId);
    const aliases = net.dnsEnabled ? [...new Set([...(cfg.aliases ?? []), containerId.slice(0, 12)])] : undefined;
    o.networks[net.name] = { interface_name: iface, static_ips: ips, ...(aliases ? { aliases } : {}), ...(cfg.mac ? { static_mac: cfg.mac } : {}) };
    o.network_info[net.name] = netavarkNetwork(net);
  }

  private releaseLeases(containerId: string, o: NetworkOptions): void {
    for (const [name, n] of Object.entries(o.networks)) {
      const id = o.network_info[name]?.id;
      if (!id) continue;
      for (const ip of n.static_ips) this.d.store.releaseOne(id, ip, containerId);
    }
  }

  private currentRun(containerId: string): RunRow | undefined {
    return this.d.store.runsOf(containerId).filter((r) => !r.owner).pop();
  }

  /** Host ports other containers' runs hold. */
  private portsHeld(except: string): PublishedPort[] {
    return this.d.store.allRuns().filter((r) => r.containerId !== except).flatMap((r) => JSON.parse(r.ports) as PublishedPort[]);
  }

  /** Earlier runs of the container: torn down now, or waited for while another process does it. */
  private async clearRuns(containerId: string): Promise<void> {
    const end = Date.now() + TEARDOWN_WAIT_MS;
    for (;;) {
      const runs = this.d.store.runsOf(containerId);
      if (!runs.length) return;
      const busy = runs.filter((r) => r.owner && r.owner !== ownerToken() && ownerAlive(r.owner));
      for (const r of runs) if (!busy.includes(r)) await this.teardownRun(r);
      if (!busy.length) continue;
      if (Date.now() > end) throw internal(`the container's previous network is still being torn down by process ${clip(busy[0].owner)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Claims the run's teardown (unless a live process has), undoes it, releases what it held. */
  private async teardownRun(r: Pick<RunRow, 'containerId' | 'generation'>): Promise<void> {
    const { store } = this.d;
    const me = ownerToken();
    const mine = store.tx(() => {
      const cur = store.runsOf(r.containerId).find((x) => x.generation === r.generation);
      if (!cur || (cur.owner && cur.owner !== me && ownerAlive(cur.owner))) return undefined;
      store.updateRun(r.containerId, r.generation, { owner: me });
      return cur;
    });
    if (!mine) return;
    const o = JSON.parse(mine.options) as StoredOptions;
    // Its forwarder first: the host ports are free again once the run is gone.
    for (const hp of o.rootless?.helpers ?? []) await stopHelper(hp).catch(() => undefined);
    if (Object.keys(o.networks).length && this.ns.exists(mine.netns)) {
      try {
        await this.netavarkTeardown(mine.netns, plain(o), !!o.rootless);
      } catch {
        // Done as far as it goes: the veth dies with the namespace, an empty bridge goes with the next teardown.
      }
    }
    await this.ns.remove(mine.netns);
    store.tx(() => {
      this.releaseLeases(r.containerId, o);
      store.deleteRun(r.containerId, r.generation);
    });
  }
}

/** host and none are networks a container is on without an endpoint of its own; container:X has none. */
function builtinState(mode: string): ContainerNetworkState | undefined {
  if (isBridgeMode(mode)) return undefined;
  return mode === 'host' ? HOST_STATE : mode === 'none' ? NONE_STATE : JOINED_STATE;
}

/**
 * The states of host, none and container:X (whose networks are the other container's): the same
 * frozen objects every time, so lists neither build nor compare them per container.
 */
const builtinEndpointState = (n: { id: string; name: string }): ContainerNetworkState =>
  deepFreeze({
    endpoints: [{ networkId: n.id, networkName: n.name, isDefault: false, aliases: [], links: [], ipamConfig: null, endpointId: '', interfaceName: '', macAddress: '', ipv4: '', ipv4PrefixLen: 0, ipv6: '', ipv6PrefixLen: 0, gateway: '', ipv6Gateway: '' }],
    ports: [],
    sandboxKey: '',
  });
const HOST_STATE = builtinEndpointState(HOST_NETWORK);
const NONE_STATE = builtinEndpointState(NONE_NETWORK);
const JOINED_STATE: ContainerNetworkState = deepFreeze({ endpoints: [], ports: [], sandboxKey: '' });

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') for (const v of Object.values(o)) deepFreeze(v);
  return Object.freeze(o);
}

function checkEndpoint(net: Network, cfg: EndpointConfig): EndpointConfig {
  const out: EndpointConfig = {};
  if (cfg.aliases?.length) out.aliases = cfg.aliases.filter((a) => typeof a === 'string' && a);
  if (cfg.links?.length) out.links = cfg.links;
  if (cfg.mac) {
    if (!MAC_RE.test(cfg.mac)) throw badParameter(`invalid MAC address: ${clip(cfg.mac)}`);
    out.mac = cfg.mac.toLowerCase();
  }
  if (cfg.interfaceName) out.interfaceName = cfg.interfaceName;
  // Checked against the network's subnets now; whether the address is free is known at start.
  if (cfg.ipv4 || cfg.ipv6) pickAddresses(net, { ipv4: cfg.ipv4, ipv6: cfg.ipv6 }, new Set());
  if (cfg.ipv4) out.ipv4 = cfg.ipv4;
  if (cfg.ipv6) out.ipv6 = cfg.ipv6;
  return out;
}

function netavarkNetwork(n: Network): NetavarkNetwork {
  return {
    name: n.name,
    id: n.id,
    driver: 'bridge',
    network_interface: n.interface,
    subnets: n.subnets.map((s) => ({
      subnet: s.subnet,
      ...(s.gateway ? { gateway: s.gateway } : {}),
      ...(s.leaseRange ? { lease_range: { start_ip: s.leaseRange.start, end_ip: s.leaseRange.end } } : {}),
    })),
    ipv6_enabled: n.ipv6,
    internal: n.internal,
    dns_enabled: n.dnsEnabled,
    options: netavarkOptions(n),
    ipam_options: n.ipamOptions,
  };
}

/** netavark's answer per network name, as endpoint statuses per network ID. */
/** Where a rootless run's published ports are forwarded: the address on its first network. */
function forwardTarget(status: Record<string, EndpointStatus>): string {
  return Object.values(status).map((e) => e.ipv4 || e.ipv6).find(Boolean)?.split('/')[0] ?? '';
}

function statusOf(nets: Network[], o: NetworkOptions, answer: Record<string, StatusBlock>): Record<string, EndpointStatus> {
  const out: Record<string, EndpointStatus> = {};
  for (const n of nets) {
    const per = o.networks[n.name];
    if (!per) continue;
    const iface = answer[n.name]?.interfaces?.[per.interface_name];
    const subnets = iface?.subnets ?? [];
    const v4 = subnets.find((s) => s.ipnet.includes('.'));
    const v6 = subnets.find((s) => s.ipnet.includes(':'));
    out[n.id] = {
      endpointId: randomBytes(32).toString('hex'),
      interfaceName: per.interface_name,
      macAddress: iface?.mac_address ?? '',
      ipv4: v4?.ipnet ?? '',
      ipv6: v6?.ipnet ?? '',
      gateway: v4?.gateway ?? '',
      ipv6Gateway: v6?.gateway ?? '',
    };
  }
  return out;
}

function runInfo(netnsPath: string, nets: Network[], status: Record<string, EndpointStatus>): NetworkRunInfo {
  const first = nets.map((n) => status[n.id]).find(Boolean);
  const addresses = nets.flatMap((n) => [status[n.id]?.ipv4, status[n.id]?.ipv6]).filter((a): a is string => !!a).map((a) => a.split('/')[0]);
  const nameservers = nets.filter((n) => n.dnsEnabled).flatMap((n) => [status[n.id]?.gateway]).filter((g): g is string => !!g);
  return { netnsPath, addresses, gateway: first?.gateway ?? '', nameservers: [...new Set(nameservers)] };
}

function stateOf(id: string, eps: { networkId: string; config: string }[], nets: Map<string, Network>, run: RunRow | undefined): ContainerNetworkState {
  const status = run ? (JSON.parse(run.status) as Record<string, EndpointStatus>) : {};
  const endpoints: ContainerEndpoint[] = [];
  for (const e of eps) {
    const n = nets.get(e.networkId);
    if (!n) continue;
    // Most endpoints ask for nothing: lists of many containers skip parsing those.
    const cfg = e.config === '{}' ? NO_CONFIG : (JSON.parse(e.config) as EndpointConfig);
    const s = status[n.id];
    const prefix = (cidr: string | undefined) => (cidr ? Number(cidr.split('/')[1]) : 0);
    endpoints.push({
      networkId: n.id,
      networkName: n.name,
      isDefault: n.isDefault,
      aliases: n.dnsEnabled ? [...new Set([...(cfg.aliases ?? []), id.slice(0, 12)])] : cfg.aliases ?? [],
      links: cfg.links ?? [],
      ipamConfig: cfg.ipv4 || cfg.ipv6 ? { ...(cfg.ipv4 ? { ipv4: cfg.ipv4 } : {}), ...(cfg.ipv6 ? { ipv6: cfg.ipv6 } : {}) } : null,
      endpointId: s?.endpointId ?? '',
      interfaceName: s?.interfaceName ?? '',
      macAddress: s?.macAddress ?? '',
      ipv4: s?.ipv4.split('/')[0] ?? '',
      ipv6: s?.ipv6.split('/')[0] ?? '',
      ipv4PrefixLen: prefix(s?.ipv4),
      ipv6PrefixLen: prefix(s?.ipv6),
      gateway: s?.gateway ?? '',
      ipv6Gateway: s?.ipv6Gateway ?? '',
    });
  }
  return { endpoints, ports: run ? (JSON.parse(run.ports) as PublishedPort[]) : [], sandboxKey: run?.netns ?? '' };
}
