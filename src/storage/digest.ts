import { createHash } from 'node:crypto';

export const sha256Hex = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
export const sha256Digest = (b: Buffer | string): string => 'sha256:' + sha256Hex(b);

export const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

export function hexOf(digest: string): string {
  return digest.startsWith('sha256:') ? digest.slice(7) : digest;
}

/**
 * Chain IDs per the OCI image spec: the first layer's chain ID is its diff ID, each next one is
 * sha256("<parent chain ID> <diff ID>"). Returned as "sha256:..." digests, one per layer.
 */
export function chainIds(diffIds: string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) {
    const prev = out.at(-1);
    out.push(prev === undefined ? d : sha256Digest(`${prev} ${d}`));
  }
  return out;
}
