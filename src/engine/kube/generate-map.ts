// Pure mapping of berth's containers onto kube objects (generate): a Pod (or a Deployment or a
// DaemonSet around its template), a Service for its published ports, claims for named volumes and
// ConfigMaps for the volumes a play filled from one.
import type { ContainerConfig, HostConfig, ImageConfigLite, MountSpec } from '../containers/types.js';
import { formatBytes, formatNanoCpus } from './quantity.js';
import type { IContainer, IPersistentVolumeClaim, IPodSpec, IService, IVolume, IConfigMap } from './types.js';

/** The label a play puts on a volume it filled from a ConfigMap: the ConfigMap's name. */
export const CONFIGMAP_LABEL = 'io.berth.kube.configmap';
/** The same for a Secret: generate names the secret, never its data. */
export const SECRET_LABEL = 'io.berth.kube.secret';

export interface GenContainer {
  name: string;
  imageRef: string;
  config: ContainerConfig;
  host: HostConfig;
  mounts: MountSpec[];
  /** Run to its end before the others (podman's init container annotation). */
  init?: boolean;
  /** The image's defaults: what equals them is left out, as the image gives it again. */
  image?: ImageConfigLite;
}

export interface GenVolume {
  name: string;
  labels: Record<string, string>;
  /** The files of a ConfigMap volume (key → content). */
  files?: Record<string, string>;
}

export interface GenPod {
  name: string;
  containers: GenContainer[];
  labels?: Record<string, string>;
  hostname?: string;
  hostNetwork: boolean;
  /** The published ports of the pod (its infra's, or its one container's). */
  portBindings: Record<string, { HostIp: string; HostPort: string }[]>;
  extraHosts: string[];
  volumes: Map<string, GenVolume>;
}

export type KubeKind = 'pod' | 'deployment' | 'daemonset';

/** Kubernetes object names: DNS-1123 labels (lower case, digits, '-'). */
export function kubeName(s: string): string {
  const n = s.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  return (n || 'x').slice(0, 63).replace(/-+$/, '');
}

const eq = (a: readonly string[] | null | undefined, b: readonly string[] | null | undefined) => JSON.stringify(a ?? []) === JSON.stringify(b ?? []);

// Set by the runtime or by podman for every container: giving them again would only pin them.
const RUNTIME_ENV = new Set(['HOSTNAME', 'container', 'TERM']);

function envOf(c: GenContainer): IContainer['env'] {
  const img = new Set(c.image?.Env ?? []);
  const out = c.config.Env.filter((e) => !img.has(e)).map((e) => {
    const i = e.indexOf('=');
    return i < 0 ? { name: e, value: '' } : { name: e.slice(0, i), value: e.slice(i + 1) };
  }).filter((e) => !RUNTIME_ENV.has(e.name));
  return out.length ? out : undefined;
}

const RESTART: Record<string, IPodSpec['restartPolicy']> = { always: 'Always', 'unless-stopped': 'Always', 'on-failure': 'OnFailure', no: 'Never', '': 'Never' };

function securityOf(c: GenContainer): IContainer['securityContext'] {
  const h = c.host;
  const sc: NonNullable<IContainer['securityContext']> = {};
  if (h.Privileged) sc.privileged = true;
  if (h.ReadonlyRootfs) sc.readOnlyRootFilesystem = true;
  if (h.CapAdd?.length || h.CapDrop?.length) {
    sc.capabilities = {
      ...(h.CapAdd?.length ? { add: h.CapAdd.map((x) => x.replace(/^CAP_/i, '').toUpperCase()) } : {}),
      ...(h.CapDrop?.length ? { drop: h.CapDrop.map((x) => x.replace(/^CAP_/i, '').toUpperCase()) } : {}),
    };
  }
  if (h.SecurityOpt?.some((o) => /^no-new-privileges(:true|=true)?$/.test(o))) sc.allowPrivilegeEscalation = false;
  // Only numeric users: Kubernetes knows no names (podman leaves a named user to the image).
  const m = /^(\d+)(?::(\d+))?$/.exec(c.config.User ?? '');
  if (m && c.config.User !== (c.image?.User ?? '')) {
    sc.runAsUser = Number(m[1]);
    if (m[2] !== undefined) sc.runAsGroup = Number(m[2]);
  }
  return Object.keys(sc).length ? sc : undefined;
}

