import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildNetwork, freeSubnet, type CreateContext } from '../../../src/engine/networks/create.js';
import { pickAddresses } from '../../../src/engine/networks/ipam.js';
import { validatePortBindings } from '../../../src/engine/networks/ports.js';
import { parseCidr } from '../../../src/network/ip.js';
import { EngineError } from '../../../src/engine/errors.js';
import type { Network } from '../../../src/engine/networks/types.js';

const ID = 'ab'.repeat(32);
const cx = (over: Partial<CreateContext> = {}): CreateContext => ({ existing: [], hostRoutes: [parseCidr('192.0.2.0/24')!], interfaceInUse: () => false, pools: [], ...over });
const kind = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return e instanceof EngineError ? `${e.kind}: ${e.message}` : String(e);
  }
  return 'ok';
};

test('a bridge network gets a free subnet, a bridge named for its ID, DNS on', () => {
  const n = buildNetwork({ name: 'web' }, ID, 't', cx());
  assert.equal(n.driver, 'bridge');
  assert.equal(n.interface, `br-${ID.slice(0, 12)}`);
  assert.equal(n.dnsEnabled, true);
  assert.equal(n.subnets.length, 1);
  assert.match(n.subnets[0].subnet, /^10\.\d+\.\d+\.0\/24$/);
  assert.equal(n.subnets[0].gateway, n.subnets[0].subnet.replace('0/24', '1'));
});

test('given subnets are checked: CIDR, gateway inside, range inside, no overlap with routes or networks', () => {
  assert.match(kind(() => buildNetwork({ name: 'a', subnets: [{ subnet: 'nope' }] }, ID, 't', cx())), /^bad-parameter: invalid CIDR address: nope/);
  assert.match(kind(() => buildNetwork({ name: 'a', subnets: [{ subnet: '10.9.0.0/24', gateway: '10.8.0.1' }] }, ID, 't', cx())), /no matching subnet for gateway/);
  assert.match(kind(() => buildNetwork({ name: 'a', subnets: [{ subnet: '10.9.0.0/24', ipRange: '10.9.1.0/25' }] }, ID, 't', cx())), /no matching subnet for range/);
  assert.match(kind(() => buildNetwork({ name: 'a', subnets: [{ subnet: '192.0.2.128/25' }] }, ID, 't', cx())), /overlaps/);
  const other = buildNetwork({ name: 'b', subnets: [{ subnet: '10.9.0.0/16' }] }, 'cd'.repeat(32), 't', cx());
  assert.match(kind(() => buildNetwork({ name: 'a', subnets: [{ subnet: '10.9.3.0/24' }] }, ID, 't', cx({ existing: [other] }))), /overlaps/);
  const r = buildNetwork({ name: 'a', subnets: [{ subnet: '10.10.0.0/24', ipRange: '10.10.0.128/25' }] }, ID, 't', cx());
  assert.deepEqual(r.subnets[0], { subnet: '10.10.0.0/24', gateway: '10.10.0.1', leaseRange: { start: '10.10.0.129', end: '10.10.0.254' }, ipRange: '10.10.0.128/25' });
});

test('names, drivers and options as dockerd and podman refuse them', () => {
  assert.match(kind(() => buildNetwork({ name: 'a b' }, ID, 't', cx())), /^bad-parameter: invalid network name/);
  assert.match(kind(() => buildNetwork({ name: 'bridge' }, ID, 't', cx())), /^forbidden: bridge is a pre-defined network/);
  assert.match(kind(() => buildNetwork({ name: 'a', driver: 'ipvlan' }, ID, 't', cx())), /^bad-parameter: .*ipvlan/);
  assert.match(kind(() => buildNetwork({ name: 'a', driver: 'host' }, ID, 't', cx())), /^forbidden: only one instance of "host"/);
  assert.match(kind(() => buildNetwork({ name: 'a', options: { frobnicate: '1' } }, ID, 't', cx())), /unsupported bridge network option/);
  assert.match(kind(() => buildNetwork({ name: 'a', options: { mtu: 'big' } }, ID, 't', cx())), /invalid mtu option/);
  assert.match(kind(() => buildNetwork({ name: 'a', interface: 'much-too-long-bridge-name' }, ID, 't', cx())), /invalid bridge name/);
  assert.match(kind(() => buildNetwork({ name: 'a', interface: 'eth0' }, ID, 't', cx({ interfaceInUse: (n) => n === 'eth0' }))), /^conflict: bridge name eth0 already in use/);
  const existing = buildNetwork({ name: 'a' }, ID, 't', cx());
  assert.match(kind(() => buildNetwork({ name: 'a' }, 'cd'.repeat(32), 't', cx({ existing: [existing] }))), /^conflict: network with name a already exists/);
});

test('free subnets: configured pools in order, skipping what is taken', () => {
  const pools = [{ base: '10.89.0.0/16', size: 24 }];
  assert.equal(freeSubnet(pools, []).subnet, '10.89.0.0/24');
  assert.equal(freeSubnet(pools, [parseCidr('10.89.0.0/23')!]).subnet, '10.89.2.0/24');
  assert.match(kind(() => freeSubnet([{ base: '10.89.0.0/24', size: 24 }], [parseCidr('10.89.0.0/24')!])), /could not find a free subnet/);
});

test('addresses: the lowest free one, or the asked one when it is inside and free', () => {
  const n: Network = buildNetwork({ name: 'a', subnets: [{ subnet: '10.20.0.0/29' }] }, ID, 't', cx());
  assert.deepEqual(pickAddresses(n, {}, new Set()), ['10.20.0.2']);
  assert.deepEqual(pickAddresses(n, {}, new Set(['10.20.0.2', '10.20.0.3'])), ['10.20.0.4']);
  assert.deepEqual(pickAddresses(n, { ipv4: '10.20.0.6' }, new Set()), ['10.20.0.6']);
  assert.match(kind(() => pickAddresses(n, { ipv4: '10.20.0.9' }, new Set())), /not in any subnet/);
  assert.match(kind(() => pickAddresses(n, { ipv4: '10.20.0.1' }, new Set())), /is the gateway/);
  assert.match(kind(() => pickAddresses(n, { ipv4: '10.20.0.5' }, new Set(['10.20.0.5']))), /^conflict: .*already in use/);
  assert.match(kind(() => pickAddresses(n, {}, new Set(['10.20.0.2', '10.20.0.3', '10.20.0.4', '10.20.0.5', '10.20.0.6']))), /no free IP address/);
});

test('port bindings are checked at create', () => {
  assert.equal(kind(() => validatePortBindings({ '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }], '53/udp': [{ HostPort: '' }], '90': [{ HostPort: '9000-9010' }] })), 'ok');
  assert.match(kind(() => validatePortBindings({ '80/icmp': [] })), /invalid port specification/);
  assert.match(kind(() => validatePortBindings({ '70000/tcp': [] })), /invalid port specification/);
  assert.match(kind(() => validatePortBindings({ '80/tcp': [{ HostIp: 'localhost', HostPort: '1' }] })), /invalid host IP/);
  assert.match(kind(() => validatePortBindings({ '80/tcp': [{ HostPort: '9-1' }] })), /invalid host port/);
});
