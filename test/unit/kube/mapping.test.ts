// The pure kube mappings: YAML parsing, quantities, workloads → pods, a pod spec → create
// requests (play), containers → kube objects (generate), and the two composed (kube → berth →
// kube gives the containers back), every generated document validated against the OpenAPI schema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseKubeYaml, stringifyKubeYaml } from '../../../src/engine/kube/parse.js';
import { formatBytes, formatNanoCpus, parseQuantity } from '../../../src/engine/kube/quantity.js';
import { podsOf, configMapData } from '../../../src/engine/kube/workloads.js';
import { planPod, INIT_ANNOTATION } from '../../../src/engine/kube/play-map.js';
import { CONFIGMAP_LABEL, generatePod, kubeName, type GenContainer, type GenPod, type GenVolume } from '../../../src/engine/kube/generate-map.js';
import { networkOf } from '../../../src/engine/kube/pod-host.js';
import { EngineError } from '../../../src/engine/errors.js';
import type { ContainerConfig, HostConfig, MountSpec } from '../../../src/engine/containers/types.js';
import type { IPodSpec } from '../../../src/engine/kube/types.js';
import { validateKube } from '../../helpers/kube-schema.js';

const bad = (fn: () => unknown, re: RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof EngineError && e.kind === 'bad-parameter' && re.test(e.message));

test('parseKubeYaml: documents of a stream, empty ones dropped; syntax errors and non-objects are bad parameters', () => {
  const docs = parseKubeYaml('---\napiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\n---\nkind: Service\nmetadata: {name: s}\n');
  assert.deepEqual(docs.map((d) => d.kind), ['Pod', 'Service']);
  bad(() => parseKubeYaml('kind: Pod\nmetadata: [x'), /invalid YAML/);
  bad(() => parseKubeYaml('- a\n- b\n'), /must be a Kubernetes object/);
  bad(() => parseKubeYaml('apiVersion: v1\nmetadata: {}\n'), /has no kind/);
  bad(() => parseKubeYaml(''), /no Kubernetes objects/);
  // Aliases are bounded: a billion laughs is refused, not expanded.
  const laughs = 'a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\nkind: [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n';
  bad(() => parseKubeYaml(laughs), /invalid YAML: .*alias/i);
  const text = stringifyKubeYaml([{ kind: 'A', metadata: { name: 'a' } }, { kind: 'B' }]);
  assert.equal(text.split('---\n').length, 2);
});

test('quantities: binary and decimal suffixes, exponents, millicores; formatting back', () => {
  assert.equal(parseQuantity('64Mi', 'm'), 64 * 2 ** 20);
  assert.equal(parseQuantity('1G', 'm'), 1e9);
  assert.equal(parseQuantity('500m', 'c'), 0.5);
  assert.equal(parseQuantity('1.5', 'c'), 1.5);
  assert.equal(parseQuantity('1e3', 'c'), 1000);
  assert.equal(parseQuantity(2, 'c'), 2);
  bad(() => parseQuantity('12 parsecs', 'memory'), /invalid quantity for memory/);
  assert.equal(formatBytes(64 * 2 ** 20), '64Mi');
  assert.equal(formatBytes(2 ** 30), '1Gi');
  assert.equal(formatBytes(1000), '1000');
  assert.equal(formatNanoCpus(2e9), '2');
  assert.equal(formatNanoCpus(5e8), '500m');
});

test('workloads: a Deployment is one pod per replica, a DaemonSet and a Job one each', () => {
  const spec = { containers: [{ name: 'a', image: 'busybox' }] };
  const dep = podsOf({ kind: 'Deployment', metadata: { name: 'd' }, spec: { replicas: 3, template: { metadata: { labels: { app: 'd' } }, spec } } });
  assert.deepEqual(dep.map((p) => p.podName), ['d-pod-0', 'd-pod-1', 'd-pod-2']);
  assert.deepEqual(dep[0].labels, { app: 'd' });
  assert.equal(podsOf({ kind: 'Deployment', metadata: { name: 'd' }, spec: { template: { spec } } }).length, 1);
  assert.deepEqual(podsOf({ kind: 'DaemonSet', metadata: { name: 'ds' }, spec: { template: { spec } } }).map((p) => p.podName), ['ds-pod']);
  assert.deepEqual(podsOf({ kind: 'Job', metadata: { name: 'j' }, spec: { template: { spec } } })[0].allowedRestart, ['OnFailure', 'Never']);
  bad(() => podsOf({ kind: 'Deployment', metadata: { name: 'd' }, spec: { replicas: -1, template: { spec } } }), /replicas/);
  bad(() => podsOf({ kind: 'Deployment', metadata: { name: 'd' }, spec: {} }), /spec.template is missing/);
  bad(() => podsOf({ kind: 'Pod', metadata: {} }), /no metadata.name/);
  assert.deepEqual(configMapData({ kind: 'ConfigMap', data: { a: 'x' }, binaryData: { b: Buffer.from('y').toString('base64') } }), { a: 'x', b: 'y' });
  bad(() => configMapData({ kind: 'ConfigMap', metadata: { name: 'c' }, data: { n: 1 } }), /data.n must be a string/);
});

