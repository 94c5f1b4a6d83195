// What the start needs, refused at create with the field named (issue 11).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkStartInputs, clampCpuShares } from '../../../src/engine/containers/config-checks.js';
import { buildSpec, validateName, validateResources } from '../../../src/engine/containers/create.js';
import { planUpdate } from '../../../src/engine/containers/update.js';
import { EngineError } from '../../../src/engine/errors.js';
import type { HostConfig } from '../../../src/engine/containers/types.js';

// A kernel's sysctl list with two entries.
const procSys = mkdtempSync(join(tmpdir(), 'berth-procsys-'));
mkdirSync(join(procSys, 'net/ipv4'), { recursive: true });
writeFileSync(join(procSys, 'net/ipv4/ip_forward'), '0');
mkdirSync(join(procSys, 'kernel'), { recursive: true });
writeFileSync(join(procSys, 'kernel/shmmax'), '0');

const bad = (re: RegExp) => (e: unknown) => e instanceof EngineError && e.kind === 'bad-parameter' && re.test(e.message);
const check = (c: object, h: object = {}) => checkStartInputs(c, h as Partial<HostConfig>, procSys);

test('process: NUL, sizes the kernel refuses, nameless variables, a relative working directory', () => {
  check({ Cmd: ['sh', '-c', 'x'], Env: ['A=1', 'B'], WorkingDir: '/w' });
  assert.throws(() => check({ Cmd: ['a\0b'] }), bad(/invalid Cmd: .*NUL/));
  assert.throws(() => check({ Env: ['A=' + 'x'.repeat(200_000)] }), bad(/invalid Env: .*longer than/));
  assert.throws(() => check({ Env: Array.from({ length: 20 }, (_, i) => `V${i}=${'x'.repeat(100_000)}`) }), bad(/at most 1048576/));
  assert.throws(() => check({ Env: ['=foo'] }), bad(/invalid environment variable: =foo/));
  assert.throws(() => check({ WorkingDir: 'rel/dir' }), bad(/the working directory 'rel\/dir' is invalid, it needs to be an absolute path/));
  assert.throws(() => check({ StopTimeout: -2 }), bad(/StopTimeout/));
  assert.throws(() => check({ Healthcheck: { Interval: 10 } }), bad(/Interval in Healthcheck cannot be less than 1ms/));
  assert.throws(() => check({ Healthcheck: { Retries: -1 } }), bad(/Retries in Healthcheck cannot be negative/));
});

test('names: hostname and domain as the kernel and /etc/hosts take them, users and groups', () => {
  check({ Hostname: 'web-1.example', Domainname: 'example.com', User: '1000:1000' });
  check({ User: 'nobody' });
  for (const h of ['bad host', 'a\nb', 'x'.repeat(65), '-lead', 'trail-']) assert.throws(() => check({ Hostname: h }), bad(/invalid Hostname/), h);
  assert.throws(() => check({ Domainname: 'a b' }), bad(/invalid Domainname/));
  for (const u of ['a:b:c', ':grp', 'a b', 'x/y', '4294967296']) assert.throws(() => check({ User: u }), bad(/invalid User/), u);
  check({}, { GroupAdd: ['audio', '27'] });
  assert.throws(() => check({}, { GroupAdd: ['a:b'] }), bad(/invalid GroupAdd/));
});

test('resources: oom score, shm, swap, pids and ulimits within what the kernel takes', () => {
  check({}, { OomScoreAdj: -1000, ShmSize: 0, MemorySwap: -1, PidsLimit: -1 });
  assert.throws(() => check({}, { OomScoreAdj: 1001 }), bad(/range for oom score adj is \[-1000, 1000\]/));
  assert.throws(() => check({}, { OomScoreAdj: 1.5 }), bad(/oom score adj/));
  assert.throws(() => check({}, { ShmSize: -1 }), bad(/SHM size can not be less than 0/));
  assert.throws(() => check({}, { MemorySwap: -2 }), bad(/MemorySwap/));
  assert.throws(() => check({}, { PidsLimit: 5_000_000 }), bad(/PidsLimit/));
  check({}, { Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 2048 }, { Name: 'memlock', Soft: -1, Hard: -1 }] });
  assert.throws(() => check({}, { Ulimits: [{ Name: 'nosuch', Soft: 1, Hard: 1 }] }), bad(/invalid ulimit type/));
  assert.throws(() => check({}, { Ulimits: [{ Name: 'nofile', Soft: 3, Hard: 2 }] }), bad(/soft limit must be less than or equal to hard limit/));
  assert.throws(() => check({}, { Ulimits: [{ Name: 'nofile', Soft: -5, Hard: 2 }] }), bad(/invalid ulimit nofile/));
  assert.throws(() => check({}, { Ulimits: [{ Name: 'nofile', Soft: -1, Hard: 10 }] }), bad(/soft limit/));
  const h: Partial<HostConfig> = { CpuShares: 1_000_000 };
  assert.match(clampCpuShares(h)!, /maximum allowed of 262144/);
  assert.equal(h.CpuShares, 262144);
});

