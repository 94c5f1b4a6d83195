// Build cache keys: a step is reused when its parent image, its instruction (as expanded), the
// build args it sees and (COPY/ADD) the content of what it copies are the same.
import { createHash } from 'node:crypto';

export interface CacheInputs {
  /** Hex ID of the step's parent image; '' for scratch. */
  parent: string;
  instruction: string;
  /** Build args in scope, NAME=value, in any order. */
  args: string[];
  /** COPY/ADD: the digest of the sources; '' otherwise. */
  content?: string;
}

export function cacheKey(i: CacheInputs): string {
  return createHash('sha256')
    .update(JSON.stringify(['v1', i.parent, i.instruction, [...i.args].sort(), i.content ?? '']))
    .digest('hex');
}
