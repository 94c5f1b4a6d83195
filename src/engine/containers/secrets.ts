// A container's secrets: resolved and copied at create (podman's rule: a later replace or removal
// of the secret leaves the container as it was), kept in the container's own directory outside
// its root filesystem, and given to the process at start as bind mounts (files under
// /run/secrets) or variables in the OCI spec. So commit, export and diff never see the data,
// and inspect shows only names and IDs.
import { chmodSync, chownSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { isAbsolute, join, posix } from 'node:path';
import { unmappedIdProblem } from '../../config/id-range.js';
import { clip } from '../../lib/clip.js';
import { writePrivateFile } from '../../lib/private-fs.js';
import { badParameter } from '../errors.js';
import type { SecretSource } from '../secrets/service.js';
import type { SecretUse } from '../secrets/types.js';

/** A secret as a create request asks for it (podman's --secret name,type=,target=,uid=,gid=,mode=). */
export interface SecretRequest {
  source: string;
  type?: 'mount' | 'env';
  target?: string;
  uid?: number;
  gid?: number;
  mode?: number;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DEFAULT_MODE = 0o444;
const MAX_ID = 0xffffffff;

const copiesDir = (base: string) => join(base, 'secrets');

function checkId(v: unknown, what: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_ID) throw badParameter(`invalid secret ${what}: ${clip(String(v))}`);
  return v;
}

/** Checks the requests, resolves each secret and writes its copy under the container's dir. */
export function provideSecrets(reqs: SecretRequest[] | undefined, source: () => SecretSource, base: string): SecretUse[] {
  if (!reqs?.length) return [];
  const uses: SecretUse[] = [];
  const copies: Buffer[] = [];
  const targets = new Set<string>();
  for (const r of reqs) {
    if (!r || typeof r.source !== 'string' || !r.source) throw badParameter('a secret needs the name or ID of its source');
    const type = r.type ?? 'mount';
    if (type !== 'mount' && type !== 'env') throw badParameter(`invalid secret type "${clip(String(type))}": mount or env`);
    const s = source().resolveData(r.source);
    let target: string;
    if (type === 'env') {
      target = r.target || s.name;
      if (!ENV_NAME.test(target)) throw badParameter(`invalid secret target "${clip(target)}": not a variable name`);
      if (r.uid || r.gid || r.mode) throw badParameter(`secret ${s.name}: uid, gid and mode apply to mounted secrets only`);
    } else {
      const t = r.target || s.name;
      target = posix.normalize(isAbsolute(t) ? t : `/run/secrets/${t}`);
      if (target === '/' || target.endsWith('/') || target.split('/').includes('..')) throw badParameter(`invalid secret target "${clip(t)}"`);
    }
    if (targets.has(`${type}:${target}`)) throw badParameter(`secret target "${clip(target)}" is given twice`);
    targets.add(`${type}:${target}`);
    const mode = r.mode === undefined || r.mode === null || r.mode === 0 ? DEFAULT_MODE : r.mode;
    if (!Number.isInteger(mode) || mode < 0 || mode > 0o777) throw badParameter(`invalid secret mode: ${clip(String(r.mode))}`);
    const uid = checkId(r.uid, 'uid');
    const gid = checkId(r.gid, 'gid');
    // The copy is chowned to them: an id the (rootless) user namespace lacks is the caller's mistake.
    const unmapped = unmappedIdProblem('uid', uid) ?? unmappedIdProblem('gid', gid);
    if (unmapped) throw badParameter(`secret ${s.name}: ${unmapped}`);
    uses.push({ id: s.id, name: s.name, type, target, uid, gid, mode });
    copies.push(s.data);
  }
  const dir = copiesDir(base);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  uses.forEach((u, i) => {
    const p = join(dir, String(i));
    writePrivateFile(p, copies[i]);
    // A mounted file is the container user's to read (its mode and owner as asked); an env one stays the service's.
    if (u.type === 'mount') {
      chownSync(p, u.uid, u.gid);
      // Written 0600 first: the requested mode is set only once the owner is.
      chmodSync(p, u.mode);
    }
  });
  return uses;
}

/** What a start gives the process: the copies bound in read-only and the variables. */
export function secretRunInput(uses: SecretUse[] | undefined, base: string): { mounts: { destination: string; source: string }[]; env: string[] } {
  const mounts: { destination: string; source: string }[] = [];
  const env: string[] = [];
  (uses ?? []).forEach((u, i) => {
    const p = join(copiesDir(base), String(i));
    if (u.type === 'mount') mounts.push({ destination: u.target, source: p });
    else env.push(`${u.target}=${readFileSync(p, 'utf8')}`);
  });
  return { mounts, env };
}

export function removeSecretCopies(base: string): void {
  rmSync(copiesDir(base), { recursive: true, force: true });
}
