// kube play and down: documents sorted by kind, every pod planned and checked before anything is
// made, then volumes, secrets, pods and their containers made in order and taken back on a failure.
import { badParameter, conflict, EngineError } from '../errors.js';
import { clip } from '../../lib/clip.js';
import { nameOf } from './names.js';
import { configMapData, podsOf, secretData, WORKLOAD_KINDS, type PodSource } from './workloads.js';
import { planPod, type ConfigMaps, type PodPlan } from './play-map.js';
import { CONFIGMAP_LABEL, SECRET_LABEL } from './generate-map.js';
import { checkHostPath, makeHostPath, writeFiles } from './files.js';
import type { KubePort } from './port.js';
import type { ContainersPort } from '../containers/port.js';
import type { VolumesPort } from '../volumes/port.js';
import type { ContainerView, ImageConfigLite } from '../containers/types.js';
import type { GenerateRequest, KubeDoc, KubePlan, PlayOptions, PlayReport, PlayedPod, TeardownReport } from './types.js';
import { networkOf, type PodHost } from './pod-host.js';

/**
 * The YAML parser and printer (the yaml package: ~280 KB of rest.cjs, ~1.4 MiB of heap) load with
 * the first kube request, not with the engine that every service warm-up loads.
 */
const kubeYaml = () => import('./parse.js');

export interface KubeDeps {
  containers: ContainersPort;
  volumes: VolumesPort;
  /** An image's defaults by reference; `ensure` pulls one that is not stored (podman's policy: missing). */
  images: { config(ref: string): ImageConfigLite | undefined; ensure(ref: string): Promise<void> };
  hosts: PodHost;
  /** The secrets store, when the engine has one: Secret documents are stored there, secretKeyRef reads it. */
  secrets?: KubeSecrets;
}

/** What play and down need of the secrets store (SecretsPort has it). */
export interface KubeSecrets {
  create(req: { name: string; data: Buffer; labels?: Record<string, string> }): { id: string };
  /** The data of a secret by name; throws when there is none. */
  data(ref: string): Buffer;
  get(ref: string): { id: string };
  remove(ref: string): string;
}

/** Kinds a play accepts without acting on them, and why. */
const INFORMATIONAL: Record<string, string> = {
  Service: 'ports are published from the pods\' hostPort fields',
};

/** Everything one play made, so a failure can take it back. */
interface Made {
  containers: string[];
  pods: string[];
  volumes: string[];
  secrets: string[];
}

export class KubeService implements KubePort {
  constructor(private deps: KubeDeps) {}

  // ---- generate ---------------------------------------------------------------------------------

  async generate(req: GenerateRequest): Promise<string> {
    const { generateKube } = await import('./generate.js');
    return generateKube(this.deps, req);
  }

  // ---- play -------------------------------------------------------------------------------------

  async plan(yaml: string, opts: PlayOptions): Promise<KubePlan> {
    return {
      pods: (await this.planned(yaml, opts)).plans.map((p) => ({
        name: p.name,
        networkMode: networkOf(p.net).mode,
        containers: p.containers.map((c) => ({ name: c.name, init: c.init, create: c.create })),
      })),
    };
  }

  async play(yaml: string, opts: PlayOptions): Promise<PlayReport> {
    const { report, plans, secretDocs, claims } = await this.planned(yaml, opts);
    for (const d of secretDocs) {
      if (this.secretExists(nameOf(d)) && !opts.replace) throw conflict(`secret ${clip(nameOf(d))} already exists: remove it first or play with replace`);
    }
    for (const p of plans) for (const c of p.containers) await this.deps.images.ensure(c.create.config.Image!);
    for (const p of plans) for (const h of p.hostPaths) checkHostPath(h);
    for (const p of plans) {
      if (!this.inUse(p)) continue;
      if (!opts.replace) throw conflict(`pod ${clip(p.name)} already exists: remove it first or play with replace`);
    }
    if (opts.replace) for (const p of plans) if (this.inUse(p)) await this.removePod(p.name, p.containers.map((c) => c.name));

    const made: Made = { containers: [], pods: [], volumes: [], secrets: [] };
    try {
      for (const d of secretDocs) {
        const name = nameOf(d);
        // Only with replace (checked above) is there one of that name to replace.
        if (this.secretExists(name)) this.deps.secrets!.remove(name);
        // podman's form: the Secret document itself, as JSON.
        const { id } = this.deps.secrets!.create({ name, data: Buffer.from(JSON.stringify(d)), labels: d.metadata?.labels });
        made.secrets.push(name);
        report.secrets.push(id);
      }
      for (const c of claims) {
        const name = nameOf(c);
        const { created } = await this.deps.volumes.create({ name, labels: c.metadata?.labels, ifExists: 'return' });
        if (created) made.volumes.push(name);
        report.volumes.push(name);
      }
      for (const p of plans) report.pods.push(await this.playPod(p, opts, made));
    } catch (e) {
      await this.rollBack(made);
      throw e;
    }
    return report;
  }

