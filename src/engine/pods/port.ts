import type { TopResult } from '../containers/types.js';
import type { PodActionReport, PodCreateRequest, PodRemoveReport, PodView } from './types.js';

/**
 * What the API layers (and the kube work built on pods) may ask of pods. A `ref` is a pod's ID,
 * a unique ID prefix or its name; an unknown one is a not-found EngineError ("no pod with name or
 * ID X found: no such pod").
 *
 * Stable API (other work builds on it):
 * - `create(req)` makes the pod record and, unless `infra: false`, its infra container (berth's
 *   catatonit image, made locally, or `infraImage`/`infraCommand`) holding the shared namespaces
 *   (`share`, default net+ipc+uts), the pod's network (`network`: mode, endpoints, portBindings,
 *   DNS, extraHosts) and hostname (default the pod's name). Name in use: conflict.
 * - Containers join a pod through the container create request: `ContainersPort.create({ ...,
 *   pod: ref })`; they then share the infra container's namespaces, its /etc/hosts and
 *   resolv.conf, and its hostname; starting a member starts the infra container first.
 *   `ContainerView.parsed.pod` says which pod a container is in (`{ id, infra?, infraId?, share }`).
 * - `get`/`find`/`list(filters)` answer `PodView`s: state derived from the members (Created,
 *   Running, Degraded, Exited, Paused), members infra first.
 * - Actions answer `{ id, errs }`; `errs` holds one line per container that failed (podman's
 *   409 report). start on a running pod and stop on a stopped one throw not-modified (304);
 *   kill/pause/unpause with nothing to act on throw conflict.
 * - `remove(ref, { force })`: members, the record, then the infra container; without force a
 *   live container is a conflict.
 */
export interface PodsPort {
  /** `warnings`: what of the request the host cannot honour (limits rootless), as container create has them. */
  create(req: PodCreateRequest): Promise<{ id: string; warnings: string[] }>;
  find(ref: string): PodView | undefined;
  get(ref: string): PodView;
  /** podman's filters: id, name, label, status, network, ctr-names, ctr-ids, ctr-status, ctr-number, until. */
  list(filters?: Record<string, string[]>): PodView[];
  /** The names of the networks the pod's infra container is on. */
  networkNames(p: PodView): string[];
  start(ref: string): Promise<PodActionReport>;
  stop(ref: string, timeoutSec?: number): Promise<PodActionReport>;
  kill(ref: string, signal?: string): Promise<PodActionReport>;
  pause(ref: string): Promise<PodActionReport>;
  unpause(ref: string): Promise<PodActionReport>;
  restart(ref: string): Promise<PodActionReport>;
  remove(ref: string, opts?: { force?: boolean }): Promise<PodRemoveReport>;
  /** Removes the pods whose containers all exited. */
  prune(): Promise<{ id: string; err?: string }[]>;
  /** `ps` (with these arguments) over the pod's running containers. */
  top(ref: string, psArgs: string[]): Promise<TopResult>;
}
