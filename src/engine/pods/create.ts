// A pod create request checked and completed with podman's defaults: what the pods table keeps.
import { clip } from '../../lib/clip.js';
import { NAME_MAX } from '../../lib/limits.js';
import { badParameter } from '../errors.js';
import type { PodConfig, PodCreateRequest, PodNamespace } from './types.js';

const NAMESPACES: readonly PodNamespace[] = ['cgroup', 'ipc', 'net', 'pid', 'uts'];
const DEFAULT_SHARE: PodNamespace[] = ['ipc', 'net', 'uts'];
const RESTART_POLICIES = new Set(['', 'no', 'always', 'on-failure', 'unless-stopped']);
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export function validatePodName(name: string): string {
  if (name.length > NAME_MAX || !NAME_RE.test(name)) throw badParameter(`invalid pod name ${JSON.stringify(clip(name))}: only [a-zA-Z0-9][a-zA-Z0-9_.-]* is allowed, at most ${NAME_MAX} characters`);
  return name;
}

/** The stored config of a new pod named `name`; a bad-parameter error names what is wrong. */
export function podConfig(req: PodCreateRequest, name: string): PodConfig {
  const infra = req.infra !== false;
  for (const n of req.share ?? []) if (!NAMESPACES.includes(n)) throw badParameter(`invalid kernel namespace to share: ${clip(String(n))}; options are: cgroup, ipc, net, pid, uts or none`);
  if (!infra && req.share?.length) throw badParameter('You cannot share kernel namespaces on the pod level without an infra container');
  const share = infra ? [...new Set(req.share ?? DEFAULT_SHARE)] : [];
  const n = req.network ?? {};
  const ports = Object.values(n.portBindings ?? {}).some((b) => b.length);
  if (!infra && (ports || Object.keys(n.endpoints ?? {}).length || n.dns?.length || n.dnsSearch?.length || n.dnsOptions?.length || n.extraHosts?.length || (n.mode && n.mode !== 'default'))) {
    throw badParameter('cannot set network options for a pod without an infra container');
  }
  if (infra && !share.includes('net') && ports) throw badParameter('cannot set ports for a pod that does not share its network namespace');
  if (!infra && (req.infraImage || req.infraCommand?.length || req.infraName)) throw badParameter('cannot set infra options (image, command, name) with no infra container');
  const exitPolicy = req.exitPolicy || 'continue';
  if (exitPolicy !== 'continue' && exitPolicy !== 'stop') throw badParameter(`invalid pod exit policy: "${clip(String(exitPolicy))}" (continue or stop)`);
  const restartPolicy = req.restartPolicy ?? '';
  if (!RESTART_POLICIES.has(restartPolicy)) throw badParameter(`invalid restart policy "${clip(restartPolicy)}": one of no, always, on-failure, unless-stopped`);
  if ((req.restartTries ?? 0) && restartPolicy !== 'on-failure') throw badParameter('restart tries can only be given with the on-failure restart policy');
  if (req.hostname !== undefined && req.hostname !== '' && !/^[a-zA-Z0-9]([a-zA-Z0-9.-]{0,252})$/.test(req.hostname)) throw badParameter(`invalid hostname ${JSON.stringify(clip(req.hostname))}`);
  return {
    labels: req.labels ?? {},
    hostname: req.hostname || name,
    infra,
    ...(req.infraImage ? { infraImage: req.infraImage } : {}),
    ...(req.infraCommand?.length ? { infraCommand: req.infraCommand } : {}),
    ...(req.infraName ? { infraName: req.infraName } : {}),
    share,
    shareParent: req.shareParent ?? true,
    cgroupParent: req.cgroupParent ?? '',
    exitPolicy,
    restartPolicy,
    restartTries: req.restartTries ?? 0,
    network: {
      mode: n.mode || 'default',
      endpoints: n.endpoints ?? {},
      portBindings: n.portBindings ?? {},
      dns: n.dns ?? [],
      dnsSearch: n.dnsSearch ?? [],
      dnsOptions: n.dnsOptions ?? [],
      extraHosts: n.extraHosts ?? [],
    },
    resources: req.resources ?? {},
    ...(req.shmSize ? { shmSize: req.shmSize } : {}),
  };
}
