// podman-remote 4.3 as a client of berth's pods and the libpod inspect shaped by API version:
// an image with an ENTRYPOINT run and inspected (podman 4.x decodes Config.Entrypoint as one
// string, 5.x as a list), pods and their infra containers inspected, system prune/reset with
// pods, pod events (stream=false and streaming), generate systemd of a pod, and pod top streamed
// at `delay`. Only loopback; containers on --network none or the default bridge.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import { join } from 'node:path';
import { run, startBerth, waitFor, FIXTURES, type Berth, removeAllContainers } from '../../helpers/berth.js';

let b: Berth;
const P = '/v5.4.2/libpod';
const NET = ['--network', 'none'];
const IMG = 'localhost/berth-podcompat-ep:1';
const podman = (args: string[]) => run('podman', ['--remote', '--url', `unix://${b.socket}`, ...args], { timeoutMs: 60_000 });
const podmanOk = async (args: string[]) => {
  const r = await podman(args);
  assert.equal(r.code, 0, `podman ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
};
const podState = async (name: string) => (await b.request('GET', `${P}/pods/${name}/json`)).json.State as string;

before(async () => {
  b = await startBerth();
  await b.dockerOk(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
  // Started once: berth commits a container only once its upper dir exists.
  await b.dockerOk(['run', '--name', 'pc-seed', '--network', 'none', 'busybox', 'true']);
  await b.dockerOk(['commit', '--change', 'ENTRYPOINT ["/bin/sh","-c"]', '--change', 'CMD ["echo default"]', 'pc-seed', IMG]);
  await b.dockerOk(['rm', 'pc-seed']);
});
after(async () => {
  await podman(['pod', 'rm', '-f', '-a']);
  await removeAllContainers(b);
  await b.cleanup();
});

test('podman-remote 4.3 runs and inspects a container whose image has an ENTRYPOINT', async () => {
  assert.equal(await podmanOk(['run', '--name', 'pc-ep', ...NET, IMG, 'echo hello from the entrypoint']), 'hello from the entrypoint');
  assert.equal(await podmanOk(['run', '--rm', ...NET, IMG]), 'default');
  assert.equal(await podmanOk(['inspect', '--format', '{{.Config.Entrypoint}}|{{.Config.StopSignal}}|{{.Path}}', 'pc-ep']), '/bin/sh -c|15|/bin/sh');
  const [ins] = JSON.parse(await podmanOk(['container', 'inspect', 'pc-ep']));
  assert.deepEqual(ins.Args, ['-c', 'echo hello from the entrypoint']);
  assert.match(await podmanOk(['ps', '-a', '--format', '{{.Names}} {{.Command}}']), /pc-ep \/bin\/sh -c/);

  // The wire shape follows the version in the path: podman 5 made both fields what they are now.
  const v4 = (await b.request('GET', '/v4.3.1/libpod/containers/pc-ep/json')).json.Config;
  assert.equal(v4.Entrypoint, '/bin/sh -c');
  assert.equal(v4.StopSignal, 15);
  for (const path of [`${P}/containers/pc-ep/json`, '/libpod/containers/pc-ep/json']) {
    const v5 = (await b.request('GET', path)).json.Config;
    assert.deepEqual(v5.Entrypoint, ['/bin/sh', '-c'], path);
    assert.equal(v5.StopSignal, 'SIGTERM', path);
  }
  // No entrypoint at all: an empty string for 4.x.
  await podmanOk(['create', '--name', 'pc-noep', ...NET, 'busybox', 'true']);
  assert.equal((await b.request('GET', '/v4.3.1/libpod/containers/pc-noep/json')).json.Config.Entrypoint, '');
  assert.equal(await podmanOk(['inspect', '--format', '[{{.Config.Entrypoint}}]', 'pc-noep']), '[]');
  await podmanOk(['rm', '-f', 'pc-ep', 'pc-noep']);
});

test('podman-remote pod inspect and inspect of the infra container, also with an infra command', async () => {
  await podmanOk(['pod', 'create', '--name', 'berth-podcompat-a']);
  const pod = JSON.parse(await podmanOk(['pod', 'inspect', 'berth-podcompat-a']));
  const p = Array.isArray(pod) ? pod[0] : pod;
  assert.equal(p.Name, 'berth-podcompat-a');
  const [infra] = JSON.parse(await podmanOk(['inspect', p.InfraContainerID]));
  assert.equal(infra.IsInfra, true);
  assert.equal(infra.Pod, p.Id);
  assert.deepEqual(infra.Config.Cmd, ['/catatonit', '-P']);

  // An infra command is the infra container's entrypoint (a list in berth): 4.3 still decodes it.
  const r = await b.request('POST', `${P}/pods/create`, { name: 'berth-podcompat-cmd', infra_command: ['/catatonit', '-P'] });
  assert.equal(r.status, 201, r.text);
  const infraId = (await b.request('GET', `${P}/pods/berth-podcompat-cmd/json`)).json.InfraContainerID as string;
  assert.equal(await podmanOk(['inspect', '--format', '{{.Config.Entrypoint}}', infraId]), '/catatonit -P');
  await podmanOk(['pod', 'start', 'berth-podcompat-cmd']);
  assert.equal(await podmanOk(['inspect', '--format', '{{.State.Status}}', infraId]), 'running');
  await podmanOk(['pod', 'rm', '-f', 'berth-podcompat-a', 'berth-podcompat-cmd']);
});

test('system prune takes stopped pods with their containers; reset takes every pod', async () => {
  await podmanOk(['pod', 'create', '--name', 'berth-podcompat-stopped']);
  await podmanOk(['run', '--pod', 'berth-podcompat-stopped', '--name', 'pc-member', 'busybox', 'true']);
  await podmanOk(['pod', 'stop', 'berth-podcompat-stopped']);
  assert.match(await podState('berth-podcompat-stopped'), /^(Exited|Stopped)$/);
  await podmanOk(['pod', 'create', '--name', 'berth-podcompat-live']);
  await podmanOk(['run', '-d', '--pod', 'berth-podcompat-live', '--name', 'pc-live', 'busybox', 'sleep', '600']);
  const stoppedId = (await b.request('GET', `${P}/pods/berth-podcompat-stopped/json`)).json.Id;

  const out = await podmanOk(['system', 'prune', '--force']);
  assert.match(out, /Deleted Pods/);
  assert.match(out, new RegExp(stoppedId));
  assert.equal(await podmanOk(['pod', 'ps', '--format', '{{.Name}}']), 'berth-podcompat-live');
  assert.equal((await podman(['container', 'exists', 'pc-member'])).code, 1);
  assert.equal(await podmanOk(['inspect', '--format', '{{.State.Status}}', 'pc-live']), 'running');

  // podman-remote will not send a reset: the API call, as podman's own service receives it.
  await podmanOk(['pod', 'create', '--name', 'berth-podcompat-created']);
  const r = await b.request('POST', `${P}/system/reset`);
  assert.equal(r.status, 204, r.text);
  assert.equal(await podmanOk(['pod', 'ps', '-q']), '');
  assert.equal(await podmanOk(['ps', '-aq']), '');
  assert.equal((await b.request('GET', `${P}/system/df`)).status, 200);
  await b.dockerOk(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
});

test('podman-remote events of pods, after the fact and streaming, in podman words', async () => {
  const since = String(Math.floor(Date.now() / 1000) - 1);
  const listener = spawn('podman', ['--remote', '--url', `unix://${b.socket}`, 'events', '--filter', 'type=pod', '--format', '{{.Type}} {{.Status}} {{.Name}}'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let live = '';
  let liveErr = '';
  listener.stdout.on('data', (c) => (live += c));
  listener.stderr.on('data', (c) => (liveErr += c));
  try {
    // Time for the client to connect before the first event.
    await new Promise((r) => setTimeout(r, 1500));
    await podmanOk(['pod', 'create', '--name', 'berth-podcompat-ev']);
    await podmanOk(['pod', 'start', 'berth-podcompat-ev']);
    await podmanOk(['pod', 'pause', 'berth-podcompat-ev']);
    await podmanOk(['pod', 'unpause', 'berth-podcompat-ev']);
    await podmanOk(['pod', 'kill', 'berth-podcompat-ev']);
    assert.ok(await waitFor(async () => (await podState('berth-podcompat-ev')) === 'Exited', 10_000, 100));
    await podmanOk(['pod', 'start', 'berth-podcompat-ev']);
    await podmanOk(['pod', 'stop', 'berth-podcompat-ev']);
    await podmanOk(['pod', 'rm', 'berth-podcompat-ev']);
    const want = ['create', 'start', 'pause', 'unpause', 'kill', 'start', 'stop', 'remove'].map((s) => `pod ${s} berth-podcompat-ev`);
    const got = () => live.split('\n').filter((l) => l.endsWith(' berth-podcompat-ev'));
    assert.ok(await waitFor(() => got().length >= want.length, 10_000, 100), `streamed: ${live} ${liveErr}`);
    assert.deepEqual(got(), want);
    assert.equal(listener.exitCode, null, liveErr);

    const past = await podmanOk(['events', '--stream=false', '--since', since, '--filter', 'type=pod', '--format', '{{.Type}} {{.Status}} {{.Name}}']);
    assert.deepEqual(past.split('\n').filter((l) => l.endsWith(' berth-podcompat-ev')), want);
    const json = await podmanOk(['events', '--stream=false', '--since', since, '--filter', 'type=pod', '--filter', 'event=remove', '--format', 'json']);
    const ev = json.split('\n').map((l) => JSON.parse(l)).find((e) => e.Name === 'berth-podcompat-ev');
    assert.equal(ev.Type, 'pod');
    assert.equal(ev.Status, 'remove');
    assert.equal(ev.Name, 'berth-podcompat-ev');
  } finally {
    listener.kill();
  }
});

