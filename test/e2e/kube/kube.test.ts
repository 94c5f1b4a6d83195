// kube YAML through podman-remote 4.3 against a real berth: play of a pod with a claim, a
// ConfigMap (env and files), init containers and a published port; generate kube (pod,
// deployment, daemonset, service) validated against the Kubernetes OpenAPI schema offline;
// the generate → kube down → kube play round trip keeping a volume's data; a Deployment with 2
// replicas; bad input refused with nothing left behind; unknown kinds skipped.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, startBerth, waitFor, FIXTURES, type Berth, removeAllContainers } from '../../helpers/berth.js';
import { validateKube } from '../../helpers/kube-schema.js';

let b: Berth;
const P = '/v5.4.2/libpod';
const podman = (args: string[], input?: string) => run('podman', ['--remote', '--url', `unix://${b.socket}`, ...args], { timeoutMs: 60_000, input });
const podmanOk = async (args: string[], input?: string) => {
  const r = await podman(args, input);
  assert.equal(r.code, 0, `podman ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const file = (name: string, text: string) => {
  const f = join(b.dir, name);
  writeFileSync(f, text);
  return f;
};
const names = async () => (await podmanOk(['ps', '-a', '--format', '{{.Names}}'])).split('\n').filter(Boolean).sort();
const volumes = async () => (await podmanOk(['volume', 'ls', '-q'])).split('\n').filter(Boolean).sort();
// podman-remote 4.3 reads the libpod inspect berth shapes for its API version (Entrypoint a string).
const inspect = async (ctr: string) => JSON.parse(await podmanOk(['container', 'inspect', ctr]))[0];
// podman 4.3 prints one pod's inspect as an object, later ones as a list.
const podInspect = (out: string) => [JSON.parse(out)].flat()[0];
const execOut = async (ctr: string, ...cmd: string[]) => (await podmanOk(['exec', ctr, ...cmd])).trim();

async function freePort(): Promise<number> {
  return new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function httpGet(port: number, path: string): Promise<string> {
  let got = '';
  await waitFor(async () => (got = (await run('curl', ['-s', '--max-time', '3', `http://127.0.0.1:${port}${path}`])).stdout) !== '', 10_000, 100);
  return got;
}

const podYaml = (port: number) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: kube-web-conf
data:
  GREETING: hello from a configmap
  index.html: served from a configmap
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: kube-data
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 1Gi
---
apiVersion: v1
kind: Pod
metadata:
  name: kweb
  labels:
    app: kweb
spec:
  restartPolicy: Always
  initContainers:
  - name: seed
    image: busybox
    command: [sh, -c, 'test -f /data/seeded || echo first > /data/seeded']
    volumeMounts:
    - name: data
      mountPath: /data
  containers:
  - name: web
    image: busybox
    command: [httpd, -f, -p, '8080', -h, /www]
    ports:
    - containerPort: 8080
      hostPort: ${port}
      hostIP: 127.0.0.1
    volumeMounts:
    - name: conf
      mountPath: /www
      readOnly: true
  - name: side
    image: busybox
    command: [sleep, '600']
    workingDir: /data
    env:
    - name: MODE
      value: side
    - name: GREETING
      valueFrom:
        configMapKeyRef:
          name: kube-web-conf
          key: GREETING
    resources:
      limits:
        memory: 64Mi
        cpu: 500m
    securityContext:
      capabilities:
        drop: [NET_RAW]
    volumeMounts:
    - name: data
      mountPath: /data
  volumes:
  - name: data
    persistentVolumeClaim:
      claimName: kube-data
  - name: conf
    configMap:
      name: kube-web-conf
      items:
      - key: index.html
        path: index.html
---
apiVersion: example.com/v1
kind: Gadget
metadata:
  name: not-for-berth
`;

before(async () => {
  b = await startBerth();
  await b.dockerOk(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
});
after(async () => {
  await removeAllContainers(b);
  await b.cleanup();
});

let port0 = 0;

test('kube play: a pod with an init container, a claim, a ConfigMap and a published port; unknown kinds skipped', async () => {
  const port = (port0 = await freePort());
  const played = await podman(['kube', 'play', file('kweb.yaml', podYaml(port))]);
  assert.equal(played.code, 0, played.stderr);
  const out = played.stdout;
  assert.match(out, /Pod:\n[0-9a-f]{64}/);
  // The unknown kind is skipped, and said so (podman-remote prints the pod's Logs on stderr).
  assert.match(played.stderr, /Gadget not-for-berth: kind Gadget is not supported: skipped/);
  assert.match(out, /kube-data/);
  const ctrs = await names();
  for (const n of ['kweb-seed', 'kweb-web', 'kweb-side']) assert.ok(ctrs.includes(n), `${n} in ${ctrs}`);
  const pod = podInspect(await podmanOk(['pod', 'inspect', 'kweb']));
  assert.equal(pod.Name, 'kweb');
  assert.equal(out.match(/Pod:\n([0-9a-f]{64})/)![1], pod.Id);
  assert.equal(pod.NumContainers, 4, 'the infra container and three of the YAML');
  assert.ok((await volumes()).includes('kube-data'));
  // The published port answers from the host with the ConfigMap's file.
  assert.equal(await httpGet(port, '/index.html'), 'served from a configmap');
  // The containers share the pod's network: localhost reaches the web container.
  assert.equal(await execOut('kweb-side', 'wget', '-qO-', 'http://127.0.0.1:8080/index.html'), 'served from a configmap');
  assert.equal(await execOut('kweb-side', 'cat', '/data/seeded'), 'first');
  assert.equal(await execOut('kweb-side', 'sh', '-c', 'echo "$MODE/$GREETING/$PWD"'), 'side/hello from a configmap//data');
  const side = await inspect('kweb-side');
  assert.equal(side.HostConfig.Memory, 64 * 1024 * 1024);
  assert.equal(side.HostConfig.NanoCpus, 500_000_000);
  assert.deepEqual(side.HostConfig.RestartPolicy, { Name: 'always', MaximumRetryCount: 0 });
  assert.equal((await inspect('kweb-seed')).State.Status, 'exited');
  // Played again: the pod exists.
  const again = await podman(['kube', 'play', file('kweb.yaml', podYaml(port))]);
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /kweb already exists/);
});

test('generate kube: Pod, Service, PersistentVolumeClaim and ConfigMap valid for Kubernetes (OpenAPI schema, offline)', async () => {
  const yaml = await podmanOk(['generate', 'kube', '--service', 'kweb-web', 'kweb-side']);
  const docs = validateKube(yaml);
  const kinds = docs.map((d) => d.kind).sort();
  assert.deepEqual(kinds, ['ConfigMap', 'PersistentVolumeClaim', 'Pod', 'Service']);
  const pod = docs.find((d) => d.kind === 'Pod');
  const side = pod.spec.containers.find((c: any) => c.name.endsWith('side'));
  assert.deepEqual(side.command, ['sleep', '600']);
  assert.deepEqual(side.resources.limits, { memory: '64Mi', cpu: '500m' });
  assert.deepEqual(side.securityContext.capabilities, { drop: ['NET_RAW'] });
  assert.ok(side.env.some((e: any) => e.name === 'GREETING' && e.value === 'hello from a configmap'));
  assert.ok(!side.env.some((e: any) => e.name === 'PATH'), 'the image\'s env is left to the image');
  assert.equal(side.workingDir, '/data');
  const web = pod.spec.containers.find((c: any) => c.name.endsWith('web'));
  assert.equal(web.ports[0].containerPort, 8080);
  const svc = docs.find((d) => d.kind === 'Service');
  assert.equal(svc.spec.ports[0].port, 8080);
  const cm = docs.find((d) => d.kind === 'ConfigMap');
  assert.equal(cm.data['index.html'], 'served from a configmap');
  for (const type of ['deployment', 'daemonset']) {
    const r = await b.request('GET', `${P}/generate/kube?names=kweb-side&type=${type}${type === 'deployment' ? '&replicas=3' : ''}`);
    assert.equal(r.status, 200, r.text);
    const d = validateKube(r.text).find((x) => x.kind.toLowerCase() === type);
    assert.ok(d, r.text);
    if (type === 'deployment') assert.equal(d.spec.replicas, 3);
    assert.equal(d.spec.template.spec.restartPolicy, 'Always');
  }
  const missing = await b.request('GET', `${P}/generate/kube?names=nope`);
  assert.equal(missing.status, 404);
});

test('round trip: generate → kube down → kube play gives the same pod back, the claim\'s data kept', async () => {
  await podmanOk(['exec', 'kweb-side', 'sh', '-c', 'echo kept > /data/note']);
  const yaml = await podmanOk(['generate', 'kube', 'kweb']);
  const f = file('round.yaml', yaml);
  const before = { side: await inspect('kweb-side'), web: await inspect('kweb-web') };
  // Down with the YAML played first: the pod goes, the claim's volume stays.
  const down = await podmanOk(['kube', 'down', file('kweb.yaml', podYaml(0))]);
  assert.match(down, /Pods removed:/);
  assert.deepEqual((await names()).filter((n) => n.startsWith('kweb')), []);
  assert.ok((await volumes()).includes('kube-data'));
  await podmanOk(['kube', 'play', f]);
  const pod = validateKube(yaml).find((d) => d.kind === 'Pod').metadata.name;
  assert.equal(pod, 'kweb');
  const after = { side: await inspect('kweb-side'), web: await inspect('kweb-web') };
  const env = (i: any) => i.Config.Env.filter((e: string) => !/^HOSTNAME=/.test(e)).sort();
  for (const k of ['side', 'web'] as const) {
    assert.equal(after[k].State.Status, 'running');
    assert.deepEqual(after[k].Config.Cmd, before[k].Config.Cmd);
    assert.deepEqual(after[k].Config.Entrypoint, before[k].Config.Entrypoint);
    assert.deepEqual(env(after[k]), env(before[k]));
    assert.equal(after[k].Config.WorkingDir, before[k].Config.WorkingDir);
    for (const f of ['Memory', 'NanoCpus', 'CapDrop', 'RestartPolicy'] as const) assert.deepEqual(after[k].HostConfig[f], before[k].HostConfig[f], f);
    assert.deepEqual(after[k].Mounts.map((m: any) => m.Destination).sort(), before[k].Mounts.map((m: any) => m.Destination).sort());
  }
  const ports = (i: any) => JSON.stringify(i.HostConfig.PortBindings);
  assert.equal(ports(after.web) || ports(after.side), ports(before.web) || ports(before.side));
  assert.equal(await execOut('kweb-side', 'cat', '/data/note'), 'kept');
  assert.equal((await inspect('kweb-seed')).State.Status, 'exited');
  assert.equal(await httpGet(port0, '/index.html'), 'served from a configmap');
  await podmanOk(['kube', 'down', f]);
  assert.deepEqual((await names()).filter((n) => n.startsWith('kweb')), []);
  assert.equal((await podmanOk(['pod', 'ps', '-q', '--filter', 'name=kweb'])).trim(), '');
});

test('a Deployment with 2 replicas makes two pods; kube down removes both', async () => {
  const yaml = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: kdep
spec:
  replicas: 2
  selector:
    matchLabels: {app: kdep}
  template:
    metadata:
      labels: {app: kdep}
    spec:
      containers:
      - name: app
        image: busybox
        command: [sleep, '600']
`;
  const f = file('kdep.yaml', yaml);
  const out = await podmanOk(['kube', 'play', f]);
  assert.equal((out.match(/Pod:/g) ?? []).length, 2, out);
  const ctrs = (await names()).filter((n) => n.startsWith('kdep'));
  assert.deepEqual(ctrs, ['kdep-pod-0-app', 'kdep-pod-1-app']);
  for (const c of ctrs) assert.equal((await inspect(c)).State.Status, 'running');
  assert.deepEqual((await podmanOk(['pod', 'ps', '--format', '{{.Name}}', '--filter', 'name=kdep'])).trim().split('\n').sort(), ['kdep-pod-0', 'kdep-pod-1']);
  await podmanOk(['kube', 'down', f]);
  assert.deepEqual((await names()).filter((n) => n.startsWith('kdep')), []);
});

