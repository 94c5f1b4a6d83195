// The access policy on a unix socket: peers told apart by SO_PEERCRED (uid, gid), each rule kind
// denying with a 403 in its layer's shape and allowing what it should, the read-only profile (the
// smallest policy file), a container given the socket, the audit log of it all, and policy files
// refused at start.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOCKER, FIXTURES, run, startBerth, waitFor, type Berth, type CmdResult, removeAllContainers } from '../../helpers/berth.js';

const NET = ['--network', 'none'];
const CI = 54101;
const VIEWER = 54102;
const VIEWERS = 54200;
const STRANGER = 54103;
let b: Berth;
let okDir: string;
/** Where the policy and the audit log are. */
let b0: string;

const policy = (dir: string) => `
# The test's own uid (root): every call, but the safe body limits, with two exceptions (the
# temp dir, where the socket is, and the docker CLI binary, given to a container below).
[[rule]]
name = "root"
uid = 0
profile = "restricted"
host-binds = ["${dir}", "/usr/local/bin/docker"]
cap-add = ["NET_ADMIN"]

[[rule]]
name = "ci"
uid = ${CI}
profile = "restricted"
deny = ["DELETE /**"]

[[rule]]
name = "viewers"
gid = ${VIEWERS}
profile = "read-only"
`;

/** The docker CLI as another uid (and gid), through setpriv: a different peer on the same socket. */
function dockerAs(uid: number, gid: number, args: string[]): Promise<CmdResult> {
  const cfg = join(b.dir, `docker-config-${uid}`);
  mkdirSync(cfg, { recursive: true, mode: 0o777 });
  chmodSync(cfg, 0o777);
  return run('setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', DOCKER, ...args], {
    env: { ...process.env, DOCKER_HOST: `unix://${b.socket}`, DOCKER_CONFIG: cfg, HOME: cfg },
  });
}
const curlAs = (uid: number, args: string[]) =>
  run('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', 'curl', '-sS', '--unix-socket', b.socket, ...args]);

const denied = (r: CmdResult, re: RegExp) => {
  assert.notEqual(r.code, 0, `expected a denial, got: ${r.stdout}`);
  assert.match(r.stderr, re);
};
const auditLines = () => readFileSync(join(b0, 'audit.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-security-'));
  writeFileSync(join(dir, 'policy.toml'), policy(tmpdir()));
  b = await startBerth({ args: ['--time', '0', '--policy', join(dir, 'policy.toml'), '--audit-log', join(b0 = dir, 'audit.log')] });
  // Other uids reach the socket only through its mode; the policy is what tells them apart.
  chmodSync(b.dir, 0o755);
  chmodSync(b.socket, 0o666);
  okDir = join(b.dir, 'ok');
  mkdirSync(okDir);
  await b.dockerOk(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
});
after(async () => {
  await removeAllContainers(b);
  await b.cleanup();
  rmSync(b0, { recursive: true, force: true });
});

