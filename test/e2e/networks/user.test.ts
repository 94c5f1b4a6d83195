// User-defined networks through the docker CLI: containers resolve each other by name, alias
// and short ID through aardvark-dns (busybox nslookup and wget), connect and disconnect work on
// running containers, an internal network has no route out. Only names that exist on the
// test's networks are looked up (aardvark answers those itself and never forwards one-label
// names), and traffic goes only to the networks the test creates.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startBerth, FIXTURES, type Berth, removeAllContainers } from '../../helpers/berth.js';

let b: Berth;
const ok = (args: string[]) => b.dockerOk(args);
const inspect = async (id: string) => JSON.parse(await ok(['inspect', id]))[0];
// No search domains from the host: a one-label name stays one label.
const RUN = ['run', '--rm', '--dns-search', '.'];
const HTTPD = ['httpd', '-f', '-p', '8080', '-h', '/etc'];
// A few tries: the server in a container started just before may not listen yet.
const get = (url: string) => `for i in 1 2 3 4 5 6 7 8 9 10; do timeout 3 wget -qO- ${url} && break; sleep 0.3; done`;

before(async () => {
  b = await startBerth();
  await ok(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
  await ok(['network', 'create', 'app']);
  await ok(['network', 'create', 'back']);
  await ok(['network', 'create', '--internal', 'sealed']);
});
after(async () => {
  await removeAllContainers(b);
  await b.cleanup();
});

test('two containers on a user network reach each other by name, alias and short ID', async () => {
  const id = (await ok(['run', '-d', '--name', 'srv', '--network', 'app', '--network-alias', 'web', 'busybox', ...HTTPD])).trim();
  const gw = JSON.parse(await ok(['network', 'inspect', 'app']))[0].IPAM.Config[0].Gateway;
  const ip = (await inspect('srv')).NetworkSettings.Networks.app.IPAddress;
  const out = await ok([...RUN, '--network', 'app', 'busybox', 'sh', '-c', `cat /etc/resolv.conf; nslookup srv; nslookup web; ${get('http://web:8080/hostname')}; ${get('http://srv:8080/hostname')}; ${get(`http://${id.slice(0, 12)}:8080/hostname`)}`]);
  assert.match(out, new RegExp(`^nameserver ${gw.replace(/\./g, '\\.')}$`, 'm'), 'the network resolves names: aardvark-dns on its gateway');
  assert.equal(out.match(new RegExp(`Address: ${ip.replace(/\./g, '\\.')}\\b`, 'g'))?.length, 2, out);
  assert.equal(out.match(new RegExp(`^${id.slice(0, 12)}$`, 'gm'))?.length, 3, out);
  // An unknown one-label name is answered NXDOMAIN on the spot.
  const none = await b.docker([...RUN, '--network', 'app', 'busybox', 'nslookup', 'nosuchname']);
  assert.notEqual(none.code, 0);
  // --add-host and --hostname reach /etc/hosts; the container's own name is its address.
  const hosts = await ok([...RUN, '--network', 'app', '--hostname', 'h1', '--add-host', 'gw:host-gateway', '--add-host', 'x.test:10.9.9.9', 'busybox', 'cat', '/etc/hosts']);
  assert.match(hosts, new RegExp(`^${gw.replace(/\./g, '\\.')}\\tgw$`, 'm'));
  assert.match(hosts, /^10\.9\.9\.9\tx\.test$/m);
  assert.match(hosts, /^\d+\.\d+\.\d+\.\d+\th1$/m);
});

test('connect and disconnect a running container: its interface comes and goes, names follow', async () => {
  await ok(['run', '-d', '--name', 'db', '--network', 'back', 'busybox', ...HTTPD]);
  await ok(['run', '-d', '--name', 'mid', '--network', 'app', 'busybox', ...HTTPD]);
  await ok(['network', 'connect', '--alias', 'middle', 'back', 'mid']);
  const addrs = await ok(['exec', 'mid', 'ip', '-4', '-o', 'addr']);
  const backIp = (await inspect('mid')).NetworkSettings.Networks.back.IPAddress;
  assert.match(addrs, new RegExp(`eth1\\s+inet ${backIp.replace(/\./g, '\\.')}/`));
  // The running container now resolves names on both networks, and is found on `back` by its alias.
  assert.match(await ok(['exec', 'mid', 'sh', '-c', get('http://db:8080/hostname')]), /^[0-9a-f]{12}$/m);
  assert.match(await ok(['exec', 'mid', 'sh', '-c', get('http://srv:8080/hostname')]), /^[0-9a-f]{12}$/m);
  const midId = (await inspect('mid')).Id;
  assert.equal((await ok(['exec', 'db', 'sh', '-c', get('http://middle:8080/hostname')])).trim(), midId.slice(0, 12));
  const members = JSON.parse(await ok(['network', 'inspect', 'back']))[0].Containers;
  assert.deepEqual(Object.values(members).map((m) => (m as { Name: string }).Name).sort(), ['db', 'mid']);
  await ok(['network', 'disconnect', 'back', 'mid']);
  assert.doesNotMatch(await ok(['exec', 'mid', 'ip', '-4', '-o', 'addr']), /eth1/);
  assert.deepEqual(Object.keys((await inspect('mid')).NetworkSettings.Networks), ['app']);
  assert.equal(Object.keys(JSON.parse(await ok(['network', 'inspect', 'back']))[0].Containers).length, 1);
  assert.doesNotMatch(await ok(['exec', 'mid', 'cat', '/etc/resolv.conf']), new RegExp(JSON.parse(await ok(['network', 'inspect', 'back']))[0].IPAM.Config[0].Gateway.replace(/\./g, '\\.')));
  await ok(['rm', '-f', 'db', 'mid']);
});

test('an internal network has no route out; its containers still resolve each other', async () => {
  await ok(['run', '-d', '--name', 'inner', '--network', 'sealed', 'busybox', ...HTTPD]);
  const outside = (await inspect('srv')).NetworkSettings.Networks.app.IPAddress;
  const r = await b.docker([...RUN, '--network', 'sealed', 'busybox', 'sh', '-c', `ip route; ${get('http://inner:8080/hostname')}; timeout 3 wget -qO- http://${outside}:8080/hostname || echo no-way-out`]);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /^default/m, 'no default route');
  assert.match(r.stdout, /^[0-9a-f]{12}$/m, 'the container on the same internal network answers');
  assert.match(r.stdout, /no-way-out/);
  // While a container on a routed network reaches that same address.
  assert.match(await ok([...RUN, '--network', 'app', 'busybox', 'sh', '-c', get(`http://${outside}:8080/hostname`)]), /^[0-9a-f]{12}$/m);
  await ok(['rm', '-f', 'inner']);
});

test('--ip and the compat MacAddress on a user network; an address is never handed out twice; a network in use stays', async () => {
  await ok(['network', 'create', '--subnet', '10.251.40.0/24', 'fixed']);
  // The compat MacAddress of Config (the docker CLI sends it so only to API 1.44 and up).
  const c = await b.request('POST', '/v1.41/containers/create?name=pinned', {
    Image: 'busybox', Cmd: ['sleep', '600'], MacAddress: '02:42:0a:fb:28:4d',
    HostConfig: { NetworkMode: 'fixed' }, NetworkingConfig: { EndpointsConfig: { fixed: { IPAMConfig: { IPv4Address: '10.251.40.77' } } } },
  });
  assert.equal(c.status, 201, c.text);
  await ok(['start', 'pinned']);
  const n = (await inspect('pinned')).NetworkSettings.Networks.fixed;
  assert.equal(n.IPAddress, '10.251.40.77');
  assert.equal(n.MacAddress, '02:42:0a:fb:28:4d');
  assert.deepEqual(n.IPAMConfig, { IPv4Address: '10.251.40.77' });
  const taken = await b.docker(['run', '--rm', '--network', 'fixed', '--ip', '10.251.40.77', 'busybox', 'true']);
  assert.notEqual(taken.code, 0);
  assert.match(taken.stderr, /already in use/);
  const outside = await b.docker(['create', '--network', 'fixed', '--ip', '10.251.41.1', 'busybox', 'true']);
  assert.notEqual(outside.code, 0);
  assert.match(outside.stderr, /not in any subnet/);
  assert.notEqual((await b.docker(['network', 'rm', 'fixed'])).code, 0);
  await ok(['rm', '-f', 'pinned']);
  await ok(['network', 'rm', 'fixed']);
});
