// Healthchecks run by berth itself, through the real docker CLI, podman-remote and curl: a check
// turning healthy, then unhealthy once its file goes, with events, inspect, ps and its health
// filter; the schedule going on while no service runs and the next service seeing what happened
// (and resuming a schedule whose scheduler was killed); podman's run-now and on-failure actions.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, startBerth, waitFor, FIXTURES, type Berth, removeAllContainers } from '../../helpers/berth.js';

let b: Berth;
const NET = ['--network', 'none'];
const ok = (args: string[]) => b.dockerOk(args);
const podman = (args: string[]) => run('podman', ['--remote', '--url', `unix://${b.socket}`, ...args], { timeoutMs: 30_000 });
const health = async (ref: string) => JSON.parse(await ok(['inspect', '-f', '{{json .State.Health}}', ref])) as { Status: string; FailingStreak: number; Log: { Start: string; End: string; ExitCode: number; Output: string }[] } | null;
const idOf = async (ref: string) => (await ok(['inspect', '-f', '{{.Id}}', ref])).trim();

/** The scheduler processes (sh loops) of a container. */
function timers(id: string): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      if (argv[0] === '/bin/sh' && argv.includes('tick') && argv.includes(id)) out.push(Number(p));
    } catch {
      /* gone */
    }
  }
  return out;
}

async function until(ref: string, status: string, timeoutMs = 15_000): Promise<void> {
  let last = '';
  const seen = await waitFor(async () => (last = (await health(ref))?.Status ?? 'none') === status, timeoutMs, 100);
  assert.ok(seen, `${ref} never became ${status} (last: ${last})`);
}

