// A pod's state follows its containers' (the infra container counts, as in podman): all running
// is Running, some running is Degraded, all paused Paused, all exited Exited, none run yet Created.
import type { ContainerStatus } from '../containers/types.js';
import type { PodState } from './types.js';

type Bucket = 'running' | 'paused' | 'exited' | 'created' | 'error';

/** A container state in podman's buckets; transitions count as the state they leave or reach. */
function bucket(s: ContainerStatus): Bucket {
  switch (s) {
    case 'running':
    case 'stopping':
    case 'restarting':
      return 'running';
    case 'paused':
      return 'paused';
    case 'exited':
    case 'removing':
      return 'exited';
    case 'created':
    case 'initialized':
    case 'starting':
      return 'created';
    default:
      return 'error';
  }
}

export function podState(states: ContainerStatus[]): PodState {
  if (!states.length) return 'Created';
  const n: Record<Bucket, number> = { running: 0, paused: 0, exited: 0, created: 0, error: 0 };
  for (const s of states) n[bucket(s)]++;
  if (n.running === states.length) return 'Running';
  if (n.running > 0) return 'Degraded';
  if (n.paused === states.length) return 'Paused';
  if (n.exited === states.length) return 'Exited';
  if (n.created === states.length) return 'Created';
  if (n.error > 0) return 'Error';
  // A mix of exited, created and paused containers, none running: podman calls it Exited once any ran.
  return n.exited > 0 ? 'Exited' : 'Created';
}
