// registries.conf (v2, TOML) as containers/image reads it: search registries for short names,
// aliases, and per-prefix [[registry]] tables with location rewrites, mirrors, `blocked` and
// `insecure`. Loading reads files; matching and rewriting are pure.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dropInFiles, userContainersDir } from '../config/conf-dirs.js';
import { parse } from 'smol-toml';

export interface Mirror {
  location: string;
  insecure: boolean;
  /** `pull-from-mirror`: all (default), digest-only, tag-only. */
  pullFromMirror: 'all' | 'digest-only' | 'tag-only';
}

export interface RegistryEntry {
  /** `host[/path]`, or `*.domain` for a wildcard. */
  prefix: string;
  /** What `prefix` is replaced by when pulling (defaults to prefix). */
  location: string;
  insecure: boolean;
  blocked: boolean;
  mirrors: Mirror[];
  mirrorByDigestOnly: boolean;
}

export interface RegistriesConf {
  search: string[];
  registries: RegistryEntry[];
  /** Short name (no tag) -> full repository. */
  aliases: Record<string, string>;
  shortNameMode: 'enforcing' | 'permissive' | 'disabled';
  /** The main file (for messages) and every file read. */
  mainFile: string;
  files: string[];
}

export class RegistriesConfError extends Error {}

/** containers/image's order: CONTAINERS_REGISTRIES_CONF alone, else the user's file or /etc's, then drop-ins. */
export function registriesConfFiles(env: NodeJS.ProcessEnv = process.env): { main: string; dropIns: string[] } {
  if (env.CONTAINERS_REGISTRIES_CONF) return { main: env.CONTAINERS_REGISTRIES_CONF, dropIns: [] };
  const userDir = userContainersDir(env);
  const userFile = join(userDir, 'registries.conf');
  let main = '/etc/containers/registries.conf';
  try {
    readFileSync(userFile);
    main = userFile;
  } catch {
    // No user file: the system's.
  }
  return { main, dropIns: [...dropInFiles('/etc/containers/registries.conf.d'), ...dropInFiles(join(userDir, 'registries.conf.d'))] };
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const bool = (v: unknown) => v === true;

function entryOf(t: Record<string, unknown>, file: string): RegistryEntry {
  const location = str(t.location) ?? '';
  const prefix = str(t.prefix) || location;
  if (!prefix) throw new RegistriesConfError(`${file}: a [[registry]] needs a prefix or a location`);
  const mirrors = (Array.isArray(t.mirror) ? t.mirror : []).map((m: Record<string, unknown>) => {
    const loc = str(m.location);
    if (!loc) throw new RegistriesConfError(`${file}: a [[registry.mirror]] of ${prefix} has no location`);
    const p = str(m['pull-from-mirror']) ?? 'all';
    return { location: loc.replace(/\/+$/, ''), insecure: bool(m.insecure), pullFromMirror: (['all', 'digest-only', 'tag-only'].includes(p) ? p : 'all') as Mirror['pullFromMirror'] };
  });
  return {
    prefix: prefix.replace(/\/+$/, ''),
    location: (location || (prefix.startsWith('*.') ? '' : prefix)).replace(/\/+$/, ''),
    insecure: bool(t.insecure),
    blocked: bool(t.blocked),
    mirrors,
    mirrorByDigestOnly: bool(t['mirror-by-digest-only']),
  };
}

/** Parses one file's text into `into` (later files override: search lists replace, registries merge by prefix). */
export function applyRegistriesConf(into: RegistriesConf, text: string, file: string): void {
  let doc: Record<string, unknown>;
  try {
    doc = parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new RegistriesConfError(`${file}: ${(e as Error).message}`);
  }
  into.files.push(file);
  if (Array.isArray(doc['unqualified-search-registries'])) into.search = (doc['unqualified-search-registries'] as unknown[]).filter((s): s is string => typeof s === 'string');
  const mode = str(doc['short-name-mode']);
  if (mode === 'enforcing' || mode === 'permissive' || mode === 'disabled') into.shortNameMode = mode;
  for (const t of Array.isArray(doc.registry) ? (doc.registry as Record<string, unknown>[]) : []) {
    const e = entryOf(t, file);
    const i = into.registries.findIndex((r) => r.prefix === e.prefix);
    if (i >= 0) into.registries[i] = e;
    else into.registries.push(e);
  }
  const aliases = doc.aliases;
  if (aliases && typeof aliases === 'object') {
    for (const [k, v] of Object.entries(aliases as Record<string, unknown>)) if (typeof v === 'string') into.aliases[k] = v;
  }
}

export function emptyRegistriesConf(mainFile = '/etc/containers/registries.conf'): RegistriesConf {
  return { search: [], registries: [], aliases: {}, shortNameMode: 'enforcing', mainFile, files: [] };
}

/** Reads the files; missing ones are normal, broken ones throw RegistriesConfError. */
export function loadRegistriesConf(env: NodeJS.ProcessEnv = process.env): RegistriesConf {
  const { main, dropIns } = registriesConfFiles(env);
  const conf = emptyRegistriesConf(main);
  for (const f of [main, ...dropIns]) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    applyRegistriesConf(conf, text, f);
  }
  return conf;
}

/** Whether `prefix` covers `name` (`host/path`): whole components only; `*.example.com` any subdomain. */
export function prefixMatches(prefix: string, name: string): boolean {
  if (prefix.startsWith('*.')) {
    const host = name.split('/')[0];
    return host.endsWith(prefix.slice(1)) && host.length > prefix.length - 1;
  }
  if (!name.startsWith(prefix)) return false;
  const next = name[prefix.length];
  return next === undefined || next === '/' || next === ':' || next === '@';
}

/** The [[registry]] with the longest prefix covering `name` (a repository, `host/path`). */
export function findRegistry(conf: RegistriesConf, name: string): RegistryEntry | undefined {
  let best: RegistryEntry | undefined;
  for (const r of conf.registries) {
    if (!prefixMatches(r.prefix, name)) continue;
    if (!best || r.prefix.length > best.prefix.length) best = r;
  }
  return best;
}

/** One place to pull a repository from: `repo` is `host/path` at that place. */
export interface PullSource {
  repo: string;
  insecure: boolean;
  mirror: boolean;
}

/**
 * Where to pull repository `name` (`host/path`) from, in order: its mirrors, then its location.
 * `byDigest` says whether the pull names a digest (mirrors may be digest-only). Throws for a
 * blocked registry.
 */
export function pullSources(conf: RegistriesConf, name: string, byDigest: boolean): PullSource[] {
  const r = findRegistry(conf, name);
  if (!r) return [{ repo: name, insecure: false, mirror: false }];
  if (r.blocked) throw new RegistriesConfError(`registry ${name.split('/')[0]} is blocked in ${conf.mainFile} or registries.conf.d`);
  const rewrite = (loc: string) => (r.prefix.startsWith('*.') || !loc ? name : loc + name.slice(r.prefix.length));
  const out: PullSource[] = [];
  for (const m of r.mirrors) {
    const wanted = r.mirrorByDigestOnly ? 'digest-only' : m.pullFromMirror;
    if ((wanted === 'digest-only' && !byDigest) || (wanted === 'tag-only' && byDigest)) continue;
    out.push({ repo: rewrite(m.location), insecure: m.insecure, mirror: true });
  }
  out.push({ repo: rewrite(r.location), insecure: r.insecure, mirror: false });
  return out;
}

/** Whether registries.conf marks the registry host `host` insecure (for push, login, search). */
export function hostInsecure(conf: RegistriesConf, host: string): boolean {
  return findRegistry(conf, host)?.insecure ?? false;
}
