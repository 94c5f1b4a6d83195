import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNamespaceAddress } from '../../../src/network/rootless/connector.js';
import { parseForwardSpec } from '../../../src/network/rootless/forwarder-main.js';
import { PASTA_DNS, pastaArgs, pastaMessage, pastaPortSpec } from '../../../src/network/rootless/pasta.js';
import { hostFwdRequest, slirpArgs } from '../../../src/network/rootless/slirp.js';
import { chooseConnector, RootlessNetworkError } from '../../../src/network/rootless/tools.js';
import { validatePortBindings } from '../../../src/engine/networks/ports.js';

const tcp = (hostIp: string, hostPort: number, containerPort: number) => ({ hostIp, hostPort, containerPort, protocol: 'tcp' });

test('pasta: one -t/-u spec per published port, none for a protocol without ports, nothing forwarded back, options appended', () => {
  assert.equal(pastaPortSpec(tcp('127.0.0.1', 8080, 80)), '127.0.0.1/8080:80');
  assert.equal(pastaPortSpec(tcp('', 8080, 80)), '8080:80');
  assert.equal(pastaPortSpec(tcp('::1', 8080, 80)), '::1/8080:80');
  const a = pastaArgs({ netnsPath: '/run/ns/x', pidFile: '/run/p.pid', ports: [tcp('127.0.0.1', 8080, 80), tcp('', 8443, 443), { hostIp: '', hostPort: 5353, containerPort: 53, protocol: 'udp' }], extra: ['--mtu', '1500'] });
  assert.deepEqual(a, [
    '--config-net', '--netns', '/run/ns/x', '--pid', '/run/p.pid', '--quiet',
    '--no-map-gw', '--dns-forward', PASTA_DNS,
    '-t', '127.0.0.1/8080:80', '-t', '8443:443', '-u', '5353:53',
    '-T', 'none', '-U', 'none', '--mtu', '1500',
  ]);
  // Without ports pasta would forward every bound port ("auto"): none must be said.
  const b = pastaArgs({ netnsPath: '/n', pidFile: '/p', ports: [] });
  assert.deepEqual(b.slice(b.indexOf('-t')), ['-t', 'none', '-u', 'none', '-T', 'none', '-U', 'none']);
});

test('pasta: its syslog noise is dropped from error messages', () => {
  assert.equal(pastaMessage('Failed to send 45 bytes to syslog\nFailed to open tun socket in namespace\n'), 'Failed to open tun socket in namespace');
});

test('slirp4netns: configured tap in the namespace by path, ready fd 3, API socket; add_hostfwd per port', () => {
  assert.deepEqual(slirpArgs({ netnsPath: '/n', apiSocket: '/s.sock', logFile: '/l' }), ['--configure', '--mtu=65520', '--disable-host-loopback', '--netns-type=path', '--ready-fd=3', '--api-socket=/s.sock', '/n', 'tap0']);
  assert.ok(slirpArgs({ netnsPath: '/n', apiSocket: '/s', logFile: '/l', ipv6: true }).includes('--enable-ipv6'));
  assert.deepEqual(hostFwdRequest(tcp('', 8080, 80)), { execute: 'add_hostfwd', arguments: { proto: 'tcp', host_addr: '0.0.0.0', host_port: 8080, guest_port: 80 } });
  assert.equal((hostFwdRequest(tcp('127.0.0.1', 1, 2)).arguments as { host_addr: string }).host_addr, '127.0.0.1');
});

test('connector choice: pasta before slirp4netns, containers.conf names one, the packages when none is there', () => {
  const has = (names: string[]) => (n: string) => (names.includes(n) ? `/usr/bin/${n}` : undefined);
  assert.deepEqual(chooseConnector(undefined, has(['pasta', 'slirp4netns'])), { cmd: 'pasta', path: '/usr/bin/pasta' });
  assert.deepEqual(chooseConnector(undefined, has(['slirp4netns'])), { cmd: 'slirp4netns', path: '/usr/bin/slirp4netns' });
  assert.deepEqual(chooseConnector('slirp4netns', has(['pasta', 'slirp4netns'])).cmd, 'slirp4netns');
  assert.throws(() => chooseConnector('pasta', has(['slirp4netns'])), (e: Error) => e instanceof RootlessNetworkError && /pasta \(Debian package passt\)/.test(e.message));
  assert.throws(() => chooseConnector(undefined, has([])), /pasta \(Debian package passt\) or slirp4netns \(Debian package slirp4netns\)/);
});

