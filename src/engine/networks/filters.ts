// Which networks a list or a prune selects: docker's filters (name, id, label, driver, type,
// dangling, scope) and podman's (until), one set for both layers.
import { clip } from '../../lib/clip.js';
import { untilMs } from '../../lib/time.js';
import { badParameter } from '../errors.js';
import type { NetworkView } from './types.js';

const KEYS = new Set(['name', 'id', 'label', 'label!', 'driver', 'type', 'dangling', 'scope', 'until']);
const PRUNE_KEYS = new Set(['until', 'label', 'label!']);

function labelMatch(labels: Record<string, string>, f: string): boolean {
  const i = f.indexOf('=');
  return i < 0 ? f in labels : labels[f.slice(0, i)] === f.slice(i + 1);
}

/** docker matches names and IDs as regular expressions (a plain string matches any part). */
function matches(value: string, pattern: string): boolean {
  try {
    return new RegExp(pattern).test(value);
  } catch {
    return value.includes(pattern);
  }
}

function bool(v: string, key: string): boolean {
  if (['true', '1'].includes(v.toLowerCase())) return true;
  if (['false', '0'].includes(v.toLowerCase())) return false;
  throw badParameter(`invalid filter '${key}=${clip(v)}': expected true or false`);
}

export function filterNetworks(list: NetworkView[], f: Record<string, string[]>): NetworkView[] {
  for (const k of Object.keys(f)) if (!KEYS.has(k)) throw badParameter(`invalid filter '${clip(k)}'`);
  for (const t of f.type ?? []) if (t !== 'custom' && t !== 'builtin') throw badParameter(`invalid filter: 'type'='${clip(t)}'`);
  const dangling = (f.dangling ?? []).map((d) => bool(d, 'dangling'));
  const until = (f.until ?? []).map((u) => untilMs(u));
  return list.filter((n) => {
    const predefined = n.builtin || n.isDefault;
    if (f.name?.length && !f.name.some((p) => matches(n.name, p) || (n.isDefault && matches('bridge', p)))) return false;
    if (f.id?.length && !f.id.some((p) => matches(n.id, p))) return false;
    if (f.label?.length && !f.label.every((l) => labelMatch(n.labels, l))) return false;
    if (f['label!']?.length && f['label!'].some((l) => labelMatch(n.labels, l))) return false;
    if (f.driver?.length && !f.driver.includes(n.driver)) return false;
    if (f.type?.length && !f.type.includes(predefined ? 'builtin' : 'custom')) return false;
    if (f.scope?.length && !f.scope.includes('local')) return false;
    if (dangling.length) {
      const isDangling = !predefined && n.attached === 0;
      if (!dangling.every((d) => d === isDangling)) return false;
    }
    if (until.length && !until.every((u) => Date.parse(n.created) < u)) return false;
    return true;
  });
}

/** Prune's filters as a predicate over unused user networks. */
export function pruneSelector(f: Record<string, string[]>): (n: NetworkView) => boolean {
  for (const k of Object.keys(f)) if (!PRUNE_KEYS.has(k)) throw badParameter(`invalid filter '${clip(k)}'`);
  const until = (f.until ?? []).map((u) => untilMs(u));
  return (n) => {
    if (n.builtin || n.isDefault || n.attached > 0) return false;
    if (until.length && !until.every((u) => Date.parse(n.created) < u)) return false;
    if (f.label?.length && !f.label.every((l) => labelMatch(n.labels, l))) return false;
    if (f['label!']?.length && f['label!'].some((l) => labelMatch(n.labels, l))) return false;
    return true;
  };
}
