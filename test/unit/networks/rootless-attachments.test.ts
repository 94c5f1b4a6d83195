// Rootless runs against fakes of the connector, the rootless netns and netavark, on a real state
// DB: the default network goes through the connector (no netavark, no lease), user networks
// through netavark inside the rootless netns without its port rules, published ports through a
// forwarder aimed at the container's address; what each run started is recorded for teardown.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openState } from '../../../src/state/db.js';
import { ContainerStore } from '../../../src/state/containers.js';
import { NetworkStore } from '../../../src/state/networks.js';
import { EventBus } from '../../../src/engine/events.js';
import { NetworkRegistry } from '../../../src/engine/networks/registry.js';
import { NetworkAttachments } from '../../../src/engine/networks/attachments.js';
import type { RootlessNetworking } from '../../../src/engine/networks/rootless.js';
import type { Netavark } from '../../../src/network/netavark.js';
import type { NetworkOptions, StatusBlock } from '../../../src/network/netavark-types.js';
import type { PublishedPort } from '../../../src/network/rootless/types.js';
import type { ContainerSpec } from '../../../src/engine/containers/types.js';

let dir: string;
let store: NetworkStore;
let containers: ContainerStore;
let registry: NetworkRegistry;
let att: NetworkAttachments;
const calls: string[] = [];
const nv: { cmd: string; inNs?: string; opts: NetworkOptions }[] = [];
const forwards: { ports: PublishedPort[]; target: string }[] = [];
const namespaces = new Set<string>();

const fakeNetavark = {
  async setup(_netns: string, opts: NetworkOptions, inNs?: string): Promise<Record<string, StatusBlock>> {
    nv.push({ cmd: 'setup', inNs, opts });
    return Object.fromEntries(Object.entries(opts.networks).map(([name, n]) => {
      const s = opts.network_info[name].subnets[0];
      return [name, { interfaces: { [n.interface_name]: { mac_address: '02:00:00:00:00:01', subnets: [{ ipnet: `${n.static_ips[0]}/${s.subnet.split('/')[1]}`, gateway: s.gateway }] } } }];
    }));
  },
  async teardown(_netns: string, opts: NetworkOptions, inNs?: string): Promise<void> {
    nv.push({ cmd: 'teardown', inNs, opts });
  },
} as unknown as Netavark;

// Tokens no process has: the teardown's stop finds them gone.
const fakeRootless = {
  netns: {
    path: '/rl/netns',
    use: async <T>(fn: (p: string) => Promise<T>) => {
      calls.push('use');
      return fn('/rl/netns');
    },
    release: async (fn: (p: string) => Promise<void>) => {
      calls.push('release');
      await fn('/rl/netns');
    },
  },
  connectDefault: async (_netns: string, _tag: string, ports: PublishedPort[], asked?: { cmd: string; options: string[] }) => {
    calls.push(`connect:${asked ? [asked.cmd, ...asked.options].join(' ') : 'default'}:${ports.map((p) => p.hostPort).join(',')}`);
    return { helper: { kind: 'pasta', token: '999999999.1' }, nameserver: '169.254.1.1', address: { ipv4: '192.0.2.2/24', gateway: '192.0.2.1', ipv6: '', ipv6Gateway: '', macAddress: '02:00:00:00:00:09', interfaceName: 'eth0' } };
  },
  forward: async (_netns: string, _tag: string, ports: PublishedPort[], target: string) => {
    forwards.push({ ports, target });
    return { kind: 'forwarder', token: '999999998.1' };
  },
} as unknown as RootlessNetworking;

const spec = (over: Partial<ContainerSpec['HostConfig']> = {}): ContainerSpec =>
  ({ Config: { ExposedPorts: {} }, HostConfig: { NetworkMode: 'default', ...over }, flavor: 'docker', imageRef: 'x' }) as unknown as ContainerSpec;

