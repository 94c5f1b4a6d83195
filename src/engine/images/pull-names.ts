// Which repositories a user's name may mean for a pull, and where each is fetched from: the
// naming rule the API layer chose (docker's or registries.conf's), then registries.conf's
// rewrites, mirrors, `blocked` and `insecure`. Pure but for the conf passed in.
import { canonicalName, parseReference, repoOf, type Reference } from '../../lib/image-ref.js';
import { pullSources, type PullSource, type RegistriesConf } from '../../registry/index.js';
import { clip } from '../../lib/clip.js';
import { badParameter, notFound } from '../errors.js';
import { callerAllowsPlainHttp } from './registry-access.js';
import type { NamingRule } from './types.js';

export interface PullTarget {
  ref: Reference;
  /** The name stored after the pull: domain/path:tag, or domain/path@digest. */
  name: string;
  /** Where to fetch it, mirrors first; `insecure` already includes the caller's and docker's rules. */
  sources: (PullSource & { registry: string; path: string })[];
}

/** The short name as written, without tag or digest: what aliases are keyed by. */
function shortName(input: string): string {
  let s = input.trim();
  const at = s.indexOf('@');
  if (at >= 0) s = s.slice(0, at);
  const c = s.lastIndexOf(':');
  if (c > s.lastIndexOf('/')) s = s.slice(0, c);
  return s;
}

function withRefOf(base: Reference, from: Reference): Reference {
  return { ...base, tag: from.tag, digest: from.digest };
}

/** The candidates, most likely first. Throws bad-parameter for a malformed name, not-found when a short name has nowhere to go. */
export function pullTargets(input: string, rule: NamingRule, conf: RegistriesConf, tlsVerify?: boolean): PullTarget[] {
  const ref = parseReference(input);
  let refs: Reference[];
  if (rule === 'docker' || ref.explicitDomain) refs = [ref];
  else {
    const short = shortName(input);
    const alias = conf.aliases[short];
    if (alias) {
      const a = parseReference(alias);
      if (!a.explicitDomain) throw badParameter(`registries.conf alias ${short} = ${clip(alias)} is not a fully qualified name`);
      refs = [withRefOf(a, ref)];
    } else {
      if (!conf.search.length) {
        throw notFound(`short-name "${clip(short)}" did not resolve to an alias and no unqualified-search registries are defined in "${conf.mainFile}"`);
      }
      refs = conf.search.map((reg) => withRefOf(parseReference(`${reg}/${short}`), ref));
    }
  }
  return refs.map((r) => {
    const name = canonicalName(r);
    const sources = pullSources(conf, repoOf(r), !!r.digest).map((s) => {
      const slash = s.repo.indexOf('/');
      const registry = s.repo.slice(0, slash);
      let path = s.repo.slice(slash + 1);
      // A rewrite to docker.io keeps docker's library/ rule.
      if (registry === 'docker.io' && !path.includes('/')) path = `library/${path}`;
      const insecure = s.insecure || callerAllowsPlainHttp(registry, { naming: rule, tlsVerify });
      return { ...s, registry, path, insecure };
    });
    return { ref: r, name, sources };
  });
}