test('sysctls: the namespaced ones docker and podman allow, known to the kernel, one-line values', () => {
  check({}, { Sysctls: { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '100' } });
  assert.throws(() => check({}, { Sysctls: { 'kernel.panic': '1' } }), bad(/sysctl 'kernel.panic' is not allowed/));
  assert.throws(() => check({}, { Sysctls: { 'net.ipv4.nosuch': '1' } }), bad(/not known to this kernel/));
  assert.throws(() => check({}, { Sysctls: { 'net.ipv4.ip_forward': '1\n2' } }), bad(/one line/));
  assert.throws(() => check({}, { Sysctls: { 'net.ipv4.ip_forward': 1 } }), bad(/must be a string/));
  assert.throws(() => check({}, { Sysctls: { 'net/../../etc': '1' } }), bad(/not allowed/));
  assert.throws(() => check({}, { IpcMode: 'host', Sysctls: { 'kernel.shmmax': '1' } }), bad(/host's IPC namespace/));
});

test('resolver and hosts entries: addresses, domains, options, name:ip', () => {
  check({}, { Dns: ['1.1.1.1', '::1'], DnsSearch: ['example.com'], DnsOptions: ['ndots:2'], ExtraHosts: ['h:10.0.0.1', 'v6:[::1]', 'gw:host-gateway', 'eq=10.0.0.2', 'six=::1'] });
  assert.throws(() => check({}, { Dns: ['resolver.example'] }), bad(/is not an ip address/));
  assert.throws(() => check({}, { DnsSearch: ['a b'] }), bad(/is not a valid domain/));
  assert.throws(() => check({}, { DnsOptions: ['ndots:2\nnameserver 6.6.6.6'] }), bad(/DnsOptions/));
  assert.throws(() => check({}, { ExtraHosts: ['nocolon'] }), bad(/bad format for add-host/));
  assert.throws(() => check({}, { ExtraHosts: ['h:not-an-ip'] }), bad(/invalid IP address in add-host/));
  assert.throws(() => check({}, { ExtraHosts: ['a b:1.2.3.4'] }), bad(/bad format for add-host/));
  assert.throws(() => check({}, { MaskedPaths: ['relative'] }), bad(/MaskedPaths/));
});

test('security option values as docker and podman parse them', () => {
  check({}, { SecurityOpt: ['no-new-privileges', 'no-new-privileges:true', 'label=disable', 'apparmor=unconfined', 'systempaths=unconfined', 'mask=/a:/b', 'unmask=ALL'] });
  for (const o of ['no-new-privileges:maybe', 'systempaths=confined', 'label=bogus', 'mask=relative', 'apparmor=a b']) {
    assert.throws(() => check({}, { SecurityOpt: [o] }), bad(/invalid --security-opt/), o);
  }
});

test('create and update refuse fractions where int64s are decoded, and names over the limit', () => {
  assert.throws(() => validateResources({ MemoryReservation: 6291456.5 }), bad(/invalid MemoryReservation/));
  assert.throws(() => validateResources({ PidsLimit: 1.5 }), bad(/invalid PidsLimit/));
  const cur = buildSpec(
    { config: { Image: 'b', Cmd: ['true'] }, hostConfig: { NetworkMode: 'none', Memory: 64 << 20 }, flavor: 'docker' },
    { id: 'a'.repeat(64), config: {} },
    'f'.repeat(64),
  ).spec.HostConfig;
  assert.throws(() => planUpdate('c', cur, { MemoryReservation: 1.5 }), bad(/MemoryReservation/));
  assert.throws(() => planUpdate('c', cur, { Memory: -5 }), bad(/invalid Memory/));
  assert.throws(() => planUpdate('c', cur, { PidsLimit: 10_000_000 }), bad(/PidsLimit/));
  assert.throws(() => validateName('x'.repeat(256)), bad(/at most 255 characters/));
  assert.equal(validateName('x'.repeat(255)), 'x'.repeat(255));
});