test('generate systemd of a pod: the pod unit and one unit per member, as podman answers', async () => {
  await podmanOk(['pod', 'create', '--name', 'berth-podcompat-sd']);
  await podmanOk(['create', '--pod', 'berth-podcompat-sd', '--name', 'pc-sd1', 'busybox', 'sleep', '600']);
  const pod = (await b.request('GET', `${P}/pods/berth-podcompat-sd/json`)).json;
  const r = await b.request('GET', `${P}/generate/berth-podcompat-sd/systemd?useName=true`);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(Object.keys(r.json).sort(), ['container-pc-sd1', 'pod-berth-podcompat-sd']);
  const unit = r.json['pod-berth-podcompat-sd'] as string;
  assert.match(unit, /^Wants=container-pc-sd1\.service$/m);
  assert.match(unit, /^Before=container-pc-sd1\.service$/m);
  assert.match(unit, new RegExp(`^ExecStart=.* start ${pod.Id.slice(0, 12)}-infra$`, 'm'));
  assert.match(unit, /^PIDFile=.*conmon\.pid$/m);
  const member = r.json['container-pc-sd1'] as string;
  assert.match(member, /^BindsTo=pod-berth-podcompat-sd\.service$/m);
  assert.match(member, /^After=.*pod-berth-podcompat-sd\.service/m);
  assert.match(member, /^ExecStart=.* start pc-sd1$/m);

  // What podman-remote 4.3 writes from it.
  const dir = join(b.dir, 'units');
  await run('mkdir', ['-p', dir]);
  const files = await run('sh', ['-c', `cd ${dir} && podman --remote --url unix://${b.socket} generate systemd --name --files berth-podcompat-sd`]);
  assert.equal(files.code, 0, files.stderr);
  assert.match(files.stdout, /pod-berth-podcompat-sd\.service/);
  assert.match(files.stdout, /container-pc-sd1\.service/);

  // A name that is neither a container nor a pod.
  const missing = await b.request('GET', `${P}/generate/berth-podcompat-none/systemd`);
  assert.equal(missing.status, 404, missing.text);
  assert.match(missing.json.message, /does not refer to a container or pod/);
  await podmanOk(['pod', 'rm', '-f', 'berth-podcompat-sd']);
});

