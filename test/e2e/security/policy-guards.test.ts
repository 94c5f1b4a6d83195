// The policy's body rules on the other routes that make something runnable: pod create (and a
// container joining a pod with the host's network), play kube (every container, nothing made on a
// denial), build (its RUN containers' network) and libpod's own spellings of unconfined
// (apparmor_profile, selinux_opts). The judged peer is another uid reaching the socket through its
// mode (podman-remote 4.3 and curl through setpriv); root has the full profile, to look around.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOCKER, FIXTURES, run, startBerth, type Berth, type CmdResult } from '../../helpers/berth.js';

const DEV = 54111;
const RULE = /policy rule 2 "dev" forbids/;
let b: Berth;
let policyDir: string;
let okDir: string;
let home: string;

const policy = (ok: string) => `
[[rule]]
name = "root"
uid = 0
profile = "full"

[[rule]]
name = "dev"
uid = ${DEV}
profile = "restricted"
host-binds = ["${ok}"]
`;

function asDev(cmd: string, args: string[], input?: string): Promise<CmdResult> {
  return run('setpriv', [`--reuid=${DEV}`, `--regid=${DEV}`, '--clear-groups', cmd, ...args], {
    env: { ...process.env, HOME: home, XDG_RUNTIME_DIR: join(home, 'run'), XDG_CONFIG_HOME: home, DOCKER_HOST: `unix://${b.socket}`, DOCKER_CONFIG: home, DOCKER_BUILDKIT: '0' },
    timeoutMs: 60_000,
    input,
  });
}
const podmanDev = (args: string[], input?: string) => asDev('podman', ['--remote', '--url', `unix://${b.socket}`, ...args], input);
const curlDev = (args: string[]) => asDev('curl', ['-sS', '--unix-socket', b.socket, ...args]);
const podmanRoot = (args: string[]) => run('podman', ['--remote', '--url', `unix://${b.socket}`, ...args], { timeoutMs: 60_000 });
const lines = (s: string) => s.split('\n').filter(Boolean);
const pods = async () => lines((await podmanRoot(['pod', 'ps', '-q'])).stdout);
const containers = async () => lines((await b.dockerOk(['ps', '-aq'])));

