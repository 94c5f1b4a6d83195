// SpecGenerator through podman-remote and the API: the fields berth maps beyond the first set
// (devices, time zone, unsetenv, masked paths, block-IO limits) honoured in the running
// container, and the ones this host cannot honour refused with a 400 that names the field.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { run, startBerth, FIXTURES, type Berth, removeAllContainers } from '../../helpers/berth.js';

let b: Berth;
const P = '/v5.4.2/libpod';
const NET = ['--network', 'none'];
const podman = (args: string[]) => run('podman', ['--remote', '--url', `unix://${b.socket}`, ...args], { timeoutMs: 60_000 });
const podmanOk = async (args: string[]) => {
  const r = await podman(args);
  assert.equal(r.code, 0, `podman ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const create = (body: Record<string, unknown>) => b.request('POST', `${P}/containers/create`, { image: 'busybox', command: ['true'], netns: { nsmode: 'none' }, ...body });

before(async () => {
  b = await startBerth();
  await b.dockerOk(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
});
after(async () => {
  await removeAllContainers(b);
  await b.cleanup();
});

test('podman-remote run --device, --tz, --unsetenv, --security-opt mask: honoured in the container', async () => {
  const out = await podmanOk(['run', '--rm', ...NET, '--device', '/dev/null:/dev/mynull:rw', '--tz', 'Europe/Paris', '--security-opt', 'mask=/etc/hostname',
    'busybox', 'sh', '-c', 'stat -c "%t:%T" /dev/mynull; date +%Z; wc -c < /etc/hostname']);
  const [dev, zone, size] = out.trim().split('\n');
  assert.equal(dev, '1:3');
  assert.match(zone, /^CES?T$/);
  assert.equal(size.trim(), '0', 'a masked file reads empty');
  // An image variable left out by name.
  const c = await create({ unsetenv: ['PATH'] });
  assert.equal(c.status, 201, c.text);
  const env = (await b.request('GET', `${P}/containers/${c.json.Id}/json`)).json.Config.Env;
  assert.ok(!env.some((e: string) => e.startsWith('PATH=')), String(env));
  const tz = await create({ timezone: 'Nowhere/Atlantis' });
  assert.equal(tz.status, 400);
  assert.match(tz.json.message, /"timezone"/);
});

test('device cgroup rules and block-IO weights reach the create; deny rules and leaf weights are refused', async () => {
  const ok = await create({ device_cgroup_rule: [{ allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }] });
  assert.equal(ok.status, 201, ok.text);
  const h = (await b.request('GET', `/v1.41/containers/${ok.json.Id}/json`)).json.HostConfig;
  assert.deepEqual(h.DeviceCgroupRules, ['c 1:3 rwm']);
  const deny = await create({ device_cgroup_rule: [{ allow: false, type: 'a' }] });
  assert.equal(deny.status, 400);
  assert.match(deny.json.message, /"device_cgroup_rule"/);
  const leaf = await create({ weightDevice: { '/dev/null': { weight: 100, leafWeight: 10 } } });
  assert.equal(leaf.status, 400);
  assert.match(leaf.json.message, /leafWeight/);
});

test('fields this host cannot honour: a 400 naming each, through podman-remote too', async () => {
  for (const [field, value, why] of [
    ['timeout', 5, /run time limit/], ['personality', { domain: 'LINUX32' }, /execution domains/], ['rootfs', '/tmp', /from images only/],
    ['unified', { 'memory.high': '1' }, /cgroup v2/], ['storage_opts', { size: '1G' }, /overlay/], ['procfs_opts', ['hidepid=2'], /procfs/],
    ['cni_networks', ['x'], /netavark/], ['rootfs_propagation', 'shared', /rprivate/],
  ] as const) {
    const r = await create({ [field]: value });
    assert.equal(r.status, 400, `${field}: ${r.text}`);
    assert.ok(r.json.message.includes(`"${field}"`), r.json.message);
    assert.match(r.json.message, why);
    assert.equal(r.json.response, 400);
  }
  for (const [args, field] of [[['--timeout', '5'], 'timeout'], [['--personality', 'LINUX32'], 'personality'], [['--rootfs'], 'rootfs']] as const) {
    const argv = args[0] === '--rootfs' ? ['run', '--rm', ...NET, '--rootfs', '/tmp', 'true'] : ['run', '--rm', ...NET, ...args, 'busybox', 'true'];
    const r = await podman(argv);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`"${field}"`), r.stderr);
  }
});

test('podman-remote update: memory and CPU shares applied to the running container; fields berth cannot update refused', async () => {
  await podmanOk(['run', '-d', ...NET, '--name', 'lp-up', 'busybox', 'sleep', '300']);
  await podmanOk(['update', '--memory', '64m', '--cpu-shares', '512', 'lp-up']);
  const c = JSON.parse(await podmanOk(['inspect', 'lp-up']))[0];
  assert.equal(c.HostConfig.Memory, 64 << 20);
  assert.equal(c.HostConfig.CpuShares, 512);
  const line = (await podmanOk(['exec', 'lp-up', 'cat', '/proc/self/cgroup'])).split('\n').find((l) => /:memory:/.test(l) || l.startsWith('0::'));
  assert.ok(line, 'the container has a memory cgroup');
  const r = await b.request('POST', `${P}/containers/lp-up/update?restartPolicy=on-failure&restartRetries=2`, { pids: { limit: 40 } });
  assert.equal(r.status, 201, r.text);
  const h = (await b.request('GET', `${P}/containers/lp-up/json`)).json.HostConfig;
  assert.equal(h.PidsLimit, 40);
  assert.equal(h.RestartPolicy.Name, 'on-failure');
  assert.equal(h.RestartPolicy.MaximumRetryCount, 2);
  const bad = await b.request('POST', `${P}/containers/lp-up/update`, { hugepageLimits: [{ pageSize: '2MB', limit: 1 }] });
  assert.equal(bad.status, 400);
  assert.match(bad.json.message, /"hugepageLimits"/);
  assert.equal((await b.request('POST', `${P}/containers/nosuch/update`, {})).status, 404);
  await podmanOk(['rm', '-f', 'lp-up']);
});
