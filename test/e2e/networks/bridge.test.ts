// The default bridge: containers get an address, a route and a bridge through netavark; inspect,
// ps and network inspect show them; stop, rm, a crash and kill -9 of the service leave no veth,
// firewall rule, namespace or lease behind. Traffic stays on the bridges the tests make.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { run, startBerth, waitFor, FIXTURES, type Berth, removeAllContainers } from '../../helpers/berth.js';

let b: Berth;
/** Earlier instances on the same storage: cleaned up last (their dir holds the storage). */
const earlier: Berth[] = [];
let bridge: { name: string; subnet: string; gateway: string };
const ok = (args: string[], timeoutMs?: number) => b.dockerOk(args, { timeoutMs });
const inspect = async (id: string) => JSON.parse(await ok(['inspect', id]))[0];
const sh = async (cmd: string) => (await run('sh', ['-c', cmd])).stdout;

/** The host end of a running container's eth0 (its ifindex on the host). */
async function hostVeth(id: string): Promise<number> {
  return Number((await ok(['exec', id, 'cat', '/sys/class/net/eth0/iflink'])).trim());
}

/** What the host still has of a container's run: its veth, firewall rules naming it. */
async function leftovers(id: string, veth: number): Promise<string[]> {
  const out: string[] = [];
  if ((await sh(`ip -o link`)).split('\n').some((l) => l.startsWith(`${veth}:`))) out.push(`veth ${veth}`);
  const rules = Number((await sh(`{ iptables-save -t nat; iptables-save -t filter; } 2>/dev/null | grep -c ${id} || true`)).trim());
  if (rules > 0) out.push(`${rules} firewall rules`);
  return out;
}

