// The guarded-request builders of pod create, a container joining a pod, kube play and build,
// judged by a restricted rule; libpod's spellings of unconfined reaching the security-opts; the
// kube security context mapped onto what the containers are made with.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkBody, parsePolicyText, type Rule } from '../../../src/server/access/policy.js';
import { emptyRequest, fromBuild, fromContainerCreate, fromKubePlay, fromPodCreate, joiningPod } from '../../../src/server/access/request.js';
import { specgenToCreate } from '../../../src/api/containers/specgen.js';
import { podspecToCreate } from '../../../src/api/pods/podspec.js';
import { planPod } from '../../../src/engine/kube/play-map.js';
import { EngineError } from '../../../src/engine/errors.js';
import type { PodView } from '../../../src/engine/pods/types.js';
import type { BuildRequest } from '../../../src/engine/build/types.js';
import type { IPodSpec, KubePlan } from '../../../src/engine/kube/types.js';

const restricted = async (): Promise<Rule> => (await parsePolicyText('[[rule]]\nname = "dev"\nprofile = "restricted"\nhost-binds = ["/srv"]\n')).rules[0];

test('pod create: the host network, the infra image and command', async () => {
  const rule = await restricted();
  const host = fromPodCreate(podspecToCreate({ name: 'p', netns: { nsmode: 'host' }, infra_image: 'busybox', infra_command: ['sleep', '9'] }));
  assert.equal(host.kind, 'pod-create');
  assert.deepEqual(host.namespaces, { network: 'host' });
  assert.equal(host.image, 'busybox');
  assert.deepEqual(host.command, ['sleep', '9']);
  assert.equal(checkBody(rule, host), 'policy rule 1 "dev" forbids the host network namespace (pod create)');
  assert.equal(checkBody(rule, fromPodCreate(podspecToCreate({ name: 'p' }))), undefined);
});

test('a member of a pod sharing the host network takes it on; a pod without infra or not sharing net gives nothing', async () => {
  const rule = await restricted();
  const pod = (mode: string, share: string[], infra = true) => ({ config: { infra, share, network: { mode } } }) as unknown as PodView;
  const member = () => fromContainerCreate(specgenToCreate({ image: 'busybox', pod: 'p', netns: { nsmode: 'pod' } }));
  assert.match(checkBody(rule, joiningPod(member(), pod('host', ['net', 'ipc', 'uts'])))!, /forbids the host network namespace \(container create\)/);
  assert.equal(checkBody(rule, joiningPod(member(), pod('default', ['net']))), undefined);
  assert.equal(checkBody(rule, joiningPod(member(), pod('host', ['ipc']))), undefined);
  assert.equal(checkBody(rule, joiningPod(member(), pod('host', [], false))), undefined);
  assert.equal(checkBody(rule, joiningPod(member(), undefined)), undefined);
});

test('kube play: each container its own part, named in the denial; the union kept for the audit log', async () => {
  const rule = await restricted();
  const plan: KubePlan = {
    pods: [
      { name: 'a', containers: [{ name: 'a-ok', init: false, create: { flavor: 'podman', config: { Image: 'busybox' }, hostConfig: { Mounts: [{ Type: 'bind', Source: '/srv/x', Target: '/x' }] } } }] },
      {
        name: 'b',
        networkMode: 'host',
        containers: [{ name: 'b-c', init: true, create: { flavor: 'podman', config: { Image: 'busybox', Env: ['TOKEN=s3cret'] }, hostConfig: { Privileged: true, CapAdd: ['SYS_ADMIN'], Mounts: [{ Type: 'bind', Source: '/etc', Target: '/e' }] } } }],
      },
    ],
  };
  const g = fromKubePlay(plan);
  assert.equal(g.kind, 'kube-play');
  assert.equal(g.parts!.length, 2);
  assert.equal(g.parts![1].label, 'kube play: container b-c of pod b');
  assert.equal(checkBody(rule, g.parts![0].g, g.parts![0].label), undefined);
  assert.equal(checkBody(rule, g.parts![1].g, g.parts![1].label), 'policy rule 1 "dev" forbids privileged (kube play: container b-c of pod b)');
  assert.deepEqual(g.parts![1].g.namespaces, { network: 'host' });
  assert.equal(g.privileged, true);
  assert.deepEqual(g.hostPaths, ['/srv/x', '/etc']);
  assert.deepEqual(g.capAdd, ['SYS_ADMIN']);
  assert.deepEqual(g.envNames, ['TOKEN']);
  // Without the privileged flag, the next rule in line speaks.
  const plain = structuredClone(plan);
  plain.pods[1].containers[0].create.hostConfig!.Privileged = false;
  const p2 = fromKubePlay(plain).parts![1];
  assert.match(checkBody(rule, p2.g, p2.label)!, /forbids binding host path \/etc \(kube play: container b-c of pod b; allowed: \/srv\)/);
});

