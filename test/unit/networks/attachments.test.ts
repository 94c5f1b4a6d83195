// Each run's network against a fake netavark and fake namespaces, on a real state DB: leases are
// unique and given back, a failed setup leaves nothing, a teardown runs once, and reconcile
// undoes what a dead process left (a run no live container holds, leases no run accounts for).
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
import { EngineError } from '../../../src/engine/errors.js';
import type { Netavark } from '../../../src/network/netavark.js';
import type { NetworkOptions, StatusBlock } from '../../../src/network/netavark-types.js';
import type { ContainerSpec } from '../../../src/engine/containers/types.js';

let dir: string;
let store: NetworkStore;
let containers: ContainerStore;
let att: NetworkAttachments;
const calls: { cmd: 'setup' | 'teardown'; netns: string; opts: NetworkOptions }[] = [];
const namespaces = new Set<string>();
let failSetup = false;

const fakeNetavark = {
  async setup(netns: string, opts: NetworkOptions): Promise<Record<string, StatusBlock>> {
    calls.push({ cmd: 'setup', netns, opts });
    if (failSetup) throw new Error('netavark setup: boom');
    return Object.fromEntries(Object.entries(opts.networks).map(([name, n]) => {
      const s = opts.network_info[name].subnets[0];
      return [name, { interfaces: { [n.interface_name]: { mac_address: '02:00:00:00:00:01', subnets: [{ ipnet: `${n.static_ips[0]}/${s.subnet.split('/')[1]}`, gateway: s.gateway }] } } }];
    }));
  },
  async teardown(netns: string, opts: NetworkOptions): Promise<void> {
    calls.push({ cmd: 'teardown', netns, opts });
  },
} as unknown as Netavark;

const spec = (over: Partial<ContainerSpec['HostConfig']> = {}): ContainerSpec =>
  ({ Config: { ExposedPorts: {} }, HostConfig: { NetworkMode: 'default', ...over }, flavor: 'docker', imageRef: 'x' }) as unknown as ContainerSpec;

function addContainer(id: string, state: 'created' | 'running' = 'created'): void {
  containers.insert({
    id, name: `c${id.slice(0, 4)}`, image: 'x', imageId: 'i', created: '', spec: '{}', state, pid: 0, conmonPid: 0, exitCode: 0,
    error: '', oomKilled: false, startedAt: '', finishedAt: '', restartCount: 0, stopRequested: false, generation: 0,
  });
  att.attach(id, att.plan('default', {}));
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-att-'));
  const db = openState(dir);
  store = new NetworkStore(db);
  containers = new ContainerStore(db);
  const registry = new NetworkRegistry(store, { default_subnet: '10.252.0.0/29' }, new EventBus());
  att = new NetworkAttachments({
    store, registry, netavark: () => fakeNetavark, netnsDir: join(dir, 'netns'),
    netns: { create: async (p) => void namespaces.add(p), remove: async (p) => void namespaces.delete(p), exists: (p) => namespaces.has(p) },
  });
});
after(() => rmSync(dir, { recursive: true, force: true }));

const id = (n: number) => String(n).repeat(64).slice(0, 64);

test('runs lease distinct addresses, recorded before netavark runs; teardown gives them back once', async () => {
  addContainer(id(1));
  addContainer(id(2));
  const a = await att.setup({ id: id(1), name: 'a', generation: 1, spec: spec() });
  const b = await att.setup({ id: id(2), name: 'b', generation: 1, spec: spec() });
  assert.deepEqual([a.addresses, b.addresses], [['10.252.0.2'], ['10.252.0.3']]);
  assert.equal(a.gateway, '10.252.0.1');
  assert.deepEqual(a.nameservers, [], 'the default network resolves no names');
  assert.ok(namespaces.has(a.netnsPath));
  const st = att.state(id(1), 'default');
  assert.equal(st.endpoints[0].ipv4, '10.252.0.2');
  assert.equal(st.endpoints[0].ipv4PrefixLen, 29);
  assert.equal(st.sandboxKey, a.netnsPath);
  await att.teardown(id(1), 1);
  await att.teardown(id(1), 1);
  assert.equal(calls.filter((c) => c.cmd === 'teardown' && c.opts.container_id === id(1)).length, 1, 'torn down exactly once');
  assert.ok(!namespaces.has(a.netnsPath));
  assert.equal(att.state(id(1), 'default').endpoints[0].ipv4, '');
  // The address is free again; a newer run is never torn down for an older generation.
  const a2 = await att.setup({ id: id(1), name: 'a', generation: 2, spec: spec() });
  assert.deepEqual(a2.addresses, ['10.252.0.2']);
  await att.teardown(id(1), 1);
  assert.equal(att.state(id(1), 'default').endpoints[0].ipv4, '10.252.0.2');
  await att.teardown(id(1));
  await att.teardown(id(2));
});

test('a setup that fails leaves no run, lease or namespace; a full subnet is refused', async () => {
  failSetup = true;
  await assert.rejects(att.setup({ id: id(1), name: 'a', generation: 3, spec: spec() }), (e) => e instanceof EngineError && /boom/.test(e.message));
  failSetup = false;
  assert.equal(store.runsOf(id(1)).length, 0);
  assert.equal(store.leasedIps(att.state(id(1), 'default').endpoints[0].networkId).size, 0);
  assert.equal(namespaces.size, 0);
  // A /29 has five addresses for containers.
  for (let n = 3; n <= 7; n++) addContainer(id(n));
  for (let n = 1; n <= 5; n++) await att.setup({ id: id(n), name: `c${n}`, generation: 1, spec: spec() });
  await assert.rejects(att.setup({ id: id(6), name: 'c6', generation: 1, spec: spec() }), /no free IP address left/);
  for (let n = 1; n <= 6; n++) await att.teardown(id(n));
  assert.equal(store.allRuns().length, 0);
});

test('reconcile tears down runs no live container holds and leases no run accounts for', async () => {
  await att.setup({ id: id(1), name: 'a', generation: 1, spec: spec() });
  const kept = await att.setup({ id: id(2), name: 'b', generation: 1, spec: spec() });
  // A run whose teardown a dead process had claimed, and a lease written by a process that died before its run.
  store.tx(() => store.updateRun(id(1), 1, { owner: '999999.1' }));
  const net = att.state(id(3), 'default').endpoints[0].networkId;
  store.tx(() => store.lease(net, '10.252.0.6', id(3)));
  await att.reconcile((cid) => cid === id(2));
  assert.deepEqual(store.allRuns().map((r) => r.containerId), [id(2)]);
  assert.deepEqual([...store.leasedIps(net)], ['10.252.0.3']);
  assert.deepEqual([...namespaces], [kept.netnsPath]);
  await att.teardown(id(2));
});

test('host and none are networks of their own; container:X has none', () => {
  assert.equal(att.state(id(1), 'host').endpoints[0].networkName, 'host');
  assert.equal(att.state(id(1), 'none').endpoints[0].networkName, 'none');
  assert.deepEqual(att.state(id(1), 'container:abc').endpoints, []);
  assert.deepEqual(att.plan('host', {}).endpoints, []);
  assert.throws(() => att.plan('nosuch', {}), /network nosuch not found/);
});
