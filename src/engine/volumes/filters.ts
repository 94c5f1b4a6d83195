// Which volumes a list or a prune selects: docker's and podman's filters.
import { clip } from '../../lib/clip.js';
import { untilMs } from '../../lib/time.js';
import { badParameter } from '../errors.js';
import type { VolumeView } from './types.js';

const LIST_KEYS = new Set(['name', 'label', 'label!', 'dangling', 'driver', 'opt', 'until', 'anonymous']);
const PRUNE_KEYS = new Set(['label', 'label!', 'until', 'all']);

function labelMatch(labels: Record<string, string>, f: string): boolean {
  const i = f.indexOf('=');
  return i < 0 ? f in labels : labels[f.slice(0, i)] === f.slice(i + 1);
}

/** docker's boolean filter values: true/1 and false/0. */
function boolFilter(key: string, values: string[]): boolean {
  const v = values[values.length - 1].toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw badParameter(`invalid filter '${key}=${clip(values[values.length - 1])}'`);
}

/** A name filter matches anywhere in the name (docker), as a pattern when it is one (podman). */
function nameMatch(name: string, pattern: string): boolean {
  try {
    return new RegExp(pattern).test(name);
  } catch {
    return name.includes(pattern);
  }
}

function checkKeys(f: Record<string, string[]>, keys: Set<string>): void {
  for (const k of Object.keys(f)) if (!keys.has(k)) throw badParameter(`Invalid filter '${clip(k)}'`);
}

/** The list's predicate. */
export function volumeFilter(f: Record<string, string[]>): (v: VolumeView) => boolean {
  checkKeys(f, LIST_KEYS);
  const dangling = f.dangling?.length ? boolFilter('dangling', f.dangling) : undefined;
  const anonymous = f.anonymous?.length ? boolFilter('anonymous', f.anonymous) : undefined;
  const until = (f.until ?? []).map((u) => untilMs(u));
  return (v) => {
    if (f.name?.length && !f.name.some((n) => nameMatch(v.name, n))) return false;
    if (f.driver?.length && !f.driver.includes(v.driver)) return false;
    if (f.label?.length && !f.label.every((l) => labelMatch(v.labels, l))) return false;
    if (f['label!']?.length && f['label!'].some((l) => labelMatch(v.labels, l))) return false;
    if (f.opt?.length && !f.opt.every((o) => labelMatch(v.options, o))) return false;
    if (dangling !== undefined && (v.users.length === 0) !== dangling) return false;
    if (anonymous !== undefined && v.anonymous !== anonymous) return false;
    if (until.length && !until.every((u) => Date.parse(v.createdAt) < u)) return false;
    return true;
  };
}

/**
 * The prune's predicate over unused volumes. docker from API 1.42 prunes anonymous volumes
 * only, unless `all=true`; `anonymousOnly` false (API 1.41, podman) takes every unused one.
 */
export function pruneFilter(f: Record<string, string[]>, anonymousOnly: boolean): (v: VolumeView) => boolean {
  checkKeys(f, PRUNE_KEYS);
  const all = f.all?.length ? boolFilter('all', f.all) : !anonymousOnly;
  const until = (f.until ?? []).map((u) => untilMs(u));
  return (v) => {
    if (v.users.length) return false;
    if (!all && !v.anonymous) return false;
    if (f.label?.length && !f.label.every((l) => labelMatch(v.labels, l))) return false;
    if (f['label!']?.length && f['label!'].some((l) => labelMatch(v.labels, l))) return false;
    if (until.length && !until.every((u) => Date.parse(v.createdAt) < u)) return false;
    return true;
  };
}
