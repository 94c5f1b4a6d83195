// Which containers a list or a prune selects: docker's and podman's filters, `all` and `limit`.
import { clip } from '../../lib/clip.js';
import { badParameter, EngineError } from '../errors.js';
import type { ContainerView, ListOptions } from './types.js';
import { isLive } from './util.js';
import { containerMounts } from './mounts.js';
import { untilMs } from '../../lib/time.js';

/** The state the status filter matches: 'stopping' still runs to clients, 'starting' is not running yet. */
function filterState(state: string): string {
  if (state === 'stopping') return 'running';
  if (state === 'starting' || state === 'initialized') return 'created';
  return state;
}

const KEYS = new Set(['id', 'name', 'label', 'status', 'exited', 'ancestor', 'before', 'since', 'health', 'volume', 'network', 'is-task', 'label!', 'until', 'pod', 'restart-policy']);
const STATUSES = new Set(['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead', 'stopped', 'configured', 'unknown']);

export interface FilterDeps {
  /** Resolves an image reference to its ID, or undefined when no such image. */
  imageId(ref: string): string | undefined;
  lookup(ref: string): ContainerView | undefined;
  /** A pod's ID by name, ID or ID prefix (podman's `pod` filter); undefined when no such pod. */
  podId?(ref: string): string | undefined;
  /** Each container's health status (those without a healthcheck absent). */
  health?(): Map<string, string>;
}

const HEALTH = new Set(['starting', 'healthy', 'unhealthy', 'none']);

function labelMatch(labels: Record<string, string>, f: string): boolean {
  const i = f.indexOf('=');
  return i < 0 ? f in labels : labels[f.slice(0, i)] === f.slice(i + 1);
}

/** Applies docker's `filters` to containers listed newest first. */
export function filterContainers(list: ContainerView[], f: Record<string, string[]>, deps: FilterDeps): ContainerView[] {
  for (const k of Object.keys(f)) if (!KEYS.has(k)) throw badParameter(`Invalid filter '${clip(k)}'`);
  for (const s of f.status ?? []) if (!STATUSES.has(s)) throw badParameter(`Invalid filter 'status=${clip(s)}'`);
  for (const e of f.exited ?? []) if (!/^-?\d+$/.test(e)) throw badParameter(`Invalid filter 'exited=${clip(e)}'`);
  for (const h of f.health ?? []) if (!HEALTH.has(h)) throw badParameter(`Unrecognised filter value for health: ${clip(h)}`);
  const health = f.health?.length ? deps.health?.() ?? new Map<string, string>() : undefined;
  const seqOf = (key: string) =>
    (f[key] ?? []).map((ref) => {
      const c = deps.lookup(ref);
      if (!c) throw badParameter(`No such container: ${clip(ref)}`);
      return c.seq;
    });
  const before = seqOf('before');
  const since = seqOf('since');
  const ancestors = (f.ancestor ?? []).map((a) => ({ ref: a, id: deps.imageId(a) }));
  const pods = f.pod?.length ? f.pod.map((p) => deps.podId?.(p)).filter((x) => x !== undefined) : undefined;
  return list.filter((c) => {
    if (f.id?.length && !f.id.some((x) => c.id.startsWith(x))) return false;
    if (f.name?.length && !f.name.some((n) => matchName(c.name, n))) return false;
    const labels = c.parsed.Config.Labels ?? {};
    if (f.label?.length && !f.label.every((l) => labelMatch(labels, l))) return false;
    if (f['label!']?.length && f['label!'].some((l) => labelMatch(labels, l))) return false;
    const st = filterState(c.state);
    if (f.status?.length && !f.status.some((s) => s === st || (s === 'stopped' && st === 'exited') || (s === 'configured' && st === 'created'))) return false;
    if (f.exited?.length && (st !== 'exited' || !f.exited.some((e) => Number(e) === c.exitCode))) return false;
    if (ancestors.length && !ancestors.some((a) => (a.id && a.id === c.imageId) || a.ref === c.image || c.imageId.startsWith(a.ref.replace(/^sha256:/, '')))) return false;
    if (before.length && !before.every((s) => c.seq < s)) return false;
    if (since.length && !since.every((s) => c.seq > s)) return false;
    if (health && !f.health.includes(health.get(c.id) ?? 'none')) return false;
    if (pods && !(c.parsed.pod && pods.includes(c.parsed.pod.id))) return false;
    if (f['restart-policy']?.length && !f['restart-policy'].includes(c.parsed.HostConfig.RestartPolicy.Name || 'no')) return false;
    if (f.network?.length && !f.network.includes(c.parsed.HostConfig.NetworkMode)) return false;
    if (f.volume?.length) {
      const dests = containerMounts(c.parsed).flatMap((m) => [m.source, m.destination, ...(m.name ? [m.name] : [])]);
      if (!f.volume.some((v) => dests.includes(v))) return false;
    }
    if (f.until?.length) {
      const created = Date.parse(c.created);
      if (!f.until.every((u) => created < untilMs(u))) return false;
    }
    return true;
  });
}

function matchName(name: string, pattern: string): boolean {
  const p = pattern.replace(/^\//, '');
  try {
    return new RegExp(p).test(name);
  } catch {
    return name.includes(p);
  }
}

/** A list: the filters, then only live containers unless `all` or a `limit` asks for more. */
export function selectContainers(list: ContainerView[], o: ListOptions, deps: FilterDeps): ContainerView[] {
  const limit = o.limit ?? -1;
  let out = filterContainers(list, o.filters ?? {}, deps);
  if (!o.all && limit <= 0) out = out.filter((c) => isLive(c.state));
  if (limit > 0) out = out.slice(0, limit);
  return out;
}

const PRUNE_KEYS = new Set(['until', 'label', 'label!']);

/** Prune's filters as a predicate: true for a (stopped) container the prune removes. */
export function pruneSelector(f: Record<string, string[]>): (v: ContainerView) => boolean {
  for (const k of Object.keys(f)) if (!PRUNE_KEYS.has(k)) throw new EngineError('bad-parameter', `Invalid filter '${clip(k)}'`, `Invalid filter '${clip(k)}'`);
  const until = (f.until ?? []).map((u) => untilMs(u));
  return (v) => {
    const labels = v.parsed.Config.Labels ?? {};
    if (until.length && !until.every((u) => Date.parse(v.created) < u)) return false;
    if (f.label?.length && !f.label.every((l) => labelMatch(labels, l))) return false;
    if (f['label!']?.length && f['label!'].some((l) => labelMatch(labels, l))) return false;
    return true;
  };
}
