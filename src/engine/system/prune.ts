// podman's system prune and reset, composed of each resource's own operations so that every
// record, file, mount and event stays each service's business: prune takes stopped pods (with
// their containers), stopped containers, unused networks, (with `volumes`) unused volumes, then dangling (with `all`, unused) images,
// again until a round frees nothing (an image freed can leave its parent dangling); reset takes
// everything (pods and containers by force, images, volumes, user networks, secrets).
import type { ContainersPort } from '../containers/port.js';
import type { ImagesPort } from '../images/port.js';
import type { NetworksPort } from '../networks/port.js';
import type { PodsPort } from '../pods/port.js';
import type { SecretsPort } from '../secrets/port.js';
import type { VolumesPort } from '../volumes/port.js';
import type { SystemPruneOptions, SystemPruneReport, SystemResetReport } from './types.js';

export interface PruneTargets {
  pods: Pick<PodsPort, 'prune' | 'list' | 'remove'>;
  containers: Pick<ContainersPort, 'prune' | 'list' | 'remove'>;
  images: Pick<ImagesPort, 'prune' | 'list' | 'remove'>;
  volumes: Pick<VolumesPort, 'prune' | 'list' | 'remove'>;
  networks: Pick<NetworksPort, 'prune' | 'list' | 'remove'>;
  secrets: Pick<SecretsPort, 'list' | 'remove'>;
}

/** The networks every host has: never removed. */
const BUILTIN_NETWORKS = new Set(['podman', 'bridge', 'host', 'none']);

export async function systemPrune(t: PruneTargets, o: SystemPruneOptions = {}): Promise<SystemPruneReport> {
  const filters = o.filters ?? {};
  // podman's pod prune takes no filters: every pod whose containers all stopped.
  const pods = await t.pods.prune();
  const c = await t.containers.prune(filters);
  const n = await t.networks.prune(filters);
  const v = o.volumes ? await t.volumes.prune({ filters, anonymousOnly: false }) : { deleted: [], reclaimed: 0 };
  const images: { id: string; size: number }[] = [];
  for (;;) {
    const r = await t.images.prune(filters, { all: !!o.all });
    if (!r.perImage.length) break;
    images.push(...r.perImage);
  }
  return {
    pods,
    containers: c.deleted.map((id) => ({ id, size: 0 })),
    containersReclaimed: c.reclaimed,
    networks: n.deleted,
    volumes: v.deleted,
    images,
    reclaimed: c.reclaimed + v.reclaimed + images.reduce((s, i) => s + i.size, 0),
  };
}

/** Everything removed; what could not be is reported, the rest goes on. */
export async function systemReset(t: PruneTargets): Promise<SystemResetReport> {
  const errors: string[] = [];
  const attempt = async (what: string, fn: () => Promise<unknown> | unknown) => {
    try {
      await fn();
    } catch (e) {
      errors.push(`${what}: ${(e as Error).message}`);
    }
  };
  // A pod's containers go with it (the infra one last); a member removed alone would be refused.
  for (const p of t.pods.list()) await attempt(`pod ${p.name}`, () => t.pods.remove(p.id, { force: true }));
  for (const c of t.containers.list({ all: true })) await attempt(`container ${c.name}`, () => t.containers.remove(c.id, { force: true, volumes: true }));
  for (const i of t.images.list()) await attempt(`image ${i.id}`, () => t.images.remove(i.id, { force: true }));
  for (const v of t.volumes.list()) await attempt(`volume ${v.name}`, () => t.volumes.remove(v.name, { force: true }));
  for (const n of t.networks.list()) if (!BUILTIN_NETWORKS.has(n.name)) await attempt(`network ${n.name}`, () => t.networks.remove(n.id, { force: true }));
  for (const s of t.secrets.list()) await attempt(`secret ${s.name}`, () => t.secrets.remove(s.id));
  return { errors };
}
