// Image references as docker's distribution/reference grammar defines them, and the way the
// docker CLI expands short names (busybox -> docker.io/library/busybox:latest). Pure: the engine
// names and finds images with it, the API layers shape the names they show with it.
import { badParameter } from '../engine/errors.js';
import { clip } from './clip.js';

export const DEFAULT_DOMAIN = 'docker.io';
export const LOCAL_DOMAIN = 'localhost';

export interface Reference {
  domain: string;
  /** Repository path without domain, e.g. "library/busybox". */
  path: string;
  tag?: string;
  digest?: string;
  /** Whether the user wrote a registry (otherwise it was filled in). */
  explicitDomain: boolean;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const ID_ONLY = /^(?:sha256:)?[a-f0-9]{64}$/;

const invalid = (s: string, why?: string) =>
  badParameter(`invalid reference format${why ? `: ${why}` : ''}${why ? '' : ` "${clip(s)}"`}`);

function validDomain(d: string): boolean {
  const [host, port, ...rest] = d.split(':');
  if (rest.length) return false;
  if (port !== undefined && !/^\d+$/.test(port)) return false;
  if (host.startsWith('[') && host.endsWith(']')) return true;
  return host.split('.').every((c) => DOMAIN_COMPONENT.test(c));
}

/** Whether the first path component names a registry, by docker's rule. */
function looksLikeDomain(first: string): boolean {
  return first.includes('.') || first.includes(':') || first === LOCAL_DOMAIN;
}

/**
 * Parses `[domain/]path[:tag][@digest]`. Throws bad-parameter with docker's reasons (empty,
 * uppercase, too long, bad characters). A missing domain becomes `defaultDomain`, and single
 * component docker.io names gain `library/`.
 */
export function parseReference(input: string, defaultDomain = DEFAULT_DOMAIN): Reference {
  const s = input.trim();
  if (!s) throw badParameter('invalid reference format: repository name must have at least one component');
  if (ID_ONLY.test(s) && s.startsWith('sha256:')) throw invalid(s, 'an image ID is not a repository name');
  let rest = s;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw invalid(s, `invalid digest "${clip(digest)}"`);
  }
  let tag: string | undefined;
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > rest.lastIndexOf('/')) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!TAG.test(tag)) throw invalid(s, `invalid tag "${clip(tag)}"`);
  }
  if (!rest) throw invalid(s);
  const parts = rest.split('/');
  let domain = defaultDomain;
  let explicitDomain = false;
  if (parts.length > 1 && looksLikeDomain(parts[0])) {
    domain = parts.shift()!;
    explicitDomain = true;
    if (!validDomain(domain)) throw invalid(s);
  }
  if (parts.some((p) => p !== p.toLowerCase()) && parts.every((p) => COMPONENT.test(p.toLowerCase()))) {
    throw invalid(s, `repository name (${clip(parts.join('/'))}) must be lowercase`);
  }
  if (!parts.every((p) => COMPONENT.test(p))) throw invalid(s);
  if (domain === DEFAULT_DOMAIN && parts.length === 1) parts.unshift('library');
  const path = parts.join('/');
  if (domain.length + 1 + path.length > 255) throw invalid(s, 'repository name must not be more than 255 characters');
  return { domain, path, tag, digest, explicitDomain };
}

export function repoOf(r: Reference): string {
  return `${r.domain}/${r.path}`;
}

/** The stored name: `domain/path:tag` (tag defaults to latest) or `domain/path@digest`. */
export function canonicalName(r: Reference): string {
  if (r.digest && !r.tag) return `${repoOf(r)}@${r.digest}`;
  return `${repoOf(r)}:${r.tag ?? 'latest'}`;
}

/** The short form docker prints: docker.io/library/busybox:latest -> busybox:latest. */
export function familiarName(name: string): string {
  if (name.startsWith(`${DEFAULT_DOMAIN}/library/`)) {
    const rest = name.slice(DEFAULT_DOMAIN.length + 9);
    return rest.includes('/') ? name.slice(DEFAULT_DOMAIN.length + 1) : rest;
  }
  if (name.startsWith(`${DEFAULT_DOMAIN}/`)) return name.slice(DEFAULT_DOMAIN.length + 1);
  return name;
}

/** Splits a stored name into repository and tag ("<none>" when it has no tag). */
export function splitName(name: string): { repo: string; tag: string } {
  const at = name.indexOf('@');
  const base = at >= 0 ? name.slice(0, at) : name;
  const c = base.lastIndexOf(':');
  if (c > base.lastIndexOf('/')) return { repo: base.slice(0, c), tag: base.slice(c + 1) };
  return { repo: base, tag: '<none>' };
}

export const isFullId = (s: string) => ID_ONLY.test(s);
export const isIdPrefix = (s: string) => /^(?:sha256:)?[a-f0-9]{1,64}$/.test(s);

/**
 * A registry-less name completed under `domain` instead of docker.io, as podman puts names
 * under localhost/ (`foo` -> `localhost/foo:latest`). Anything else, including what does not
 * parse, comes back as given: whoever stores the name validates it at its point in the operation.
 */
export function qualifyShortName(input: string, domain: string): string {
  let ref: Reference;
  try {
    ref = parseReference(input);
  } catch {
    return input;
  }
  if (ref.explicitDomain || ref.digest) return input;
  return `${domain}/${ref.path.replace(/^library\//, '')}:${ref.tag ?? 'latest'}`;
}

/**
 * Stored names a user reference may mean, most likely first: short names are looked up under
 * docker.io (as the docker CLI expands them) and under localhost/ (where podman puts images
 * imported or committed without a registry).
 */
export function candidateNames(input: string): { ref: Reference; names: string[] } {
  const ref = parseReference(input);
  if (ref.explicitDomain) return { ref, names: [canonicalName(ref)] };
  const local = parseReference(`${LOCAL_DOMAIN}/${ref.path.replace(/^library\//, '')}`);
  const localName = canonicalName({ ...local, tag: ref.tag, digest: ref.digest });
  return { ref, names: [canonicalName(ref), localName] };
}

/** path.Match-style glob used by docker's reference filter: `*` stops at `/`. */
export function globMatch(pattern: string, s: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const j = pattern.indexOf(']', i);
      if (j < 0) return false;
      re += '[' + pattern.slice(i + 1, j).replace(/^!/, '^').replace(/\\/g, '\\\\') + ']';
      i = j;
    } else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  try {
    return new RegExp(re + '$').test(s);
  } catch {
    return false;
  }
}
