// KubeService against in-memory fakes of the container, volume and secret stores: all-or-nothing
// plays (a failure takes back containers, volumes and secrets made), the secrets store's part
// (Secret documents stored as podman stores them, read back by a later play), and down.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeService, type KubeSecrets } from '../../../src/engine/kube/service.js';
import type { PodHost } from '../../../src/engine/kube/pod-host.js';
import { EngineError, conflict, notFound } from '../../../src/engine/errors.js';
import type { ContainersPort } from '../../../src/engine/containers/port.js';
import type { VolumesPort } from '../../../src/engine/volumes/port.js';
import type { CreateRequest } from '../../../src/engine/containers/types.js';

function fakes(o: { failCreate?: (r: CreateRequest) => boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'berth-kube-'));
  const ctrs = new Map<string, { id: string; name: string; req: CreateRequest; started: boolean }>();
  const vols = new Map<string, { name: string; labels: Record<string, string>; mountpoint: string; users: string[] }>();
  const secrets = new Map<string, { id: string; data: Buffer }>();
  let n = 0;
  const containers = {
    find: (ref: string) => [...ctrs.values()].find((c) => c.id === ref || c.name === ref) as never,
    get: (ref: string) => {
      const c = [...ctrs.values()].find((x) => x.id === ref || x.name === ref);
      if (!c) throw notFound(`no container ${ref}`);
      return c as never;
    },
    create: async (r: CreateRequest) => {
      if (o.failCreate?.(r)) throw new EngineError('internal', `cannot create ${r.name}`);
      const id = `c${++n}`;
      ctrs.set(id, { id, name: r.name!, req: r, started: false });
      return { id, warnings: [] };
    },
    start: async (id: string) => void (ctrs.get(id)!.started = true),
    waitState: async () => 0,
    remove: async (id: string) => {
      ctrs.delete(id);
      return id;
    },
  } as unknown as ContainersPort;
  const volumes = {
    find: (name: string) => vols.get(name) as never,
    create: async (r: { name: string; labels?: Record<string, string> }) => {
      const had = vols.get(r.name);
      if (had) return { volume: had, created: false };
      const v = { name: r.name, labels: r.labels ?? {}, mountpoint: join(dir, r.name), users: [] as string[] };
      vols.set(r.name, v);
      return { volume: v, created: true };
    },
    remove: async (name: string) => {
      const v = vols.get(name);
      if (v) rmSync(v.mountpoint, { recursive: true, force: true });
      vols.delete(name);
    },
  } as unknown as VolumesPort;
  const store: KubeSecrets = {
    create: (r) => {
      if (secrets.has(r.name)) throw conflict('exists');
      const id = `s${++n}`;
      secrets.set(r.name, { id, data: r.data });
      return { id };
    },
    data: (ref) => {
      const s = secrets.get(ref);
      if (!s) throw notFound(ref);
      return s.data;
    },
    get: (ref) => {
      const s = secrets.get(ref);
      if (!s) throw notFound(ref);
      return { id: s.id };
    },
    remove: (ref) => {
      const s = secrets.get(ref);
      if (!s) throw notFound(ref);
      secrets.delete(ref);
      return s.id;
    },
  };
  const pods = new Map<string, { id: string; name: string }>();
  const hosts: PodHost = {
    find: (ref) => {
      const p = [...pods.values()].find((x) => x.id === ref || x.name === ref);
      return p && { ...p, containers: [...ctrs.values()].filter((c) => c.req.pod === p.id).map((c) => c.id), portBindings: {}, hostNetwork: false, extraHosts: [], labels: {} };
    },
    create: async (p) => {
      if ([...pods.values()].some((x) => x.name === p.name)) throw conflict(`pod ${p.name} exists`);
      const id = `pod-id-${++n}`;
      pods.set(id, { id, name: p.name });
      return { podId: id, join: (c) => ({ ...c.create, pod: id }) };
    },
    remove: async (id) => {
      const gone = [...ctrs.values()].filter((c) => c.req.pod === id).map((c) => c.id);
      for (const c of gone) ctrs.delete(c);
      pods.delete(id);
      return gone;
    },
  };
  const svc = new KubeService({ containers, volumes, images: { config: () => ({}), ensure: async () => undefined }, hosts, secrets: store });
  return { svc, ctrs, vols, secrets, pods, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const SECRET = 'apiVersion: v1\nkind: Secret\nmetadata: {name: s1}\nstringData: {k: v1}\n';
const pod = (name: string, extra = '') => `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}}\nspec:\n  containers:\n  - name: a\n    image: busybox\n    env:\n    - name: K\n      valueFrom: {secretKeyRef: {name: s1, key: k}}\n    volumeMounts: [{name: d, mountPath: /d}]\n${extra}  volumes:\n  - {name: d, persistentVolumeClaim: {claimName: ${name}-claim}}\n`;

test('play stores Secret documents; a later play reads them from the store; down removes them', async () => {
  const f = fakes();
  try {
    const r = await f.svc.play(`${SECRET}---\n${pod('p1')}`, {});
    assert.equal(r.secrets.length, 1);
    assert.deepEqual(JSON.parse(f.secrets.get('s1')!.data.toString()).stringData, { k: 'v1' });
    const [c] = [...f.ctrs.values()];
    assert.ok(c.req.config.Env!.includes('K=v1'));
    assert.ok(c.started);
    // A pod in another YAML names the stored secret.
    await f.svc.play(pod('p2'), {});
    assert.ok([...f.ctrs.values()].find((x) => x.name === 'p2-a')!.req.config.Env!.includes('K=v1'));
    // The same Secret again is a conflict unless replace.
    await assert.rejects(f.svc.play(SECRET, {}), /secret s1 already exists/);
    const down = await f.svc.down(`${SECRET}---\n${pod('p1')}`);
    assert.deepEqual(down.secrets, [r.secrets[0]]);
    assert.equal(f.secrets.size, 0);
    assert.deepEqual([...f.ctrs.values()].map((x) => x.name), ['p2-a']);
    assert.ok(f.vols.has('p1-claim'), 'claims are kept without force');
    await f.svc.down(pod('p1-claim-owner').replace('p1-claim-owner-claim', 'p1-claim') + '---\napiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: p1-claim}\n', { force: true });
    assert.ok(!f.vols.has('p1-claim'));
  } finally {
    f.cleanup();
  }
});

test('a failing play takes back everything it made: containers, volumes, secrets; existing volumes stay', async () => {
  const f = fakes({ failCreate: (r) => r.name === 'p2-a' });
  try {
    await f.svc.play('apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: p2-claim}\n', {});
    const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {f.txt: hello}\n';
    const withCm = pod('p1', '').replace('    volumeMounts: [{name: d, mountPath: /d}]\n', '    volumeMounts: [{name: d, mountPath: /d}, {name: c, mountPath: /c}]\n') + '  - {name: c, configMap: {name: cm}}\n';
    await assert.rejects(f.svc.play(`${SECRET}---\n${cm}---\n${withCm}---\n${pod('p2')}`, {}), /cannot create p2-a/);
    assert.equal(f.ctrs.size, 0);
    assert.equal(f.pods.size, 0);
    assert.equal(f.secrets.size, 0);
    assert.deepEqual([...f.vols.keys()], ['p2-claim']);
    // Played without the failure, the ConfigMap's keys are files in the pod's volume.
    const g = fakes();
    try {
      await g.svc.play(`${SECRET}---\n${cm}---\n${withCm}`, {});
      assert.equal(readFileSync(join(g.vols.get('p1-cm')!.mountpoint, 'f.txt'), 'utf8'), 'hello');
      // Played again (replace): the copy is made anew, whatever was put in the old one.
      const mp = g.vols.get('p1-cm')!.mountpoint;
      rmSync(join(mp, 'f.txt'));
      symlinkSync('/etc/hostname', join(mp, 'f.txt'));
      await g.svc.play(`${cm.replace('hello', 'again')}---\n${withCm}`, { replace: true });
      assert.equal(readFileSync(join(g.vols.get('p1-cm')!.mountpoint, 'f.txt'), 'utf8'), 'again');
      assert.ok(!lstatSync(join(g.vols.get('p1-cm')!.mountpoint, 'f.txt')).isSymbolicLink());
    } finally {
      g.cleanup();
    }
  } finally {
    f.cleanup();
  }
});

test('a pod name in use is a conflict before anything is made; replace removes the old pod first', async () => {
  const f = fakes();
  try {
    await f.svc.play(`${SECRET}---\n${pod('p1')}`, {});
    const before = [...f.ctrs.keys()];
    await assert.rejects(f.svc.play(pod('p1'), {}), (e: unknown) => e instanceof EngineError && e.kind === 'conflict' && /pod p1 already exists/.test(e.message));
    assert.deepEqual([...f.ctrs.keys()], before);
    await f.svc.play(pod('p1'), { replace: true });
    assert.notDeepEqual([...f.ctrs.keys()], before);
    assert.equal(f.ctrs.size, 1);
    await assert.rejects(f.svc.play(`${pod('dup')}---\n${pod('dup')}`, {}), /appears twice/);
  } finally {
    f.cleanup();
  }
});
