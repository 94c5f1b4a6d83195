import { badParameter } from '../errors.js';
import type { KubeDoc } from './types.js';

/** A kube object's name, required where berth names something after it. */
export function nameOf(doc: KubeDoc): string {
  const n = doc.metadata?.name;
  if (typeof n !== 'string' || !n) throw badParameter(`invalid YAML: a ${doc.kind} has no metadata.name`);
  return n;
}