before(async () => {
  b = await startBerth();
  await ok(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
});
after(async () => {
  await removeAllContainers(b);
  await b.cleanup();
});

test('docker run --health-cmd: healthy, then unhealthy when its file goes, with events, inspect and ps', async () => {
  const t0 = Math.floor(Date.now() / 1000) - 1;
  await ok(['run', '-d', ...NET, '--name', 'hc-web', '--health-cmd', 'test -f /tmp/ok && echo fine', '--health-interval', '1s', '--health-retries', '2', '--health-timeout', '5s',
    'busybox', 'sh', '-c', 'touch /tmp/ok; exec sleep 600']);
  await ok(['run', '-d', ...NET, '--name', 'hc-none', 'busybox', 'sleep', '600']);
  const id = await idOf('hc-web');
  // Right after the start: starting (the first probe comes after one interval).
  const first = await health('hc-web');
  assert.ok(first && ['starting', 'healthy'].includes(first.Status), JSON.stringify(first));
  assert.equal(await health('hc-none'), null, 'no Health without a healthcheck');
  await until('hc-web', 'healthy');
  const h = (await health('hc-web'))!;
  assert.equal(h.FailingStreak, 0);
  assert.equal(h.Log.at(-1)!.ExitCode, 0);
  assert.equal(h.Log.at(-1)!.Output, 'fine\n');
  assert.ok(Date.parse(h.Log.at(-1)!.End) >= Date.parse(h.Log.at(-1)!.Start));
  assert.equal(timers(id).length, 1, 'one scheduler for the container');
  assert.deepEqual(timers(await idOf('hc-none')), [], 'none without a healthcheck');

  const ps = await ok(['ps', '--filter', 'health=healthy', '--format', '{{.Names}} {{.Status}}']);
  assert.match(ps, /^hc-web Up .* \(healthy\)$/m);
  assert.doesNotMatch(ps, /hc-none/);
  assert.match(await ok(['ps', '--filter', 'health=none', '--format', '{{.Names}}']), /^hc-none$/m);
  const bad = await b.docker(['ps', '--filter', 'health=sick']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /Unrecognised filter value for health: sick/);

  // The file goes: unhealthy after two failed probes, reported within the interval that follows.
  await ok(['exec', 'hc-web', 'rm', '/tmp/ok']);
  const removedAt = Date.now();
  await until('hc-web', 'unhealthy', 10_000);
  // Two failed probes, one interval apart (and whatever a loaded machine adds to each).
  assert.ok(Date.now() - removedAt < 2 * 1000 + 6000, `unhealthy after ${Date.now() - removedAt} ms`);
  const u = (await health('hc-web'))!;
  assert.ok(u.FailingStreak >= 2);
  assert.ok(u.Log.length <= 5 && u.Log.length >= 3);
  assert.equal(u.Log.at(-1)!.ExitCode, 1);
  assert.match(await ok(['ps', '--filter', 'health=unhealthy', '--format', '{{.Names}} {{.Status}}']), /^hc-web Up .* \(unhealthy\)$/m);

  const ev = await ok(['events', '--since', String(t0), '--until', String(Math.ceil(Date.now() / 1000) + 1), '--filter', 'container=hc-web', '--filter', 'event=health_status', '--format', '{{.Action}} {{.Actor.Attributes.name}}']);
  assert.deepEqual(ev.trim().split('\n'), ['health_status: healthy hc-web', 'health_status: unhealthy hc-web']);
  // Probes publish no exec events (podman's way): only the client's own exec is there.
  const execs = await ok(['events', '--since', String(t0), '--until', String(Math.ceil(Date.now() / 1000) + 1), '--filter', 'container=hc-web', '--filter', 'event=exec_start', '--format', '{{.Action}}']);
  assert.deepEqual(execs.trim().split('\n'), ['exec_start: rm /tmp/ok']);
  // The client's session, and at most the probe in flight right now.
  assert.ok((JSON.parse(await ok(['inspect', '-f', '{{json .ExecIDs}}', 'hc-web']))?.length ?? 0) <= 2, 'probes leave no exec sessions');

  // A stop ends the schedule; dockerd reports a container whose checks stopped as unhealthy.
  await ok(['stop', '-t', '0', 'hc-web']);
  assert.ok(await waitFor(() => timers(id).length === 0, 5000), 'the scheduler ends with the run');
  assert.equal((await health('hc-web'))!.Status, 'unhealthy');
  // The next start: starting again, the log kept.
  await ok(['start', 'hc-web']);
  const again = (await health('hc-web'))!;
  assert.equal(again.Status, 'starting');
  assert.equal(again.FailingStreak, 0);
  assert.ok(again.Log.length >= 3);
  assert.equal(timers(id).length, 1);
  await ok(['rm', '-f', 'hc-web', 'hc-none']);
  assert.ok(await waitFor(() => timers(id).length === 0, 5000), 'no scheduler outlives its container');
});

test("a probe that outlives its timeout fails with dockerd's words; the image's HEALTHCHECK is the default", async () => {
  await ok(['run', ...NET, '--name', 'hc-src', 'busybox', 'true']);
  await ok(['commit', '--change', 'HEALTHCHECK --interval=1s --retries=1 CMD sleep 5', 'hc-src', 'hc-img']);
  await ok(['rm', 'hc-src']);
  const img = JSON.parse(await ok(['image', 'inspect', '-f', '{{json .Config.Healthcheck}}', 'hc-img']));
  assert.deepEqual(img, { Test: ['CMD-SHELL', 'sleep 5'], Interval: 1e9, Retries: 1 });
  // The container's own timeout over the image's check, field by field as dockerd merges them.
  await ok(['run', '-d', ...NET, '--name', 'hc-slow', '--health-timeout', '300ms', 'hc-img', 'sleep', '600']);
  const cfg = JSON.parse(await ok(['inspect', '-f', '{{json .Config.Healthcheck}}', 'hc-slow']));
  assert.deepEqual(cfg, { Test: ['CMD-SHELL', 'sleep 5'], Interval: 1e9, Timeout: 3e8, Retries: 1 });
  await until('hc-slow', 'unhealthy');
  const e = (await health('hc-slow'))!.Log.at(-1)!;
  assert.equal(e.ExitCode, -1);
  assert.equal(e.Output, 'Health check exceeded timeout (300ms)');
  assert.ok(Date.parse(e.End) - Date.parse(e.Start) < 3000, 'the probe was killed at its timeout');
  // --no-healthcheck turns the image's off.
  await ok(['run', '-d', ...NET, '--name', 'hc-off', '--no-healthcheck', 'hc-img', 'sleep', '600']);
  assert.equal(await health('hc-off'), null);
  assert.deepEqual(timers(await idOf('hc-off')), []);
  await ok(['rm', '-f', 'hc-slow', 'hc-off']);
});

test('checks go on while no service runs; the next service sees them and resumes a killed scheduler', async () => {
  // Healthy at first; the container itself breaks its check after a few seconds.
  await ok(['run', '-d', ...NET, '--name', 'hc-alone', '--health-cmd', 'test ! -f /tmp/broken', '--health-interval', '1s', '--health-retries', '1',
    'busybox', 'sh', '-c', 'sleep 4; touch /tmp/broken; exec sleep 600']);
  const id = await idOf('hc-alone');
  await until('hc-alone', 'healthy');
  const { root, runRoot } = b;
  await b.stop();
  const stoppedAt = Date.now();
  // No service: the scheduler goes on, the container turns unhealthy meanwhile.
  await new Promise((r) => setTimeout(r, 6000));
  assert.equal(timers(id).length, 1, 'the scheduler outlives the service');
  b = await startBerth({ root, runRoot });
  const h = (await health('hc-alone'))!;
  assert.equal(h.Status, 'unhealthy');
  assert.ok(h.Log.filter((e) => Date.parse(e.Start) > stoppedAt).length >= 3, `probes while no service ran: ${JSON.stringify(h.Log)}`);
  const since = String(Math.floor(stoppedAt / 1000));
  const ev = await ok(['events', '--since', since, '--until', String(Math.ceil(Date.now() / 1000) + 1), '--filter', 'event=health_status', '--format', '{{.Action}}']);
  assert.match(ev, /^health_status: unhealthy$/m, 'the event of a transition while no service ran');

  // A scheduler killed while no service ran is started again by the next service.
  const { root: r2, runRoot: rr2 } = b;
  await b.stop();
  for (const p of timers(id)) process.kill(p, 'SIGKILL');
  b = await startBerth({ root: r2, runRoot: rr2 });
  await ok(['ps']);
  assert.ok(await waitFor(() => timers(id).length === 1, 5000), 'the service resumed the schedule');
  const n = (await health('hc-alone'))!.Log.at(-1)!.Start;
  assert.ok(await waitFor(async () => (await health('hc-alone'))!.Log.at(-1)!.Start !== n, 5000), 'probes go on');
  await ok(['rm', '-f', 'hc-alone']);
});

test('podman --remote healthcheck run answers now; health-on-failure kill acts on an unhealthy container', async () => {
  const r = await podman(['run', '-d', '--network', 'none', '--name', 'hc-pod', '--health-cmd', 'test -f /tmp/ok', '--health-interval', '1h', '--health-retries', '1',
    '--health-on-failure', 'kill', 'busybox', 'sh', '-c', 'touch /tmp/ok; exec sleep 600']);
  assert.equal(r.code, 0, r.stderr);
  const ran = await podman(['healthcheck', 'run', 'hc-pod']);
  assert.equal(ran.code, 0, ran.stderr + ran.stdout);
  const inspect = async () => JSON.parse((await podman(['inspect', 'hc-pod'])).stdout)[0];
  let c = await inspect();
  assert.equal(c.State.Health.Status, 'healthy');
  assert.equal(c.State.Health.Log.length, 1);
  assert.equal(c.Config.HealthcheckOnFailureAction, 'kill');
  assert.match((await podman(['ps', '--format', '{{.Names}} {{.Status}}'])).stdout, /^hc-pod Up .* \(healthy\)$/m);
  // podman's wait condition: healthy.
  const w = await b.request('POST', '/v5.4.2/libpod/containers/hc-pod/wait?condition=healthy');
  assert.equal(w.status, 200);
  const hc = await b.request('GET', '/v5.4.2/libpod/containers/hc-pod/healthcheck');
  assert.equal(hc.status, 200);
  assert.equal(hc.json.Status, 'healthy');
  assert.equal(hc.json.FailingStreak, 0);

  assert.equal((await podman(['exec', 'hc-pod', 'rm', '/tmp/ok'])).code, 0);
  const failed = await podman(['healthcheck', 'run', 'hc-pod']);
  assert.equal(failed.code, 1);
  assert.match(failed.stdout, /unhealthy/);
  // Unhealthy with retries 1: killed (podman's --health-on-failure kill).
  assert.ok(await waitFor(async () => (await inspect()).State.Status === 'exited', 10_000), 'the container was killed');
  c = await inspect();
  assert.equal(c.State.ExitCode, 137);
  assert.equal(c.State.Health.Status, 'unhealthy');
  const ev = await b.request('GET', `/v5.4.2/libpod/events?stream=false&filters=${encodeURIComponent(JSON.stringify({ container: ['hc-pod'], event: ['health_status'] }))}`);
  const events = ev.text.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(events.map((e) => [e.Action, e.HealthStatus]), [['health_status', 'healthy'], ['health_status', 'unhealthy']]);
  // podman-remote's own events command reads them (it needs containerExitCode on every container event).
  const pev = await podman(['events', '--stream=false', '--filter', 'event=health_status', '--filter', 'container=hc-pod', '--format', '{{.Status}} {{.HealthStatus}}']);
  assert.equal(pev.code, 0, pev.stderr);
  assert.deepEqual(pev.stdout.trim().split('\n'), ['health_status healthy', 'health_status unhealthy']);

  // Stopped, or without a healthcheck: 409, as podman answers.
  assert.equal((await b.request('GET', '/v5.4.2/libpod/containers/hc-pod/healthcheck')).status, 409);
  await podman(['run', '-d', '--network', 'none', '--name', 'hc-plain', 'busybox', 'sleep', '600']);
  const none = await b.request('GET', '/v5.4.2/libpod/containers/hc-plain/healthcheck');
  assert.equal(none.status, 409);
  assert.match(none.json.message, /has no defined healthcheck/);
  assert.equal((await b.request('GET', '/v5.4.2/libpod/containers/nosuch/healthcheck')).status, 404);
  await podman(['rm', '-f', 'hc-pod', 'hc-plain']);
});

test('health-on-failure restart starts an unhealthy container again', async () => {
  const r = await podman(['run', '-d', '--network', 'none', '--name', 'hc-restart', '--health-cmd', 'test ! -f /tmp/broken', '--health-interval', '1s', '--health-retries', '1',
    // The stop that a restart begins with waits out the stop timeout (sleep as pid 1 ignores SIGTERM).
    '--stop-timeout', '1', '--health-on-failure', 'restart', 'busybox', 'sh', '-c', 'rm -f /tmp/broken; sleep 2; touch /tmp/broken; exec sleep 600']);
  assert.equal(r.code, 0, r.stderr);
  const started = async () => JSON.parse((await podman(['inspect', 'hc-restart'])).stdout)[0].State.StartedAt as string;
  const first = await started();
  assert.ok(await waitFor(async () => (await started()) !== first, 20_000, 200), 'restarted once unhealthy');
  const c = JSON.parse((await podman(['inspect', 'hc-restart'])).stdout)[0];
  assert.equal(c.State.Status, 'running');
  assert.ok(['starting', 'healthy'].includes(c.State.Health.Status), c.State.Health.Status);
  await podman(['rm', '-f', '-t', '0', 'hc-restart']);
});
