// testcontainers-node (npm `testcontainers`, on the Node 24 the tests run on) against a real
// berth: a container with an exposed port and a network alias, reached from the host through
// its mapped port and from a second container by the alias. This machine has /.dockerenv, so
// testcontainers takes the host to be the gateway of GET /networks/bridge: a container is kept
// on the default bridge so that address is the host's own (the bridge exists), and the test
// checks that before any client traffic goes to it. Ryuk (its reaper image) is off: no registry.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { run, startBerth, FIXTURES, type Berth, removeAllContainers } from '../../helpers/berth.js';

let b: Berth;
let gateway: string;

before(async () => {
  b = await startBerth();
  await b.dockerOk(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
  await b.dockerOk(['run', '-d', '--name', 'keeper', 'busybox', 'sleep', '3600']);
  gateway = JSON.parse(await b.dockerOk(['network', 'inspect', 'bridge']))[0].IPAM.Config[0].Gateway;
  Object.assign(process.env, {
    DOCKER_HOST: `unix://${b.socket}`,
    TESTCONTAINERS_RYUK_DISABLED: 'true',
    TESTCONTAINERS_CHECKS_DISABLE: 'true',
    DOCKER_CONFIG: join(b.dir, 'docker-config'),
  });
});
after(async () => {
  await removeAllContainers(b);
  await b.cleanup();
});

test('testcontainers: exposed port and network alias, reached from the host and from a second container', async () => {
  // Where testcontainers will connect must be an address of this host (the test's bridge).
  const local = (await run('ip', ['-4', '-o', 'addr'])).stdout;
  assert.match(local, new RegExp(`inet ${gateway.replace(/\./g, '\\.')}/`), 'the bridge gateway is a local address');
  const { GenericContainer, Network, Wait } = await import('testcontainers');
  const network = await new Network().start();
  const web = await new GenericContainer('busybox:latest')
    .withCommand(['httpd', '-f', '-p', '8080', '-h', '/etc'])
    .withExposedPorts(8080)
    .withNetwork(network)
    .withNetworkAliases('web')
    .withWaitStrategy(Wait.forListeningPorts())
    .withStartupTimeout(30_000)
    .start();
  try {
    if (existsSync('/.dockerenv')) assert.equal(web.getHost(), gateway, 'in a container, the host is the bridge gateway');
    const port = web.getMappedPort(8080);
    const res = await fetch(`http://${web.getHost()}:${port}/hostname`, { signal: AbortSignal.timeout(5000) });
    assert.equal((await res.text()).trim(), web.getId().slice(0, 12));
    const client = await new GenericContainer('busybox:latest').withCommand(['sleep', '600']).withNetwork(network).start();
    try {
      const r = await client.exec(['sh', '-c', 'for i in 1 2 3 4 5; do timeout 3 wget -qO- http://web:8080/hostname && break; sleep 0.3; done']);
      assert.equal(r.exitCode, 0, r.output);
      assert.equal(r.output.trim(), web.getId().slice(0, 12));
    } finally {
      await client.stop({ timeout: 1000 });
    }
  } finally {
    await web.stop({ timeout: 1000 });
    await network.stop();
  }
  assert.equal((await b.docker(['network', 'inspect', network.getName()])).code, 1, 'the network is gone');
});
