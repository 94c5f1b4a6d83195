// Pods through podman-remote and the libpod API: pod create/ps/inspect/start/stop/kill/pause/
// unpause/restart/rm/prune with filters; `run --pod` containers sharing the infra container's
// namespaces (reaching each other on localhost, one hostname); a published port answered from the
// host on 127.0.0.1; exit_policy stop; podman's reports and error codes; pod events in both layers;
// members in both layers' container lists and inspect. Only loopback and berth's default bridge.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { run, startBerth, waitFor, FIXTURES, type Berth, removeAllContainers } from '../../helpers/berth.js';

let b: Berth;
const P = '/v5.4.2/libpod';
const podman = (args: string[]) => run('podman', ['--remote', '--url', `unix://${b.socket}`, ...args], { timeoutMs: 60_000 });
const podmanOk = async (args: string[]) => {
  const r = await podman(args);
  assert.equal(r.code, 0, `podman ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
};
const inspectPod = async (name: string) => {
  const r = await b.request('GET', `${P}/pods/${name}/json`);
  assert.equal(r.status, 200, r.text);
  return r.json;
};
const state = async (name: string) => (await inspectPod(name)).State as string;

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

before(async () => {
  b = await startBerth();
  await b.dockerOk(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
});
after(async () => {
  await podman(['pod', 'rm', '-f', '-a']);
  await removeAllContainers(b);
  await b.cleanup();
});

test('pod create, ps, inspect, start, stop, kill, pause, unpause, restart, rm with podman-remote', async () => {
  const id = await podmanOk(['pod', 'create', '--name', 'berth-pods-a', '--label', 'team=a']);
  assert.match(id, /^[0-9a-f]{64}$/);
  const p = await inspectPod('berth-pods-a');
  assert.equal(p.Id, id);
  assert.equal(p.Name, 'berth-pods-a');
  assert.equal(p.State, 'Created');
  assert.equal(p.Hostname, 'berth-pods-a');
  assert.deepEqual(p.Labels, { team: 'a' });
  assert.deepEqual(p.SharedNamespaces, ['ipc', 'net', 'uts']);
  assert.equal(p.CreateInfra, true);
  assert.match(p.InfraContainerID, /^[0-9a-f]{64}$/);
  assert.equal(p.NumContainers, 1);
  assert.deepEqual(p.Containers, [{ Id: p.InfraContainerID, Name: `${id.slice(0, 12)}-infra`, State: 'created' }]);
  assert.equal(p.ExitPolicy, 'continue');

  // The infra container runs catatonit from the image berth made (no pull).
  const infra = (await b.request('GET', `${P}/containers/${p.InfraContainerID}/json`)).json;
  assert.equal(infra.ImageName, 'localhost/berth-pause:catatonit-1');
  assert.deepEqual(infra.Config.Cmd, ['/catatonit', '-P']);
  assert.equal(infra.IsInfra, true);
  assert.equal(infra.Pod, id);

  await podmanOk(['create', '--pod', 'berth-pods-a', '--name', 'berth-pods-a1', 'busybox', 'sleep', '1000']);
  assert.equal((await inspectPod('berth-pods-a')).NumContainers, 2);
  const ps = await podmanOk(['pod', 'ps', '--format', '{{.Name}} {{.Status}} {{.NumberOfContainers}}']);
  assert.equal(ps, 'berth-pods-a Created 2');

  await podmanOk(['pod', 'start', 'berth-pods-a']);
  assert.equal(await state('berth-pods-a'), 'Running');
  assert.deepEqual((await inspectPod('berth-pods-a')).Containers.map((c: { State: string }) => c.State), ['running', 'running']);
  // A second start is podman's 304.
  assert.equal((await b.request('POST', `${P}/pods/berth-pods-a/start`)).status, 304);

  await podmanOk(['pod', 'pause', 'berth-pods-a']);
  assert.equal(await state('berth-pods-a'), 'Paused');
  await podmanOk(['pod', 'unpause', 'berth-pods-a']);
  assert.equal(await state('berth-pods-a'), 'Running');

  // One member stopped: Degraded.
  await podmanOk(['stop', '-t', '0', 'berth-pods-a1']);
  assert.equal(await state('berth-pods-a'), 'Degraded');
  await podmanOk(['start', 'berth-pods-a1']);

  await podmanOk(['pod', 'kill', 'berth-pods-a']);
  assert.ok(await waitFor(async () => (await state('berth-pods-a')) === 'Exited', 10_000, 100));
  // Nothing left to kill: a 409.
  assert.equal((await b.request('POST', `${P}/pods/berth-pods-a/kill`)).status, 409);

  const r = await b.request('POST', `${P}/pods/berth-pods-a/restart`);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, { Id: id, Errs: [] });
  assert.equal(await state('berth-pods-a'), 'Running');

  const stop = await b.request('POST', `${P}/pods/berth-pods-a/stop?t=0`);
  assert.equal(stop.status, 200, stop.text);
  assert.deepEqual(stop.json, { Id: id, Errs: [], RawInput: 'berth-pods-a' });
  assert.equal(await state('berth-pods-a'), 'Exited');
  assert.equal((await b.request('POST', `${P}/pods/berth-pods-a/stop`)).status, 304);

  await podmanOk(['pod', 'rm', 'berth-pods-a']);
  assert.equal((await b.request('GET', `${P}/pods/berth-pods-a/exists`)).status, 404);
  // Its containers went with it.
  assert.equal((await b.request('GET', `${P}/containers/berth-pods-a1/exists`)).status, 404);
  assert.equal((await b.request('GET', `${P}/containers/${p.InfraContainerID}/exists`)).status, 404);
});

test('pod ps filters: name, label, status, ctr-names, ctr-status, ctr-number, id', async () => {
  await podmanOk(['pod', 'create', '--name', 'berth-pods-f1', '--label', 'tier=web']);
  await podmanOk(['pod', 'create', '--name', 'berth-pods-f2', '--label', 'tier=db']);
  await podmanOk(['run', '-d', '--pod', 'berth-pods-f1', '--name', 'berth-pods-f1c', 'busybox', 'sleep', '1000']);
  const ls = async (...f: string[]) => (await podmanOk(['pod', 'ps', ...f.flatMap((x) => ['--filter', x]), '--format', '{{.Name}}'])).split('\n').filter(Boolean).sort();
  assert.deepEqual(await ls('label=tier=web'), ['berth-pods-f1']);
  assert.deepEqual(await ls('label=tier'), ['berth-pods-f1', 'berth-pods-f2']);
  assert.deepEqual(await ls('status=running'), ['berth-pods-f1']);
  assert.deepEqual(await ls('status=created'), ['berth-pods-f2']);
  assert.deepEqual(await ls('name=f2$'), ['berth-pods-f2']);
  assert.deepEqual(await ls('ctr-names=berth-pods-f1c'), ['berth-pods-f1']);
  assert.deepEqual(await ls('ctr-status=created'), ['berth-pods-f2']);
  assert.deepEqual(await ls('ctr-number=2'), ['berth-pods-f1']);
  const id = (await inspectPod('berth-pods-f2')).Id as string;
  assert.deepEqual(await ls(`id=${id.slice(0, 10)}`), ['berth-pods-f2']);
  const bad = await b.request('GET', `${P}/pods/json?filters=${encodeURIComponent(JSON.stringify({ status: ['asleep'] }))}`);
  assert.equal(bad.status, 400, bad.text);

  // The list entry's shape.
  const all = (await b.request('GET', `${P}/pods/json?filters=${encodeURIComponent(JSON.stringify({ name: ['berth-pods-f1'] }))}`)).json;
  assert.equal(all.length, 1);
  assert.equal(all[0].Status, 'Running');
  assert.deepEqual(all[0].Labels, { 'tier': 'web' });
  assert.deepEqual(all[0].Networks, ['podman']);
  assert.deepEqual(all[0].Containers.map((c: { Names: string; Status: string }) => `${c.Names} ${c.Status}`).sort(), [`${all[0].Id.slice(0, 12)}-infra running`, 'berth-pods-f1c running'].sort());

  // podman ps --pod and the pod filter of containers.
  const ps = await podmanOk(['ps', '-a', '--filter', 'pod=berth-pods-f1', '--format', '{{.Names}} {{.PodName}}']);
  assert.deepEqual(ps.split('\n').sort(), [`${all[0].Id.slice(0, 12)}-infra berth-pods-f1`, 'berth-pods-f1c berth-pods-f1'].sort());

  // top and stats over the pod's containers.
  const top = await podmanOk(['pod', 'top', 'berth-pods-f1']);
  assert.match(top, /catatonit -P/);
  assert.match(top, /sleep 1000/);
  const stats = (await b.request('GET', `${P}/pods/stats?namesOrIDs=berth-pods-f1`)).json;
  assert.deepEqual(stats.map((s: { Name: string }) => s.Name).sort(), [`${all[0].Id.slice(0, 12)}-infra`, 'berth-pods-f1c'].sort());
  assert.match(stats[0].CPU, /%$/);
  assert.match(stats[0].MemUsage, / \/ /);

  // Removing a member updates the pod; rm without force refuses a running pod, with force removes all.
  await podmanOk(['rm', '-f', 'berth-pods-f1c']);
  assert.equal((await inspectPod('berth-pods-f1')).NumContainers, 1);
  await podmanOk(['run', '-d', '--pod', 'berth-pods-f1', '--name', 'berth-pods-f1d', 'busybox', 'sleep', '1000']);
  const refused = await b.request('DELETE', `${P}/pods/berth-pods-f1`);
  assert.equal(refused.status, 409, refused.text);
  // The infra container goes only with its pod.
  const infraRm = await b.request('DELETE', `${P}/containers/${all[0].InfraId}?force=true`);
  assert.equal(infraRm.status, 409, infraRm.text);
  const rm = await b.request('DELETE', `${P}/pods/berth-pods-f1?force=true`);
  assert.equal(rm.status, 200, rm.text);
  assert.equal(rm.json.Id, all[0].Id);
  assert.equal(Object.keys(rm.json.RemovedCtrs).length, 2);
  assert.equal((await b.request('GET', `${P}/containers/berth-pods-f1d/exists`)).status, 404);

  // prune removes pods whose containers all exited, nothing else.
  await podmanOk(['pod', 'create', '--name', 'berth-pods-f3']);
  await podmanOk(['pod', 'start', 'berth-pods-f3']);
  await podmanOk(['pod', 'stop', 'berth-pods-f3']);
  const f3 = (await inspectPod('berth-pods-f3')).Id;
  const pruned = await b.request('POST', `${P}/pods/prune`);
  assert.equal(pruned.status, 200, pruned.text);
  assert.deepEqual(pruned.json, [{ Id: f3, Err: null }]);
  assert.equal((await b.request('GET', `${P}/pods/berth-pods-f3/exists`)).status, 404);
  assert.equal((await b.request('GET', `${P}/pods/berth-pods-f2/exists`)).status, 204);
  await podmanOk(['pod', 'rm', 'berth-pods-f2']);
});

test('run --pod: two containers share the network (localhost), ipc and uts of the infra container; a published port answers on 127.0.0.1', async () => {
  const port = await freePort();
  await podmanOk(['pod', 'create', '--name', 'berth-pods-web', '-p', `127.0.0.1:${port}:8080`]);
  const web = await podmanOk(['run', '-d', '--pod', 'berth-pods-web', '--name', 'berth-pods-httpd', 'busybox', 'sh', '-c', 'echo hello-from-pod > /tmp/index.html; exec httpd -f -p 8080 -h /tmp']);
  assert.match(web, /^[0-9a-f]{64}$/);
  // The second container reaches the first on localhost.
  let got = '';
  await waitFor(async () => {
    const r = await podman(['run', '--rm', '--pod', 'berth-pods-web', 'busybox', 'wget', '-qO-', 'http://localhost:8080/index.html']);
    got = r.stdout.trim();
    return r.code === 0;
  }, 15_000, 200);
  assert.equal(got, 'hello-from-pod');
  // The pod's port mapping, from the host.
  let host = '';
  await waitFor(async () => (host = (await run('curl', ['-s', '--max-time', '5', `http://127.0.0.1:${port}/index.html`])).stdout.trim()) !== '', 10_000, 100);
  assert.equal(host, 'hello-from-pod');

  // Shared namespaces: net, ipc, uts are the infra container's; pid is each container's own.
  const ns = async (c: string) => (await podmanOk(['exec', c, 'sh', '-c', 'for n in net ipc uts pid; do readlink /proc/1/ns/$n; done'])).split('\n');
  await podmanOk(['run', '-d', '--pod', 'berth-pods-web', '--name', 'berth-pods-other', 'busybox', 'sleep', '1000']);
  const [a, o] = [await ns('berth-pods-httpd'), await ns('berth-pods-other')];
  assert.deepEqual(a.slice(0, 3), o.slice(0, 3));
  assert.notEqual(a[3], o[3]);
  assert.equal(await podmanOk(['exec', 'berth-pods-other', 'hostname']), 'berth-pods-web');

  // Inspect shows the pod; the libpod list names it; the compat list has the members too.
  const pod = await inspectPod('berth-pods-web');
  const ci = (await b.request('GET', `${P}/containers/berth-pods-httpd/json`)).json;
  assert.equal(ci.Pod, pod.Id);
  assert.equal(ci.HostConfig.NetworkMode, `container:${pod.InfraContainerID}`);
  const lp = (await b.request('GET', `${P}/containers/json?filters=${encodeURIComponent(JSON.stringify({ pod: ['berth-pods-web'] }))}`)).json;
  assert.deepEqual(lp.map((c: { Names: string[]; PodName: string; Pod: string }) => `${c.Names[0]} ${c.PodName} ${c.Pod === pod.Id}`).sort(), [
    `${pod.Id.slice(0, 12)}-infra berth-pods-web true`, 'berth-pods-httpd berth-pods-web true', 'berth-pods-other berth-pods-web true',
  ].sort());
  const compat = (await b.request('GET', '/v1.41/containers/json')).json as { Names: string[] }[];
  for (const n of ['/berth-pods-httpd', '/berth-pods-other', `/${pod.Id.slice(0, 12)}-infra`]) assert.ok(compat.some((c) => c.Names[0] === n), n);
  // The published port shows on the pod.
  assert.deepEqual(pod.InfraConfig.PortBindings, { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] });

  // Stopping the pod stops its members, and a member's start brings the infra container back first.
  await podmanOk(['pod', 'stop', '-t', '0', 'berth-pods-web']);
  assert.equal(await state('berth-pods-web'), 'Exited');
  await podmanOk(['start', 'berth-pods-other']);
  assert.deepEqual((await inspectPod('berth-pods-web')).Containers.map((c: { Name: string; State: string }) => `${c.Name} ${c.State}`), [
    `${pod.Id.slice(0, 12)}-infra running`, 'berth-pods-httpd exited', 'berth-pods-other running',
  ]);
  assert.equal(await state('berth-pods-web'), 'Degraded');
  await podmanOk(['pod', 'rm', '-f', 'berth-pods-web']);
  // Nothing answers on the port once the pod is gone.
  assert.equal((await run('curl', ['-s', '--max-time', '2', `http://127.0.0.1:${port}/index.html`])).code !== 0, true);
});

