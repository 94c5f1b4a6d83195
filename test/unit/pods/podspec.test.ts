// PodSpecGenerator → the engine's pod create request (src/api/pods/podspec.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { podspecToCreate } from '../../../src/api/pods/podspec.js';
import { HttpError } from '../../../src/server/errors.js';

test('podman-remote pod create body maps to the engine request', () => {
  const r = podspecToCreate({
    name: 'p1', exit_policy: 'stop', shared_namespaces: ['ipc', 'net', 'uts'], share_parent: true, pod_create_command: ['podman', 'pod', 'create'],
    pidns: { nsmode: 'private' }, userns: {}, utsns: {}, netns: {}, resource_limits: { cpu: {} },
    portmappings: [{ host_ip: '127.0.0.1', container_port: 80, host_port: 18081, range: 2, protocol: '' }],
    idmappings: { HostUIDMapping: true, HostGIDMapping: true, AutoUserNs: false },
    labels: { a: 'b' }, hostadd: ['foo:1.2.3.4'], dns_server: ['9.9.9.9'], infra_command: ['sleep', '1'],
  });
  assert.equal(r.name, 'p1');
  assert.equal(r.exitPolicy, 'stop');
  assert.deepEqual(r.share, ['ipc', 'net', 'uts']);
  assert.equal(r.infra, true);
  assert.deepEqual(r.labels, { a: 'b' });
  assert.deepEqual(r.infraCommand, ['sleep', '1']);
  assert.equal(r.network?.mode, 'default');
  assert.deepEqual(r.network?.portBindings, { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '18081' }], '81/tcp': [{ HostIp: '127.0.0.1', HostPort: '18082' }] });
  assert.deepEqual(r.network?.extraHosts, ['foo:1.2.3.4']);
  assert.deepEqual(r.network?.dns, ['9.9.9.9']);
});

test('networks, netns modes, no_infra, share none, resources', () => {
  assert.equal(podspecToCreate({ Networks: { front: {} } }).network?.mode, 'front');
  assert.equal(podspecToCreate({ netns: { nsmode: 'host' } }).network?.mode, 'host');
  assert.equal(podspecToCreate({ no_infra: true }).infra, false);
  assert.deepEqual(podspecToCreate({ shared_namespaces: ['none'] }).share, []);
  assert.equal(podspecToCreate({ shared_namespaces: [] }).share, undefined);
  assert.deepEqual(podspecToCreate({ resource_limits: { memory: { limit: 1 << 26 }, cpu: { shares: 512 } } }).resources, { memory: 1 << 26, cpuShares: 512 });
});

test('fields berth does not do are refused with their name', () => {
  for (const [body, field] of [[{ sysctl: { 'net.ipv4.ip_forward': '1' } }, 'sysctl'], [{ netns: { nsmode: 'slirp4netns' } }, 'netns'], [{ shared_namespaces: ['user'] }, 'user'], [{ name: 3 }, 'name'], [{ pidns: { nsmode: 'host' } }, 'pidns']] as const) {
    assert.throws(() => podspecToCreate(body as Record<string, unknown>), (e: unknown) => e instanceof HttpError && e.status === 400 && e.message.includes(field), JSON.stringify(body));
  }
});
