import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkBody, decide, parsePolicyText, PolicyError, type Policy } from '../../../src/server/access/policy.js';
import { emptyRequest, fromContainerCreate, fromExecCreate, fromVolumeCreate, inherited, type GuardedRequest } from '../../../src/server/access/request.js';
import type { Peer } from '../../../src/server/access/peer.js';

const unix = (uid: number, gid = uid): Peer => ({ transport: 'unix', uid, gid, pid: 1 });
const tls = (subject: Record<string, string>): Peer => ({ transport: 'tls', subject });
const tcp: Peer = { transport: 'tcp', address: '127.0.0.1' };
const allowed = (p: Policy, peer: Peer, method: string, path: string) => decide(p, peer, method, path).allowed;

test('the smallest policy gives everyone the read-only profile', async () => {
  const p = await parsePolicyText('[[rule]]\nprofile = "read-only"\n');
  for (const peer of [unix(0), unix(1000), tls({ CN: 'x' }), tcp]) {
    assert.ok(allowed(p, peer, 'GET', '/v1.41/containers/json'));
    assert.ok(allowed(p, peer, 'HEAD', '/containers/abc/archive'));
    assert.ok(allowed(p, peer, 'GET', '/v5.4.2/libpod/images/json'));
    assert.ok(allowed(p, peer, 'GET', '/containers/abc/archive'));
    assert.ok(!allowed(p, peer, 'POST', '/v1.41/containers/create'));
    assert.ok(!allowed(p, peer, 'POST', '/containers/abc/exec'));
    assert.ok(!allowed(p, peer, 'POST', '/v1.41/containers/abc/attach'));
    assert.ok(!allowed(p, peer, 'GET', '/v1.41/containers/abc/attach/ws'));
    assert.ok(!allowed(p, peer, 'PUT', '/containers/abc/archive'));
    assert.ok(!allowed(p, peer, 'DELETE', '/v5.4.2/libpod/containers/abc'));
  }
  const v = decide(p, unix(5), 'POST', '/v1.41/containers/create');
  assert.ok(!v.allowed && /policy rule 1 \(profile read-only\) does not allow POST/.test(v.reason));
});

test('the first rule whose selector matches the peer decides; no rule means denied', async () => {
  const p = await parsePolicyText(`
[[rule]]
name = "admins"
uid = [0]
profile = "full"

[[rule]]
gid = 1000
profile = "read-only"
allow = ["POST /containers/*/start", "POST,DELETE /volumes/**"]
deny = ["GET /images/**"]

[[rule]]
subject = "CN=ci,O=acme"
profile = "restricted"
`);
  assert.ok(allowed(p, unix(0), 'DELETE', '/v1.41/images/busybox'));
  assert.ok(allowed(p, unix(1000), 'POST', '/v1.41/containers/abc/start'));
  assert.ok(allowed(p, unix(1000), 'POST', '/v5.4.2/libpod/containers/abc/start'), 'a pattern without /libpod covers both layers');
  assert.ok(!allowed(p, unix(1000), 'POST', '/containers/abc/stop'));
  assert.ok(allowed(p, unix(1000), 'DELETE', '/volumes/x'));
  const d = decide(p, unix(1000), 'GET', '/v1.41/images/json');
  assert.ok(!d.allowed && d.rule?.index === 2 && /denies GET \/v1\.41\/images\/json \("GET \/images\/\*\*"\)/.test(d.reason));
  assert.ok(!allowed(p, unix(1000), 'GET', '/libpod/images/json'));
  // The second rule selects by gid: uid 1234 in group 1000 gets it.
  assert.ok(allowed(p, unix(1234, 1000), 'GET', '/containers/json'));
  assert.ok(allowed(p, tls({ C: 'DE', O: 'acme', CN: 'ci' }), 'POST', '/containers/create'));
  assert.ok(!allowed(p, tls({ O: 'acme', CN: 'other' }), 'GET', '/containers/json'));
  const none = decide(p, unix(33), 'GET', '/containers/json');
  assert.ok(!none.allowed && /no policy rule applies to uid 33/.test(none.reason));
  assert.ok(!allowed(p, tcp, 'GET', '/containers/json'), 'a peer with no identity matches only rules without selectors');
});

test('paths are matched by decoded segments: an encoded name or slash cannot slip past', async () => {
  const p = await parsePolicyText('[[rule]]\nprofile = "full"\ndeny = ["POST /containers/create", "DELETE /containers/*"]\n');
  assert.ok(!allowed(p, unix(1), 'POST', '/v1.41/containers/%63reate'));
  assert.ok(!allowed(p, unix(1), 'POST', '//containers//create/'));
  assert.ok(!allowed(p, unix(1), 'DELETE', '/containers/a%2Fb'));
  assert.ok(allowed(p, unix(1), 'DELETE', '/images/a'));
});