test('bad input: invalid YAML, no image, a port clash: clear errors, nothing left behind', async () => {
  const before = { ctrs: await names(), vols: await volumes() };
  const post = (body: string) => b.request('POST', `${P}/play/kube`, body, { 'Content-Type': 'text/plain' });
  let r = await post('kind: Pod\nmetadata: [unclosed');
  assert.equal(r.status, 400, r.text);
  assert.match(r.json.message, /invalid YAML/);
  r = await post('apiVersion: v1\nkind: Pod\nmetadata: {name: knoimg}\nspec:\n  containers:\n  - name: a\n');
  assert.equal(r.status, 400, r.text);
  assert.match(r.json.message, /container a has no image/);
  r = await post('apiVersion: v1\nkind: Pod\nmetadata: {name: kmiss}\nspec:\n  containers:\n  - name: a\n    image: no-such-image-here\n');
  assert.ok(r.status === 404 || r.status === 501, r.text);
  assert.match(r.json.message, /no-such-image-here/);
  // The second pod's port is the first's: the play fails and takes back the claim and the first pod.
  const port = await freePort();
  const clash = (n: string) => `apiVersion: v1\nkind: Pod\nmetadata: {name: ${n}}\nspec:\n  containers:\n  - name: a\n    image: busybox\n    command: [sleep, '600']\n    ports:\n    - {containerPort: 80, hostPort: ${port}}\n`;
  const pvc = 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: kclash-vol}\nspec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}\n';
  const res = await podman(['kube', 'play', file('clash.yaml', `${pvc}---\n${clash('kclash1')}---\n${clash('kclash2')}`)]);
  assert.notEqual(res.code, 0);
  assert.match(res.stderr, new RegExp(`${port}`));
  assert.deepEqual(await names(), before.ctrs);
  assert.deepEqual(await volumes(), before.vols);
  assert.equal((await podmanOk(['pod', 'ps', '-q', '--filter', 'name=kclash'])).trim(), '');
  // A pod name in use (made by pod create): a conflict, the existing pod untouched.
  await podmanOk(['pod', 'create', 'kbusy']);
  r = await post('apiVersion: v1\nkind: Pod\nmetadata: {name: kbusy}\nspec:\n  containers:\n  - {name: a, image: busybox}\n');
  assert.equal(r.status, 409, r.text);
  assert.match(r.json.message, /pod kbusy already exists/);
  await podmanOk(['pod', 'rm', 'kbusy']);
});

