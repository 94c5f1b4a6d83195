// Pure parts of pods: the state derived from the containers' states, and podman's list filters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { podState } from '../../../src/engine/pods/state.js';
import { podFilter } from '../../../src/engine/pods/filters.js';
import { EngineError } from '../../../src/engine/errors.js';
import type { PodConfig, PodMember, PodView } from '../../../src/engine/pods/types.js';
import type { ContainerStatus } from '../../../src/engine/containers/types.js';

test('pod state follows its containers, the infra one included', () => {
  assert.equal(podState([]), 'Created');
  assert.equal(podState(['created', 'created']), 'Created');
  assert.equal(podState(['initialized', 'created']), 'Created');
  assert.equal(podState(['running', 'running']), 'Running');
  assert.equal(podState(['running', 'stopping']), 'Running');
  assert.equal(podState(['running', 'exited']), 'Degraded');
  assert.equal(podState(['running', 'created']), 'Degraded');
  assert.equal(podState(['running', 'paused']), 'Degraded');
  assert.equal(podState(['paused', 'paused']), 'Paused');
  assert.equal(podState(['exited', 'exited']), 'Exited');
  // None runs, some ran: podman says Exited.
  assert.equal(podState(['exited', 'created']), 'Exited');
  assert.equal(podState(['paused', 'exited']), 'Exited');
});

const config = (labels: Record<string, string> = {}): PodConfig => ({
  labels, hostname: 'h', infra: true, share: ['ipc', 'net', 'uts'], shareParent: true, cgroupParent: '', exitPolicy: 'continue',
  restartPolicy: '', restartTries: 0, resources: {},
  network: { mode: 'default', endpoints: {}, portBindings: {}, dns: [], dnsSearch: [], dnsOptions: [], extraHosts: [] },
});

const member = (id: string, name: string, state: ContainerStatus, infra = false): PodMember => ({ id, name, state, restartCount: 0, infra, pid: 0, created: '2026-01-01T00:00:00Z' });

function pod(id: string, name: string, members: PodMember[], labels: Record<string, string> = {}, created = '2026-01-01T00:00:00Z'): PodView {
  return { id, name, created, config: config(labels), infraId: members.find((m) => m.infra)?.id ?? '', cgroupPath: '', state: podState(members.map((m) => m.state)), members };
}

const pods = [
  pod('aaa111', 'web', [member('i1', 'aaa111-infra', 'running', true), member('c1', 'nginx', 'running')], { app: 'web', tier: 'front' }),
  pod('bbb222', 'db', [member('i2', 'bbb222-infra', 'exited', true), member('c2', 'pg', 'exited'), member('c3', 'backup', 'created')], { app: 'db' }),
  pod('ccc333', 'empty', [member('i3', 'ccc333-infra', 'created', true)], {}, new Date(Date.now() + 3600_000).toISOString()),
];

const names = (f: Record<string, string[]>, nets?: (p: PodView) => string[]) => pods.filter(podFilter(f, nets)).map((p) => p.name);

test('pod filters: id, name, label, status', () => {
  assert.deepEqual(names({}), ['web', 'db', 'empty']);
  assert.deepEqual(names({ id: ['bbb'] }), ['db']);
  assert.deepEqual(names({ id: ['aaa', 'ccc'] }), ['web', 'empty']);
  assert.deepEqual(names({ name: ['^w'] }), ['web']);
  assert.deepEqual(names({ label: ['app'] }), ['web', 'db']);
  assert.deepEqual(names({ label: ['app=web', 'tier=front'] }), ['web']);
  assert.deepEqual(names({ label: ['app=web', 'tier=back'] }), []);
  assert.deepEqual(names({ status: ['running'] }), ['web']);
  assert.deepEqual(names({ status: ['exited', 'created'] }), ['db', 'empty']);
  // Keys are all matched.
  assert.deepEqual(names({ label: ['app'], status: ['exited'] }), ['db']);
});

