// Rootless networks with the clients run as the unprivileged user: the default network through
// pasta (and slirp4netns when containers.conf asks), published ports answered from the host,
// user-defined networks in the rootless network namespace (names and aliases resolved by
// aardvark-dns, outbound traffic, published ports through the forwarder, which survives a
// service restart and ends with the container), docker-compose up/down leaving nothing behind,
// and what cannot work rootless refused with the reason.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync, chownSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { FIXTURES, run, waitFor } from '../../helpers/berth.js';
import { startRootlessBerth, type RootlessBerth } from '../support/rootless.js';

let b: RootlessBerth;
const ok = (args: string[], opts?: { input?: string | Buffer; timeoutMs?: number }) => b.dockerOk(args, opts);
const tag = randomBytes(3).toString('hex');
const name = (what: string) => `rlnet-${what}-${tag}`;

/** A host address outside every network here, on a bridge (no ports) the test makes: the target of outbound traffic. */
const dummy = { link: `rlnet${tag}`, ip: `198.19.${randomBytes(1)[0]}.${1 + (randomBytes(1)[0] % 250)}` };
let outbound: Server;
let outboundPort = 0;

/** Processes in the user's namespace (zombies, which this machine's init reaps late, are gone). */
function userProcs(): { pid: number; cmd: string }[] {
  const pause = b.pausePid();
  if (!pause) return [];
  const ns = readlinkSync(`/proc/${pause}/ns/user`);
  const out: { pid: number; cmd: string }[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readlinkSync(`/proc/${e}/ns/user`) !== ns) continue;
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z') continue;
      out.push({ pid: Number(e), cmd: readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').join(' ') });
    } catch {
      /* gone */
    }
  }
  return out;
}
const helpersOf = (id: string) => userProcs().filter((p) => p.cmd.includes(id.slice(0, 16)) && /pasta|slirp4netns|port-forwarder/.test(p.cmd));

/** A free host port (the kernel's pick, let go at once). */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

const curl = (url: string) => b.runAs('curl', ['-s', '-m', '10', url]);
/** The host port of a binding (the one on `ip` when given). */
const hostPort = async (c: string, key: string, ip?: string) => {
  const lines = (await ok(['port', c, key])).trim().split('\n');
  return Number((lines.find((l) => !ip || l.startsWith(`${ip}:`)) ?? '').split(':').pop());
};
const httpd = (text: string) => ['sh', '-c', `echo ${text} > /tmp/index.html && exec httpd -f -p 80 -h /tmp`];