test('body rules: privileged, host binds, host namespaces, cap-add, devices, unconfined', async () => {
  const p = await parsePolicyText(`
[[rule]]
profile = "restricted"
host-binds = ["/srv/data", "/tmp/"]
cap-add = ["NET_ADMIN"]
`);
  const r = p.rules[0];
  const create = (hc: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    checkBody(r, fromContainerCreate({ config: { Image: 'busybox', Env: ['TOKEN=secret'], ...extra }, hostConfig: hc as never, flavor: 'docker' }));
  assert.equal(create({}), undefined);
  assert.match(create({ Privileged: true })!, /policy rule 1 forbids privileged \(container create\)/);
  assert.equal(create({ Binds: ['/srv/data/x:/x', '/tmp:/t:ro', 'named:/v'] }), undefined);
  assert.match(create({ Binds: ['/etc:/etc'] })!, /binding host path \/etc \(container create; allowed: \/srv\/data, \/tmp\)/);
  assert.match(create({ Binds: ['/srv/data/../../etc:/x'] })!, /host path \/srv\/data\/\.\.\/\.\.\/etc/);
  assert.match(create({ Binds: ['/srv/database:/x'] })!, /host path/, 'a prefix is a whole path component');
  assert.match(create({ Mounts: [{ Type: 'bind', Source: '/', Target: '/h' }] })!, /host path \//);
  assert.match(create({ Mounts: [{ Type: 'volume', Target: '/h', VolumeOptions: { DriverConfig: { Options: { type: 'none', o: 'bind', device: '/root' } } } }] })!, /host path \/root/);
  for (const [k, ns] of [['NetworkMode', 'network'], ['PidMode', 'pid'], ['IpcMode', 'ipc'], ['UsernsMode', 'userns']]) {
    assert.match(create({ [k]: 'host' })!, new RegExp(`the host ${ns} namespace`));
  }
  assert.equal(create({ NetworkMode: 'bridge', PidMode: 'container:abc' }), undefined);
  assert.equal(create({ CapAdd: ['net_admin', 'CAP_NET_ADMIN'] }), undefined);
  assert.match(create({ CapAdd: ['SYS_ADMIN'] })!, /adding capabilities SYS_ADMIN \(container create; allowed: NET_ADMIN\)/);
  assert.match(create({ Devices: [{ PathOnHost: '/dev/kmsg' }] })!, /devices \(\/dev\/kmsg\)/);
  assert.match(create({ DeviceCgroupRules: ['a *:* rwm'] })!, /devices/);
  for (const o of ['seccomp=unconfined', 'seccomp:unconfined', 'apparmor=unconfined', 'no-new-privileges=false', 'label=disable', 'systempaths=unconfined']) {
    assert.match(create({ SecurityOpt: [o] })!, /forbids security-opt/, o);
  }
  assert.equal(create({ SecurityOpt: ['no-new-privileges', 'no-new-privileges=true'] }), undefined);
  assert.match(checkBody(r, fromExecCreate({ Cmd: ['sh'], Privileged: true }))!, /forbids privileged \(exec create\)/);
  assert.equal(checkBody(r, fromExecCreate({ Cmd: ['sh'] })), undefined);
  // A local volume over a host directory is a bind; over a block device, a device.
  assert.match(checkBody(r, fromVolumeCreate({ options: { type: 'none', o: 'bind', device: '/etc' } }))!, /host path \/etc \(volume create;/);
  assert.match(checkBody(r, fromVolumeCreate({ options: { type: 'ext4', device: '/dev/sda1' } }))!, /devices \(\/dev\/sda1\)/);
  assert.equal(checkBody(r, fromVolumeCreate({ options: { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' } })), undefined);
  assert.equal(checkBody(r, fromVolumeCreate({ options: { type: 'none', o: 'bind', device: '/srv/data/v' } })), undefined);
  // full limits nothing; the read-only limits are the safe ones.
  const full = (await parsePolicyText('[[rule]]\nprofile = "full"\n')).rules[0];
  assert.equal(checkBody(full, { ...emptyRequest('container-create'), privileged: true, hostPaths: ['/'], capAdd: ['ALL'] }), undefined);
  const relaxed = (await parsePolicyText('[[rule]]\nprofile = "restricted"\nprivileged = true\nhost-binds = true\ncap-add = true\n')).rules[0];
  assert.equal(checkBody(relaxed, { ...emptyRequest('container-create'), privileged: true, hostPaths: ['/'], capAdd: ['SYS_ADMIN'] }), undefined);
});

test('a bad policy is an error naming what and where', async () => {
  const bad = async (text: string, re: RegExp) => {
    await assert.rejects(parsePolicyText(text), (e: Error) => e instanceof PolicyError && re.test(e.message), text);
  };
  await bad('', /no \[\[rule\]\]/);
  await bad('[[rule]\nprofile="full"', /not valid TOML/);
  await bad('[[rule]]\nprofile = "admin"', /rule 1: unknown profile "admin"/);
  await bad('[[rule]]\nprofle = "full"', /rule 1: unknown key "profle"/);
  await bad('[[rule]]\nuid = 0', /rule 1 allows nothing/);
  await bad('[[rule]]\nprofile = "full"\nuid = "root"', /rule 1\.uid: expected a non-negative integer/);
  await bad('[[rule]]\nprofile = "full"\nallow = ["/containers/json"]', /not "METHOD \/path"/);
  await bad('[[rule]]\nprofile = "full"\nallow = ["FETCH /x"]', /unknown method "FETCH"/);
  await bad('[[rule]]\nprofile = "full"\nallow = ["GET /v1.41/x"]', /without the version prefix/);
  await bad('[[rule]]\nprofile = "full"\nprivileged = "no"', /privileged: expected true or false/);
  await bad('[[rule]]\nprofile = "full"\nhost-binds = ["srv"]', /not an absolute path/);
  await bad('[[rule]]\nprofile = "full"\nsubject = "ci"', /not a certificate subject/);
  await bad('rule = 1', /array of tables/);
  await bad('default = "allow"\n[[rule]]\nprofile = "full"', /unknown key "default"/);
});

test('what a request takes from other containers is judged too: volumes-from, container: namespaces, exec', async () => {
  const r = (await parsePolicyText('[[rule]]\nprofile = "restricted"\nhost-binds = ["/srv"]\n')).rules[0];
  const made: Record<string, GuardedRequest> = {
    binds: fromContainerCreate({ config: {}, hostConfig: { Binds: ['/etc:/etc'] }, flavor: 'docker' }),
    okbinds: fromContainerCreate({ config: {}, hostConfig: { Binds: ['/srv/x:/x'] }, flavor: 'docker' }),
    hostnet: fromContainerCreate({ config: {}, hostConfig: { NetworkMode: 'host', PidMode: 'host' }, flavor: 'docker' }),
    chained: fromContainerCreate({ config: {}, hostConfig: { NetworkMode: 'container:hostnet' }, flavor: 'docker' }),
    priv: fromContainerCreate({ config: {}, hostConfig: { Privileged: true }, flavor: 'docker' }),
    plain: fromContainerCreate({ config: {}, hostConfig: {}, flavor: 'docker' }),
  };
  const lookup = (ref: string) => made[ref];
  const verdict = (g: GuardedRequest) => checkBody(r, g) ?? inherited(g, lookup).map((x) => checkBody(r, x.g, x.label)).find(Boolean);
  const create = (hc: Record<string, unknown>) => fromContainerCreate({ config: {}, hostConfig: hc as never, flavor: 'docker' });
  assert.match(verdict(create({ VolumesFrom: ['binds:ro'] }))!, /forbids binding host path \/etc \(container create: volumes from container binds;/);
  assert.equal(verdict(create({ VolumesFrom: ['okbinds'] })), undefined);
  assert.match(verdict(create({ NetworkMode: 'container:hostnet' }))!, /forbids the host network namespace \(container create: the network namespace of container hostnet\)/);
  assert.match(verdict(create({ NetworkMode: 'container:chained' }))!, /host network namespace/);
  assert.equal(verdict(create({ NetworkMode: 'container:plain', IpcMode: 'container:hostnet' })), undefined, 'only the namespaces taken count');
  assert.match(verdict(fromExecCreate({ Cmd: ['sh'] }, 'priv'))!, /forbids privileged \(exec create in container priv\)/);
  assert.match(verdict(fromExecCreate({ Cmd: ['sh'] }, 'binds'))!, /host path \/etc \(exec create in container binds;/);
  assert.equal(verdict(fromExecCreate({ Cmd: ['sh'] }, 'plain')), undefined);
  assert.equal(verdict(fromExecCreate({ Cmd: ['sh'] }, 'gone')), undefined, 'an unknown container is the handler\'s 404');
});
