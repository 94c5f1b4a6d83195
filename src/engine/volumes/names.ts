import { randomBytes } from 'node:crypto';
import { clip } from '../../lib/clip.js';
import { NAME_MAX } from '../../lib/limits.js';
import { badParameter } from '../errors.js';

// dockerd's rule for a local volume's name (podman's is the same but for the minimum length).
// The name is a directory under the storage root: no '/', no "..", no leading dot.
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export function isVolumeName(name: string): boolean {
  return NAME_RE.test(name) && !name.includes('..') && Buffer.byteLength(name) <= NAME_MAX;
}

/** A name a client gave, checked; dockerd's words for a bad one (a Binds host path that is not absolute ends up here too). */
export function validateVolumeName(name: string): string {
  if (typeof name !== 'string' || !isVolumeName(name)) {
    const n = clip(String(name));
    throw badParameter(`create ${n}: "${n}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`);
  }
  return name;
}

/** An anonymous volume's name: 64 hex digits, as docker and podman make them. */
export const generatedVolumeName = (): string => randomBytes(32).toString('hex');