before(async () => {
  b = await startBerth();
  await ok(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
  const n = JSON.parse(await ok(['network', 'inspect', 'bridge']))[0];
  bridge = { name: n.Options['com.docker.network.bridge.name'], subnet: n.IPAM.Config[0].Subnet, gateway: n.IPAM.Config[0].Gateway };
});
after(async () => {
  await removeAllContainers(b);
  await b.cleanup();
  for (const e of earlier) await e.cleanup();
});

test('docker run on the default network: eth0 with an address of the bridge, a route to the gateway, no warning', async () => {
  const r = await b.docker(['run', '--rm', 'busybox', 'sh', '-c', 'ip -4 -o addr show eth0; ip route; cat /etc/hosts']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  const addr = /inet (\d+\.\d+\.\d+\.\d+)\/(\d+)/.exec(r.stdout);
  assert.ok(addr, r.stdout);
  assert.equal(`/${addr[2]}`, bridge.subnet.slice(bridge.subnet.indexOf('/')));
  assert.match(r.stdout, new RegExp(`default via ${bridge.gateway.replace(/\./g, '\\.')} dev eth0`));
  // Its own name resolves to its address, not to loopback.
  assert.match(r.stdout, new RegExp(`${addr[1].replace(/\./g, '\\.')}\\t[0-9a-f]{12}`));
});

test('inspect, ps and network inspect show a running container\'s endpoint; the gateway answers it', async () => {
  const id = (await ok(['run', '-d', '--name', 'web', 'busybox', 'httpd', '-f', '-p', '8080', '-h', '/etc'])).trim();
  const i = await inspect(id);
  const ns = i.NetworkSettings;
  const net = ns.Networks.bridge;
  assert.equal(net.NetworkID, JSON.parse(await ok(['network', 'inspect', 'bridge']))[0].Id);
  assert.match(net.EndpointID, /^[0-9a-f]{64}$/);
  assert.match(net.IPAddress, /^\d+\.\d+\.\d+\.\d+$/);
  assert.equal(net.Gateway, bridge.gateway);
  assert.match(net.MacAddress, /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
  assert.equal(ns.IPAddress, net.IPAddress, 'the default network fills the top-level fields');
  assert.equal(ns.Gateway, bridge.gateway);
  assert.equal(ns.MacAddress, net.MacAddress);
  assert.ok(ns.SandboxKey && existsSync(ns.SandboxKey), 'the namespace is bound where SandboxKey says');
  const ps = JSON.parse((await ok(['ps', '--no-trunc', '--format', '{{json .Networks}}', '--filter', 'name=web'])).trim());
  assert.equal(ps, 'bridge');
  const list = (await b.request('GET', '/containers/json?filters={"name":["web"]}')).json[0];
  assert.equal(list.NetworkSettings.Networks.bridge.IPAddress, net.IPAddress);
  const members = JSON.parse(await ok(['network', 'inspect', 'bridge']))[0].Containers;
  assert.equal(members[id].Name, 'web');
  assert.equal(members[id].IPv4Address, `${net.IPAddress}/${net.IPPrefixLen}`);
  // From the host to the container, over the bridge the test's berth made.
  let answer = '';
  await waitFor(async () => (answer = (await run('curl', ['-s', '--max-time', '5', `http://${net.IPAddress}:8080/hostname`])).stdout.trim()) !== '', 10_000, 100);
  assert.equal(answer, id.slice(0, 12));
  // And from another container to it.
  // (busybox's wget -T crashes: timeout bounds it instead.)
  assert.equal((await ok(['run', '--rm', 'busybox', 'timeout', '5', 'wget', '-qO-', `http://${net.IPAddress}:8080/hostname`])).trim(), id.slice(0, 12));
  const veth = await hostVeth(id);
  await ok(['rm', '-f', 'web']);
  assert.deepEqual(await leftovers(id, veth), []);
});

test('two running containers never share an address; stop, start and a crash tear down and set up again', async () => {
  const a = (await ok(['run', '-d', 'busybox', 'sleep', '600'])).trim();
  const c = (await ok(['run', '-d', 'busybox', 'sleep', '600'])).trim();
  const ipA = (await inspect(a)).NetworkSettings.IPAddress;
  const ipC = (await inspect(c)).NetworkSettings.IPAddress;
  assert.notEqual(ipA, ipC);
  const ns = (await inspect(a)).NetworkSettings.SandboxKey;
  const vethA = await hostVeth(a);
  await ok(['stop', '-t', '0', a]);
  assert.ok(await waitFor(async () => (await leftovers(a, vethA)).length === 0, 10_000));
  assert.ok(await waitFor(() => !existsSync(ns), 10_000), 'the namespace is gone after stop');
  assert.equal((await inspect(a)).NetworkSettings.IPAddress, '');
  assert.deepEqual((await inspect(a)).NetworkSettings.Ports, {});
  await ok(['start', a]);
  assert.match((await inspect(a)).NetworkSettings.IPAddress, /^\d+\./);
  assert.notEqual((await inspect(a)).NetworkSettings.IPAddress, ipC);
  // A crash: the container's process killed from the host; conmon's cleanup tears the network down.
  const pid = (await inspect(c)).State.Pid;
  const vethC = await hostVeth(c);
  process.kill(pid, 'SIGKILL');
  assert.ok(await waitFor(async () => (await inspect(c)).State.Status === 'exited', 10_000));
  assert.ok(await waitFor(async () => (await leftovers(c, vethC)).length === 0, 10_000), `after the crash: ${await leftovers(c, vethC)}`);
  const vethA2 = await hostVeth(a);
  await ok(['rm', '-f', a, c]);
  assert.deepEqual(await leftovers(a, vethA2), []);
  assert.equal(existsSync(`/sys/class/net/${bridge.name}`), false, 'the bridge goes with its last container');
  assert.deepEqual(readdirSync(join(b.runRoot, 'netns')), []);
});

test('kill -9 of the service: the container keeps its network, the next service tears down what a dead conmon left', async () => {
  const keep = (await ok(['run', '-d', '--name', 'keep', 'busybox', 'httpd', '-f', '-p', '8080', '-h', '/etc'])).trim();
  const lost = (await ok(['run', '-d', '--name', 'lost', 'busybox', 'sleep', '600'])).trim();
  const ip = (await inspect(keep)).NetworkSettings.IPAddress;
  const lostInfo = await inspect(lost);
  const [vethKeep, vethLost] = [await hostVeth(keep), await hostVeth(lost)];
  b.proc.kill('SIGKILL');
  await b.exited;
  // Everything of `lost` dies with no exit command run: conmon first, then its process.
  process.kill(lostInfo.State.Pid, 'SIGKILL');
  const conmon = Number((await sh(`cat ${join(b.runRoot, 'containers', lost, 'bundle', 'conmon.pid')}`)).trim());
  if (conmon > 1) process.kill(conmon, 'SIGKILL');
  earlier.push(b);
  b = await startBerth({ root: b.root, runRoot: b.runRoot });
  assert.ok(await waitFor(async () => (await inspect(lost)).State.Status === 'exited', 15_000), 'the next service records the lost exit');
  assert.ok(await waitFor(async () => (await leftovers(lost, vethLost)).length === 0, 10_000));
  assert.equal((await run('curl', ['-s', '--max-time', '5', `http://${ip}:8080/hostname`])).stdout.trim(), keep.slice(0, 12), 'the survivor still answers');
  await ok(['rm', '-f', 'keep', 'lost']);
  assert.deepEqual(await leftovers(keep, vethKeep), []);
  assert.deepEqual(readdirSync(join(b.runRoot, 'netns')), []);
  // Every lease was given back: the next container gets the subnet's first address again.
  const first = bridge.gateway.replace(/\.1$/, '.2');
  assert.match(await ok(['run', '--rm', 'busybox', 'ip', '-4', '-o', 'addr', 'show', 'eth0']), new RegExp(`inet ${first.replace(/\./g, '\\.')}/`));
});

test('with no service running, conmon\'s cleanup process tears down the network of a run that ends', async () => {
  const id = (await ok(['run', '-d', 'busybox', 'sh', '-c', 'sleep 2'])).trim();
  const veth = await hostVeth(id);
  const ns = (await inspect(id)).NetworkSettings.SandboxKey;
  b.proc.kill('SIGKILL');
  await b.exited;
  assert.ok(await waitFor(async () => !existsSync(ns) && (await leftovers(id, veth)).length === 0, 15_000), 'torn down by `berth container cleanup`');
  earlier.push(b);
  b = await startBerth({ root: b.root, runRoot: b.runRoot });
  assert.equal((await inspect(id)).State.Status, 'exited');
  await ok(['rm', id]);
});