// Pods outlive the service, as containers do: exit_policy stop is applied by `berth container
// cleanup` (conmon's exit command) when the last member exits while no service runs, and the
// next service finds the pod as it was left.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { run, startBerth, waitFor, FIXTURES, type Berth } from '../../helpers/berth.js';

const P = '/v5.4.2/libpod';
const started: Berth[] = [];
after(async () => {
  for (const b of started.reverse()) await b.cleanup();
});

test('exit_policy stop with no service running: the cleanup process stops the pod; the next service sees it Exited', async () => {
  const b = await startBerth();
  started.push(b);
  await b.dockerOk(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
  const podman = (args: string[]) => run('podman', ['--remote', '--url', `unix://${b.socket}`, ...args], { timeoutMs: 60_000 });
  assert.equal((await podman(['pod', 'create', '--name', 'berth-pods-alone', '--exit-policy', 'stop'])).code, 0);
  const r = await podman(['run', '-d', '--pod', 'berth-pods-alone', '--name', 'berth-pods-short', 'busybox', 'sleep', '2']);
  assert.equal(r.code, 0, r.stderr);
  const pod = (await b.request('GET', `${P}/pods/berth-pods-alone/json`)).json;
  assert.equal(pod.State, 'Running');
  const infraPid = (await b.request('GET', `${P}/containers/${pod.InfraContainerID}/json`)).json.State.Pid as number;
  assert.ok(infraPid > 0);
  await b.stop('SIGTERM');

  // No service: the member's exit command stops the infra container.
  assert.ok(await waitFor(() => !existsSync(`/proc/${infraPid}`), 20_000, 100), 'the infra container stopped without a service');

  const b2 = await startBerth({ root: b.root, runRoot: b.runRoot });
  started.push(b2);
  const again = (await b2.request('GET', `${P}/pods/berth-pods-alone/json`)).json;
  assert.equal(again.Id, pod.Id);
  assert.equal(again.State, 'Exited');
  assert.deepEqual(again.Containers.map((c: { State: string }) => c.State), ['exited', 'exited']);
  const rm = await b2.request('DELETE', `${P}/pods/berth-pods-alone`);
  assert.equal(rm.status, 200, rm.text);
});