test('--share pid and --infra=false', async () => {
  await podmanOk(['pod', 'create', '--name', 'berth-pods-pid', '--share', 'pid,net']);
  assert.deepEqual((await inspectPod('berth-pods-pid')).SharedNamespaces, ['pid', 'net']);
  await podmanOk(['run', '-d', '--pod', 'berth-pods-pid', '--name', 'berth-pods-pid1', 'busybox', 'sleep', '1000']);
  // The infra container's catatonit is PID 1 of the shared PID namespace.
  const ps = await podmanOk(['run', '--rm', '--pod', 'berth-pods-pid', 'busybox', 'ps', '-o', 'pid,args']);
  assert.match(ps, /^\s*1 \/catatonit -P$/m);
  assert.match(ps, /sleep 1000/);
  await podmanOk(['pod', 'rm', '-f', 'berth-pods-pid']);

  await podmanOk(['pod', 'create', '--name', 'berth-pods-noinfra', '--infra=false']);
  const p = await inspectPod('berth-pods-noinfra');
  assert.equal(p.CreateInfra, false);
  assert.equal(p.InfraContainerID, undefined);
  assert.deepEqual(p.SharedNamespaces, []);
  assert.equal(p.NumContainers, 0);
  assert.equal(p.State, 'Created');
  await podmanOk(['run', '-d', '--pod', 'berth-pods-noinfra', '--name', 'berth-pods-ni1', '--network', 'none', 'busybox', 'sleep', '1000']);
  assert.equal(await state('berth-pods-noinfra'), 'Running');
  assert.notEqual(await podmanOk(['exec', 'berth-pods-ni1', 'hostname']), 'berth-pods-noinfra');
  await podmanOk(['pod', 'rm', '-f', 'berth-pods-noinfra']);
});

