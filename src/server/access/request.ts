// The layer-neutral picture of a request that can hand out the host: what the body rules of a
// policy judge and what the audit log records. Each route that creates something runnable builds
// one from its own body (compat or libpod create, exec create, volume create, pod create, play
// kube, build) and passes it to `guard` (hook.ts) before calling the engine.
import type { CreateRequest } from '../../engine/containers/types.js';
import type { ExecCreateRequest } from '../../engine/exec/types.js';
import type { VolumeCreateRequest } from '../../engine/volumes/types.js';
import type { PodCreateRequest, PodView } from '../../engine/pods/types.js';
import type { BuildRequest } from '../../engine/build/types.js';
import type { KubePlan } from '../../engine/kube/types.js';

export type GuardedKind = 'container-create' | 'exec-create' | 'pod-create' | 'kube-play' | 'build' | 'volume-create';

export interface GuardedRequest {
  kind: GuardedKind;
  image?: string;
  command?: string[];
  user?: string;
  privileged: boolean;
  /** Host paths bound into the container (bind mounts, and local volumes over a host directory). */
  hostPaths: string[];
  /** Namespace modes asked for, by namespace: network, pid, ipc, uts, userns, cgroupns ("host", "container:x"...). */
  namespaces: Record<string, string>;
  capAdd: string[];
  /** Host devices (paths) and device cgroup rules. */
  devices: string[];
  securityOpt: string[];
  /** Names only: values may be secrets and never leave the request. */
  envNames: string[];
  /**
   * Containers whose settings the request takes on: the host binds of `--volumes-from`, the
   * namespace of a `container:X` mode, everything of the container an exec runs in. The hook
   * resolves them (hook.ts) and judges what they bring as if it had been asked for.
   */
  takesFrom?: { volumesFrom?: string[]; namespaces?: Record<string, string>; execIn?: string };
  /**
   * A request that makes several things (kube play: every container of every pod): each judged
   * on its own, named in a denial; the request's own fields are their union, for the audit log.
   */
  parts?: { label: string; g: GuardedRequest }[];
}

export function emptyRequest(kind: GuardedKind): GuardedRequest {
  return { kind, privileged: false, hostPaths: [], namespaces: {}, capAdd: [], devices: [], securityOpt: [], envNames: [] };
}

/** Names of `NAME=value` entries. */
export const envNames = (env: readonly string[] | null | undefined): string[] =>
  (env ?? []).map((e) => String(e).split('=', 1)[0]).filter(Boolean);

/** The host side of a Binds entry when it is a host path (a name is a volume). */
export function bindHostPath(bind: string): string | undefined {
  const src = bind.split(':', 1)[0];
  return src.startsWith('/') ? src : undefined;
}

/** A container create of either layer (libpod's SpecGenerator is translated to this first). */
export function fromContainerCreate(r: CreateRequest): GuardedRequest {
  const c = r.config ?? {};
  const h = r.hostConfig ?? {};
  const g = emptyRequest('container-create');
  g.image = c.Image;
  const cmd = [...(c.Entrypoint ?? []), ...(c.Cmd ?? [])];
  if (cmd.length) g.command = cmd;
  if (c.User) g.user = c.User;
  g.privileged = !!h.Privileged;
  for (const b of h.Binds ?? []) {
    const p = bindHostPath(b);
    if (p) g.hostPaths.push(p);
  }
  for (const m of h.Mounts ?? []) {
    if (m.Type === 'bind' && m.Source) g.hostPaths.push(m.Source);
    if (m.Type === 'volume') localVolumeOptions(m.VolumeOptions?.DriverConfig?.Options ?? undefined, g);
  }
  const ns: [string, string | undefined][] = [
    ['network', h.NetworkMode], ['pid', h.PidMode], ['ipc', h.IpcMode], ['uts', h.UTSMode],
    ['userns', (h as { UsernsMode?: string }).UsernsMode], ['cgroupns', (h as { CgroupnsMode?: string }).CgroupnsMode],
  ];
  for (const [k, v] of ns) {
    if (!v) continue;
    g.namespaces[k] = v;
    if (v.startsWith('container:')) ((g.takesFrom ??= {}).namespaces ??= {})[k] = v.slice('container:'.length);
  }
  const from = (h.VolumesFrom ?? []).map((v) => v.split(':', 1)[0]).filter(Boolean);
  if (from.length) (g.takesFrom ??= {}).volumesFrom = from;
  g.capAdd = [...(h.CapAdd ?? [])];
  for (const d of h.Devices ?? []) g.devices.push(d.PathOnHost);
  g.devices.push(...(h.DeviceCgroupRules ?? []));
  g.securityOpt = [...(h.SecurityOpt ?? [])];
  g.envNames = envNames(c.Env);
  return g;
}

/** An exec create; `container` is the one it runs in (it takes on that container's privileges). */
export function fromExecCreate(r: ExecCreateRequest, container?: string): GuardedRequest {
  const g = emptyRequest('exec-create');
  if (container) g.takesFrom = { execIn: container };
  const cmd = typeof r.Cmd === 'string' ? [r.Cmd] : r.Cmd ?? [];
  if (cmd.length) g.command = cmd;
  if (r.User) g.user = r.User;
  g.privileged = !!r.Privileged;
  g.envNames = envNames(r.Env);
  return g;
}

/**
 * A pod create: its infra container (image, command) and the namespaces it holds for its members,
 * the host's network among them.
 */