const SPEC: IPodSpec = {
  restartPolicy: 'OnFailure',
  hostname: 'h1',
  hostAliases: [{ ip: '10.1.2.3', hostnames: ['db', 'db.local'] }],
  initContainers: [{ name: 'init', image: 'busybox', command: ['true'] }],
  containers: [
    {
      name: 'web', image: 'busybox', command: ['httpd'], args: ['-f', '-p', '80'], workingDir: '/srv',
      ports: [{ containerPort: 80, hostPort: 8080, hostIP: '127.0.0.1' }, { containerPort: 53, protocol: 'UDP' }],
      env: [{ name: 'A', value: '1' }, { name: 'G', valueFrom: { configMapKeyRef: { name: 'cm', key: 'greeting' } } }, { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
      envFrom: [{ configMapRef: { name: 'cm' }, prefix: 'CM_' }],
      resources: { limits: { memory: '128Mi', cpu: '1500m' } },
      securityContext: { privileged: false, readOnlyRootFilesystem: true, runAsUser: 1000, runAsGroup: 100, capabilities: { add: ['net_admin'], drop: ['MKNOD'] }, allowPrivilegeEscalation: false },
      volumeMounts: [{ name: 'data', mountPath: '/data' }, { name: 'conf', mountPath: '/conf' }, { name: 'host', mountPath: '/h', readOnly: true }, { name: 'scratch', mountPath: '/tmp' }, { name: 'cache', mountPath: '/cache' }],
    },
  ],
  volumes: [
    { name: 'data', persistentVolumeClaim: { claimName: 'claim1' } },
    { name: 'conf', configMap: { name: 'cm', items: [{ key: 'greeting', path: 'greet.txt' }] } },
    { name: 'host', hostPath: { path: '/srv/h' } },
    { name: 'scratch', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } },
    { name: 'cache', emptyDir: {} },
  ],
};
const CMS = new Map([['cm', { greeting: 'hi' }]]);

test('planPod: every container field onto the create request; the pod\'s network, ports and hosts apart', () => {
  const p = planPod({ podName: 'p', annotations: { k: 'from-yaml', y: '1' }, spec: SPEC, configMaps: CMS, opts: { annotations: { k: 'v' }, logDriver: 'k8s-file', staticIPs: ['10.88.0.9'], networks: ['net1'] }, index: 0 });
  assert.deepEqual(p.containers.map((c) => [c.name, c.init]), [['p-init', true], ['p-web', false]]);
  const [init, web] = p.containers;
  assert.equal(init.create.annotations![INIT_ANNOTATION], 'always');
  assert.deepEqual(init.create.hostConfig!.RestartPolicy, { Name: 'no', MaximumRetryCount: 0 });
  const c = web.create.config;
  const h = web.create.hostConfig!;
  assert.deepEqual(c.Entrypoint, ['httpd']);
  assert.deepEqual(c.Cmd, ['-f', '-p', '80']);
  assert.equal(c.WorkingDir, '/srv');
  assert.equal(c.User, '1000:100');
  assert.deepEqual(c.ExposedPorts, { '80/tcp': {}, '53/udp': {} });
  assert.deepEqual(c.Env, ['CM_greeting=hi', 'A=1', 'G=hi', 'POD=p']);
  assert.equal(h.Memory, 128 * 2 ** 20);
  assert.equal(h.NanoCpus, 1.5e9);
  assert.equal(h.ReadonlyRootfs, true);
  assert.deepEqual(h.CapAdd, ['NET_ADMIN']);
  assert.deepEqual(h.CapDrop, ['MKNOD']);
  assert.deepEqual(h.SecurityOpt, ['no-new-privileges']);
  assert.deepEqual(h.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 0 });
  assert.deepEqual(h.LogConfig, { Type: 'k8s-file', Config: {} });
  assert.equal(web.create.annotations!.k, 'v', 'the play\'s annotation over the YAML\'s');
  assert.equal(web.create.annotations!.y, '1');
  assert.deepEqual(h.Mounts, [
    { Type: 'volume', Source: 'claim1', ReadOnly: false, Target: '/data' },
    { Type: 'volume', Source: 'p-cm', ReadOnly: true, Target: '/conf' },
    { Type: 'bind', Source: '/srv/h', ReadOnly: true, Target: '/h' },
    { Type: 'tmpfs', TmpfsOptions: { SizeBytes: 2 ** 20 }, ReadOnly: false, Target: '/tmp' },
    { Type: 'volume', Source: 'p-cache', ReadOnly: false, Target: '/cache' },
  ]);
  assert.deepEqual(p.hostPaths, [{ path: '/srv/h', type: '' }]);
  assert.deepEqual(p.volumes, [{ name: 'claim1' }, { name: 'p-cm', configMap: { name: 'cm', files: { 'greet.txt': 'hi' } } }, { name: 'p-cache' }]);
  assert.deepEqual(p.net.portBindings, { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] });
  assert.deepEqual(p.net.exposed, ['80/tcp', '53/udp']);
  assert.deepEqual(p.net.extraHosts, ['db:10.1.2.3', 'db.local:10.1.2.3']);
  assert.equal(p.net.hostname, 'h1');
  assert.deepEqual(networkOf(p.net), { mode: 'net1', endpoints: { net1: { ipv4: '10.88.0.9' } } });
  assert.deepEqual(networkOf({ ...p.net, hostNetwork: true }), { mode: 'host' });
  assert.deepEqual(networkOf({ ...p.net, networks: [] }), { endpoints: { default: { ipv4: '10.88.0.9' } } });
  assert.deepEqual(networkOf({ ...p.net, networks: ['none'] }), { mode: 'none' });
  assert.deepEqual(networkOf({ ...p.net, networks: [], staticIP: undefined }), {});
});

