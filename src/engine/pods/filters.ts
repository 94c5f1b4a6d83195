// podman's pod list filters: id, name, label, status, network, ctr-names, ctr-ids, ctr-status,
// ctr-number, until. Values of one key are alternatives; keys must all match.
import { clip } from '../../lib/clip.js';
import { untilMs } from '../../lib/time.js';
import { badParameter } from '../errors.js';
import { podmanContainerState, type PodView } from './types.js';

const STATES = new Set(['stopped', 'running', 'paused', 'exited', 'dead', 'created', 'degraded']);
const CTR_STATES = new Set(['created', 'running', 'paused', 'stopped', 'exited', 'unknown']);

/** `name` and `ctr-names` are regular expressions in podman; a bad one is the client's mistake. */
function regex(v: string, key: string): RegExp {
  try {
    return new RegExp(v);
  } catch {
    throw badParameter(`invalid ${key} filter ${clip(v)}: not a regular expression`);
  }
}

function labelMatch(labels: Record<string, string>, v: string): boolean {
  const i = v.indexOf('=');
  return i < 0 ? v in labels : labels[v.slice(0, i)] === v.slice(i + 1);
}

/** Checks the filters once, then returns the predicate (errors before anything is listed). */
export function podFilter(filters: Record<string, string[]> = {}, networkNames: (p: PodView) => string[] = () => []): (p: PodView) => boolean {
  const checks: ((p: PodView) => boolean)[] = [];
  for (const [key, values] of Object.entries(filters)) {
    if (!values.length) continue;
    switch (key) {
      case 'id':
        checks.push((p) => values.some((v) => p.id.startsWith(v)));
        break;
      case 'name': {
        const res = values.map((v) => regex(v, key));
        checks.push((p) => res.some((r) => r.test(p.name)));
        break;
      }
      case 'label':
        checks.push((p) => values.every((v) => labelMatch(p.config.labels, v)));
        break;
      case 'label!':
        checks.push((p) => values.every((v) => !labelMatch(p.config.labels, v)));
        break;
      case 'status':
        for (const v of values) if (!STATES.has(v.toLowerCase())) throw badParameter(`invalid pod status filter ${clip(v)}: one of ${[...STATES].join(', ')}`);
        checks.push((p) => values.some((v) => v.toLowerCase() === p.state.toLowerCase()));
        break;
      case 'network':
        checks.push((p) => networkNames(p).some((n) => values.includes(n)));
        break;
      case 'ctr-names': {
        const res = values.map((v) => regex(v, key));
        checks.push((p) => p.members.some((m) => res.some((r) => r.test(m.name))));
        break;
      }
      case 'ctr-ids':
        checks.push((p) => p.members.some((m) => values.some((v) => m.id.startsWith(v))));
        break;
      case 'ctr-status':
        for (const v of values) if (!CTR_STATES.has(v)) throw badParameter(`invalid ctr-status filter ${clip(v)}: one of ${[...CTR_STATES].join(', ')}`);
        checks.push((p) => p.members.some((m) => values.includes(podmanContainerState(m.state))));
        break;
      case 'ctr-number': {
        const ns = values.map((v) => {
          if (!/^\d+$/.test(v)) throw badParameter(`invalid ctr-number filter ${clip(v)}: a whole number`);
          return Number(v);
        });
        // podman counts every container, the infra one too.
        checks.push((p) => ns.includes(p.members.length));
        break;
      }
      case 'until': {
        const ts = values.map((v) => untilMs(v));
        checks.push((p) => ts.some((t) => Date.parse(p.created) < t));
        break;
      }
      default:
        throw badParameter(`invalid filter "${clip(key)}" for pods`);
    }
  }
  return (p) => checks.every((c) => c(p));
}