test('build: the network mode of RUN and the namespaces podman asks for', async () => {
  const rule = await restricted();
  const req = { tags: ['x:1'], buildArgs: { SECRET: 'v' }, run: { networkMode: 'host', extraHosts: [] } } as unknown as BuildRequest;
  const g = fromBuild(req);
  assert.equal(g.kind, 'build');
  assert.equal(g.image, 'x:1');
  assert.deepEqual(g.envNames, ['SECRET']);
  assert.equal(checkBody(rule, g), 'policy rule 1 "dev" forbids the host network namespace (build)');
  assert.match(checkBody(rule, fromBuild({ ...req, run: { extraHosts: [], ulimits: [] } }, { pid: 'host' }))!, /forbids the host pid namespace \(build\)/);
  assert.equal(checkBody(rule, fromBuild({ ...req, run: { networkMode: 'none', extraHosts: [], ulimits: [] } })), undefined);
  assert.equal(checkBody(rule, { ...emptyRequest('build') }), undefined);
});

test('libpod SpecGenerator: apparmor_profile, selinux_opts and seccomp_profile_path unconfined reach the unconfined rule', async () => {
  const rule = await restricted();
  const sec = (sg: Record<string, unknown>) => specgenToCreate({ image: 'busybox', ...sg }).hostConfig!.SecurityOpt;
  assert.deepEqual(sec({ apparmor_profile: 'unconfined' }), ['apparmor=unconfined']);
  assert.deepEqual(sec({ selinux_opts: ['disable'] }), ['label=disable']);
  assert.deepEqual(sec({ seccomp_profile_path: 'unconfined' }), ['seccomp=unconfined']);
  for (const sg of [{ apparmor_profile: 'unconfined' }, { selinux_opts: ['disable'] }, { seccomp_profile_path: 'unconfined' }]) {
    assert.match(checkBody(rule, fromContainerCreate(specgenToCreate({ image: 'busybox', ...sg })))!, /forbids security-opt/);
  }
  assert.throws(() => sec({ apparmor_profile: 'my-profile' }), /apparmor_profile/);
});

test('kube: seccomp and AppArmor profiles (fields and annotations), hostPID and hostIPC onto the containers', () => {
  const plan = (spec: IPodSpec, annotations: Record<string, string> = {}) => planPod({ podName: 'p', annotations, spec, configMaps: new Map(), opts: {}, index: 0 }).containers[0].create.hostConfig!;
  const c = { name: 'c', image: 'busybox' };
  assert.deepEqual(plan({ containers: [{ ...c, securityContext: { seccompProfile: { type: 'Unconfined' } } }] }).SecurityOpt, ['seccomp=unconfined']);
  assert.deepEqual(plan({ securityContext: { appArmorProfile: { type: 'Unconfined' } }, containers: [c] }).SecurityOpt, ['apparmor=unconfined']);
  // The container's field over the pod's.
  assert.equal(plan({ securityContext: { seccompProfile: { type: 'Unconfined' } }, containers: [{ ...c, securityContext: { seccompProfile: { type: 'RuntimeDefault' } } }] }).SecurityOpt, undefined);
  assert.deepEqual(plan({ containers: [c] }, { 'container.apparmor.security.beta.kubernetes.io/c': 'unconfined', 'seccomp.security.alpha.kubernetes.io/pod': 'unconfined' }).SecurityOpt, ['seccomp=unconfined', 'apparmor=unconfined']);
  assert.deepEqual(plan({ containers: [{ ...c, securityContext: { allowPrivilegeEscalation: false, seccompProfile: { type: 'Unconfined' } } }] }).SecurityOpt, ['no-new-privileges', 'seccomp=unconfined']);
  const h = plan({ hostPID: true, hostIPC: true, containers: [c] });
  assert.equal(h.PidMode, 'host');
  assert.equal(h.IpcMode, 'host');
  const bad = (spec: IPodSpec, re: RegExp) => assert.throws(() => plan(spec), (e: unknown) => e instanceof EngineError && re.test(e.message));
  bad({ containers: [{ ...c, securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: 'x.json' } } }] }, /Localhost seccomp profile is not supported/);
  bad({ containers: [{ ...c, securityContext: { appArmorProfile: { type: 'Other' as 'Localhost' } } }] }, /appArmorProfile type Other/);
});
