import { badParameter } from '../errors.js';
import { untilMs } from '../../lib/time.js';
import type { ContainerView } from './service.js';

/** Docker's names for our states ('stopping' is still running to clients). */
export function dockerStatus(state: string): string {
  if (state === 'stopping') return 'running';
  // Docker has no transient start state; the container is not running yet.
  if (state === 'starting') return 'created';
  return state;
}

const KEYS = new Set(['id', 'name', 'label', 'status', 'exited', 'ancestor', 'before', 'since', 'health', 'volume', 'network', 'is-task', 'label!', 'until', 'pod', 'restart-policy']);
const STATUSES = new Set(['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead', 'stopped', 'configured', 'unknown']);

export interface FilterDeps {
  /** Resolves an image reference to its ID, or undefined when no such image. */
  imageId(ref: string): string | undefined;
  lookup(ref: string): ContainerView | undefined;
}

function labelMatch(labels: Record<string, string>, f: string): boolean {
  const i = f.indexOf('=');
  return i < 0 ? f in labels : labels[f.slice(0, i)] === f.slice(i + 1);
}

/** Applies docker's `filters` to containers listed newest first. */
export function filterContainers(list: ContainerView[], f: Record<string, string[]>, deps: FilterDeps): ContainerView[] {
  for (const k of Object.keys(f)) if (!KEYS.has(k)) throw badParameter(`Invalid filter '${k}'`);
  for (const s of f.status ?? []) if (!STATUSES.has(s)) throw badParameter(`Invalid filter 'status=${s}'`);
  for (const e of f.exited ?? []) if (!/^-?\d+$/.test(e)) throw badParameter(`Invalid filter 'exited=${e}'`);
  const seqOf = (key: string) =>
    (f[key] ?? []).map((ref) => {
      const c = deps.lookup(ref);
      if (!c) throw badParameter(`No such container: ${ref}`);
      return c.seq;
    });
  const before = seqOf('before');
  const since = seqOf('since');
  const ancestors = (f.ancestor ?? []).map((a) => ({ ref: a, id: deps.imageId(a) }));
  return list.filter((c) => {
    if (f.id?.length && !f.id.some((x) => c.id.startsWith(x))) return false;
    if (f.name?.length && !f.name.some((n) => matchName(c.name, n))) return false;
    const labels = c.parsed.Config.Labels ?? {};
    if (f.label?.length && !f.label.every((l) => labelMatch(labels, l))) return false;
    if (f['label!']?.length && f['label!'].some((l) => labelMatch(labels, l))) return false;
    const st = dockerStatus(c.state);
    if (f.status?.length && !f.status.some((s) => s === st || (s === 'stopped' && st === 'exited') || (s === 'configured' && st === 'created'))) return false;
    if (f.exited?.length && (st !== 'exited' || !f.exited.some((e) => Number(e) === c.exitCode))) return false;
    if (ancestors.length && !ancestors.some((a) => (a.id && a.id === c.imageId) || a.ref === c.image || c.imageId.startsWith(a.ref.replace(/^sha256:/, '')))) return false;
    if (before.length && !before.every((s) => c.seq < s)) return false;
    if (since.length && !since.every((s) => c.seq > s)) return false;
    if (f.health?.length) {
      const h = c.parsed.Config.Healthcheck?.Test?.length && c.parsed.Config.Healthcheck.Test[0] !== 'NONE' ? 'starting' : 'none';
      if (!f.health.includes(h)) return false;
    }
    if (f['restart-policy']?.length && !f['restart-policy'].includes(c.parsed.HostConfig.RestartPolicy.Name || 'no')) return false;
    if (f.network?.length && !f.network.includes(c.parsed.HostConfig.NetworkMode)) return false;
    if (f.volume?.length) {
      const dests = (c.parsed.HostConfig.Binds ?? []).flatMap((b) => b.split(':').slice(0, 2));
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

/** docker's units.HumanDuration. */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const m = Math.floor(s / 60);
  if (m === 1) return 'About a minute';
  if (m < 60) return `${m} minutes`;
  const h = Math.round(s / 3600);
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  if (h < 24 * 7 * 2) return `${Math.floor(h / 24)} days`;
  if (h < 24 * 30 * 3) return `${Math.floor(h / 24 / 7)} weeks`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24 / 30)} months`;
  return `${Math.floor(h / 24 / 365)} years`;
}

/** The `Status` column of `docker ps`. */
export function statusText(c: ContainerView, now = Date.now()): string {
  const st = dockerStatus(c.state);
  const since = (t: string) => humanDuration(now - Date.parse(t));
  switch (st) {
    case 'running':
      return `Up ${since(c.startedAt)}`;
    case 'paused':
      return `Up ${since(c.startedAt)} (Paused)`;
    case 'restarting':
      return `Restarting (${c.exitCode}) ${since(c.finishedAt)} ago`;
    case 'exited':
      return c.finishedAt ? `Exited (${c.exitCode}) ${since(c.finishedAt)} ago` : 'Created';
    case 'removing':
      return 'Removal In Progress';
    default:
      return 'Created';
  }
}