test('planPod refuses what it cannot make, naming it', () => {
  const one = (c: object, extra: Partial<IPodSpec> = {}) => () => planPod({ podName: 'p', spec: { containers: [c as never], ...extra }, configMaps: CMS, opts: {}, index: 0 });
  bad(one({ name: 'a' }), /container a has no image/);
  bad(one({ image: 'busybox' }), /a container has no name/);
  bad(() => planPod({ podName: 'p', spec: { containers: [] }, configMaps: CMS, opts: {}, index: 0 }), /spec.containers is empty/);
  bad(one({ name: 'a', image: 'b', ports: [{ containerPort: 70000 }] }), /containerPort 70000/);
  bad(one({ name: 'a', image: 'b', ports: [{ containerPort: 1, hostPort: 9, protocol: 'ICMP' }] }), /protocol ICMP/);
  bad(one({ name: 'a', image: 'b', ports: [{ containerPort: 1, hostPort: 9 }, { containerPort: 2, hostPort: 9 }] }), /host port 9\/tcp is asked for twice/);
  bad(one({ name: 'a', image: 'b', volumeMounts: [{ name: 'x', mountPath: '/x' }] }), /names no volume/);
  bad(one({ name: 'a', image: 'b', volumeMounts: [{ name: 'x', mountPath: '/x' }] }, { volumes: [{ name: 'x', nfs: { server: 's', path: '/' } }] }), /nfs volume type is not supported/);
  bad(one({ name: 'a', image: 'b', volumeMounts: [{ name: 'x', mountPath: '/x' }] }, { volumes: [{ name: 'x', configMap: { name: 'nope' } }] }), /no ConfigMap named nope/);
  bad(one({ name: 'a', image: 'b', volumeMounts: [{ name: 'x', mountPath: '/x' }] }, { volumes: [{ name: 'x', hostPath: { path: '/dev/sda', type: 'BlockDevice' } }] }), /hostPath type BlockDevice is not supported/);
  bad(one({ name: 'a', image: 'b', volumeMounts: [{ name: 'x', mountPath: '/x' }] }, { volumes: [{ name: 'x', hostPath: { path: 'rel/dir' } }] }), /must be absolute/);
  const named = planPod({ podName: 'p', spec: { containers: [{ name: 'a', image: 'b', volumeMounts: [{ name: 'x', mountPath: '/x' }] }], volumes: [{ name: 'x', hostPath: { path: 'myvol' } }] }, configMaps: CMS, opts: {}, index: 0 });
  assert.deepEqual(named.containers[0].create.hostConfig!.Mounts, [{ Type: 'volume', Source: 'myvol', ReadOnly: false, Target: '/x' }]);
  assert.deepEqual(named.volumes, [{ name: 'myvol' }]);
  bad(one({ name: 'a', image: 'b', env: [{ name: 'S', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] }), /needs key k of Secret s/);
  const withSecret = planPod({ podName: 'p', spec: { containers: [{ name: 'a', image: 'b', env: [{ name: 'S', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] }] }, configMaps: CMS, secrets: new Map([['s', { k: 'v' }]]), opts: {}, index: 0 });
  assert.deepEqual(withSecret.containers[0].create.config.Env, ['S=v']);
  bad(one({ name: 'a', image: 'b', resources: { limits: { memory: 'lots' } } }), /invalid quantity/);
  bad(one({ name: 'a', image: 'b' }, { restartPolicy: 'Sometimes' as never }), /restartPolicy Sometimes/);
  bad(() => planPod({ podName: 'p', spec: { containers: [{ name: 'a', image: 'b' }], restartPolicy: 'Never' }, configMaps: CMS, opts: {}, index: 0, allowedRestart: ['Always'] }), /restartPolicy Never is not one of Always/);
});

/** What berth would store for a planned create (the image's defaults merged in, as create does). */
function stored(req: ReturnType<typeof planPod>['containers'][number], net: ReturnType<typeof planPod>['net'], image: GenContainer['image']): GenContainer {
  const c = req.create.config;
  const h = req.create.hostConfig!;
  const config = {
    Env: [...(image?.Env ?? []), ...(c.Env ?? [])], Cmd: c.Cmd ?? image?.Cmd ?? null, Entrypoint: c.Entrypoint ?? image?.Entrypoint ?? null,
    WorkingDir: c.WorkingDir ?? '', User: c.User ?? '', Tty: false, OpenStdin: false, Hostname: '', Image: c.Image!,
    ExposedPorts: { ...(image?.ExposedPorts ?? {}), ...(c.ExposedPorts ?? {}) },
  } as unknown as ContainerConfig;
  const mounts: MountSpec[] = (h.Mounts ?? []).map((m) => ({
    type: m.Type as MountSpec['type'], source: m.Source ?? '', destination: m.Target, readOnly: !!m.ReadOnly, options: [], origin: 'mounts',
    ...(m.Type === 'volume' ? { name: m.Source } : {}),
  }));
  return {
    name: req.name, imageRef: c.Image!, config, mounts, image, init: req.init,
    host: { Memory: 0, NanoCpus: 0, CpuQuota: 0, CpuPeriod: 0, CapAdd: null, CapDrop: null, ...h, PortBindings: net.portBindings } as HostConfig,
  };
}

test('kube → berth → kube: generate gives back the containers a play made, valid for Kubernetes', () => {
  const image = { Env: ['PATH=/bin'], Cmd: ['sh'], ExposedPorts: { '9999/tcp': {} } };
  const p = planPod({ podName: 'p', spec: SPEC, configMaps: CMS, opts: {}, index: 0 });
  const pod: GenPod = {
    name: 'p', containers: p.containers.map((c) => stored(c, p.net, image)), hostname: 'h1', hostNetwork: false,
    portBindings: p.net.portBindings, extraHosts: p.net.extraHosts,
    volumes: new Map<string, GenVolume>([['claim1', { name: 'claim1', labels: {} }], ['p-cm', { name: 'p-cm', labels: { [CONFIGMAP_LABEL]: 'cm' }, files: { 'greet.txt': 'hi' } }], ['p-cache', { name: 'p-cache', labels: {} }]]),
  };
  const docs = generatePod(pod, { kind: 'pod', service: true });
  const yaml = stringifyKubeYaml(docs);
  const valid = validateKube(yaml);
  assert.deepEqual(valid.map((d) => d.kind), ['PersistentVolumeClaim', 'PersistentVolumeClaim', 'ConfigMap', 'Pod', 'Service']);
  const kpod = valid[3];
  assert.equal(kpod.spec.hostname, 'h1');
  assert.equal(kpod.spec.restartPolicy, 'OnFailure');
  assert.deepEqual(kpod.spec.hostAliases, [{ ip: '10.1.2.3', hostnames: ['db', 'db.local'] }]);
  assert.deepEqual(kpod.spec.initContainers.map((c: any) => c.name), ['init']);
  const web = kpod.spec.containers[0];
  const orig = SPEC.containers[0];
  assert.equal(web.name, 'web');
  assert.deepEqual(web.command, orig.command);
  assert.deepEqual(web.args, orig.args);
  assert.equal(web.workingDir, '/srv');
  assert.deepEqual(web.env, [{ name: 'CM_greeting', value: 'hi' }, { name: 'A', value: '1' }, { name: 'G', value: 'hi' }, { name: 'POD', value: 'p' }]);
  assert.deepEqual(web.resources, { limits: { memory: '128Mi', cpu: '1500m' } });
  assert.deepEqual(web.securityContext, { readOnlyRootFilesystem: true, capabilities: { add: ['NET_ADMIN'], drop: ['MKNOD'] }, allowPrivilegeEscalation: false, runAsUser: 1000, runAsGroup: 100 });
  // The published port, and the one only exposed; the image's EXPOSE left to the image.
  assert.deepEqual(web.ports, [{ containerPort: 80, hostPort: 8080, hostIP: '127.0.0.1', protocol: 'TCP' }, { containerPort: 53, protocol: 'UDP' }]);
  assert.deepEqual(web.volumeMounts.map((m: any) => m.mountPath), ['/data', '/conf', '/h', '/tmp', '/cache']);
  const vols = Object.fromEntries(kpod.spec.volumes.map((v: any) => [v.name, v]));
  assert.deepEqual(vols['claim1-pvc'].persistentVolumeClaim, { claimName: 'claim1' });
  assert.deepEqual(vols['p-cm-cm'].configMap, { name: 'cm' });
  assert.deepEqual(vols['srv-h-host'].hostPath, { path: '/srv/h' });
  assert.deepEqual(vols['tmp-tmpfs'].emptyDir, { medium: 'Memory' });
  assert.deepEqual(valid[2].data, { 'greet.txt': 'hi' });
  assert.deepEqual(valid[4].spec.ports, [{ name: '80-tcp', port: 80, targetPort: 80, protocol: 'TCP' }]);

  // And the generated YAML plays again to the same create requests.
  const again = planPod({ podName: 'p', spec: kpod.spec, configMaps: new Map([['cm', valid[2].data]]), opts: {}, index: 0 });
  const web2 = again.containers.find((c) => c.name === 'p-web')!;
  assert.deepEqual(web2.create.config.Entrypoint, p.containers[1].create.config.Entrypoint);
  assert.deepEqual(web2.create.config.Cmd, p.containers[1].create.config.Cmd);
  assert.deepEqual(web2.create.config.Env, p.containers[1].create.config.Env);
  assert.deepEqual(again.net.portBindings, p.net.portBindings);
  assert.deepEqual(web2.create.config.ExposedPorts, p.containers[1].create.config.ExposedPorts);
  for (const f of ['Memory', 'NanoCpus', 'CapAdd', 'CapDrop', 'ReadonlyRootfs', 'RestartPolicy'] as const) assert.deepEqual(web2.create.hostConfig![f], p.containers[1].create.hostConfig![f], f);
});

test('generate: deployment and daemonset wrap the pod template; names made DNS-1123', () => {
  const c: GenContainer = {
    name: 'My_App', imageRef: 'busybox', mounts: [],
    config: { Env: [], Cmd: ['sleep', '1'], Entrypoint: null, WorkingDir: '', User: '' } as unknown as ContainerConfig,
    host: { Memory: 0, NanoCpus: 0, CpuQuota: 0, CpuPeriod: 0, RestartPolicy: { Name: 'no', MaximumRetryCount: 0 } } as unknown as HostConfig,
  };
  const pod: GenPod = { name: 'My_App-pod', containers: [c], hostNetwork: true, portBindings: {}, extraHosts: [], volumes: new Map() };
  const dep = validateKube(stringifyKubeYaml(generatePod(pod, { kind: 'deployment', replicas: 2 })));
  assert.equal(dep[0].kind, 'Deployment');
  assert.equal(dep[0].metadata.name, 'my-app-pod-deployment');
  assert.equal(dep[0].spec.replicas, 2);
  assert.equal(dep[0].spec.template.spec.restartPolicy, 'Always');
  assert.equal(dep[0].spec.template.spec.hostNetwork, true);
  assert.deepEqual(dep[0].spec.selector.matchLabels, dep[0].spec.template.metadata.labels);
  assert.equal(dep[0].spec.template.spec.containers[0].name, 'my-app');
  const ds = validateKube(stringifyKubeYaml(generatePod(pod, { kind: 'daemonset', service: true })));
  // No published port, no Service.
  assert.deepEqual(ds.map((d) => d.kind), ['DaemonSet']);
  assert.equal(kubeName('__A.b__'), 'a-b');
});
