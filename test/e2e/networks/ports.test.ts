// Published ports through the docker CLI, curl and podman-remote: -p with a host IP and port,
// a random port, ranges, -P, docker port and ps; answered from the host on 127.0.0.1 and on the
// host's address on the test's bridge, and from another container; conflicts refused; nothing
// left in the firewall once the container is gone. Only loopback and the test's bridges are used.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { run, startBerth, waitFor, FIXTURES, type Berth, removeAllContainers } from '../../helpers/berth.js';

let b: Berth;
let gateway: string;
const ok = (args: string[]) => b.dockerOk(args);
const podman = (args: string[]) => run('podman', ['--remote', '--url', `unix://${b.socket}`, ...args], { timeoutMs: 30_000 });
const HTTPD = ['busybox', 'httpd', '-f', '-p', '8080', '-h', '/etc'];

/** A port nothing listens on now (the kernel's pick), with the next one free too. */
async function freePort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const p = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });
    if (p < 65000) return p;
  }
  throw new Error('no free port');
}

/** GET /hostname from a published port once: the container's short ID answers ('' when nothing does). */
async function getOnce(host: string, port: number): Promise<string> {
  const r = await run('curl', ['-s', '--max-time', '5', `http://${host}:${port}/hostname`]);
  return r.stdout.trim();
}

/** The same, retried for a few seconds while the server in a just started container comes up. */
async function get(host: string, port: number): Promise<string> {
  let got = '';
  await waitFor(async () => (got = await getOnce(host, port)) !== '', 10_000, 100);
  return got;
}

const rulesNaming = async (id: string) => Number((await run('sh', ['-c', `iptables-save -t nat | grep -c ${id} || true`])).stdout.trim());

before(async () => {
  b = await startBerth();
  await ok(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
  gateway = JSON.parse(await ok(['network', 'inspect', 'bridge']))[0].IPAM.Config[0].Gateway;
});
after(async () => {
  await removeAllContainers(b);
  await b.cleanup();
});

test('-p 127.0.0.1:PORT:8080 to busybox httpd is answered by curl from the host; docker port and ps show it', async () => {
  const port = await freePort();
  const id = (await ok(['run', '-d', '--name', 'pub', '-p', `127.0.0.1:${port}:8080`, ...HTTPD])).trim();
  assert.equal(await get('127.0.0.1', port), id.slice(0, 12));
  assert.equal((await ok(['port', 'pub'])).trim(), `8080/tcp -> 127.0.0.1:${port}`);
  assert.equal((await ok(['port', 'pub', '8080'])).trim(), `127.0.0.1:${port}`);
  assert.equal((await ok(['ps', '--filter', 'name=pub', '--format', '{{.Ports}}'])).trim(), `127.0.0.1:${port}->8080/tcp`);
  const i = JSON.parse(await ok(['inspect', 'pub']))[0];
  assert.deepEqual(i.NetworkSettings.Ports, { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] });
  assert.deepEqual(i.HostConfig.PortBindings, { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] });
  // Bound to 127.0.0.1 only: the host's address on the bridge does not forward it.
  assert.equal(await getOnce(gateway, port), '');
  // Taken: a second container asking for the same port does not start.
  const again = await b.docker(['run', '-d', '--name', 'pub2', '-p', `127.0.0.1:${port}:8080`, ...HTTPD]);
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /port is already allocated/);
  await ok(['rm', '-f', 'pub', 'pub2']);
  assert.equal(await rulesNaming(id), 0, 'no NAT rule names the container once it is gone');
  assert.equal(await getOnce('127.0.0.1', port), '');
});

test('a random host port (HostPort empty) answers on 127.0.0.1, on the bridge gateway and from another container', async () => {
  const id = (await ok(['run', '-d', '--name', 'rnd', '-p', '8080', ...HTTPD])).trim();
  const mapped = (await ok(['port', 'rnd', '8080'])).trim();
  const m = /^0\.0\.0\.0:(\d+)$/.exec(mapped.split('\n')[0]);
  assert.ok(m, mapped);
  const port = Number(m[1]);
  assert.equal(await get('127.0.0.1', port), id.slice(0, 12));
  assert.equal(await get(gateway, port), id.slice(0, 12));
  const fromOther = await ok(['run', '--rm', 'busybox', 'timeout', '5', 'wget', '-qO-', `http://${gateway}:${port}/hostname`]);
  // (get() above waited for the server: this one answers at once.)
  assert.equal(fromOther.trim(), id.slice(0, 12));
  await ok(['rm', '-f', 'rnd']);
  assert.equal(await rulesNaming(id), 0);
});

