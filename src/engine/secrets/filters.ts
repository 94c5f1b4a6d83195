// Which secrets a list selects: podman's filters (name as a pattern, id as a prefix, labels).
import { clip } from '../../lib/clip.js';
import { badParameter } from '../errors.js';
import type { SecretView } from './types.js';

const KEYS = new Set(['name', 'id', 'label', 'label!']);

function labelMatch(labels: Record<string, string>, f: string): boolean {
  const i = f.indexOf('=');
  return i < 0 ? f in labels : labels[f.slice(0, i)] === f.slice(i + 1);
}

function nameMatch(name: string, pattern: string): boolean {
  try {
    return new RegExp(pattern).test(name);
  } catch {
    return name.includes(pattern);
  }
}

export function secretFilter(f: Record<string, string[]>): (s: SecretView) => boolean {
  for (const k of Object.keys(f)) if (!KEYS.has(k)) throw badParameter(`invalid filter "${clip(k)}"`);
  return (s) => {
    if (f.name?.length && !f.name.some((n) => nameMatch(s.name, n))) return false;
    if (f.id?.length && !f.id.some((p) => s.id.startsWith(p))) return false;
    if (f.label?.length && !f.label.every((l) => labelMatch(s.labels, l))) return false;
    if (f['label!']?.length && f['label!'].some((l) => labelMatch(s.labels, l))) return false;
    return true;
  };
}
