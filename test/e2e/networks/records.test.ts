// Networks as records, through the docker CLI, podman-remote and plain HTTP: the default
// network, host and none; create, list with filters, inspect, remove, prune; the errors dockerd
// gives; attaching containers that do not run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { run, startBerth, FIXTURES, type Berth, removeAllContainers } from '../../helpers/berth.js';

let b: Berth;
const ok = (args: string[]) => b.dockerOk(args);
const podman = (args: string[]) => run('podman', ['--remote', '--url', `unix://${b.socket}`, ...args], { timeoutMs: 30_000 });
const names = async (args: string[] = []) => (await ok(['network', 'ls', '--format', '{{.Name}}', ...args])).trim().split('\n').filter(Boolean).sort();

before(async () => {
  b = await startBerth();
  await ok(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
});
after(async () => {
  await removeAllContainers(b);
  await b.cleanup();
});

test('bridge, host and none exist from the start; GET /networks/bridge gives the gateway first clients ask for', async () => {
  assert.deepEqual(await names(), ['bridge', 'host', 'none']);
  const br = await b.request('GET', '/v1.41/networks/bridge');
  assert.equal(br.status, 200);
  assert.equal(br.json.Name, 'bridge');
  assert.equal(br.json.Driver, 'bridge');
  assert.match(br.json.Id, /^[0-9a-f]{64}$/);
  const cfg = br.json.IPAM.Config[0];
  assert.match(cfg.Subnet, /^\d+\.\d+\.\d+\.\d+\/\d+$/);
  assert.match(cfg.Gateway, /^\d+\.\d+\.\d+\.\d+$/);
  assert.equal(br.json.Options['com.docker.network.bridge.default_bridge'], 'true');
  const host = await b.request('GET', '/networks/host');
  assert.equal(host.status, 200);
  assert.equal(host.json.Driver, 'host');
  assert.equal((await b.request('GET', '/networks/none')).json.Driver, 'null');
  // The same network by ID, by ID prefix, and as podman's `podman` in libpod.
  assert.equal((await b.request('GET', `/networks/${br.json.Id.slice(0, 10)}`)).json.Name, 'bridge');
  const lp = await b.request('GET', '/v5.4.2/libpod/networks/podman/json');
  assert.equal(lp.json.id, br.json.Id);
  assert.equal(lp.json.name, 'podman');
  assert.equal(lp.json.network_interface, br.json.Options['com.docker.network.bridge.name']);
});

test('docker network create, inspect, ls with filters, rm and prune', async () => {
  const id = (await ok(['network', 'create', '--subnet', '10.251.7.0/24', '--gateway', '10.251.7.254', '--ip-range', '10.251.7.128/25', '--label', 'team=a', '--internal', 'n-a'])).trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  await ok(['network', 'create', '--label', 'team=b', '-o', 'com.docker.network.driver.mtu=1400', 'n-b']);
  const a = JSON.parse(await ok(['network', 'inspect', 'n-a']))[0];
  assert.equal(a.Id, id);
  assert.equal(a.Internal, true);
  assert.deepEqual(a.IPAM.Config, [{ Subnet: '10.251.7.0/24', Gateway: '10.251.7.254', IPRange: '10.251.7.128/25' }]);
  assert.deepEqual(a.Labels, { team: 'a' });
  assert.deepEqual(a.Containers, {});
  const nb = JSON.parse(await ok(['network', 'inspect', 'n-b']))[0];
  assert.deepEqual(nb.Options, { 'com.docker.network.driver.mtu': '1400' });
  // A subnet was picked for it, one no other network has.
  assert.notEqual(nb.IPAM.Config[0].Subnet, a.IPAM.Config[0].Subnet);
  assert.deepEqual(await names(['--filter', 'label=team=a']), ['n-a']);
  assert.deepEqual(await names(['--filter', 'label=team']), ['n-a', 'n-b']);
  assert.deepEqual(await names(['--filter', 'name=n-']), ['n-a', 'n-b']);
  assert.deepEqual(await names(['--filter', `id=${id.slice(0, 12)}`]), ['n-a']);
  assert.deepEqual(await names(['--filter', 'type=custom']), ['n-a', 'n-b']);
  assert.deepEqual(await names(['--filter', 'type=builtin']), ['bridge', 'host', 'none']);
  assert.deepEqual(await names(['--filter', 'driver=null']), ['none']);
  assert.deepEqual(await names(['--filter', 'dangling=true']), ['n-a', 'n-b']);
  await ok(['create', '--name', 'on-b', '--network', 'n-b', 'busybox', 'true']);
  assert.deepEqual(await names(['--filter', 'dangling=true']), ['n-a']);
  const pruned = await ok(['network', 'prune', '-f', '--filter', 'label=team']);
  assert.match(pruned, /n-a/);
  assert.doesNotMatch(pruned, /n-b/, 'n-b has a container attached');
  assert.deepEqual(await names(), ['bridge', 'host', 'n-b', 'none']);
  const busy = await b.docker(['network', 'rm', 'n-b']);
  assert.notEqual(busy.code, 0);
  assert.match(busy.stderr, /has active endpoints/);
  await ok(['rm', 'on-b']);
  assert.equal((await ok(['network', 'rm', 'n-b'])).trim(), 'n-b');
  assert.deepEqual(await names(), ['bridge', 'host', 'none']);
});

test('create errors as dockerd answers them: 409 duplicate, 400 name, subnet, overlap, driver; 403/404 on rm', async () => {
  await ok(['network', 'create', '--subnet', '10.251.8.0/24', 'dup']);
  const post = (body: unknown) => b.request('POST', '/v1.41/networks/create', body);
  const dup = await post({ Name: 'dup', CheckDuplicate: true });
  assert.equal(dup.status, 409);
  assert.match(dup.json.message, /network with name dup already exists/);
  assert.equal((await post({ Name: 'dup' })).status, 409, 'names are unique whatever CheckDuplicate says');
  const bad = await post({ Name: 'no spaces' });
  assert.equal(bad.status, 400);
  assert.match(bad.json.message, /invalid network name/);
  const cidr = await post({ Name: 'c1', IPAM: { Config: [{ Subnet: '10.1.2.300/24' }] } });
  assert.equal(cidr.status, 400);
  assert.match(cidr.json.message, /invalid CIDR address: 10.1.2.300\/24/);
  const overlap = await post({ Name: 'c2', IPAM: { Config: [{ Subnet: '10.251.8.128/25' }] } });
  assert.equal(overlap.status, 400);
  assert.match(overlap.json.message, /overlaps/);
  const gw = await post({ Name: 'c3', IPAM: { Config: [{ Subnet: '10.251.9.0/24', Gateway: '10.251.10.1' }] } });
  assert.equal(gw.status, 400);
  const driver = await post({ Name: 'c4', Driver: 'macvlan' });
  assert.equal(driver.status, 400);
  assert.match(driver.json.message, /macvlan/);
  assert.equal((await post({ Name: 'bridge' })).status, 403);
  assert.equal((await b.request('DELETE', '/networks/bridge')).status, 403);
  assert.equal((await b.request('DELETE', '/networks/host')).status, 403);
  assert.equal((await b.request('DELETE', '/networks/nosuch')).status, 404);
  assert.equal((await b.request('GET', '/networks/nosuch')).status, 404);
  await ok(['network', 'rm', 'dup']);
});

test('containers are attached at create and by connect/disconnect; inspect names the network ID', async () => {
  const nid = (await ok(['network', 'create', 'att'])).trim();
  await ok(['create', '--name', 'att1', '--network', 'att', '--network-alias', 'web', 'busybox', 'true']);
  const nets = JSON.parse(await ok(['inspect', '--format', '{{json .NetworkSettings.Networks}}', 'att1']));
  assert.deepEqual(Object.keys(nets), ['att']);
  assert.equal(nets.att.NetworkID, nid);
  assert.ok(nets.att.Aliases.includes('web'));
  await ok(['network', 'connect', '--alias', 'db', 'bridge', 'att1']);
  const both = JSON.parse(await ok(['inspect', '--format', '{{json .NetworkSettings.Networks}}', 'att1']));
  assert.deepEqual(Object.keys(both).sort(), ['att', 'bridge']);
  const again = await b.docker(['network', 'connect', 'att', 'att1']);
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /already exists in network att/);
  await ok(['network', 'disconnect', 'att', 'att1']);
  assert.deepEqual(Object.keys(JSON.parse(await ok(['inspect', '--format', '{{json .NetworkSettings.Networks}}', 'att1']))), ['bridge']);
  const notOn = await b.docker(['network', 'disconnect', 'att', 'att1']);
  assert.notEqual(notOn.code, 0);
  assert.match(notOn.stderr, /is not connected to network att/);
  // Unknown networks are the client's mistake at create (a 404 would make the CLI pull).
  const unknown = await b.request('POST', '/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'nosuch' } });
  assert.equal(unknown.status, 400);
  assert.match(unknown.json.message, /network nosuch not found/);
  await ok(['rm', 'att1']);
  await ok(['network', 'rm', 'att']);
});

test('podman-remote network create, ls, inspect, rm; libpod exists and prune', async () => {
  const c = await podman(['network', 'create', '--subnet', '10.251.11.0/24', '--label', 'x=y', 'pn']);
  assert.equal(c.code, 0, c.stderr);
  assert.equal(c.stdout.trim(), 'pn');
  const ls = await podman(['network', 'ls', '--format', '{{.Name}} {{.Driver}}']);
  assert.deepEqual(ls.stdout.trim().split('\n').sort(), ['pn bridge', 'podman bridge']);
  const i = await podman(['network', 'inspect', 'pn']);
  assert.equal(i.code, 0, i.stderr);
  const n = JSON.parse(i.stdout)[0];
  assert.equal(n.name, 'pn');
  assert.equal(n.driver, 'bridge');
  assert.deepEqual(n.subnets, [{ subnet: '10.251.11.0/24', gateway: '10.251.11.1' }]);
  assert.equal(n.dns_enabled, true);
  assert.deepEqual(n.labels, { x: 'y' });
  assert.match(n.network_interface, /^br-[0-9a-f]{12}$/);
  assert.equal((await b.request('GET', `/v5.4.2/libpod/networks/pn/exists`)).status, 204);
  assert.equal((await b.request('GET', `/v5.4.2/libpod/networks/nosuch/exists`)).status, 404);
  const rm = await podman(['network', 'rm', 'pn']);
  assert.equal(rm.code, 0, rm.stderr);
  assert.equal(rm.stdout.trim(), 'pn');
  assert.equal((await podman(['network', 'inspect', 'pn'])).code, 125);
  await podman(['network', 'create', 'pn2']);
  const pr = await b.request('POST', '/v5.4.2/libpod/networks/prune');
  assert.deepEqual(pr.json, [{ Name: 'pn2', Error: null }]);
});

test('libpod connect and disconnect take podman\'s bodies (aliases, static_ips); inspect lists the container', async () => {
  await podman(['network', 'create', '--subnet', '10.251.12.0/24', 'lpn']);
  const c = await b.request('POST', '/v5.4.2/libpod/containers/create', { name: 'lpc', image: 'docker.io/library/busybox', command: ['sleep', '600'] });
  assert.equal(c.status, 201, c.text);
  const con = await b.request('POST', '/v5.4.2/libpod/networks/lpn/connect', { container: 'lpc', aliases: ['lp-alias'], static_ips: ['10.251.12.50'] });
  assert.equal(con.status, 200, con.text);
  assert.equal((await podman(['start', 'lpc'])).code, 0);
  const n = (await b.request('GET', '/v5.4.2/libpod/networks/lpn/json')).json;
  assert.deepEqual(Object.keys(n.containers), [c.json.Id]);
  assert.equal(n.containers[c.json.Id].name, 'lpc');
  assert.deepEqual(n.containers[c.json.Id].interfaces.eth1.subnets, [{ ipnet: '10.251.12.50/24', gateway: '10.251.12.1' }]);
  const i = JSON.parse((await podman(['inspect', 'lpc'])).stdout)[0];
  assert.deepEqual(Object.keys(i.NetworkSettings.Networks).sort(), ['lpn', 'podman']);
  assert.ok(i.NetworkSettings.Networks.lpn.Aliases.includes('lp-alias'));
  const dis = await b.request('POST', '/v5.4.2/libpod/networks/lpn/disconnect', { Container: 'lpc' });
  assert.equal(dis.status, 200, dis.text);
  assert.deepEqual((await b.request('GET', '/v5.4.2/libpod/networks/lpn/json')).json.containers, {});
  // podman's forced removal takes the containers attached with it.
  await b.request('POST', '/v5.4.2/libpod/networks/lpn/connect', { container: 'lpc' });
  assert.equal((await b.request('DELETE', '/v5.4.2/libpod/networks/lpn')).status, 409);
  const rm = await b.request('DELETE', '/v5.4.2/libpod/networks/lpn?force=true');
  assert.deepEqual(rm.json, [{ Name: 'lpn', Err: null }]);
  assert.equal((await b.request('GET', '/v5.4.2/libpod/containers/lpc/exists')).status, 404);
});