test('pod filters on containers: ctr-names, ctr-ids, ctr-status, ctr-number; until; network', () => {
  assert.deepEqual(names({ 'ctr-names': ['^pg$'] }), ['db']);
  assert.deepEqual(names({ 'ctr-ids': ['c1'] }), ['web']);
  assert.deepEqual(names({ 'ctr-status': ['created'] }), ['db', 'empty']);
  assert.deepEqual(names({ 'ctr-number': ['1'] }), ['empty']);
  assert.deepEqual(names({ 'ctr-number': ['2', '3'] }), ['web', 'db']);
  assert.deepEqual(names({ until: ['10m'] }), ['web', 'db']);
  assert.deepEqual(names({ network: ['front'] }, (p) => (p.name === 'web' ? ['front'] : [])), ['web']);
});

test('bad pod filters are the client’s mistake', () => {
  const bad: Record<string, string[]>[] = [{ nope: ['x'] }, { status: ['sleeping'] }, { 'ctr-status': ['gone'] }, { 'ctr-number': ['two'] }, { name: ['('] }, { until: ['yesterday'] }];
  for (const f of bad) {
    assert.throws(() => podFilter(f), (e: unknown) => e instanceof EngineError && e.kind === 'bad-parameter', JSON.stringify(f));
  }
});

test('a pod config: podman defaults, and what cannot go together', async () => {
  const { podConfig } = await import('../../../src/engine/pods/create.js');
  const c = podConfig({}, 'p');
  assert.equal(c.hostname, 'p');
  assert.equal(c.infra, true);
  assert.deepEqual(c.share, ['ipc', 'net', 'uts']);
  assert.equal(c.shareParent, true);
  assert.equal(c.exitPolicy, 'continue');
  assert.equal(c.network.mode, 'default');
  assert.deepEqual(podConfig({ infra: false }, 'p').share, []);
  assert.deepEqual(podConfig({ share: ['pid', 'pid', 'net'] }, 'p').share, ['pid', 'net']);
  const bad: Parameters<typeof podConfig>[0][] = [
    { infra: false, share: ['net'] },
    { infra: false, network: { portBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }] } } },
    { infra: false, infraImage: 'busybox' },
    { share: ['ipc'], network: { portBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }] } } },
    { exitPolicy: 'sometimes' as 'stop' },
    { restartPolicy: 'often' },
    { restartPolicy: 'always', restartTries: 3 },
    { hostname: '-bad' },
  ];
  for (const r of bad) assert.throws(() => podConfig(r, 'p'), (e: unknown) => e instanceof EngineError && e.kind === 'bad-parameter', JSON.stringify(r));
});

test('rootless pod limits: dropped with a reason unless a delegated tree gives them to the infra container', async () => {
  const { rootlessPodLimitsWarning } = await import('../../../src/engine/pods/cgroup.js');
  const v1 = { version: 1 as const };
  const delegated = { version: 2 as const, delegated: { path: '/user.slice/berth', controllers: ['memory', 'pids'] } };
  const limited = { resources: { memory: 100 << 20, cpuShares: 512 }, shareParent: true, infra: true };
  // Rootful: the pod cgroup holds them.
  assert.equal(rootlessPodLimitsWarning(limited, false, v1), undefined);
  // Nothing asked: nothing to say.
  assert.equal(rootlessPodLimitsWarning({ ...limited, resources: {} }, true, v1), undefined);
  const w = rootlessPodLimitsWarning(limited, true, v1);
  assert.match(w ?? '', /^Resource limits \(memory, cpus\) are not applied: .*cgroup v1.*the pod runs without them$/);
  // A delegated tree: the infra container carries them when the pod has no cgroup of its own.
  assert.equal(rootlessPodLimitsWarning({ ...limited, shareParent: false }, true, delegated), undefined);
  assert.match(rootlessPodLimitsWarning(limited, true, delegated) ?? '', /Pod resource limits \(Memory, CpuShares\) are not applied: rootless berth makes no pod cgroup/);
});