  /** The documents sorted and every pod planned: nothing made, nothing pulled. */
  private async planned(yaml: string, opts: PlayOptions): Promise<{ report: PlayReport; plans: PodPlan[]; secretDocs: KubeDoc[]; claims: KubeDoc[] }> {
    const docs = (await kubeYaml()).parseKubeYaml(yaml);
    const report: PlayReport = { pods: [], volumes: [], secrets: [], skipped: [] };
    const configMaps: ConfigMaps = new Map();
    const secrets: ConfigMaps = new Map();
    const secretDocs: KubeDoc[] = [];
    const claims: KubeDoc[] = [];
    const sources: PodSource[] = [];
    for (const d of docs) {
      if (d.kind === 'ConfigMap') configMaps.set(nameOf(d), configMapData(d));
      else if (d.kind === 'PersistentVolumeClaim') claims.push(d);
      else if (WORKLOAD_KINDS.has(d.kind!)) sources.push(...podsOf(d));
      else if (d.kind === 'Secret') {
        secrets.set(nameOf(d), secretData(d));
        if (this.deps.secrets) secretDocs.push(d);
        else report.skipped.push({ kind: d.kind, name: nameOf(d), reason: 'not stored: this berth has no secrets store (its data serves the pods of this YAML only)' });
      }
      else if (Object.hasOwn(INFORMATIONAL, d.kind!)) report.skipped.push({ kind: d.kind!, name: d.metadata?.name ?? '', reason: INFORMATIONAL[d.kind!] });
      else report.skipped.push({ kind: d.kind!, name: d.metadata?.name ?? '', reason: `kind ${d.kind} is not supported: skipped` });
    }
    this.storedSecrets(sources, secrets);
    // Everything is checked before anything is made.
    const plans = sources.map((s, index) => planPod({ podName: s.podName, labels: s.labels, annotations: s.annotations, spec: s.spec, configMaps, secrets, opts, index, allowedRestart: s.allowedRestart }));
    const names = new Set<string>();
    for (const p of plans) {
      if (names.has(p.name)) throw badParameter(`pod name ${clip(p.name)} appears twice in the YAML`);
      names.add(p.name);
    }
    return { report, plans, secretDocs, claims };
  }

  private secretExists(name: string): boolean {
    try {
      return !!this.deps.secrets?.get(name);
    } catch {
      return false;
    }
  }

  private inUse(p: PodPlan): boolean {
    return !!this.deps.hosts.find(p.name) || p.containers.some((c) => this.deps.containers.find(c.name)?.name === c.name);
  }

  private async playPod(p: PodPlan, opts: PlayOptions, made: Made): Promise<PlayedPod> {
    for (const v of p.volumes) {
      const labels: Record<string, string> | undefined = v.configMap ? { [CONFIGMAP_LABEL]: v.configMap.name } : v.secret ? { [SECRET_LABEL]: v.secret.name } : undefined;
      const filled = v.configMap ?? v.secret;
      // A ConfigMap's or Secret's volume is made anew, empty, at every play: files are written
      // only into a directory no container has had (nothing in it can point elsewhere).
      const old = filled && this.deps.volumes.find(v.name);
      if (old) {
        if (old.users.length) throw conflict(`volume ${clip(v.name)} (the pod's copy of ${clip(filled.name)}) is in use by other containers`);
        await this.deps.volumes.remove(v.name);
      }
      const { volume, created } = await this.deps.volumes.create({ name: v.name, labels, ifExists: 'return' });
      if (created) made.volumes.push(v.name);
      if (filled) writeFiles(volume.mountpoint, filled.files, v.secret ? 0o600 : 0o644);
    }
    for (const h of p.hostPaths) makeHostPath(h);
    const host = await this.deps.hosts.create(p);
    made.pods.push(host.podId);
    const played: PlayedPod = { id: host.podId, name: p.name, containers: [], initContainers: [], containerErrors: [] };
    const ids: { id: string; init: boolean }[] = [];
    for (const c of p.containers) {
      const { id } = await this.deps.containers.create(host.join(c));
      made.containers.push(id);
      ids.push({ id, init: c.init });
      (c.init ? played.initContainers : played.containers).push(id);
    }
    if (opts.start === false) return played;
    // Init containers run to their end, one after the other, before the pod's containers start.
    for (const { id } of ids.filter((x) => x.init)) {
      await this.deps.containers.start(id);
      const code = await this.deps.containers.waitState(id, ['exited', 'stopped']);
      if (code !== 0) throw new EngineError('internal', `init container ${clip(this.deps.containers.get(id).name)} of pod ${clip(p.name)} exited with code ${code}`);
    }
    // Each member on its own (a member's start starts the pod's infra first): a pod start would
    // run the init containers again.
    for (const { id } of ids.filter((x) => !x.init)) await this.deps.containers.start(id);
    return played;
  }