before(async () => {
  b = await startRootlessBerth();
  await ok(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
  const r = await run('sh', ['-c', `ip link add ${dummy.link} type bridge && ip addr add ${dummy.ip}/32 dev ${dummy.link} && ip link set ${dummy.link} up`]);
  assert.equal(r.code, 0, r.stderr);
  outbound = createServer((s) => s.end('HTTP/1.0 200 OK\r\nContent-Length: 9\r\n\r\noutbound\n'));
  await new Promise<void>((resolve) => outbound.listen(0, dummy.ip, resolve));
  outboundPort = (outbound.address() as { port: number }).port;
});

after(async () => {
  outbound?.close();
  await run('ip', ['link', 'del', dummy.link]);
  await b?.cleanup();
});

test('default network through pasta: outbound traffic, published ports (127.0.0.1:0 and a fixed port) answered from the host, ps/port/inspect, teardown ends pasta', async () => {
  const fixed = await freePort();
  const c = name('web');
  const id = (await ok(['run', '-d', '--name', c, '-p', '127.0.0.1:0:80', '-p', `${fixed}:80`, 'busybox', ...httpd('hello-rootless')])).trim();
  const port = await hostPort(c, '80/tcp', '127.0.0.1');
  assert.ok(port > 0);
  assert.ok(await waitFor(async () => (await curl(`http://127.0.0.1:${port}/index.html`)).stdout === 'hello-rootless\n', 10_000, 100), 'the 127.0.0.1:0 binding answers');
  assert.equal((await curl(`http://127.0.0.1:${fixed}/index.html`)).stdout, 'hello-rootless\n');
  assert.match(await ok(['port', c]), new RegExp(`80/tcp -> 0\\.0\\.0\\.0:${fixed}`));
  assert.match(await ok(['ps', '--filter', `name=${c}`, '--format', '{{.Ports}}']), new RegExp(`127\\.0\\.0\\.1:${port}->80/tcp`));

  const [info] = JSON.parse(await ok(['inspect', c]));
  const ns = info.NetworkSettings;
  // pasta gives the namespace the host's address: inspect shows what the container has.
  const inside = await ok(['exec', c, 'ip', '-4', '-o', 'addr', 'show', 'scope', 'global']);
  assert.ok(ns.IPAddress && inside.includes(`${ns.IPAddress}/${ns.IPPrefixLen}`), `${ns.IPAddress} in ${inside}`);
  assert.deepEqual(ns.Ports['80/tcp'].map((p: { HostPort: string }) => Number(p.HostPort)).sort(), [port, fixed].sort());
  assert.match(await ok(['exec', c, 'cat', '/etc/resolv.conf']), /nameserver 169\.254\.1\.1/);
  // Outbound: the container reaches a host address through pasta.
  assert.equal(await ok(['exec', c, 'wget', '-qO-', `http://${dummy.ip}:${outboundPort}/`]), 'outbound\n');

  const helpers = helpersOf(id);
  assert.equal(helpers.length, 1, JSON.stringify(helpers));
  assert.match(helpers[0].cmd, /pasta/);
  await ok(['rm', '-f', c]);
  assert.ok(await waitFor(() => helpersOf(id).length === 0, 5_000), 'pasta ended with the container');
  assert.equal(readdirSync(join(b.runRoot, 'netns')).filter((f) => f.startsWith(id)).length, 0);
  assert.notEqual((await curl(`http://127.0.0.1:${port}/`)).code, 0, 'the host port is closed');
});

test('a user network: two containers resolve each other by name and alias, talk, reach out; a published port is answered from the host', async () => {
  const net = name('net');
  await ok(['network', 'create', net]);
  const a = name('a');
  const w = name('w');
  await ok(['run', '-d', '--name', a, '--network', net, '--network-alias', `alias-${tag}`, 'busybox', 'sleep', '300']);
  const wid = (await ok(['run', '-d', '--name', w, '--network', net, '-p', '127.0.0.1:0:80', 'busybox', ...httpd('on-user-net')])).trim();

  const ns = await ok(['exec', w, 'nslookup', a]);
  const aIp = JSON.parse(await ok(['inspect', a]))[0].NetworkSettings.Networks[net].IPAddress as string;
  assert.ok(aIp && ns.includes(aIp), ns);
  assert.match(await ok(['exec', w, 'ping', '-c1', '-W5', `alias-${tag}`]), /1 packets received/);
  assert.match(await ok(['exec', a, 'ping', '-c1', '-W5', w]), /1 packets received/);
  assert.equal(await ok(['exec', a, 'wget', '-qO-', `http://${w}/index.html`]), 'on-user-net\n');
  // Outbound through the rootless network namespace.
  assert.equal(await ok(['exec', a, 'wget', '-qO-', `http://${dummy.ip}:${outboundPort}/`]), 'outbound\n');

  const port = await hostPort(w, '80/tcp');
  assert.ok(await waitFor(async () => (await curl(`http://127.0.0.1:${port}/index.html`)).stdout === 'on-user-net\n', 10_000, 100));
  assert.equal(helpersOf(wid).filter((p) => /port-forwarder/.test(p.cmd)).length, 1);
  // One rootless network namespace, connected by pasta, with aardvark-dns in it.
  assert.ok(existsSync(join(b.runRoot, 'networks', 'rootless-netns', 'netns')));
  assert.ok(userProcs().some((p) => /aardvark-dns/.test(p.cmd)));

  await ok(['rm', '-f', a, w]);
  assert.ok(await waitFor(() => helpersOf(wid).length === 0, 5_000), 'the forwarder ended with the container');
  await ok(['network', 'rm', net]);
  // The last container gone, so are the rootless netns, its pasta and aardvark-dns.
  assert.ok(await waitFor(() => !userProcs().some((p) => /aardvark-dns|pasta/.test(p.cmd)), 5_000), JSON.stringify(userProcs()));
  assert.ok(!existsSync(join(b.runRoot, 'networks', 'rootless-netns', 'netns')));
});

test('the forwarder of a published port on a user network outlives a service restart and ends with the container', async () => {
  const net = name('keep');
  await ok(['network', 'create', net]);
  const c = name('keep');
  const id = (await ok(['run', '-d', '--name', c, '--network', net, '-p', '127.0.0.1:0:80', 'busybox', ...httpd('still-here')])).trim();
  const port = await hostPort(c, '80/tcp');
  assert.ok(await waitFor(async () => (await curl(`http://127.0.0.1:${port}/index.html`)).stdout === 'still-here\n', 10_000, 100));
  const before = helpersOf(id).map((p) => p.pid);
  assert.equal(before.length, 1);

  await b.stop();
  assert.equal((await curl(`http://127.0.0.1:${port}/index.html`)).stdout, 'still-here\n', 'answered while no service runs');
  await b.restart();
  assert.deepEqual(helpersOf(id).map((p) => p.pid), before, 'the same forwarder');
  assert.equal((await curl(`http://127.0.0.1:${port}/index.html`)).stdout, 'still-here\n');

  await ok(['stop', '-t', '1', c]);
  assert.ok(await waitFor(() => helpersOf(id).length === 0, 10_000), 'the forwarder ended with the container');
  assert.notEqual((await curl(`http://127.0.0.1:${port}/`)).code, 0);
  // Started again, it is published again.
  await ok(['start', c]);
  const again = await hostPort(c, '80/tcp');
  assert.ok(await waitFor(async () => (await curl(`http://127.0.0.1:${again}/index.html`)).stdout === 'still-here\n', 10_000, 100));
  await ok(['rm', '-f', c]);
  await ok(['network', 'rm', net]);
});

test('a published port on user networks follows a disconnect: forwarded to the next network, ended with the last', async () => {
  const [n1, n2] = [name('fa'), name('fb')];
  await ok(['network', 'create', n1]);
  await ok(['network', 'create', n2]);
  const c = name('follow');
  const id = (await ok(['run', '-d', '--name', c, '--network', n1, '-p', '127.0.0.1:0:80', 'busybox', ...httpd('follows')])).trim();
  const port = await hostPort(c, '80/tcp');
  assert.ok(await waitFor(async () => (await curl(`http://127.0.0.1:${port}/index.html`)).stdout === 'follows\n', 10_000, 100));
  await ok(['network', 'connect', n2, c]);
  const first = helpersOf(id).map((p) => p.pid);
  // Connecting another network leaves the forwarder as it is.
  await ok(['network', 'disconnect', n2, c]);
  assert.deepEqual(helpersOf(id).map((p) => p.pid), first);
  await ok(['network', 'connect', n2, c]);
  await ok(['network', 'disconnect', n1, c]);
  assert.notDeepEqual(helpersOf(id).map((p) => p.pid), first, 'a new forwarder');
  assert.equal(helpersOf(id).length, 1);
  assert.ok(await waitFor(async () => (await curl(`http://127.0.0.1:${port}/index.html`)).stdout === 'follows\n', 10_000, 100), 'answered through the second network');
  await ok(['network', 'disconnect', n2, c]);
  assert.ok(await waitFor(() => helpersOf(id).length === 0, 5_000), 'no network left: no forwarder');
  await ok(['rm', '-f', c]);
  await ok(['network', 'rm', n1, n2]);
});

test('a rootless netns whose pasta died gets a new one at the next start; the containers in it keep their network', async () => {
  const net = name('heal');
  await ok(['network', 'create', net]);
  const a = name('heal-a');
  await ok(['run', '-d', '--name', a, '--network', net, 'busybox', 'sleep', '300']);
  const pidFile = join(b.runRoot, 'networks', 'rootless-netns', 'rootless-netns.pasta.pid');
  const old = Number(readFileSync(pidFile, 'utf8'));
  process.kill(old, 'SIGKILL');
  // Died, not dying: SIGKILL is delivered when the loaded machine schedules it.
  const dead = () => {
    try {
      return readFileSync(`/proc/${old}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') ?? true;
    } catch {
      return true;
    }
  };
  assert.ok(await waitFor(dead, 5_000, 20), 'pasta ended');
  const w = name('heal-w');
  await ok(['run', '-d', '--name', w, '--network', net, '-p', '127.0.0.1:0:80', 'busybox', ...httpd('healed')]);
  assert.notEqual(Number(readFileSync(pidFile, 'utf8')), old);
  assert.equal(await ok(['exec', a, 'wget', '-qO-', `http://${w}/index.html`]), 'healed\n', 'the earlier container reaches the new one');
  assert.equal(await ok(['exec', a, 'wget', '-qO-', `http://${dummy.ip}:${outboundPort}/`]), 'outbound\n', 'and the outside again');
  const port = await hostPort(w, '80/tcp');
  assert.ok(await waitFor(async () => (await curl(`http://127.0.0.1:${port}/index.html`)).stdout === 'healed\n', 10_000, 100));
  await ok(['rm', '-f', a, w]);
  await ok(['network', 'rm', net]);
  assert.ok(await waitFor(() => !userProcs().some((p) => /pasta|aardvark-dns/.test(p.cmd)), 5_000), JSON.stringify(userProcs()));
});

test('docker-compose 1.29 as the user: up -d of two services with a published port, answered; down leaves no forwarder, netns or network', async () => {
  const proj = join(b.home, `compose-${tag}`);
  mkdirSync(proj, { recursive: true });
  const port = await freePort();
  writeFileSync(
    join(proj, 'docker-compose.yml'),
    `version: "3"
services:
  web:
    image: busybox
    command: ["sh", "-c", "echo compose-web > /tmp/index.html && exec httpd -f -p 80 -h /tmp"]
    ports:
      - "127.0.0.1:${port}:80"
  client:
    image: busybox
    command: ["sleep", "300"]
`,
  );
  chownSync(proj, b.user.uid, b.user.gid);
  chmodSync(join(proj, 'docker-compose.yml'), 0o644);
  const project = `rlnet${tag}`;
  const compose = (args: string[]) => b.runAs('docker-compose', ['-p', project, '-f', join(proj, 'docker-compose.yml'), ...args], { timeoutMs: 120_000 });
  const up = await compose(['up', '-d']);
  assert.equal(up.code, 0, up.stderr);
  assert.ok(await waitFor(async () => (await curl(`http://127.0.0.1:${port}/index.html`)).stdout === 'compose-web\n', 10_000, 100), 'the published port answers');
  assert.equal(await ok(['exec', `${project}_client_1`, 'wget', '-qO-', 'http://web/index.html']), 'compose-web\n');

  const down = await compose(['down']);
  assert.equal(down.code, 0, down.stderr);
  assert.ok(await waitFor(() => !userProcs().some((p) => /port-forwarder|pasta|aardvark-dns/.test(p.cmd)), 10_000), JSON.stringify(userProcs()));
  assert.deepEqual(readdirSync(join(b.runRoot, 'netns')), []);
  assert.ok(!existsSync(join(b.runRoot, 'networks', 'rootless-netns', 'netns')));
  assert.ok(!(await ok(['network', 'ls', '--format', '{{.Name}}'])).includes(project));
  assert.notEqual((await curl(`http://127.0.0.1:${port}/`)).code, 0);
});

test('podman-remote as the user: the default network (pasta), --network slirp4netns, a user network, each with a published port', async () => {
  const podman = (args: string[]) => b.runAs('podman', ['--remote', '--url', `unix://${b.socket}`, ...args], { timeoutMs: 60_000, env: { DOCKER_CONFIG: undefined } });
  const pok = async (args: string[]) => {
    const r = await podman(args);
    assert.equal(r.code, 0, `podman ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const net = name('pnet');
  await pok(['network', 'create', net]);
  for (const [what, extra] of [['pasta', []], ['slirp4netns', ['--network', 'slirp4netns']], ['usernet', ['--network', net]]] as const) {
    const c = name(`p${what}`);
    const id = (await pok(['run', '-d', '--name', c, ...extra, '-p', '127.0.0.1::80', 'busybox', ...httpd(`podman-${what}`)])).trim();
    const port = Number((await pok(['port', c, '80/tcp'])).trim().split(':').pop());
    assert.ok(await waitFor(async () => (await curl(`http://127.0.0.1:${port}/index.html`)).stdout === `podman-${what}\n`, 10_000, 100), what);
    const helper = helpersOf(id)[0]?.cmd ?? '';
    assert.match(helper, what === 'usernet' ? /port-forwarder/ : new RegExp(what), what);
    await pok(['rm', '-f', c]);
    assert.ok(await waitFor(() => helpersOf(id).length === 0, 5_000), `${what}: its helper ended`);
  }
  await pok(['network', 'rm', net]);
  // `--network pasta:OPT,…`: the options go on that container's pasta command line. podman 4.3's
  // own CLI refuses them before asking; podman 5 sends them as network_options.pasta, as here.
  const pc = name('popts');
  const made = await b.request('POST', '/v5.0.0/libpod/containers/create', { name: pc, image: 'busybox', command: ['sleep', '60'], netns: { nsmode: 'pasta' }, network_options: { pasta: ['--mtu', '1400'] } });
  assert.equal(made.status, 201, made.text);
  const pid = (made.json as { Id: string }).Id;
  assert.equal((await b.request('POST', `/v5.0.0/libpod/containers/${pid}/start`)).status, 204);
  assert.match(helpersOf(pid)[0]?.cmd ?? '', / --mtu 1400( |$)/);
  assert.match(await pok(['exec', pc, 'cat', '/sys/class/net/eth0/mtu']), /^1400\n?$/);
  assert.equal(JSON.parse(await pok(['inspect', pc]))[0].HostConfig.NetworkMode, 'pasta:--mtu,1400');
  await pok(['rm', '-f', pc]);
  const wrong = await b.request('POST', '/v5.0.0/libpod/containers/create', { image: 'busybox', netns: { nsmode: 'bridge' }, network_options: { pasta: ['--mtu', '1400'] } });
  assert.equal(wrong.status, 400, wrong.text);
  // Through the docker CLI the mode is a string: the same options.
  const dc = name('dopts');
  const did = (await ok(['run', '-d', '--name', dc, '--network', 'pasta:--mtu,1300', 'busybox', 'sleep', '60'])).trim();
  assert.match(helpersOf(did)[0]?.cmd ?? '', / --mtu 1300( |$)/);
  await ok(['rm', '-f', dc]);
  // What berth must set itself is refused with the reason; slirp4netns takes no options.
  const r = await b.docker(['run', '--rm', '--network', 'pasta:--pid,/tmp/x', 'busybox', 'true']);
  assert.equal(r.code, 125);
  assert.match(r.stderr, /pasta option "--pid" is berth's to set/);
  const s4 = await b.request('POST', '/v1.41/containers/create', { Image: 'busybox', HostConfig: { NetworkMode: 'slirp4netns:allow_host_loopback=true' } });
  assert.equal(s4.status, 400, s4.text);
  assert.match(s4.text, /options for slirp4netns are not supported/);
});

test('what cannot work rootless is refused with the reason: privileged host ports, macvlan and ipvlan networks', async () => {
  const r = await b.docker(['run', '--rm', '-p', '80:80', 'busybox', 'true']);
  assert.equal(r.code, 125);
  assert.match(r.stderr, /rootless: cannot publish privileged port 80: host ports below \d+ \(net\.ipv4\.ip_unprivileged_port_start\)/);
  const created = await b.request('POST', '/v1.41/containers/create', { Image: 'busybox', HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '443' }] } } });
  assert.equal(created.status, 400, created.text);
  for (const driver of ['macvlan', 'ipvlan']) {
    const n = await b.docker(['network', 'create', '-d', driver, name(driver)]);
    assert.notEqual(n.code, 0);
    assert.match(n.stderr, new RegExp(`rootless: ${driver} networks cannot be created`));
  }
  const lib = await b.request('POST', '/v5.0.0/libpod/networks/create', { name: name('mv'), driver: 'macvlan' });
  assert.equal(lib.status, 400, lib.text);
  // The default network (pasta) beside a user network: refused at connect, running or not.
  const net = name('mix');
  await ok(['network', 'create', net]);
  await ok(['create', '--name', name('mix1'), '--network', net, 'busybox', 'true']);
  await ok(['run', '-d', '--name', name('mix2'), 'busybox', 'sleep', '60']);
  for (const [n, c] of [['bridge', name('mix1')], [net, name('mix2')]]) {
    const r2 = await b.docker(['network', 'connect', n, c]);
    assert.notEqual(r2.code, 0, `${n} ${c}`);
    assert.match(r2.stderr, /rootless: the default network \(pasta or slirp4netns\) cannot be combined with other networks/);
  }
  await ok(['rm', '-f', name('mix1'), name('mix2')]);
  await ok(['network', 'rm', net]);
});

test('/libpod/info: netavark, pasta and slirp4netns as podman shapes them; slirp4netns when containers.conf asks', async () => {
  const info = (await b.request('GET', '/v5.0.0/libpod/info')).json as { host: Record<string, any> };
  const h = info.host;
  assert.equal(h.networkBackend, 'netavark');
  assert.match(h.networkBackendInfo.path, /netavark$/);
  assert.match(h.networkBackendInfo.package, /^netavark_/);
  assert.match(h.networkBackendInfo.dns.path, /aardvark-dns$/);
  assert.equal(h.rootlessNetworkCmd, 'pasta');
  assert.match(h.pasta.executable, /\/pasta$/);
  assert.match(h.pasta.package, /^passt_/);
  assert.match(h.slirp4netns.executable, /\/slirp4netns$/);
  assert.match(h.slirp4netns.version, /slirp4netns version/);

  writeFileSync(b.env.CONTAINERS_CONF!, '[network]\ndefault_rootless_network_cmd = "slirp4netns"\n');
  await b.stop();
  await b.restart();
  try {
    const h2 = ((await b.request('GET', '/v5.0.0/libpod/info')).json as { host: Record<string, any> }).host;
    assert.equal(h2.rootlessNetworkCmd, 'slirp4netns');
    const c = name('slirp');
    const id = (await ok(['run', '-d', '--name', c, '-p', '127.0.0.1:0:80', 'busybox', ...httpd('via-slirp')])).trim();
    const port = await hostPort(c, '80/tcp');
    assert.ok(await waitFor(async () => (await curl(`http://127.0.0.1:${port}/index.html`)).stdout === 'via-slirp\n', 10_000, 100));
    const [i] = JSON.parse(await ok(['inspect', c]));
    assert.equal(i.NetworkSettings.IPAddress, '10.0.2.100');
    assert.equal(i.NetworkSettings.Gateway, '10.0.2.2');
    assert.match(await ok(['exec', c, 'cat', '/etc/resolv.conf']), /nameserver 10\.0\.2\.3/);
    assert.equal(await ok(['exec', c, 'wget', '-qO-', `http://${dummy.ip}:${outboundPort}/`]), 'outbound\n');
    assert.match(helpersOf(id)[0]?.cmd ?? '', /slirp4netns/);
    await ok(['rm', '-f', c]);
    assert.ok(await waitFor(() => helpersOf(id).length === 0, 5_000));
  } finally {
    writeFileSync(b.env.CONTAINERS_CONF!, '');
  }
});
