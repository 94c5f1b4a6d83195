import { badParameter } from '../errors.js';
import { untilMs } from '../../lib/time.js';
import { clip } from '../../lib/clip.js';
import { familiarName, globMatch, splitName } from '../../lib/image-ref.js';
import type { ImageInfo } from './types.js';

const FILTER_KEYS = ['reference', 'label', 'label!', 'dangling', 'before', 'since', 'until', 'id', 'intermediate', 'readonly', 'containers'];

function bool(key: string, v: string): boolean {
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw badParameter(`invalid filter '${clip(key)}=${clip(v)}': expected true or false`);
}

function labelMatch(labels: Record<string, string>, spec: string): boolean {
  const i = spec.indexOf('=');
  return i < 0 ? spec in labels : labels[spec.slice(0, i)] === spec.slice(i + 1);
}

/**
 * Applies image list filters. A reference filter narrows each image's names to those matching, as
 * dockerd does, so `docker images busybox:b` shows only that tag.
 */
export function filterImages<T extends ImageInfo>(
  images: T[],
  filters: Record<string, string[]>,
  resolve: (ref: string) => ImageInfo,
  opts: { matchFullNames?: boolean } = {},
): T[] {
  for (const k of Object.keys(filters)) if (!FILTER_KEYS.includes(k)) throw badParameter(`invalid filter '${clip(k)}'`);
  const has = (k: string) => (filters[k]?.length ?? 0) > 0;
  const dangling = has('dangling') ? bool('dangling', filters.dangling[0]) : undefined;
  const before = has('before') ? Math.min(...filters.before.map((r) => resolve(r).created)) : undefined;
  const since = has('since') ? Math.max(...filters.since.map((r) => resolve(r).created)) : undefined;
  const until = has('until') ? Math.min(...filters.until.map(untilMs)) : undefined;
  const out: T[] = [];
  for (const img of images) {
    if (dangling !== undefined && (img.names.length === 0) !== dangling) continue;
    const labels = img.cfg.config?.Labels ?? {};
    if (has('label') && !filters.label.every((l) => labelMatch(labels, l))) continue;
    if (has('label!') && filters['label!'].some((l) => labelMatch(labels, l))) continue;
    if (before !== undefined && !(img.created < before)) continue;
    if (since !== undefined && !(img.created > since)) continue;
    if (until !== undefined && !(img.created < until)) continue;
    if (has('id') && !filters.id.some((p) => img.id.startsWith(p.replace(/^sha256:/, '')))) continue;
    if (has('reference')) {
      const names = img.names.filter((n) =>
        filters.reference.some((p) => {
          const forms = opts.matchFullNames ? [n, familiarName(n)] : [familiarName(n)];
          return forms.some((f) => globMatch(p, f) || globMatch(p, splitName(f).repo));
        }),
      );
      if (!names.length) continue;
      out.push({ ...img, names });
      continue;
    }
    out.push(img);
  }
  return out;
}