/** The JSON lines of a streaming GET, until `n` arrived (or the timeout). */
function firstLines(path: string, n: number, timeoutMs: number): Promise<{ status: number; lines: unknown[]; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath: b.socket, path }, (res) => {
      let buf = '';
      const lines: unknown[] = [];
      const finish = () => {
        clearTimeout(timer);
        req.destroy();
        resolve({ status: res.statusCode ?? 0, lines, ms: Date.now() - t0 });
      };
      const timer = setTimeout(finish, timeoutMs);
      res.on('data', (c) => {
        buf += c;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const l = buf.slice(0, i).trim();
          buf = buf.slice(i + 1);
          if (l) lines.push(JSON.parse(l));
          if (lines.length >= n) return finish();
        }
      });
      res.on('end', finish);
    });
    req.on('error', reject);
  });
}

test('pod top with stream=true: a reading every `delay` seconds', async () => {
  await podmanOk(['pod', 'create', '--name', 'berth-podcompat-top']);
  await podmanOk(['run', '-d', '--pod', 'berth-podcompat-top', '--name', 'pc-top', 'busybox', 'sleep', '600']);
  const r = await firstLines(`${P}/pods/berth-podcompat-top/top?stream=true&delay=1`, 3, 10_000);
  assert.equal(r.status, 200);
  assert.equal(r.lines.length, 3);
  assert.ok(r.ms >= 1900 && r.ms < 8000, `${r.ms} ms for three readings a second apart`);
  for (const l of r.lines as { Titles: string[]; Processes: string[][] }[]) {
    assert.ok(l.Titles.includes('COMMAND'));
    assert.ok(l.Processes.some((p) => p.join(' ').includes('sleep 600')));
  }
  // A pod that is not running is its own error, before any reading.
  await podmanOk(['pod', 'create', '--name', 'berth-podcompat-idle']);
  const idle = await b.request('GET', `${P}/pods/berth-podcompat-idle/top?stream=true&delay=1`);
  assert.equal(idle.status, 409, idle.text);
  // The container top streams the same way.
  const c = await firstLines(`${P}/containers/pc-top/top?stream=true&delay=1`, 2, 10_000);
  assert.equal(c.lines.length, 2);
  assert.match(await podmanOk(['pod', 'top', 'berth-podcompat-top']), /sleep 600/);
  await podmanOk(['pod', 'rm', '-f', 'berth-podcompat-top', 'berth-podcompat-idle']);
});