test('-P publishes every exposed port; ranges map port by port; a port a host process holds is refused', async () => {
  const id = (await ok(['run', '-d', '--name', 'all', '--expose', '8080', '--expose', '9090/udp', '-P', ...HTTPD])).trim();
  const ports = JSON.parse(await ok(['inspect', '--format', '{{json .NetworkSettings.Ports}}', 'all']));
  assert.deepEqual(Object.keys(ports).sort(), ['8080/tcp', '9090/udp']);
  const tcp = Number(ports['8080/tcp'][0].HostPort);
  assert.ok(tcp > 0);
  assert.ok(Number(ports['9090/udp'][0].HostPort) > 0);
  assert.equal(await get('127.0.0.1', tcp), id.slice(0, 12));
  const p0 = await freePort();
  await ok(['run', '-d', '--name', 'rng', '-p', `127.0.0.1:${p0}-${p0 + 1}:8080-8081`, 'busybox', 'sh', '-c', 'httpd -p 8080 -h /etc; httpd -f -p 8081 -h /etc']);
  const rng = (await ok(['port', 'rng'])).trim().split('\n').sort();
  assert.deepEqual(rng, [`8080/tcp -> 127.0.0.1:${p0}`, `8081/tcp -> 127.0.0.1:${p0 + 1}`]);
  assert.match(await get('127.0.0.1', p0 + 1), /^[0-9a-f]{12}$/);
  // A host process listening there: dockerd would fail to bind it too.
  const held: Server = await new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => resolve(s));
  });
  const port = (held.address() as { port: number }).port;
  try {
    const r = await b.docker(['run', '-d', '--name', 'busy', '-p', `127.0.0.1:${port}:8080`, ...HTTPD]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /address already in use/);
  } finally {
    held.close();
  }
  // Publishing with another container's network namespace is a conflict, as in dockerd.
  const shared = await b.request('POST', '/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'container:all', PortBindings: { '80/tcp': [{ HostPort: '8000' }] } } });
  assert.equal(shared.status, 400);
  assert.match(shared.json.message, /conflicting options: port publishing and the container type network mode/);
  await ok(['rm', '-f', 'all', 'rng', 'busy']);
});

test('libpod: SpecGenerator portmappings publish; podman-remote port and inspect show them', async () => {
  const port = await freePort();
  // podman-remote run asks the server to pull first, which berth cannot yet: the create goes by HTTP.
  const c = await b.request('POST', '/v5.4.2/libpod/containers/create', {
    name: 'pp', image: 'docker.io/library/busybox', command: HTTPD.slice(1),
    netns: { nsmode: 'bridge' }, portmappings: [{ host_ip: '127.0.0.1', container_port: 8080, host_port: port, protocol: 'tcp' }],
  });
  assert.equal(c.status, 201, c.text);
  const start = await podman(['start', 'pp']);
  assert.equal(start.code, 0, start.stderr);
  assert.equal(await get('127.0.0.1', port), c.json.Id.slice(0, 12));
  const pp = await podman(['port', 'pp']);
  assert.equal(pp.stdout.trim(), `8080/tcp -> 127.0.0.1:${port}`);
  const i = JSON.parse((await podman(['inspect', 'pp'])).stdout)[0];
  assert.deepEqual(i.NetworkSettings.Ports['8080/tcp'], [{ HostIp: '127.0.0.1', HostPort: String(port) }]);
  assert.match(i.NetworkSettings.Networks.podman.IPAddress, /^\d+\.\d+\.\d+\.\d+$/);
  const ps = JSON.parse((await b.request('GET', '/v5.4.2/libpod/containers/json?filters={"name":["pp"]}')).text)[0];
  assert.deepEqual(ps.Networks, ['podman']);
  assert.deepEqual(ps.Ports, [{ host_ip: '127.0.0.1', container_port: 8080, host_port: port, range: 1, protocol: 'tcp' }]);
  await podman(['rm', '-f', 'pp']);
});