  private async rollBack(made: Made): Promise<void> {
    for (const id of [...made.containers].reverse()) await this.deps.containers.remove(id, { force: true, volumes: true }).catch(() => undefined);
    for (const id of [...made.pods].reverse()) await this.deps.hosts.remove(id).catch(() => undefined);
    for (const name of [...made.volumes].reverse()) await this.deps.volumes.remove(name, { force: true }).catch(() => undefined);
    for (const name of made.secrets) {
      try {
        this.deps.secrets?.remove(name);
      } catch {
        // already gone
      }
    }
  }

  /** Secrets the pods name that the YAML does not carry, read from the store (podman keeps a Secret document as its data). */
  private storedSecrets(sources: PodSource[], secrets: ConfigMaps): void {
    const store = this.deps.secrets;
    if (!store) return;
    const wanted = new Set<string>();
    for (const s of sources) {
      for (const c of [...(s.spec?.containers ?? []), ...(s.spec?.initContainers ?? [])]) {
        for (const e of c?.env ?? []) if (e.valueFrom?.secretKeyRef?.name) wanted.add(e.valueFrom.secretKeyRef.name);
        for (const f of c?.envFrom ?? []) if (f.secretRef?.name) wanted.add(f.secretRef.name);
      }
      for (const v of s.spec?.volumes ?? []) if (v.secret?.secretName) wanted.add(v.secret.secretName);
    }
    for (const name of wanted) {
      if (secrets.has(name)) continue;
      let raw: Buffer;
      try {
        raw = store.data(name);
      } catch {
        continue;
      }
      try {
        const doc = JSON.parse(raw.toString('utf8')) as KubeDoc;
        secrets.set(name, secretData(doc));
      } catch {
        // A secret made outside kube play has no keys: it is not a Secret document.
      }
    }
  }

  // ---- down -------------------------------------------------------------------------------------

  async down(yaml: string, opts: { force?: boolean } = {}): Promise<TeardownReport> {
    const docs = (await kubeYaml()).parseKubeYaml(yaml);
    const report: TeardownReport = { stopped: [], removed: [], volumes: [], secrets: [] };
    const cmVolumes: string[] = [];
    for (const d of docs) {
      if (!WORKLOAD_KINDS.has(d.kind!)) continue;
      for (const s of podsOf(d)) {
        const all = [...(s.spec?.initContainers ?? []), ...(s.spec?.containers ?? [])];
        const r = await this.removePod(s.podName, all.map((c) => `${s.podName}-${c?.name}`));
        if (r) {
          report.stopped.push(r.id);
          report.removed.push(r);
        }
        for (const v of s.spec?.volumes ?? []) {
          const src = v.configMap?.name ?? v.secret?.secretName;
          if (src) cmVolumes.push(`${s.podName}-${src}`);
        }
      }
    }
    for (const d of docs) {
      if (d.kind !== 'Secret' || !this.deps.secrets) continue;
      try {
        report.secrets.push(this.deps.secrets.remove(nameOf(d)));
      } catch {
        // not stored (or removed already)
      }
    }
    // A ConfigMap's (or Secret's) volume is the play's own copy: it goes with its pod.
    for (const name of cmVolumes) if (this.deps.volumes.find(name)) await this.deps.volumes.remove(name, { force: true }).catch(() => undefined);
    if (opts.force) {
      for (const d of docs) {
        if (d.kind !== 'PersistentVolumeClaim') continue;
        const name = nameOf(d);
        if (!this.deps.volumes.find(name)) continue;
        await this.deps.volumes.remove(name, { force: true });
        report.volumes.push(name);
      }
    }
    return report;
  }

  /** Stops and removes a pod (or, without one, containers left of the names a play gives); undefined when there is none. */
  private async removePod(podName: string, ctrNames: string[]): Promise<{ id: string; containers: string[]; error?: string } | undefined> {
    const pod = this.deps.hosts.find(podName);
    if (pod) {
      const containers = await this.deps.hosts.remove(pod.id);
      return { id: pod.id, containers };
    }
    const ids = ctrNames.map((n) => this.deps.containers.find(n)).filter((c): c is ContainerView => !!c && ctrNames.includes(c.name)).map((c) => c.id);
    if (!ids.length) return undefined;
    const errors: string[] = [];
    // The containers joined the first one's network: it goes last.
    for (const id of [...ids].reverse()) await this.deps.containers.remove(id, { force: true }).catch((e: Error) => errors.push(e.message));
    return { id: ids[0], containers: ids, ...(errors.length ? { error: errors.join('; ') } : {}) };
  }
}