function denied(r: CmdResult, re: RegExp): void {
  assert.notEqual(r.code, 0, `expected a denial, got: ${r.stdout}`);
  assert.match(r.stderr, re);
}
function ok(r: CmdResult): string {
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

before(async () => {
  policyDir = mkdtempSync(join(tmpdir(), 'berth-guards-'));
  okDir = join(policyDir, 'ok');
  mkdirSync(okDir);
  home = join(policyDir, 'home');
  mkdirSync(join(home, 'run'), { recursive: true });
  chmodSync(policyDir, 0o755);
  // podman kube play reads the auth file of DOCKER_CONFIG.
  writeFileSync(join(home, 'config.json'), '{}');
  chownSync(home, DEV, DEV);
  chownSync(join(home, 'run'), DEV, DEV);
  writeFileSync(join(policyDir, 'policy.toml'), policy(okDir));
  b = await startBerth({ args: ['--time', '0', '--policy', join(policyDir, 'policy.toml'), '--audit-log', join(policyDir, 'audit.log')] });
  chmodSync(b.dir, 0o755);
  chmodSync(b.socket, 0o666);
  await b.dockerOk(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
});
after(async () => {
  for (const p of await pods()) await podmanRoot(['pod', 'rm', '-f', p]);
  const ids = await containers();
  if (ids.length) await b.docker(['rm', '-f', ...ids]);
  await b.cleanup();
  rmSync(policyDir, { recursive: true, force: true });
});

test('pod create: the host network is judged; a member of a host-network pod takes it on', async () => {
  denied(await podmanDev(['pod', 'create', '--name', 'berth-guards-hostpod', '--network', 'host']), new RegExp(`${RULE.source} the host network namespace \\(pod create\\)`));
  const r = await curlDev(['-w', '\n%{http_code}', '-X', 'POST', '-H', 'Content-Type: application/json', '-d', JSON.stringify({ name: 'berth-guards-raw', netns: { nsmode: 'host' } }), 'http://d/v5.4.2/libpod/pods/create']);
  const [body, code] = r.stdout.split('\n');
  assert.equal(code, '403');
  assert.equal(JSON.parse(body).response, 403);
  assert.match(JSON.parse(body).message, /policy rule 2 "dev" forbids the host network namespace \(pod create\)/);
  assert.deepEqual(await pods(), []);
  // Without the host network the same peer may.
  ok(await podmanDev(['pod', 'create', '--name', 'berth-guards-pod']));
  ok(await podmanDev(['create', '--pod', 'berth-guards-pod', '--name', 'berth-guards-member', 'busybox', 'true']));
  // A pod with the host's network made by root: dev may not put a container in it.
  ok(await podmanRoot(['pod', 'create', '--name', 'berth-guards-rootpod', '--network', 'host']));
  denied(await podmanDev(['create', '--pod', 'berth-guards-rootpod', 'busybox', 'true']), new RegExp(`${RULE.source} the host network namespace \\(container create\\)`));
  // The same through the docker CLI: the network of the pod's infra container.
  const infra = (await b.request('GET', '/v5.4.2/libpod/pods/berth-guards-rootpod/json')).json.InfraContainerID;
  denied(await asDev(DOCKER, ['create', '--network', `container:${infra}`, 'busybox', 'true']), new RegExp(`${RULE.source} the host network namespace \\(container create: the network namespace of container ${infra}\\)`));
  const inRootPod = lines(ok(await podmanRoot(['ps', '-a', '--filter', 'pod=berth-guards-rootpod', '--format', '{{.Names}}'])));
  assert.ok(inRootPod.every((n) => n.endsWith('-infra')), inRootPod.join(','));
  await podmanRoot(['pod', 'rm', '-f', 'berth-guards-rootpod']);
  await podmanRoot(['pod', 'rm', '-f', 'berth-guards-pod']);
});

const kubePod = (name: string, container: string, volumes = '') => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  restartPolicy: Never
  containers:
  - name: c
    image: busybox
    command: ["true"]
${container}${volumes}`;

test('play kube: every container judged before anything is made', async () => {
  const cases: [string, string, RegExp][] = [
    ['privileged', kubePod('berth-guards-k1', '    securityContext:\n      privileged: true\n'), /forbids privileged \(kube play: container berth-guards-k1-c of pod berth-guards-k1\)/],
    [
      'hostPath outside the allowed paths',
      kubePod('berth-guards-k2', '    volumeMounts:\n    - name: h\n      mountPath: /h\n', `  volumes:\n  - name: h\n    hostPath:\n      path: /etc/berth-guards-made\n      type: DirectoryOrCreate\n`),
      /forbids binding host path \/etc\/berth-guards-made \(kube play: container berth-guards-k2-c/,
    ],
    ['hostNetwork', kubePod('berth-guards-k3', '').replace('spec:\n', 'spec:\n  hostNetwork: true\n'), /forbids the host network namespace \(kube play/],
    ['hostPID', kubePod('berth-guards-k4', '').replace('spec:\n', 'spec:\n  hostPID: true\n'), /forbids the host pid namespace \(kube play/],
    ['capabilities', kubePod('berth-guards-k5', '    securityContext:\n      capabilities:\n        add: ["SYS_ADMIN"]\n'), /forbids adding capabilities SYS_ADMIN \(kube play/],
    ['seccomp Unconfined', kubePod('berth-guards-k6', '    securityContext:\n      seccompProfile:\n        type: Unconfined\n'), /forbids security-opt seccomp=unconfined \(kube play/],
    ['apparmor annotation', kubePod('berth-guards-k7', '').replace('  name: berth-guards-k7\n', '  name: berth-guards-k7\n  annotations:\n    container.apparmor.security.beta.kubernetes.io/c: unconfined\n'), /forbids security-opt apparmor=unconfined \(kube play/],
  ];
  for (const [what, yaml, re] of cases) {
    const f = join(home, 'play.yaml');
    writeFileSync(f, yaml);
    chmodSync(f, 0o644);
    const r = await podmanDev(['kube', 'play', f]);
    assert.notEqual(r.code, 0, `${what}: expected a denial, got ${r.stdout}`);
    assert.match(r.stderr, re, what);
    assert.match(r.stderr, RULE, what);
  }
  // A privileged init container among harmless ones is judged too, over curl.
  const mixed = kubePod('berth-guards-k8', '').replace('  containers:\n', '  initContainers:\n  - name: i\n    image: busybox\n    securityContext:\n      privileged: true\n  containers:\n');
  const r = await curlDev(['-w', '\n%{http_code}', '-X', 'POST', '-H', 'Content-Type: text/plain', '--data-binary', mixed, 'http://d/v5.4.2/libpod/play/kube']);
  const [body, code] = r.stdout.split('\n');
  assert.equal(code, '403');
  assert.match(JSON.parse(body).message, /forbids privileged \(kube play: container berth-guards-k8-i of pod berth-guards-k8\)/);
  assert.deepEqual(await pods(), []);
  assert.deepEqual(await containers(), []);
  assert.ok(!existsSync('/etc/berth-guards-made'), 'the hostPath directory was made');
  // The audit log has the denied play: the union of what its containers asked, the rule, no env value.
  const audit = readFileSync(join(policyDir, 'audit.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const play = audit.filter((e) => e.path.endsWith('/libpod/play/kube') && e.status === 403).at(-1);
  assert.equal(play.peer.uid, DEV);
  assert.equal(play.request.kind, 'kube-play');
  assert.equal(play.request.privileged, true);
  assert.equal(play.request.parts, undefined);
  assert.match(play.denied.rule, /policy rule 2 "dev"/);
  // What the rule allows plays: a hostPath under the allowed directory.
  const f = join(home, 'play.yaml');
  writeFileSync(f, kubePod('berth-guards-ok', '    volumeMounts:\n    - name: h\n      mountPath: /h\n', `  volumes:\n  - name: h\n    hostPath:\n      path: ${okDir}\n`));
  ok(await podmanDev(['kube', 'play', '--start=false', f]));
  assert.equal((await pods()).length, 1);
  const played = readFileSync(join(policyDir, 'audit.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.path.endsWith('/libpod/play/kube')).at(-1);
  assert.equal(played.status, 200);
  assert.deepEqual(played.request.hostPaths, [okDir]);
  assert.equal(played.ids.length, 2, 'the pod and its container');
  await podmanRoot(['pod', 'rm', '-f', 'berth-guards-ok']);
});

test('build: the host network for RUN is judged (docker CLI and podman-remote)', async () => {
  const ctx = join(home, 'ctx');
  mkdirSync(ctx, { recursive: true });
  writeFileSync(join(ctx, 'Dockerfile'), 'FROM busybox\nRUN true\n');
  chmodSync(ctx, 0o755);
  denied(await asDev(DOCKER, ['build', '--network', 'host', '-t', 'berth-guards-b1', ctx]), new RegExp(`${RULE.source} the host network namespace \\(build\\)`));
  denied(await podmanDev(['build', '--network', 'host', '-t', 'berth-guards-b2', ctx]), new RegExp(`${RULE.source} the host network namespace \\(build\\)`));
  assert.equal((await b.docker(['image', 'inspect', 'berth-guards-b1'])).code, 1);
  ok(await asDev(DOCKER, ['build', '-t', 'berth-guards-b3', ctx]));
  await b.docker(['rmi', 'berth-guards-b3']);
});

test('libpod: apparmor_profile and selinux_opts that switch confinement off reach the unconfined rule', async () => {
  denied(await podmanDev(['create', '--security-opt', 'apparmor=unconfined', 'busybox', 'true']), new RegExp(`${RULE.source} security-opt apparmor=unconfined \\(container create\\)`));
  denied(await podmanDev(['create', '--security-opt', 'label=disable', 'busybox', 'true']), /forbids security-opt label=disable \(container create\)/);
  denied(await podmanDev(['create', '--security-opt', 'seccomp=unconfined', 'busybox', 'true']), /forbids security-opt seccomp=unconfined/);
  const r = await curlDev(['-w', '\n%{http_code}', '-X', 'POST', '-H', 'Content-Type: application/json', '-d', JSON.stringify({ image: 'busybox', command: ['true'], apparmor_profile: 'unconfined' }), 'http://d/v5.4.2/libpod/containers/create']);
  assert.equal(r.stdout.split('\n')[1], '403');
  // Root's rule has no limits: the option is kept and shown.
  const id = ok(await podmanRoot(['create', '--security-opt', 'apparmor=unconfined', 'busybox', 'true'])).trim();
  const sec = JSON.parse(await b.dockerOk(['inspect', id]))[0].HostConfig.SecurityOpt;
  assert.ok(sec.includes('apparmor=unconfined'), JSON.stringify(sec));
  await b.docker(['rm', '-f', id]);
});