test('exit_policy stop: the pod stops once its last container exits', async () => {
  await podmanOk(['pod', 'create', '--name', 'berth-pods-exit', '--exit-policy', 'stop']);
  assert.equal((await inspectPod('berth-pods-exit')).ExitPolicy, 'stop');
  const r = await podman(['run', '--pod', 'berth-pods-exit', 'busybox', 'sh', '-c', 'exit 3']);
  assert.equal(r.code, 3, r.stderr);
  assert.ok(await waitFor(async () => (await state('berth-pods-exit')) === 'Exited', 15_000, 100), 'the infra container stopped with the pod');

  // continue (the default) keeps the infra container running.
  await podmanOk(['pod', 'create', '--name', 'berth-pods-cont']);
  assert.equal((await podman(['run', '--pod', 'berth-pods-cont', 'busybox', 'true'])).code, 0);
  await new Promise((res) => setTimeout(res, 500));
  assert.equal(await state('berth-pods-cont'), 'Degraded');
  await podmanOk(['pod', 'rm', '-f', 'berth-pods-exit', 'berth-pods-cont']);
});

test('bad input: a name in use is 409, an unknown pod 404, bad fields 400, a member publishing ports 400', async () => {
  await podmanOk(['pod', 'create', '--name', 'berth-pods-dup']);
  const dup = await b.request('POST', `${P}/pods/create`, { name: 'berth-pods-dup' });
  assert.equal(dup.status, 409, dup.text);
  assert.match(dup.json.message, /name "berth-pods-dup" is in use: pod already exists/);
  const again = await podman(['pod', 'create', '--name', 'berth-pods-dup']);
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /in use/);

  for (const [m, path] of [['GET', 'nope/json'], ['GET', 'nope/exists'], ['POST', 'nope/start'], ['POST', 'nope/stop'], ['POST', 'nope/kill'], ['DELETE', 'nope'], ['GET', 'nope/top']] as const) {
    const r = await b.request(m, `${P}/pods/${path}`);
    assert.equal(r.status, 404, `${m} ${path}: ${r.text}`);
    assert.match(r.json.message, /no pod with name or ID nope found: no such pod/);
  }
  const ctr = await b.request('POST', `${P}/containers/create`, { image: 'busybox', pod: 'nope' });
  assert.equal(ctr.status, 404, ctr.text);
  const run2 = await podman(['run', '--rm', '--pod', 'nope', 'busybox', 'true']);
  assert.notEqual(run2.code, 0);

  for (const body of [{ name: 'bad name!' }, { exit_policy: 'sometimes' }, { shared_namespaces: ['user'] }, { no_infra: true, shared_namespaces: ['net'] }, { name: 7 }, { portmappings: 'x' }, { no_infra: true, portmappings: [{ container_port: 80, host_port: 8080 }] }]) {
    const r = await b.request('POST', `${P}/pods/create`, body);
    assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
  }
  const pub = await b.request('POST', `${P}/containers/create`, { image: 'busybox', pod: 'berth-pods-dup', portmappings: [{ container_port: 80, host_port: 18080 }] });
  assert.equal(pub.status, 400, pub.text);
  assert.match(pub.json.message, /published or exposed ports must be defined when the pod is created/);
  const host = await b.request('POST', `${P}/containers/create`, { image: 'busybox', pod: 'berth-pods-dup', hostname: 'mine' });
  assert.equal(host.status, 400, host.text);
  assert.match(host.json.message, /cannot set hostname when joining the pod UTS namespace/);
  await podmanOk(['pod', 'rm', 'berth-pods-dup']);
});

