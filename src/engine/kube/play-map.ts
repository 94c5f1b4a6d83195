// Pure mapping of a kube pod spec onto berth's create requests (play): what each container is
// made of, what the pod holds (ports, networks, hosts, hostname) and the volumes it needs.
import { badParameter } from '../errors.js';
import { clip } from '../../lib/clip.js';
import { parseQuantity } from './quantity.js';
import type { CreateRequest, HostConfig, RestartPolicy } from '../containers/types.js';
import type { IContainer, IPodSpec, IVolume, PlayOptions } from './types.js';

/** What a ConfigMap holds, by its name. */
export type ConfigMaps = Map<string, Record<string, string>>;

/** Settings of the pod as a whole: on the pod (or on the container holding its namespaces). */
export interface PodNet {
  hostname?: string;
  hostNetwork: boolean;
  /** `containerPort/proto` → host bindings, from every container's ports with a hostPort. */
  portBindings: Record<string, { HostIp: string; HostPort: string }[]>;
  exposed: string[];
  extraHosts: string[];
  networks: string[];
  staticIP?: string;
  staticMAC?: string;
}

/** A volume the pod needs made before its containers: a claim's, or a ConfigMap's filled with its keys. */
export interface VolumeNeed {
  name: string;
  configMap?: { name: string; files: Record<string, string> };
  secret?: { name: string; files: Record<string, string> };
}

export interface ContainerPlan {
  /** The kube container's own name; berth's is `<pod>-<name>`. */
  kubeName: string;
  name: string;
  init: boolean;
  create: CreateRequest;
}

export interface PodPlan {
  name: string;
  labels: Record<string, string>;
  net: PodNet;
  volumes: VolumeNeed[];
  /** Host paths to check (or make) before the containers: what their hostPath type asks. */
  hostPaths: { path: string; type: HostPathType }[];
  containers: ContainerPlan[];
  restart: RestartPolicy;
}

/** podman's mark of an init container (its value: when it runs, `always` or `once`); generate reads it back. */
export const INIT_ANNOTATION = 'io.podman.annotations.init.container.type';

const RESTART: Record<string, RestartPolicy['Name']> = { Always: 'always', OnFailure: 'on-failure', Never: 'no' };

const PROTOCOLS = new Set(['TCP', 'UDP', 'SCTP']);

type Mount = NonNullable<HostConfig['Mounts']>[number];