/** The pod volume a mount stands for; undefined for mounts kube cannot say (image mounts). */
function volumeOf(m: MountSpec, vols: Map<string, GenVolume>): { volume: IVolume; claim?: string; configMap?: GenVolume } | undefined {
  if (m.type === 'volume' && m.name && !m.anonymous) {
    const v = vols.get(m.name);
    const secret = v?.labels[SECRET_LABEL];
    if (secret) return { volume: { name: kubeName(`${m.name}-secret`), secret: { secretName: secret } } };
    const cm = v?.labels[CONFIGMAP_LABEL];
    if (cm && v) return { volume: { name: kubeName(`${m.name}-cm`), configMap: { name: kubeName(cm) } }, configMap: { ...v, name: cm } };
    return { volume: { name: kubeName(`${m.name}-pvc`), persistentVolumeClaim: { claimName: m.name } }, claim: m.name };
  }
  if (m.type === 'volume') return { volume: { name: kubeName(`${m.destination}-empty`), emptyDir: {} } };
  if (m.type === 'bind') return { volume: { name: kubeName(`${m.source}-host`), hostPath: { path: m.source } } };
  if (m.type === 'tmpfs') return { volume: { name: kubeName(`${m.destination}-tmpfs`), emptyDir: { medium: 'Memory' } } };
  return undefined;
}

function containerOf(c: GenContainer, pod: GenPod, podVols: Map<string, IVolume>, claims: Set<string>, cms: Map<string, GenVolume>): IContainer {
  const cfg = c.config;
  const k: IContainer = { name: kubeName(c.name.startsWith(`${pod.name}-`) ? c.name.slice(pod.name.length + 1) : c.name), image: c.imageRef };
  const entryChanged = !eq(cfg.Entrypoint, c.image?.Entrypoint);
  if (entryChanged && cfg.Entrypoint?.length) k.command = [...cfg.Entrypoint];
  // A command given drops the image's CMD in Kubernetes: the args must then be said even when equal.
  if (cfg.Cmd?.length && (entryChanged || !eq(cfg.Cmd, c.image?.Cmd))) k.args = [...cfg.Cmd];
  const env = envOf(c);
  if (env) k.env = env;
  if (cfg.WorkingDir && cfg.WorkingDir !== (c.image?.WorkingDir || '/') && cfg.WorkingDir !== '/') k.workingDir = cfg.WorkingDir;
  if (cfg.Tty) k.tty = true;
  if (cfg.OpenStdin) k.stdin = true;
  const limits: Record<string, string> = {};
  if (c.host.Memory > 0) limits.memory = formatBytes(c.host.Memory);
  if (c.host.NanoCpus > 0) limits.cpu = formatNanoCpus(c.host.NanoCpus);
  else if (c.host.CpuQuota > 0 && c.host.CpuPeriod > 0) limits.cpu = formatNanoCpus(Math.round((c.host.CpuQuota / c.host.CpuPeriod) * 1e9));
  if (Object.keys(limits).length) k.resources = { limits };
  const sc = securityOf(c);
  if (sc) k.securityContext = sc;
  const mounts: NonNullable<IContainer['volumeMounts']> = [];
  for (const m of c.mounts) {
    const v = volumeOf(m, pod.volumes);
    if (!v) continue;
    podVols.set(v.volume.name, v.volume);
    if (v.claim) claims.add(v.claim);
    if (v.configMap) cms.set(v.configMap.name, v.configMap);
    mounts.push({ name: v.volume.name, mountPath: m.destination, ...(m.readOnly ? { readOnly: true } : {}) });
  }
  if (mounts.length) k.volumeMounts = mounts;
  return k;
}

type KubePort = { containerPort: number; hostPort?: number; hostIP?: string; protocol: 'TCP' | 'UDP' | 'SCTP' };

/** The pod's published ports, by `port/proto`. */
function publishedOf(pod: GenPod): Map<string, KubePort[]> {
  const out = new Map<string, KubePort[]>();
  for (const [key, bs] of Object.entries(pod.portBindings)) {
    const [port, proto = 'tcp'] = key.split('/');
    for (const b of bs ?? []) {
      const hostPort = Number(b.HostPort);
      if (!hostPort) continue;
      const ip = b.HostIp && b.HostIp !== '0.0.0.0' && b.HostIp !== '::' ? { hostIP: b.HostIp } : {};
      const list = out.get(key) ?? [];
      list.push({ containerPort: Number(port), hostPort, ...ip, protocol: proto.toUpperCase() as KubePort['protocol'] });
      out.set(key, list);
    }
  }
  return out;
}

/** What a container exposes itself (the image's EXPOSE is the image's to say again). */
function exposedOf(c: GenContainer): string[] {
  const img = new Set(Object.keys(c.image?.ExposedPorts ?? {}));
  return Object.keys(c.config.ExposedPorts ?? {}).filter((k) => !img.has(k)).map((k) => (k.includes('/') ? k : `${k}/tcp`));
}

/**
 * Each published port goes on the container exposing it (the first one when none does: in a pod
 * they are the pod's); a port a container exposes without publishing it is listed bare.
 */