test('pod events in both layers: create, start, pause, unpause, kill, stop, remove', async () => {
  const since = Math.floor(Date.now() / 1000) - 1;
  await podmanOk(['pod', 'create', '--name', 'berth-pods-ev']);
  await podmanOk(['pod', 'start', 'berth-pods-ev']);
  await podmanOk(['pod', 'pause', 'berth-pods-ev']);
  await podmanOk(['pod', 'unpause', 'berth-pods-ev']);
  await podmanOk(['pod', 'kill', 'berth-pods-ev']);
  await waitFor(async () => (await state('berth-pods-ev')) === 'Exited', 10_000, 100);
  await podmanOk(['pod', 'start', 'berth-pods-ev']);
  await podmanOk(['pod', 'stop', 'berth-pods-ev']);
  await podmanOk(['pod', 'rm', 'berth-pods-ev']);
  const until = Math.ceil(Date.now() / 1000) + 1;
  const filters = encodeURIComponent(JSON.stringify({ type: ['pod'] }));
  const parse = (text: string) => text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { Type: string; Action: string; Actor: { Attributes: Record<string, string> } });
  const want = ['create', 'start', 'pause', 'unpause', 'kill', 'start', 'stop', 'remove'];
  for (const prefix of ['/v5.4.2/libpod', '/v1.41']) {
    const r = await b.request('GET', `${prefix}/events?since=${since}&until=${until}&filters=${filters}${prefix.includes('libpod') ? '&stream=false' : ''}`);
    assert.equal(r.status, 200, r.text);
    const evs = parse(r.text).filter((e) => e.Actor.Attributes.name === 'berth-pods-ev');
    assert.deepEqual(evs.map((e) => e.Action), want, prefix);
    assert.ok(evs.every((e) => e.Type === 'pod'));
  }
});