/** What one pod volume becomes at a mount: a mount entry (without its target) and the volume to make. */
/** hostPath types berth honours; '' (no check in Kubernetes) makes a missing directory, as podman does. */
const HOST_PATH_TYPES = new Set(['', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket']);
/** '' is Kubernetes' unchecked type: whatever is there, a directory made when nothing is. */
export type HostPathType = '' | 'DirectoryOrCreate' | 'Directory' | 'FileOrCreate' | 'File' | 'Socket';

function podVolume(v: IVolume, cms: ConfigMaps, secrets: ConfigMaps, podName: string): { mount: Omit<Mount, 'Target'>; need?: VolumeNeed; hostPath?: { path: string; type: HostPathType } } {
  if (v.persistentVolumeClaim) {
    const claim = v.persistentVolumeClaim.claimName;
    if (!claim) throw badParameter(`volume ${clip(v.name)}: persistentVolumeClaim has no claimName`);
    return { mount: { Type: 'volume', Source: claim, ReadOnly: v.persistentVolumeClaim.readOnly === true }, need: { name: claim } };
  }
  if (v.hostPath) {
    const path = v.hostPath.path ?? '';
    // podman's reading: a path without a slash names a volume.
    if (path && !path.includes('/')) return { mount: { Type: 'volume', Source: path, ReadOnly: false }, need: { name: path } };
    if (!path.startsWith('/')) throw badParameter(`volume ${clip(v.name)}: hostPath.path must be absolute`);
    const type = v.hostPath.type ?? '';
    if (!HOST_PATH_TYPES.has(type)) throw badParameter(`volume ${clip(v.name)}: hostPath type ${clip(type)} is not supported (${[...HOST_PATH_TYPES].filter(Boolean).join(', ')} are)`);
    return { mount: { Type: 'bind', Source: path }, hostPath: { path, type: type as HostPathType } };
  }
  if (v.emptyDir) {
    if (v.emptyDir.medium === 'Memory') {
      const size = v.emptyDir.sizeLimit === undefined ? undefined : parseQuantity(v.emptyDir.sizeLimit as string, `volume ${v.name} sizeLimit`);
      return { mount: { Type: 'tmpfs', ...(size ? { TmpfsOptions: { SizeBytes: Math.ceil(size) } } : {}) } };
    }
    // Its own volume for the pod: podman makes an anonymous one.
    return { mount: { Type: 'volume' } };
  }
  const src = v.configMap
    ? { what: 'ConfigMap', name: v.configMap.name ?? '', items: v.configMap.items, optional: v.configMap.optional, store: cms }
    : v.secret
      ? { what: 'Secret', name: v.secret.secretName ?? '', items: v.secret.items, optional: v.secret.optional, store: secrets }
      : undefined;
  if (src) {
    const data = src.store.get(src.name);
    if (!data) {
      if (src.optional) return { mount: { Type: 'volume' } };
      throw badParameter(`volume ${clip(v.name)}: no ${src.what} named ${clip(src.name)} in the YAML${src.what === 'Secret' ? ' or the secrets store' : ''}`);
    }
    const files: Record<string, string> = {};
    if (src.items?.length) {
      for (const it of src.items) {
        if (!(it.key in data)) throw badParameter(`volume ${clip(v.name)}: ${src.what} ${clip(src.name)} has no key ${clip(it.key)}`);
        files[it.path] = data[it.key];
      }
    } else Object.assign(files, data);
    for (const p of Object.keys(files)) {
      const parts = p.split('/');
      if (p.startsWith('/') || parts.some((x) => x === '' || x === '.' || x === '..')) throw badParameter(`volume ${clip(v.name)}: path ${clip(p)} must be relative, without empty, . or .. parts`);
    }
    // One volume per pod and source, so two pods of a YAML never share (or remove) each other's.
    const name = `${podName}-${src.name}`;
    return { mount: { Type: 'volume', Source: name, ReadOnly: true }, need: { name, [src.what === 'Secret' ? 'secret' : 'configMap']: { name: src.name, files } } };
  }
  const kinds = Object.keys(v).filter((k) => k !== 'name');
  throw badParameter(`volume ${clip(v.name)}: the ${clip(kinds.join(', ') || 'empty')} volume type is not supported by berth (persistentVolumeClaim, hostPath, emptyDir, configMap, secret are)`);
}

function envOf(c: IContainer, cms: ConfigMaps, secrets: ConfigMaps, podName: string): string[] {
  const env = new Map<string, string>();
  for (const from of c.envFrom ?? []) {
    const ref = from.secretRef ?? from.configMapRef;
    const what = from.secretRef ? 'Secret' : 'ConfigMap';
    const name = ref?.name ?? '';
    const data = (from.secretRef ? secrets : cms).get(name);
    if (!data) {
      if (ref?.optional) continue;
      throw badParameter(`container ${clip(c.name)}: envFrom names ${what} ${clip(name)}, which is not in the YAML${from.secretRef ? ' or the secrets store' : ''}`);
    }
    for (const [k, v] of Object.entries(data)) env.set(`${from.prefix ?? ''}${k}`, v);
  }
  for (const e of c.env ?? []) {
    if (!e.name) throw badParameter(`container ${clip(c.name)}: an env entry has no name`);
    const ref = e.valueFrom;
    if (!ref) {
      env.set(e.name, e.value ?? '');
      continue;
    }
    if (ref.configMapKeyRef) {
      const data = cms.get(ref.configMapKeyRef.name ?? '');
      const v = data?.[ref.configMapKeyRef.key];
      if (v === undefined) {
        if (ref.configMapKeyRef.optional) continue;
        throw badParameter(`container ${clip(c.name)}: env ${clip(e.name)} needs key ${clip(ref.configMapKeyRef.key)} of ConfigMap ${clip(ref.configMapKeyRef.name ?? '')}, which the YAML does not have`);
      }
      env.set(e.name, v);
    } else if (ref.fieldRef) {
      if (ref.fieldRef.fieldPath === 'metadata.name') env.set(e.name, podName);
    } else if (ref.secretKeyRef) {
      const v = secrets.get(ref.secretKeyRef.name ?? '')?.[ref.secretKeyRef.key];
      if (v === undefined) {
        if (ref.secretKeyRef.optional) continue;
        throw badParameter(`container ${clip(c.name)}: env ${clip(e.name)} needs key ${clip(ref.secretKeyRef.key)} of Secret ${clip(ref.secretKeyRef.name ?? '')}, which neither the YAML nor the secrets store has`);
      }
      env.set(e.name, v);
    }
  }
  return [...env].map(([k, v]) => `${k}=${v}`);
}

function resourcesOf(c: IContainer): Partial<HostConfig> {
  const lim = c.resources?.limits ?? {};
  const h: Partial<HostConfig> = {};
  if (lim.memory !== undefined) h.Memory = Math.ceil(parseQuantity(lim.memory as string, `container ${c.name} memory limit`));
  if (lim.cpu !== undefined) h.NanoCpus = Math.ceil(parseQuantity(lim.cpu as string, `container ${c.name} cpu limit`) * 1e9);
  const req = c.resources?.requests ?? {};
  if (req.memory !== undefined) h.MemoryReservation = Math.ceil(parseQuantity(req.memory as string, `container ${c.name} memory request`));
  return h;
}

/**
 * A seccomp or AppArmor profile (the container's field over the pod's, then the older annotations):
 * Unconfined switches confinement off; RuntimeDefault is berth's own; a Localhost profile is refused.
 */
function profileOf(what: 'seccomp' | 'apparmor', c: IContainer, spec: IPodSpec, annotations: Record<string, string>): string | undefined {
  const field = what === 'seccomp' ? 'seccompProfile' : 'appArmorProfile';
  const given = c.securityContext?.[field]?.type ?? spec.securityContext?.[field]?.type;
  const legacy = what === 'seccomp'
    ? annotations[`container.seccomp.security.alpha.kubernetes.io/${c.name}`] ?? annotations['seccomp.security.alpha.kubernetes.io/pod']
    : annotations[`container.apparmor.security.beta.kubernetes.io/${c.name}`];
  if (given === 'Unconfined' || (!given && legacy === 'unconfined')) return `${what}=unconfined`;
  if (given === 'Localhost' || (!given && legacy?.startsWith('localhost/'))) throw badParameter(`container ${clip(c.name)}: a Localhost ${what} profile is not supported by berth yet`);
  if (given && given !== 'RuntimeDefault') throw badParameter(`container ${clip(c.name)}: ${field} type ${clip(given)} is not one of RuntimeDefault, Unconfined, Localhost`);
  return undefined;
}

/** The security context of the container over the pod's, and the pod's host namespaces. */
function securityOf(c: IContainer, spec: IPodSpec, annotations: Record<string, string>): { h: Partial<HostConfig>; user?: string } {
  const sc = c.securityContext ?? {};
  const psc = spec.securityContext ?? {};
  const h: Partial<HostConfig> = {};
  if (sc.privileged) h.Privileged = true;
  if (sc.readOnlyRootFilesystem) h.ReadonlyRootfs = true;
  if (sc.capabilities?.add?.length) h.CapAdd = sc.capabilities.add.map((x) => x.toUpperCase());
  if (sc.capabilities?.drop?.length) h.CapDrop = sc.capabilities.drop.map((x) => x.toUpperCase());
  const opts: string[] = [];
  if (sc.allowPrivilegeEscalation === false) opts.push('no-new-privileges');
  for (const what of ['seccomp', 'apparmor'] as const) {
    const o = profileOf(what, c, spec, annotations);
    if (o) opts.push(o);
  }
  if (opts.length) h.SecurityOpt = opts;
  // The pod's namespaces but the network (the pod's infra holds that) are each member's own.
  if (spec.hostPID) h.PidMode = 'host';
  if (spec.hostIPC) h.IpcMode = 'host';
  const uid = sc.runAsUser ?? psc.runAsUser;
  const gid = sc.runAsGroup ?? psc.runAsGroup;
  const user = uid !== undefined ? `${uid}${gid !== undefined ? `:${gid}` : ''}` : undefined;
  return { h, user };
}

/** The container's ports into the pod's; resolves with the container's own (`port/proto`), which it exposes. */
function portsOf(c: IContainer, net: PodNet, hostUsed: Set<string>): string[] {
  const own: string[] = [];
  for (const p of c.ports ?? []) {
    const port = p.containerPort;
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw badParameter(`container ${clip(c.name)}: containerPort ${clip(String(port))} is not a port (1-65535)`);
    const proto = (p.protocol ?? 'TCP').toUpperCase();
    if (!PROTOCOLS.has(proto)) throw badParameter(`container ${clip(c.name)}: protocol ${clip(proto)} is not TCP, UDP or SCTP`);
    const key = `${port}/${proto.toLowerCase()}`;
    net.exposed.push(key);
    own.push(key);
    if (p.hostPort === undefined || p.hostPort === 0) continue;
    if (!Number.isInteger(p.hostPort) || p.hostPort < 1 || p.hostPort > 65535) throw badParameter(`container ${clip(c.name)}: hostPort ${clip(String(p.hostPort))} is not a port (1-65535)`);
    const hostKey = `${p.hostIP ?? ''}:${p.hostPort}/${proto.toLowerCase()}`;
    if (hostUsed.has(hostKey)) throw badParameter(`host port ${p.hostPort}/${proto.toLowerCase()} is asked for twice in the pod`);
    hostUsed.add(hostKey);
    (net.portBindings[key] ??= []).push({ HostIp: p.hostIP ?? '', HostPort: String(p.hostPort) });
  }
  return own;
}

export interface PlanInput {
  podName: string;
  labels?: Record<string, string>;
  /** The pod's (or template's) annotations: its containers carry them, under the play's own. */
  annotations?: Record<string, string>;
  spec: IPodSpec | undefined;
  configMaps: ConfigMaps;
  /** Secrets' data by name (the YAML's Secret documents, then the secrets store's). */
  secrets?: ConfigMaps;
  opts: PlayOptions;
  /** This pod's index among the pods of the play (staticIPs, staticMACs). */
  index: number;
  /** Restart policies the workload kind allows (a Deployment only Always). */
  allowedRestart?: string[];
}

/** The pod and its containers as berth makes them; any invalid field is a bad parameter naming it. */
export function planPod(inp: PlanInput): PodPlan {
  const { podName, spec, configMaps, opts } = inp;
  const secrets = inp.secrets ?? new Map<string, Record<string, string>>();
  if (!spec || !Array.isArray(spec.containers) || !spec.containers.length) throw badParameter(`pod ${clip(podName)}: spec.containers is empty`);
  const restartName = spec.restartPolicy ?? 'Always';
  if (!(restartName in RESTART) || (inp.allowedRestart && !inp.allowedRestart.includes(restartName))) {
    throw badParameter(`pod ${clip(podName)}: restartPolicy ${clip(restartName)} is not one of ${(inp.allowedRestart ?? Object.keys(RESTART)).join(', ')}`);
  }
  const restart: RestartPolicy = { Name: RESTART[restartName], MaximumRetryCount: 0 };
  const net: PodNet = {
    hostname: spec.hostname,
    hostNetwork: spec.hostNetwork === true,
    portBindings: {},
    exposed: [],
    extraHosts: (spec.hostAliases ?? []).flatMap((a) => (a.hostnames ?? []).map((h) => `${h}:${a.ip}`)),
    networks: opts.networks ?? [],
    staticIP: opts.staticIPs?.[inp.index],
    staticMAC: opts.staticMACs?.[inp.index],
  };
  const vols = new Map<string, IVolume>();
  for (const v of spec.volumes ?? []) {
    if (!v.name) throw badParameter(`pod ${clip(podName)}: a volume has no name`);
    vols.set(v.name, v);
  }
  const needs = new Map<string, VolumeNeed>();
  const hostPaths = new Map<string, { path: string; type: HostPathType }>();
  const seen = new Set<string>();
  const hostUsed = new Set<string>();
  const containers: ContainerPlan[] = [];
  const all = [...(spec.initContainers ?? []).map((c) => ({ c, init: true })), ...spec.containers.map((c) => ({ c, init: false }))];
  for (const { c, init } of all) {
    if (!c || typeof c.name !== 'string' || !c.name) throw badParameter(`pod ${clip(podName)}: a container has no name`);
    if (seen.has(c.name)) throw badParameter(`pod ${clip(podName)}: two containers are named ${clip(c.name)}`);
    seen.add(c.name);
    if (typeof c.image !== 'string' || !c.image.trim()) throw badParameter(`pod ${clip(podName)}: container ${clip(c.name)} has no image`);
    const exposed = init ? [] : portsOf(c, net, hostUsed);
    const mounts: Mount[] = [];
    for (const vm of c.volumeMounts ?? []) {
      const v = vols.get(vm.name);
      if (!v) throw badParameter(`container ${clip(c.name)}: volumeMount ${clip(vm.name)} names no volume of the pod`);
      if (!vm.mountPath?.startsWith('/')) throw badParameter(`container ${clip(c.name)}: mountPath ${clip(vm.mountPath ?? '')} must be absolute`);
      const { mount, need, hostPath } = podVolume(v, configMaps, secrets, podName);
      if (need) needs.set(need.name, need);
      if (hostPath) hostPaths.set(hostPath.path, hostPath);
      // emptyDir volumes are shared by the pod's containers: name them for the pod.
      const anon = v.emptyDir && mount.Type === 'volume' ? { Source: `${podName}-${v.name}` } : {};
      if (anon.Source) needs.set(anon.Source, { name: anon.Source });
      mounts.push({ ...mount, ...anon, Target: vm.mountPath, ReadOnly: mount.ReadOnly || vm.readOnly === true });
    }
    const sec = securityOf(c, spec, inp.annotations ?? {});
    const hostConfig: Partial<HostConfig> = {
      ...resourcesOf(c),
      ...sec.h,
      Mounts: mounts,
      // Init containers run once, before the others; they never restart.
      RestartPolicy: init ? { Name: 'no', MaximumRetryCount: 0 } : restart,
      ...(opts.logDriver ? { LogConfig: { Type: opts.logDriver, Config: opts.logOptions ?? {} } } : {}),
    };
    const config: CreateRequest['config'] = {
      Image: c.image.trim(),
      Env: envOf(c, configMaps, secrets, podName),
      Labels: { ...(inp.labels ?? {}) },
      Tty: c.tty === true,
      OpenStdin: c.stdin === true,
      ...(c.command?.length ? { Entrypoint: c.command.map(String), Cmd: (c.args ?? []).map(String) } : c.args?.length ? { Cmd: c.args.map(String) } : {}),
      // Its ports, exposed (published through the pod): generate gives them back to this container.
      ...(exposed.length ? { ExposedPorts: Object.fromEntries(exposed.map((k) => [k, {}])) } : {}),
      ...(c.workingDir ? { WorkingDir: c.workingDir } : {}),
      ...(sec.user ? { User: sec.user } : {}),
    };
    containers.push({
      kubeName: c.name,
      name: `${podName}-${c.name}`,
      init,
      create: { name: `${podName}-${c.name}`, config, hostConfig, flavor: 'podman', annotations: { ...(inp.annotations ?? {}), ...(opts.annotations ?? {}), ...(init ? { [INIT_ANNOTATION]: 'always' } : {}) } },
    });
  }
  return { name: podName, labels: inp.labels ?? {}, net, volumes: [...needs.values()], hostPaths: [...hostPaths.values()], containers, restart };
}