export function fromPodCreate(r: PodCreateRequest): GuardedRequest {
  const g = emptyRequest('pod-create');
  if (r.infraImage) g.image = r.infraImage;
  if (r.infraCommand?.length) g.command = [...r.infraCommand];
  if (r.network?.mode === 'host') g.namespaces.network = 'host';
  return g;
}

/**
 * A container joining a pod takes on the namespaces the pod shares, the host's network when the
 * pod has it (the member's own network mode is then the pod's, whatever it says).
 */
export function joiningPod(g: GuardedRequest, pod: PodView | undefined): GuardedRequest {
  if (!pod?.config.infra || !pod.config.share.includes('net')) return g;
  if (pod.config.network.mode === 'host') g.namespaces.network = 'host';
  return g;
}

/** A kube play: each container it would make judged as its own create (host network from the pod). */
export function fromKubePlay(plan: KubePlan): GuardedRequest {
  const all = emptyRequest('kube-play');
  all.parts = [];
  for (const p of plan.pods) {
    for (const c of p.containers) {
      const g = { ...fromContainerCreate(c.create), kind: 'kube-play' as const };
      if (p.networkMode === 'host') g.namespaces.network = 'host';
      all.parts.push({ label: `kube play: container ${c.name} of pod ${p.name}`, g });
      all.privileged ||= g.privileged;
      all.hostPaths.push(...g.hostPaths);
      Object.assign(all.namespaces, g.namespaces);
      all.capAdd.push(...g.capAdd);
      all.devices.push(...g.devices);
      all.securityOpt.push(...g.securityOpt);
      all.envNames.push(...g.envNames);
    }
  }
  const uniq = (l: string[]) => [...new Set(l)];
  Object.assign(all, { hostPaths: uniq(all.hostPaths), capAdd: uniq(all.capAdd), devices: uniq(all.devices), securityOpt: uniq(all.securityOpt), envNames: uniq(all.envNames) });
  return all;
}

/** A build: its RUN containers' network mode (and, from podman, the namespaces it asks for). */
export function fromBuild(r: BuildRequest, namespaces: Record<string, string> = {}): GuardedRequest {
  const g = emptyRequest('build');
  if (r.tags[0]) g.image = r.tags[0];
  g.namespaces = { ...namespaces };
  if (r.run.networkMode) g.namespaces.network = r.run.networkMode;
  g.envNames = Object.keys(r.buildArgs);
  return g;
}

/**
 * The local driver's options reach the host: `o=bind,device=/x` (or type none) makes a volume of a
 * host directory, `device=/dev/sdb1` mounts a host block device.
 */
function localVolumeOptions(o: Record<string, string> | undefined | null, g: GuardedRequest): void {
  const dev = o?.device;
  if (!dev || o.type === 'tmpfs') return;
  const bind = o.type === 'none' || (o.o ?? '').split(',').includes('bind') || (o.o ?? '').split(',').includes('rbind');
  if (bind) g.hostPaths.push(dev);
  else if (dev.startsWith('/dev/')) g.devices.push(dev);
}

export function fromVolumeCreate(r: VolumeCreateRequest): GuardedRequest {
  const g = emptyRequest('volume-create');
  localVolumeOptions(r.options, g);
  return g;
}

/**
 * What the containers a request takes from bring to it, each as a request of its own with a label
 * for messages. `lookup` gives a container's settings as a create model (undefined: no such
 * container, which the handler reports). Chains (`container:A` where A has `container:B`) are
 * followed a few steps.
 */
export function inherited(g: GuardedRequest, lookup: (ref: string) => GuardedRequest | undefined, depth = 0): { label: string; g: GuardedRequest }[] {
  const t = g.takesFrom;
  if (!t || depth > 4) return [];
  const out: { label: string; g: GuardedRequest }[] = [];
  const what = g.kind.replace('-', ' ');
  if (t.execIn) {
    const c = lookup(t.execIn);
    if (c) {
      const e: GuardedRequest = { ...c, kind: g.kind, takesFrom: undefined, envNames: [] };
      out.push({ label: `${what} in container ${t.execIn}`, g: e });
      for (const x of inherited(c, lookup, depth + 1)) out.push({ label: `${what} in container ${t.execIn}, ${x.label}`, g: x.g });
    }
  }
  for (const ref of t.volumesFrom ?? []) {
    const c = lookup(ref);
    if (!c) continue;
    const v = { ...emptyRequest(g.kind), hostPaths: c.hostPaths };
    out.push({ label: `${what}: volumes from container ${ref}`, g: v });
    if (c.takesFrom?.volumesFrom) {
      for (const x of inherited({ ...emptyRequest(g.kind), takesFrom: { volumesFrom: c.takesFrom.volumesFrom } }, lookup, depth + 1)) out.push(x);
    }
  }
  for (const [ns, ref] of Object.entries(t.namespaces ?? {})) {
    const c = lookup(ref);
    if (!c) continue;
    const mode = c.namespaces[ns];
    if (mode === 'host') out.push({ label: `${what}: the ${ns} namespace of container ${ref}`, g: { ...emptyRequest(g.kind), namespaces: { [ns]: 'host' } } });
    const next = c.takesFrom?.namespaces?.[ns];
    if (next) for (const x of inherited({ ...emptyRequest(g.kind), takesFrom: { namespaces: { [ns]: next } } }, lookup, depth + 1)) out.push(x);
  }
  return out;
}