function assignPorts(pod: GenPod, app: GenContainer[], kube: IContainer[]): KubePort[] {
  const published = publishedOf(pod);
  const all: KubePort[] = [];
  const exposed = app.map(exposedOf);
  const owner = (key: string) => Math.max(0, exposed.findIndex((e) => e.includes(key)));
  for (const [key, ports] of published) {
    const i = owner(key);
    (kube[i].ports ??= []).push(...ports);
    all.push(...ports);
  }
  exposed.forEach((keys, i) => {
    for (const key of keys) {
      if (published.has(key)) continue;
      const [port, proto] = key.split('/');
      (kube[i].ports ??= []).push({ containerPort: Number(port), protocol: proto.toUpperCase() as KubePort['protocol'] });
    }
  });
  return all;
}

export interface GenOutput {
  docs: object[];
}

/** The documents for one pod: claims and ConfigMaps first (a play makes them before the pod), the workload, then its Service. */
export function generatePod(pod: GenPod, o: { kind: KubeKind; replicas?: number; service?: boolean }): object[] {
  const podVols = new Map<string, IVolume>();
  const claims = new Set<string>();
  const cms = new Map<string, GenVolume>();
  const app = pod.containers.filter((c) => !c.init);
  const containers = app.map((c) => containerOf(c, pod, podVols, claims, cms));
  const initContainers = pod.containers.filter((c) => c.init).map((c) => containerOf(c, pod, podVols, claims, cms));
  const ports = containers.length ? assignPorts(pod, app, containers) : [];
  const first = pod.containers.find((c) => !c.init) ?? pod.containers[0];
  const restart = RESTART[first?.host.RestartPolicy?.Name ?? ''] ?? 'Never';
  const spec: IPodSpec = {
    ...(initContainers.length ? { initContainers } : {}),
    containers,
    restartPolicy: o.kind === 'pod' ? restart : 'Always',
    ...(pod.hostname ? { hostname: pod.hostname } : {}),
    ...(pod.hostNetwork ? { hostNetwork: true } : {}),
    ...(podVols.size ? { volumes: [...podVols.values()] } : {}),
  };
  const aliases = new Map<string, string[]>();
  for (const e of pod.extraHosts) {
    const i = e.indexOf(':');
    if (i <= 0) continue;
    const [host, ip] = [e.slice(0, i), e.slice(i + 1)];
    aliases.set(ip, [...(aliases.get(ip) ?? []), host]);
  }
  if (aliases.size) spec.hostAliases = [...aliases].map(([ip, hostnames]) => ({ ip, hostnames }));
  const name = kubeName(pod.name);
  const labels = { app: name, ...(pod.labels ?? {}) };
  const docs: object[] = [];
  for (const claim of claims) docs.push(claimDoc(claim, pod.volumes.get(claim)));
  for (const cm of cms.values()) docs.push(configMapDoc(cm));
  if (o.kind === 'pod') docs.push({ apiVersion: 'v1', kind: 'Pod', metadata: { name, labels }, spec });
  else {
    const template = { metadata: { labels }, spec };
    const selector = { matchLabels: { app: name } };
    if (o.kind === 'deployment') docs.push({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: `${name}-deployment`, labels }, spec: { replicas: Math.max(1, o.replicas ?? 1), selector, template } });
    else docs.push({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: `${name}-daemonset`, labels }, spec: { selector, template } });
  }
  if (o.service && ports.length) docs.push(serviceDoc(name, ports));
  return docs;
}

function claimDoc(name: string, v: GenVolume | undefined): IPersistentVolumeClaim {
  const labels = Object.fromEntries(Object.entries(v?.labels ?? {}).filter(([k]) => k !== CONFIGMAP_LABEL && k !== SECRET_LABEL));
  return {
    apiVersion: 'v1', kind: 'PersistentVolumeClaim',
    metadata: { name, ...(Object.keys(labels).length ? { labels } : {}) },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
  };
}

function configMapDoc(v: GenVolume): IConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: kubeName(v.name) }, data: { ...(v.files ?? {}) } };
}

function serviceDoc(name: string, ports: KubePort[]): IService {
  return {
    apiVersion: 'v1', kind: 'Service', metadata: { name, labels: { app: name } },
    spec: {
      type: 'NodePort', selector: { app: name },
      ports: ports.map((p) => ({ name: `${p.containerPort}-${p.protocol.toLowerCase()}`, port: p.containerPort, targetPort: p.containerPort, protocol: p.protocol })),
    },
  };
}

/** A claim on its own (`generate` of a volume). */
export function generateVolume(v: GenVolume): object {
  return claimDoc(v.name, v);
}
