// Legacy links on the default bridge (hosts entries, dockerd's variables, rm --link) and network
// statistics per interface (docker stats, compat and libpod stats), through the docker CLI and
// HTTP. Traffic stays on the test's bridge.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startBerth, FIXTURES, type Berth, removeAllContainers } from '../../helpers/berth.js';

let b: Berth;
const ok = (args: string[]) => b.dockerOk(args);
const inspect = async (id: string) => JSON.parse(await ok(['inspect', id]))[0];
const get = (url: string) => `for i in 1 2 3 4 5 6 7 8 9 10; do timeout 3 wget -qO- ${url} && break; sleep 0.3; done`;

before(async () => {
  b = await startBerth();
  await ok(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
  await ok(['run', '-d', '--name', 'db', '--expose', '5432', '--expose', '53/udp', '-e', 'SECRET=s1', 'busybox', 'httpd', '-f', '-p', '5432', '-h', '/etc']);
});
after(async () => {
  await removeAllContainers(b);
  await b.cleanup();
});

test('--link db:database: a hosts entry, dockerd\'s variables, reachable by the alias', async () => {
  const db = await inspect('db');
  const ip = db.NetworkSettings.IPAddress;
  const out = await ok(['run', '--name', 'app', '--link', 'db:database', 'busybox', 'sh', '-c', `cat /etc/hosts; env | sort; ${get('http://database:5432/hostname')}`]);
  assert.match(out, new RegExp(`^${ip.replace(/\./g, '\\.')}\\tdatabase ${db.Id.slice(0, 12)} db$`, 'm'));
  for (const want of [
    'DATABASE_NAME=/app/database',
    `DATABASE_PORT=udp://${ip}:53`, // the lowest exposed port, as dockerd picks it
    `DATABASE_PORT_5432_TCP=tcp://${ip}:5432`,
    `DATABASE_PORT_5432_TCP_ADDR=${ip}`,
    'DATABASE_PORT_5432_TCP_PORT=5432',
    'DATABASE_PORT_5432_TCP_PROTO=tcp',
    `DATABASE_PORT_53_UDP=udp://${ip}:53`,
    'DATABASE_ENV_SECRET=s1',
  ]) assert.match(out, new RegExp(`^${want.replace(/[./]/g, '\\$&')}$`, 'm'), want);
  assert.doesNotMatch(out, /^DATABASE_ENV_PATH=/m);
  assert.match(out, new RegExp(`^${db.Id.slice(0, 12)}$`, 'm'), 'the alias reaches it');
  assert.deepEqual((await inspect('app')).HostConfig.Links, ['/db:/app/database']);
  // docker rm --link: the link goes, both containers stay.
  await ok(['rm', '--link', 'app/database']);
  assert.equal((await inspect('app')).HostConfig.Links, null);
  assert.doesNotMatch(await ok(['start', '-a', 'app']), /DATABASE_NAME/);
  await ok(['rm', 'app']);
});

test('links need their container: unknown at create is a 400, stopped at start fails the start', async () => {
  const unknown = await b.docker(['create', '--link', 'nosuch:x', 'busybox', 'true']);
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /Could not get container for nosuch/);
  await ok(['create', '--name', 'gone', 'busybox', 'true']);
  const r = await b.docker(['run', '--rm', '--link', 'gone', 'busybox', 'true']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /Cannot link to a non running container: \/gone AS \/\w+\/gone/);
  await ok(['rm', 'gone']);
});

test('stats report networks per interface: docker stats, compat and libpod', async () => {
  // Some traffic on db's eth0 first.
  await ok(['run', '--rm', 'busybox', 'sh', '-c', get(`http://${(await inspect('db')).NetworkSettings.IPAddress}:5432/passwd`)]);
  const compat = (await b.request('GET', '/v1.41/containers/db/stats?stream=false')).json;
  assert.deepEqual(Object.keys(compat.networks), ['eth0']);
  assert.ok(compat.networks.eth0.rx_bytes > 0 && compat.networks.eth0.tx_bytes > 0, JSON.stringify(compat.networks));
  assert.ok(compat.networks.eth0.rx_packets > 0);
  const lib = (await b.request('GET', '/v5.4.2/libpod/containers/stats?containers=db&stream=false')).json;
  assert.ok(lib.Stats[0].Network.eth0.RxBytes > 0, JSON.stringify(lib.Stats[0].Network));
  assert.ok(lib.Stats[0].NetInput > 0);
  const cli = (await ok(['stats', '--no-stream', '--format', '{{.NetIO}}', 'db'])).trim();
  assert.match(cli, /^[\d.]+k?B \/ [\d.]+k?B$/);
  assert.notEqual(cli, '0B / 0B');
});