test('play options: --network with --ip, --start=false, --annotation, --log-driver, --replace; the report lists skipped kinds', async () => {
  const net = `berth-kube-${process.pid}`;
  // A subnet of this run's own: runs of the suite on one machine must not ask for the same one.
  const sub = `10.218.${process.pid % 250}`;
  await podmanOk(['network', 'create', '--subnet', `${sub}.0/24`, net]);
  const yaml = 'apiVersion: v1\nkind: Pod\nmetadata: {name: kopt}\nspec:\n  containers:\n  - name: a\n    image: busybox\n    command: [sleep, "600"]\n---\napiVersion: v1\nkind: Service\nmetadata: {name: kopt}\nspec: {ports: [{port: 80}]}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: ksec}\ndata: {k: dg==}\n';
  const f = file('kopt.yaml', yaml);
  await podmanOk(['kube', 'play', '--network', net, '--ip', `${sub}.77`, '--start=false', '--annotation', 'team=kube', '--log-driver', 'none', f]);
  let i = await inspect('kopt-a');
  assert.equal(i.State.Status, 'created');
  const infra = podInspect(await podmanOk(['pod', 'inspect', 'kopt'])).InfraContainerID;
  assert.equal((await inspect(infra)).HostConfig.NetworkMode, net);
  const lp = await b.request('GET', `${P}/containers/kopt-a/json`);
  assert.equal(lp.json.HostConfig.LogConfig.Type, 'none');
  assert.equal(lp.json.Config.Annotations.team, 'kube');
  await b.dockerOk(['start', 'kopt-a']);
  i = await inspect('kopt-a');
  assert.equal((await inspect(infra)).NetworkSettings.Networks[net].IPAddress, `${sub}.77`);
  assert.equal(await execOut('kopt-a', 'sh', '-c', `ip -4 addr | grep -o '${sub}.77'`), `${sub}.77`);
  // --replace: the client tears the pod down first, then plays it again.
  const oldId = i.Id;
  await podmanOk(['kube', 'play', '--replace', '--network', net, f]);
  i = await inspect('kopt-a');
  assert.notEqual(i.Id, oldId);
  assert.equal(i.State.Status, 'running');
  // replace=true on the API does the same without the client's teardown.
  const r = await b.request('POST', `${P}/play/kube?replace=true&network=${net}`, yaml, { 'Content-Type': 'text/plain' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.Pods.length, 1);
  assert.deepEqual(r.json.Skipped.map((s: any) => s.Kind).sort(), ['Service']);
  // The Secret document is stored in the secrets store (replaced, as the play asked).
  assert.equal(r.json.Secrets.length, 1, r.text);
  const sec = await b.request('GET', `${P}/secrets/ksec/json`);
  assert.equal(sec.status, 200, sec.text);
  assert.equal(sec.json.Spec.Name, 'ksec');
  const unknown = await b.request('POST', `${P}/play/kube`, 'apiVersion: x/v1\nkind: Gadget\nmetadata: {name: g}\n', { 'Content-Type': 'text/plain' });
  assert.equal(unknown.status, 200, unknown.text);
  assert.deepEqual(unknown.json.Pods, []);
  assert.match(unknown.json.Skipped[0].Reason, /kind Gadget is not supported/);
  // Options berth does not have are refused, not ignored.
  const noHosts = await b.request('POST', `${P}/play/kube?noHosts=true`, yaml, { 'Content-Type': 'text/plain' });
  assert.equal(noHosts.status, 400, noHosts.text);
  await podmanOk(['kube', 'down', f]);
  await podmanOk(['network', 'rm', net]);
});

test('a Secret of the YAML serves its pods: secretKeyRef env, envFrom and a secret volume (files 0600)', async () => {
  const yaml = `apiVersion: v1
kind: Secret
metadata: {name: kube-sec}
data:
  password: ${Buffer.from('s3cret').toString('base64')}
stringData:
  user: admin
---
apiVersion: v1
kind: Pod
metadata: {name: ksec}
spec:
  containers:
  - name: a
    image: busybox
    command: [sleep, '600']
    env:
    - name: PW
      valueFrom:
        secretKeyRef: {name: kube-sec, key: password}
    envFrom:
    - secretRef: {name: kube-sec}
      prefix: S_
    volumeMounts:
    - {name: creds, mountPath: /creds}
  volumes:
  - name: creds
    secret: {secretName: kube-sec}
`;
  const f = file('ksec.yaml', yaml);
  await podmanOk(['kube', 'play', f]);
  assert.equal(await execOut('ksec-a', 'sh', '-c', 'echo "$PW $S_user $S_password"'), 's3cret admin s3cret');
  assert.equal(await execOut('ksec-a', 'cat', '/creds/password'), 's3cret');
  assert.equal(await execOut('ksec-a', 'stat', '-c', '%a', '/creds/user'), '600');
  await podmanOk(['kube', 'down', f]);
  assert.ok(!(await volumes()).includes('ksec-kube-sec'), 'the secret\'s volume goes with its pod');
  const missing = await b.request('POST', `${P}/play/kube`, yaml.slice(yaml.indexOf('---') + 4), { 'Content-Type': 'text/plain' });
  assert.equal(missing.status, 400, missing.text);
  assert.match(missing.json.message, /Secret (named )?kube-sec/);
});

test('hostPath volumes by type (made when asked, checked otherwise); a Job runs to its end; generate kube of a volume is its claim', async () => {
  const dir = join(b.dir, 'khost', 'made');
  const yaml = `apiVersion: batch/v1
kind: Job
metadata: {name: kjob}
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: w
        image: busybox
        command: [sh, -c, 'echo done > /out/result']
        volumeMounts: [{name: out, mountPath: /out}]
      volumes:
      - name: out
        hostPath: {path: ${dir}, type: DirectoryOrCreate}
`;
  await podmanOk(['kube', 'play', file('kjob.yaml', yaml)]);
  await waitFor(async () => (await inspect('kjob-pod-w')).State.Status === 'exited', 10_000, 100);
  assert.equal(readFileSync(join(dir, 'result'), 'utf8'), 'done\n');
  // podman's name for docker's "no" is the empty one.
  assert.deepEqual((await inspect('kjob-pod-w')).HostConfig.RestartPolicy, { Name: '', MaximumRetryCount: 0 });
  await podmanOk(['kube', 'down', file('kjob.yaml', yaml)]);
  const r = await b.request('POST', `${P}/play/kube`, yaml.replace('DirectoryOrCreate', 'File'), { 'Content-Type': 'text/plain' });
  assert.equal(r.status, 400, r.text);
  assert.match(r.json.message, /must be a file \(type File\)/);
  // A volume by name: its claim.
  await podmanOk(['volume', 'create', '--label', 'tier=db', 'kube-vol-only']);
  const docs = validateKube(await podmanOk(['generate', 'kube', 'kube-vol-only']));
  assert.deepEqual(docs.map((d) => [d.kind, d.metadata.name, d.metadata.labels]), [['PersistentVolumeClaim', 'kube-vol-only', { tier: 'db' }]]);
  await podmanOk(['volume', 'rm', 'kube-vol-only']);
});

test('round trip from a pod made with podman: pod create -p, run --pod with env, a named volume, limits; generate → kube down → kube play', async () => {
  const port = await freePort();
  await podmanOk(['pod', 'create', '--name', 'kmade', '-p', `127.0.0.1:${port}:8080`, '--add-host', 'db.internal:10.9.8.7']);
  await podmanOk(['volume', 'create', 'kmade-data']);
  await podmanOk(['run', '-d', '--pod', 'kmade', '--name', 'kmade-web', '-e', 'ROLE=web', '-v', 'kmade-data:/www', '--memory', '32m', '--cap-drop', 'NET_RAW', '-w', '/www', 'busybox', 'httpd', '-f', '-p', '8080', '-h', '/www']);
  await podmanOk(['run', '-d', '--pod', 'kmade', '--name', 'kmade-tail', '-e', 'ROLE=tail', 'busybox', 'sleep', '600']);
  await podmanOk(['exec', 'kmade-web', 'sh', '-c', 'echo from-the-volume > /www/index.html']);
  assert.equal(await httpGet(port, '/index.html'), 'from-the-volume\n');
  const yaml = await podmanOk(['generate', 'kube', 'kmade']);
  const docs = validateKube(yaml);
  assert.deepEqual(docs.map((d) => d.kind), ['PersistentVolumeClaim', 'Pod']);
  const pod = docs[1];
  assert.equal(pod.metadata.name, 'kmade');
  assert.deepEqual(pod.spec.containers.map((c: any) => c.name), ['web', 'tail']);
  assert.deepEqual(pod.spec.hostAliases, [{ ip: '10.9.8.7', hostnames: ['db.internal'] }]);
  const before = { web: await inspect('kmade-web'), tail: await inspect('kmade-tail') };
  const f = file('kmade.yaml', yaml);
  const down = await podmanOk(['kube', 'down', f]);
  assert.match(down, /Pods removed:\n[0-9a-f]{64}/);
  assert.equal((await podmanOk(['pod', 'ps', '-q', '--filter', 'name=kmade'])).trim(), '');
  assert.ok((await volumes()).includes('kmade-data'), 'the claim\'s volume stays');
  await podmanOk(['kube', 'play', f]);
  // The same containers by name (podman names them <pod>-<container>), the same settings.
  const after = { web: await inspect('kmade-web'), tail: await inspect('kmade-tail') };
  for (const k of ['web', 'tail'] as const) {
    assert.equal(after[k].State.Status, 'running');
    assert.deepEqual(after[k].Config.Cmd, before[k].Config.Cmd);
    assert.deepEqual(after[k].Config.Env.filter((e: string) => !e.startsWith('HOSTNAME=')).sort(), before[k].Config.Env.filter((e: string) => !e.startsWith('HOSTNAME=')).sort());
    for (const h of ['Memory', 'CapDrop'] as const) assert.deepEqual(after[k].HostConfig[h], before[k].HostConfig[h], `${k} ${h}`);
  }
  assert.equal(after.web.Config.WorkingDir, '/www');
  assert.equal(await httpGet(port, '/index.html'), 'from-the-volume\n');
  assert.match(await execOut('kmade-tail', 'cat', '/etc/hosts'), /10\.9\.8\.7\s+db\.internal/);
  await podmanOk(['kube', 'down', f]);
  await podmanOk(['volume', 'rm', 'kmade-data']);
});