test('what a namespace got, from ip -j: first global addresses, default gateways, the interface', () => {
  const addr = JSON.stringify([
    { ifname: 'lo', address: '00:00:00:00:00:00', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8, scope: 'host' }] },
    { ifname: 'eth0', address: '3e:33:81:0f:45:c7', addr_info: [{ family: 'inet', local: '192.0.2.2', prefixlen: 24, scope: 'global' }, { family: 'inet6', local: 'fd00::2', prefixlen: 64, scope: 'global' }, { family: 'inet6', local: 'fe80::1', prefixlen: 64, scope: 'link' }] },
  ]);
  const routes = JSON.stringify([{ dst: 'default', gateway: '192.0.2.1', dev: 'eth0' }, { dst: '192.0.2.0/24', dev: 'eth0' }, { dst: 'default', gateway: 'fd00::1', dev: 'eth0' }]);
  assert.deepEqual(parseNamespaceAddress(addr, routes), { ipv4: '192.0.2.2/24', gateway: '192.0.2.1', ipv6: 'fd00::2/64', ipv6Gateway: 'fd00::1', macAddress: '3e:33:81:0f:45:c7', interfaceName: 'eth0' });
  assert.deepEqual(parseNamespaceAddress('[]', '[]'), { ipv4: '', gateway: '', ipv6: '', ipv6Gateway: '', macAddress: '', interfaceName: '' });
  // A rootless netns with bridges: the outward interface is the default route's, not the first with an address.
  const rl = JSON.stringify([
    { ifname: 'lo', addr_info: [] },
    { ifname: 'br-1', address: 'aa:aa:aa:aa:aa:aa', addr_info: [{ family: 'inet', local: '10.89.0.1', prefixlen: 24, scope: 'global' }] },
    { ifname: 'eth0', address: 'bb:bb:bb:bb:bb:bb', addr_info: [{ family: 'inet', local: '192.0.2.2', prefixlen: 24, scope: 'global' }] },
  ]);
  const a2 = parseNamespaceAddress(rl, JSON.stringify([{ dst: 'default', gateway: '192.0.2.1', dev: 'eth0' }]));
  assert.equal(a2.interfaceName, 'eth0');
  assert.equal(a2.ipv4, '192.0.2.2/24');
});

test('the port forwarder checks its spec', () => {
  const good = { watch: '/run/ns/x', ports: [{ fd: 3, protocol: 'tcp', family: 4, target: '10.0.0.2', port: 80 }] };
  assert.deepEqual(parseForwardSpec(JSON.stringify(good)), good);
  assert.throws(() => parseForwardSpec('{}'), /bad spec/);
  assert.throws(() => parseForwardSpec(JSON.stringify({ ...good, ports: [{ ...good.ports[0], fd: 1 }] })), /bad port/);
  assert.throws(() => parseForwardSpec(JSON.stringify({ ...good, ports: [{ ...good.ports[0], protocol: 'sctp' }] })), /bad port/);
});

test('rootless: host ports below ip_unprivileged_port_start are refused at create, with the sysctl that allows them', () => {
  assert.doesNotThrow(() => validatePortBindings({ '80/tcp': [{ HostPort: '8080' }, { HostPort: '' }] }, 1024));
  assert.throws(() => validatePortBindings({ '80/tcp': [{ HostPort: '80' }] }, 1024), /rootless: cannot publish privileged port 80: host ports below 1024 .*ip_unprivileged_port_start=80/);
  assert.throws(() => validatePortBindings({ '53/udp': [{ HostPort: '1000-2000' }] }, 1024), /privileged port 1000/);
  assert.doesNotThrow(() => validatePortBindings({ '80/tcp': [{ HostPort: '80' }] }, 1), 'rootful: any port');
});

test('containers.conf: default_rootless_network_cmd is pasta or slirp4netns; pasta_options a list', async () => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { loadContainersConf } = await import('../../../src/config/containers-conf.js');
  const dir = mkdtempSync(join(tmpdir(), 'conf-'));
  const f = join(dir, 'c.conf');
  writeFileSync(f, '[network]\ndefault_rootless_network_cmd = "slirp4netns"\npasta_options = ["--mtu", "1500"]\n');
  const c = await loadContainersConf({ CONTAINERS_CONF: f });
  assert.equal(c.network.default_rootless_network_cmd, 'slirp4netns');
  assert.deepEqual(c.network.pasta_options, ['--mtu', '1500']);
  writeFileSync(f, '[network]\ndefault_rootless_network_cmd = "vde"\n');
  await assert.rejects(loadContainersConf({ CONTAINERS_CONF: f }), /default_rootless_network_cmd must be "pasta" or "slirp4netns"/);
  rmSync(dir, { recursive: true, force: true });
});

test('pasta:OPT,… modes: the options, and the ones berth sets itself refused', async () => {
  const { connectorMode, connectorModeProblem } = await import('../../../src/network/rootless/connector-mode.js');
  assert.deepEqual(connectorMode('pasta'), { cmd: 'pasta', options: [] });
  assert.deepEqual(connectorMode('slirp4netns'), { cmd: 'slirp4netns', options: [] });
  assert.deepEqual(connectorMode('pasta:--mtu,1400,-t,8080'), { cmd: 'pasta', options: ['--mtu', '1400', '-t', '8080'] });
  assert.equal(connectorMode('bridge'), undefined);
  assert.equal(connectorModeProblem('pasta:--mtu,1400'), undefined);
  for (const bad of ['pasta:--netns,/x', 'pasta:--pid=/x', 'pasta:-P/x', 'pasta:-f', 'pasta:--no-netns-quit', 'pasta:--userns,/y']) assert.match(connectorModeProblem(bad) ?? '', /is berth's to set/, bad);
  assert.match(connectorModeProblem('pasta:') ?? '', /names no options/);
  assert.match(connectorModeProblem('slirp4netns:mtu=1400') ?? '', /options for slirp4netns are not supported/);
  // The container's own port specs replace berth's "none" for that direction.
  const a = pastaArgs({ netnsPath: '/n', pidFile: '/p', ports: [], extra: ['-t', '8080', '--udp-ns=53'] });
  assert.deepEqual(a.slice(a.indexOf('--dns-forward') + 2), ['-u', 'none', '-T', 'none', '-t', '8080', '--udp-ns=53']);
});