function addContainer(id: string, mode = 'default', endpoints = {}): void {
  containers.insert({
    id, name: `c${id.slice(0, 4)}`, image: 'x', imageId: 'i', created: '', spec: '{}', state: 'created', pid: 0, conmonPid: 0, exitCode: 0,
    error: '', oomKilled: false, startedAt: '', finishedAt: '', restartCount: 0, stopRequested: false, generation: 0,
  });
  att.attach(id, att.plan(mode, endpoints));
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-rlatt-'));
  const db = openState(dir);
  store = new NetworkStore(db);
  containers = new ContainerStore(db);
  registry = new NetworkRegistry(store, { default_subnet: '10.251.0.0/29' }, new EventBus());
  att = new NetworkAttachments({
    store, registry, netavark: () => fakeNetavark, netnsDir: join(dir, 'netns'), rootless: fakeRootless,
    netns: { create: async (p) => void namespaces.add(p), remove: async (p) => void namespaces.delete(p), exists: (p) => namespaces.has(p) },
  });
});
after(() => rmSync(dir, { recursive: true, force: true }));

const id = (n: number) => String(n).repeat(64).slice(0, 64);
const port = (hostPort: string) => ({ '80/tcp': [{ HostIp: '127.0.0.1', HostPort: hostPort }] });

test('the default network goes through the connector: its ports, its address and resolver; no netavark, no lease', async () => {
  addContainer(id(1));
  const info = await att.setup({ id: id(1), name: 'a', generation: 1, spec: spec({ PortBindings: port('0') }) });
  assert.equal(nv.length, 0);
  assert.match(calls.at(-1)!, /^connect:default:\d+$/);
  assert.deepEqual(info.addresses, ['192.0.2.2']);
  assert.deepEqual(info.nameservers, ['169.254.1.1']);
  assert.equal([...store.leaseHolders()].length, 0);
  const st = att.state(id(1), 'default');
  assert.equal(st.endpoints[0].ipv4, '192.0.2.2');
  assert.equal(st.ports.length, 1);
  const o = JSON.parse(store.runsOf(id(1))[0].options);
  assert.equal(o.port_mappings, undefined, 'netavark has no part in it');
  assert.deepEqual(o.rootless.helpers.map((h: { kind: string }) => h.kind), ['pasta']);
  await att.teardown(id(1));
  assert.deepEqual(store.runsOf(id(1)), []);
  assert.equal(namespaces.size, 0);
});

test("podman's --network slirp4netns asks for that connector; --dns keeps the container's own resolvers", async () => {
  addContainer(id(2), 'slirp4netns');
  const info = await att.setup({ id: id(2), name: 'b', generation: 1, spec: spec({ NetworkMode: 'slirp4netns', Dns: ['9.9.9.9'] }) });
  assert.equal(calls.at(-1), 'connect:slirp4netns:');
  assert.deepEqual(info.nameservers, []);
  await att.teardown(id(2));
});

test('a user network: netavark inside the rootless netns without port rules, a forwarder aimed at the container', async () => {
  const net = registry.create({ name: 'rlatt-net' } as never);
  addContainer(id(3), net.name);
  const info = await att.setup({ id: id(3), name: 'c', generation: 1, spec: spec({ NetworkMode: net.name, PortBindings: port('0') }) });
  const setup = nv.find((c) => c.cmd === 'setup')!;
  assert.equal(setup.inNs, '/rl/netns');
  assert.equal(setup.opts.port_mappings, undefined);
  assert.equal((setup.opts as { rootless?: unknown }).rootless, undefined, 'berth\'s own record is not handed to netavark');
  assert.equal(forwards.length, 1);
  assert.equal(forwards[0].target, info.addresses[0]);
  assert.equal(forwards[0].ports[0].containerPort, 80);
  await att.teardown(id(3));
  assert.ok(nv.some((c) => c.cmd === 'teardown' && c.inNs === '/rl/netns'));
  assert.equal(calls.at(-1), 'release', 'the rootless netns is released (and undone when empty)');
});

test('the default network beside a user network is refused at create and at connect', () => {
  const net = registry.get('rlatt-net');
  assert.throws(() => att.plan('default', { [net.name]: {} }), /cannot be combined with other networks/);
  assert.throws(() => att.plan(net.name, { bridge: {} }), /cannot be combined with other networks/);
  assert.throws(() => att.plan('pasta', { [net.name]: {} }), /cannot be combined with other networks/);
  addContainer(id(4), net.name);
  assert.throws(() => att.checkConnect(id(4), registry.ensureDefault()), /cannot be combined/);
  addContainer(id(5));
  assert.throws(() => att.checkConnect(id(5), net), /cannot be combined/);
  assert.doesNotThrow(() => att.checkConnect(id(4), registry.create({ name: 'rlatt-net2' } as never)));
});