test('resource limits bound the pod: its containers sit under the pod cgroup that holds them', async () => {
  const r = await b.request('POST', `${P}/pods/create`, { name: 'berth-pods-lim', resource_limits: { memory: { limit: 64 * 1024 * 1024 }, cpu: { shares: 512 } } });
  assert.equal(r.status, 201, r.text);
  await podmanOk(['run', '-d', '--pod', 'berth-pods-lim', '--name', 'berth-pods-lim1', 'busybox', 'sleep', '1000']);
  const pod = await inspectPod('berth-pods-lim');
  assert.equal(pod.CgroupPath, `/berth/berth-pod-${pod.Id}`);
  assert.equal(pod.memory_limit, 64 * 1024 * 1024);
  const pid = (await b.request('GET', `${P}/containers/berth-pods-lim1/json`)).json.State.Pid as number;
  const cg = (await run('cat', [`/proc/${pid}/cgroup`])).stdout;
  const mem = /^\d+:memory:(.*)$/m.exec(cg);
  if (mem) {
    // cgroup v1 (these machines): the pod's cgroup is the member's parent and holds the limit.
    assert.equal(mem[1], `${pod.CgroupPath}/berth-${(await b.request('GET', `${P}/containers/berth-pods-lim1/json`)).json.Id}`);
    assert.equal((await run('cat', [`/sys/fs/cgroup/memory${pod.CgroupPath}/memory.limit_in_bytes`])).stdout.trim(), String(64 * 1024 * 1024));
    assert.equal((await run('cat', [`/sys/fs/cgroup/cpu${pod.CgroupPath}/cpu.shares`])).stdout.trim(), '512');
  }
  await podmanOk(['pod', 'rm', '-f', 'berth-pods-lim']);
  if (mem) assert.equal((await run('test', ['-e', `/sys/fs/cgroup/memory${pod.CgroupPath}`])).code, 1, 'the pod cgroup went with the pod');
});