test('body rules deny with 403 and the rule, and allow what the rule lists', async () => {
  const rule = /policy rule 1 "root" forbids/;
  denied(await b.docker(['run', '--rm', ...NET, '--privileged', 'busybox', 'true']), new RegExp(`${rule.source} privileged`));
  denied(await b.docker(['run', '--rm', ...NET, '-v', '/etc:/h', 'busybox', 'true']), /forbids binding host path \/etc/);
  denied(await b.docker(['run', '--rm', ...NET, '--mount', 'type=bind,source=/,target=/h', 'busybox', 'true']), /forbids binding host path \//);
  denied(await b.docker(['run', '--rm', ...NET, '-v', `${okDir}/../../../etc:/h`, 'busybox', 'true']), /forbids binding host path/);
  await b.dockerOk(['run', '--rm', ...NET, '-v', `${okDir}:/h`, 'busybox', 'true']);
  // A local volume over a host directory is a bind by another name.
  denied(await b.docker(['volume', 'create', '-o', 'type=none', '-o', 'o=bind', '-o', 'device=/etc', 'sec-etc']), /forbids binding host path \/etc \(volume create; allowed: /);
  await b.dockerOk(['volume', 'create', '-o', 'type=none', '-o', 'o=bind', '-o', `device=${okDir}`, 'sec-ok']);
  denied(await b.docker(['run', '--rm', '--network', 'host', 'busybox', 'true']), /forbids the host network namespace/);
  denied(await b.docker(['run', '--rm', ...NET, '--pid', 'host', 'busybox', 'true']), /forbids the host pid namespace/);
  denied(await b.docker(['run', '--rm', ...NET, '--ipc', 'host', 'busybox', 'true']), /forbids the host ipc namespace/);
  denied(await b.docker(['run', '--rm', ...NET, '--userns', 'host', 'busybox', 'true']), /forbids the host userns namespace/);
  denied(await b.docker(['run', '--rm', ...NET, '--cap-add', 'SYS_ADMIN', 'busybox', 'true']), /forbids adding capabilities SYS_ADMIN \(container create; allowed: NET_ADMIN\)/);
  await b.dockerOk(['run', '--rm', ...NET, '--cap-add', 'NET_ADMIN', 'busybox', 'true']);
  denied(await b.docker(['run', '--rm', ...NET, '--device', '/dev/null:/dev/x', 'busybox', 'true']), /forbids devices \(\/dev\/null\)/);
  for (const opt of ['seccomp=unconfined', 'apparmor=unconfined', 'no-new-privileges=false']) {
    denied(await b.docker(['run', '--rm', ...NET, '--security-opt', opt, 'busybox', 'true']), new RegExp(`forbids security-opt ${opt}`));
  }
  await b.dockerOk(['run', '--rm', ...NET, '--security-opt', 'no-new-privileges', 'busybox', 'true']);
  // exec create is checked too.
  await b.dockerOk(['run', '-d', ...NET, '--name', 'sec-target', 'busybox', 'sleep', '600']);
  denied(await b.docker(['exec', '--privileged', 'sec-target', 'true']), /forbids privileged \(exec create\)/);
  assert.equal((await b.dockerOk(['exec', 'sec-target', 'echo', 'in'])).trim(), 'in');
  // The libpod layer: the same rule, podman's error shape.
  const r = await b.request('POST', '/v5.4.2/libpod/containers/create', { image: 'busybox', command: ['true'], privileged: true, netns: { nsmode: 'none' } });
  assert.equal(r.status, 403);
  assert.equal(r.json.response, 403);
  assert.match(r.json.message, /policy rule 1 "root" forbids privileged \(container create\)/);
  assert.equal(typeof r.json.cause, 'string');
  // podman-remote gets the libpod denial as its error.
  const pm = await run('podman', ['--remote', '--url', `unix://${b.socket}`, 'create', '--network', 'none', '--privileged', 'busybox', 'true'], { timeoutMs: 30_000 });
  assert.notEqual(pm.code, 0);
  assert.match(pm.stderr, /policy rule 1 "root" forbids privileged \(container create\)/);
  const pe = await run('podman', ['--remote', '--url', `unix://${b.socket}`, 'exec', '--privileged', 'sec-target', 'true'], { timeoutMs: 30_000 });
  assert.notEqual(pe.code, 0);
  assert.match(pe.stderr, /forbids privileged \(exec create\)/);
  const c = await b.request('POST', '/v1.41/containers/create', { Image: 'busybox', HostConfig: { Privileged: true } });
  assert.equal(c.status, 403);
  assert.deepEqual(Object.keys(c.json), ['message']);
});

test('peers are told apart by uid and gid: method and path rules, the read-only profile, no rule', async () => {
  // ci: may create (not privileged) and list, may not delete.
  const ps = await dockerAs(CI, CI, ['ps', '-a']);
  assert.equal(ps.code, 0, ps.stderr);
  const created = await dockerAs(CI, CI, ['create', ...NET, '--name', 'sec-ci', 'busybox', 'true']);
  assert.equal(created.code, 0, created.stderr);
  denied(await dockerAs(CI, CI, ['create', ...NET, '--privileged', 'busybox', 'true']), /policy rule 2 "ci" forbids privileged/);
  denied(await dockerAs(CI, CI, ['rm', 'sec-ci']), /policy rule 2 "ci" denies DELETE \/v[\d.]+\/containers\/sec-ci \("DELETE \/\*\*"\)/);
  denied(await dockerAs(CI, CI, ['volume', 'rm', 'x']), /denies DELETE/);
  // What ci may not ask for, it may not take from root's containers either.
  await b.dockerOk(['run', '-d', ...NET, '--name', 'sec-bound', '-v', `${okDir}:/h`, 'busybox', 'sleep', '600']);
  denied(await dockerAs(CI, CI, ['exec', 'sec-bound', 'true']), new RegExp(`policy rule 2 "ci" forbids binding host path ${okDir} \\(exec create in container sec-bound\\)`));
  denied(await dockerAs(CI, CI, ['create', ...NET, '--volumes-from', 'sec-bound', 'busybox', 'true']), /forbids binding host path .* \(container create: volumes from container sec-bound\)/);
  const ex = await dockerAs(CI, CI, ['exec', 'sec-target', 'echo', 'ok']);
  assert.equal(ex.code, 0, ex.stderr);
  // viewers (by gid): read-only.
  const vps = await dockerAs(VIEWER, VIEWERS, ['ps', '-a']);
  assert.equal(vps.code, 0, vps.stderr);
  assert.match(vps.stdout, /sec-ci/);
  assert.equal((await dockerAs(VIEWER, VIEWERS, ['inspect', '-f', '{{.Name}}', 'sec-ci'])).stdout.trim(), '/sec-ci');
  denied(await dockerAs(VIEWER, VIEWERS, ['create', ...NET, 'busybox', 'true']), /policy rule 3 "viewers" \(profile read-only\) does not allow POST/);
  denied(await dockerAs(VIEWER, VIEWERS, ['exec', 'sec-target', 'true']), /does not allow POST \/v[\d.]+\/containers\/sec-target\/exec/);
  denied(await dockerAs(VIEWER, VIEWERS, ['start', 'sec-ci']), /does not allow POST/);
  denied(await dockerAs(VIEWER, VIEWERS, ['volume', 'create', 'v']), /does not allow POST/);
  // cp out reads; cp in (archive PUT) writes.
  const out = await dockerAs(VIEWER, VIEWERS, ['cp', 'sec-target:/etc/hostname', '-']);
  assert.equal(out.code, 0, out.stderr);
  const src = join(b.dir, `docker-config-${VIEWER}`, 'f');
  writeFileSync(src, 'x');
  denied(await dockerAs(VIEWER, VIEWERS, ['cp', src, 'sec-target:/tmp/f']), /does not allow PUT/);
  const ws = await curlAs(VIEWER, ['-o', '/dev/null', '-w', '%{http_code}', 'http://d/v1.41/containers/sec-target/attach/ws?stream=1']);
  assert.equal(ws.stdout, '403');
  // The same uid without the group matches no rule.
  denied(await dockerAs(VIEWER, VIEWER, ['ps']), /no policy rule applies to uid 54102 gid 54102/);
  const none = await curlAs(STRANGER, ['http://d/v5.4.2/libpod/containers/json']);
  const body = JSON.parse(none.stdout);
  assert.equal(body.response, 403);
  assert.match(body.message, /no policy rule applies to uid 54103/);
  // /_ping answers everyone: clients ping before anything else.
  assert.equal((await curlAs(STRANGER, ['http://d/_ping'])).stdout, 'OK');
});

test('a container given the socket, running as the ci uid, may list but not create privileged containers', async () => {
  const inside = (args: string[]) =>
    b.docker(['run', '--rm', ...NET, '--user', `${CI}:${CI}`, '-e', 'DOCKER_CONFIG=/tmp/dc', '-v', `${b.socket}:/run/docker.sock`,
      '-v', '/usr/local/bin/docker:/usr/bin/docker:ro', 'busybox', '/usr/bin/docker', '-H', 'unix:///run/docker.sock', ...args], { timeoutMs: 60_000 });
  const ps = await inside(['ps', '-a', '--format', '{{.Names}}']);
  assert.equal(ps.code, 0, ps.stderr);
  assert.match(ps.stdout, /sec-target/);
  const priv = await inside(['create', '--network', 'none', '--privileged', 'busybox', 'true']);
  assert.notEqual(priv.code, 0);
  assert.match(priv.stderr, /policy rule 2 "ci" forbids privileged/);
  const plain = await inside(['create', '--network', 'none', '--name', 'sec-from-inside', 'busybox', 'true']);
  assert.equal(plain.code, 0, plain.stderr);
  const lines = auditLines().filter((l) => l.path.endsWith('/containers/create') && l.peer.uid === CI);
  assert.ok(lines.some((l) => l.status === 403 && l.request?.privileged === true), 'the denial from inside is audited with the ci uid');
  assert.ok(lines.some((l) => l.status === 201));
});

test('the audit log: docker run, docker exec, a denial; no env values, no registry credentials', async () => {
  const id = (await b.dockerOk(['run', '-d', ...NET, '-e', 'SECRET_TOKEN=hunter2', '-v', `${okDir}:/data:ro`, '--cap-add', 'NET_ADMIN', '--name', 'sec-audited', 'busybox', 'sleep', '600'])).trim();
  await b.dockerOk(['exec', '-e', 'EXEC_SECRET=swordfish', 'sec-audited', 'echo', 'hello']);
  denied(await b.docker(['run', '--rm', ...NET, '--privileged', 'busybox', 'true']), /forbids privileged/);
  const auth = Buffer.from(JSON.stringify({ username: 'u', password: 'opensesame' })).toString('base64');
  await b.request('POST', '/v1.41/images/create?fromImage=127.0.0.1:9/sec/none&tag=x', undefined, { 'X-Registry-Auth': auth });
  const text = readFileSync(join(b0, 'audit.log'), 'utf8');
  for (const secret of ['hunter2', 'swordfish', 'opensesame', auth]) assert.ok(!text.includes(secret), `the log holds ${secret}`);
  const lines = auditLines();
  const create = lines.find((l) => l.method === 'POST' && l.path.endsWith('/containers/create') && l.ids?.includes(id));
  assert.ok(create, 'docker run create line');
  assert.equal(create.status, 201);
  assert.deepEqual(create.peer.uid, 0);
  assert.equal(typeof create.peer.pid, 'number');
  assert.match(create.time, /^\d{4}-\d\d-\d\dT/);
  assert.equal(typeof create.ms, 'number');
  assert.equal(create.request.kind, 'container-create');
  assert.equal(create.request.image, 'busybox');
  assert.deepEqual(create.request.command, ['sleep', '600']);
  assert.equal(create.request.privileged, false);
  assert.deepEqual(create.request.hostPaths, [okDir]);
  assert.deepEqual(create.request.capAdd, ['CAP_NET_ADMIN'], 'as the client asked');
  assert.deepEqual(create.request.envNames, ['SECRET_TOKEN']);
  const start = lines.find((l) => l.path.endsWith(`/containers/${id}/start`));
  assert.equal(start.status, 204);
  assert.deepEqual(start.ids, [id]);
  const exec = lines.find((l) => l.request?.kind === 'exec-create' && l.path.includes('/containers/sec-audited/exec'));
  assert.ok(exec, 'docker exec line');
  assert.equal(exec.status, 201);
  assert.deepEqual(exec.request.command, ['echo', 'hello']);
  assert.deepEqual(exec.request.envNames, ['EXEC_SECRET']);
  assert.equal(exec.ids.length, 2, 'the container and the new exec session');
  const execStart = lines.find((l) => l.path.endsWith(`/exec/${exec.ids[1]}/start`));
  assert.ok(execStart, 'exec start line');
  assert.equal(execStart.status, 101, 'the hijacked stream');
  const denial = lines.findLast((l) => l.status === 403 && l.request?.privileged === true);
  assert.ok(denial);
  assert.equal(denial.denied.rule, 'policy rule 1 "root"');
  assert.match(denial.denied.reason, /forbids privileged/);
  assert.ok(!lines.some((l) => l.path.endsWith('/_ping')), 'pings are not audited');
});

test('the smallest policy: everyone read-only', async () => {
  const dir = join(b.dir, 'ro');
  mkdirSync(dir);
  writeFileSync(join(dir, 'p.toml'), '[[rule]]\nprofile = "read-only"\n');
  const ro = await startBerth({ args: ['--time', '0', '--policy', join(dir, 'p.toml')], root: b.root, runRoot: join(dir, 'run') });
  try {
    const ps = await ro.docker(['ps', '-a']);
    assert.equal(ps.code, 0, ps.stderr);
    assert.match((await ro.dockerOk(['images'])), /busybox/);
    denied(await ro.docker(['run', '--rm', ...NET, 'busybox', 'true']), /policy rule 1 \(profile read-only\) does not allow POST/);
    denied(await ro.docker(['exec', 'sec-target', 'true']), /does not allow POST/);
    denied(await ro.docker(['rmi', 'busybox']), /does not allow DELETE/);
    const lp = await ro.request('POST', '/v5.4.2/libpod/volumes/create', { Name: 'x' });
    assert.equal(lp.status, 403);
    assert.equal(lp.json.response, 403);
    // SIGHUP loads an edited policy; one that fails to load leaves the last good one in force.
    writeFileSync(join(dir, 'p.toml'), '[[rule]]\nprofile = "read-only"\nallow = ["POST /volumes/create"]\n');
    ro.proc.kill('SIGHUP');
    assert.ok(await waitFor(async () => (await ro.request('POST', '/v1.41/volumes/create', { Name: 'sec-hup' })).status === 201, 5_000, 50));
    writeFileSync(join(dir, 'p.toml'), '[[rule]]\nprofile = "everything"\n');
    ro.proc.kill('SIGHUP');
    assert.ok(await waitFor(() => /policy not reloaded: keeping the current one/.test(ro.stderr()), 5_000, 50), ro.stderr());
    assert.equal((await ro.request('POST', '/v1.41/volumes/create', { Name: 'sec-hup2' })).status, 201);
    assert.equal((await ro.request('DELETE', '/v1.41/volumes/sec-hup')).status, 403);
    assert.equal(ro.proc.exitCode, null);
  } finally {
    await ro.stop();
  }
});

test('policy files with mistakes are refused at start, before the socket exists', async () => {
  const dir = join(b.dir, 'bad');
  mkdirSync(dir);
  const cases: [string, string | null, RegExp][] = [
    ['missing.toml', null, /cannot read policy .*missing\.toml: no such file/],
    ['syntax.toml', '[[rule]\nprofile = "read-only"', /is not valid TOML/],
    ['profile.toml', '[[rule]]\nprofile = "readonly"', /rule 1: unknown profile "readonly"/],
    ['key.toml', '[[rule]]\nprofile = "read-only"\nuser = 0', /rule 1: unknown key "user"/],
    ['empty.toml', '', /no \[\[rule\]\]/],
    ['nothing.toml', '[[rule]]\nuid = 1000', /rule 1 allows nothing/],
    ['pattern.toml', '[[rule]]\nallow = ["GET"]', /is not "METHOD \/path"/],
  ];
  for (const [name, text, re] of cases) {
    if (text !== null) writeFileSync(join(dir, name), text);
    const x = await startBerth({ args: ['--time', '0', '--policy', join(dir, name)], wait: false });
    const code = await x.exited;
    assert.notEqual(code, 0, name);
    assert.match(x.stderr(), re, name);
    assert.ok(!existsSync(x.socket), `${name}: no socket`);
    await x.cleanup();
  }
});
