import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSpec, networkMode, validateName, validateRestartPolicy } from '../../../src/engine/containers/create.js';
import { specgenToCreate } from '../../../src/api/containers/specgen.js';
import { statusText, humanDuration } from '../../../src/api/containers/status.js';

const image = { id: 'a'.repeat(64), config: { Env: ['PATH=/bin', 'A=1'], Cmd: ['sh'], WorkingDir: '/w', Labels: { img: 'x' }, StopSignal: 'SIGQUIT' } };
const id = 'f'.repeat(64);

test('create merges the image config the way dockerd does', () => {
  const { spec } = buildSpec({ config: { Image: 'busybox', Env: ['A=2', 'B=3'], Labels: { mine: 'y' } }, hostConfig: { NetworkMode: 'none' }, flavor: 'docker' }, image, id);
  assert.deepEqual(spec.Config.Env, ['PATH=/bin', 'A=2', 'B=3']);
  assert.deepEqual(spec.Config.Cmd, ['sh']);
  assert.equal(spec.Config.WorkingDir, '/w');
  assert.deepEqual(spec.Config.Labels, { img: 'x', mine: 'y' });
  assert.equal(spec.Config.StopSignal, 'SIGQUIT');
  assert.equal(spec.Config.Hostname, id.slice(0, 12));
  assert.deepEqual(spec.HostConfig.RestartPolicy, { Name: 'no', MaximumRetryCount: 0 });
  // A new entrypoint drops the image's Cmd.
  const e = buildSpec({ config: { Image: 'busybox', Entrypoint: ['echo'] }, hostConfig: { NetworkMode: 'none' }, flavor: 'docker' }, image, id).spec;
  assert.deepEqual(e.Config.Entrypoint, ['echo']);
  assert.equal(e.Config.Cmd, null);
});

test('create validation', () => {
  assert.throws(() => validateName('a'), /Invalid container name/);
  assert.equal(validateName('/ok_name'), 'ok_name');
  assert.throws(() => validateRestartPolicy({ Name: 'always', MaximumRetryCount: 2 }, false), /only be used with 'on-failure'/);
  assert.throws(() => validateRestartPolicy({ Name: 'always' }, true), /--restart and --rm/);
  // The default network is a real bridge: nothing to warn about.
  assert.equal(networkMode('default').warning, undefined);
  assert.equal(networkMode('host').warning, undefined);
  // A network's name is checked by the network service (it must exist), not here.
  assert.equal(networkMode('mynet').mode, 'mynet');
  assert.throws(() => networkMode('slirp4netns'), /not supported/);
  assert.throws(() => buildSpec({ config: { Image: 'b' }, hostConfig: { Memory: 100 }, flavor: 'docker' }, image, id), /Minimum memory/);
  assert.throws(() => buildSpec({ config: { Image: 'b' }, hostConfig: { NetworkMode: 'host', Sysctls: { 'net.ipv4.ip_forward': '1' } }, flavor: 'docker' }, image, id), /host network/);
  const p = buildSpec({ config: { Image: 'b' }, hostConfig: { NetworkMode: 'host', Sysctls: { 'net.ipv4.ping_group_range': '0 0' } }, flavor: 'podman' }, image, id).spec;
  assert.deepEqual(p.HostConfig.Sysctls, {});
});

test('SpecGenerator maps supported fields and names unsupported ones', () => {
  const r = specgenToCreate({
    name: 'x', image: 'busybox', command: ['true'], env: { A: 'b' }, remove: true, netns: { nsmode: 'host' },
    resource_limits: { memory: { limit: 1 << 26 }, pids: { limit: 10 } }, r_limits: [{ type: 'RLIMIT_NOFILE', soft: 5, hard: 6 }],
    stop_signal: 15, mounts: [{ destination: '/d', type: 'bind', source: '/s', options: ['ro'] }], devices: [],
  });
  assert.equal(r.flavor, 'podman');
  assert.deepEqual(r.config.Env, ['A=b']);
  assert.equal(r.hostConfig!.NetworkMode, 'host');
  assert.equal(r.hostConfig!.Memory, 1 << 26);
  assert.equal(r.hostConfig!.PidsLimit, 10);
  assert.deepEqual(r.hostConfig!.Ulimits, [{ Name: 'nofile', Soft: 5, Hard: 6 }]);
  assert.deepEqual(r.hostConfig!.Binds, ['/s:/d:ro']);
  assert.equal(r.config.StopSignal, '15');
  // Secrets are honoured: files (specgen.Secret, either case) and variables.
  assert.deepEqual(specgenToCreate({ image: 'b', secrets: [{ source: 's', Target: 't', mode: 0o400 }], secret_env: { TOKEN: 'e' } }).secrets, [
    { source: 's', type: 'mount', target: 't', uid: undefined, gid: undefined, mode: 0o400 },
    { source: 'e', type: 'env', target: 'TOKEN' },
  ]);
  assert.throws(() => specgenToCreate({ image: 'b', secrets: [{ target: 't' }] }), /"secrets"/);
  assert.throws(() => specgenToCreate({ image: 'b', mounts: [{ destination: '/d', type: 'devpts', source: 'v' }] }), /"mounts"/);
  assert.throws(() => specgenToCreate({ command: ['x'] }), /no image/);
});

test('ps status column', () => {
  assert.equal(humanDuration(500), 'Less than a second');
  assert.equal(humanDuration(90_000), 'About a minute');
  assert.equal(humanDuration(3 * 3600_000), '3 hours');
  const now = Date.parse('2024-01-01T00:01:00Z');
  const base = { state: 'exited', exitCode: 3, startedAt: '2024-01-01T00:00:00Z', finishedAt: '2024-01-01T00:00:30Z' };
  assert.equal(statusText(base as never, now), 'Exited (3) 30 seconds ago');
  assert.equal(statusText({ ...base, state: 'running' } as never, now), 'Up About a minute');
  assert.equal(statusText({ ...base, state: 'created', finishedAt: '' } as never, now), 'Created');
});
