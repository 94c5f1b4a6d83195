// Searching registries. dockerd asks a registry's search API (`/v1/search`, what Docker Hub
// serves); containers/image does that for Docker Hub and lists other registries' catalogs
// (`/v2/_catalog`), keeping the names that contain the term. A registry without the API asked
// (distribution has no /v1/search, and may hide its catalog) gives no results, not an error.
import { loadRegistriesConf, readBody, RegistryError, type Timeouts } from '../../registry/index.js';
import { clip } from '../../lib/clip.js';
import { badParameter } from '../errors.js';
import { fromRegistryError } from './registry-errors.js';
import { registryClient } from './registry-access.js';
import type { SearchOptions, SearchResult } from './types.js';

const looksLikeRegistry = (s: string) => s.includes('.') || s.includes(':') || s === 'localhost';
const HOST = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::\d{1,5})?$/;

interface Filters {
  official?: boolean;
  automated?: boolean;
  stars: number;
}

export function parseFilters(f: Record<string, string[]> = {}): Filters {
  const out: Filters = { stars: 0 };
  const bool = (k: string, v: string) => {
    if (v !== 'true' && v !== 'false' && v !== '1' && v !== '0') throw badParameter(`invalid filter '${k}=${clip(v)}'`);
    return v === 'true' || v === '1';
  };
  for (const [k, vs] of Object.entries(f)) {
    for (const v of vs) {
      if (k === 'is-official') out.official = bool(k, v);
      else if (k === 'is-automated') out.automated = bool(k, v);
      else if (k === 'stars') {
        if (!/^\d+$/.test(v)) throw badParameter(`invalid filter 'stars=${clip(v)}'`);
        out.stars = Math.max(out.stars, Number(v));
      } else throw badParameter(`invalid filter '${clip(k)}'`);
    }
  }
  return out;
}

/** The registries a term is searched on, and what is asked of them (pure but for registries.conf). */
export function searchTargets(term: string, o: SearchOptions): { registry: string; query: string }[] {
  const slash = term.indexOf('/');
  if (slash > 0 && looksLikeRegistry(term.slice(0, slash))) {
    const registry = term.slice(0, slash);
    if (!HOST.test(registry)) throw badParameter(`invalid registry name "${clip(registry)}" in search term`);
    return [{ registry, query: term.slice(slash + 1) }];
  }
  if (o.naming === 'docker') return [{ registry: 'docker.io', query: term }];
  const search = loadRegistriesConf().search;
  return (search.length ? search : ['docker.io']).map((registry) => ({ registry, query: term }));
}

async function json<T>(a: Awaited<ReturnType<Awaited<ReturnType<typeof registryClient>>['request']>>): Promise<T> {
  return JSON.parse((await readBody(a, 16 << 20)).toString('utf8')) as T;
}

async function searchOne(registry: string, query: string, limit: number, o: SearchOptions, timeouts?: Timeouts): Promise<SearchResult[]> {
  const client = await registryClient(registry, undefined, { ...o, timeouts });
  const hub = registry === 'docker.io';
  if (o.listTags) {
    const repo = hub && !query.includes('/') ? `library/${query}` : query;
    const a = await client.ok(await client.request('GET', `/v2/${repo}/tags/list`, { scopes: [`repository:${repo}:pull`] }), `listing the tags of ${registry}/${repo}`);
    const tags = (await json<{ tags?: string[] | null }>(a)).tags ?? [];
    return tags.map((tag) => ({ index: registry, name: `${registry}/${repo}`, description: '', stars: 0, official: false, automated: false, tag }));
  }
  if (hub || o.naming === 'docker') {
    const q = new URLSearchParams({ q: query, n: String(limit) });
    const a = await client.request('GET', `/v1/search?${q}`);
    if (a.status === 404 || a.status === 405) {
      a.body.resume();
      return [];
    }
    await client.ok(a, `searching ${registry}`);
    const r = await json<{ results?: { name: string; description?: string; star_count?: number; is_official?: boolean; is_automated?: boolean }[] }>(a);
    return (r.results ?? []).map((x) => ({ index: registry, name: x.name, description: x.description ?? '', stars: x.star_count ?? 0, official: !!x.is_official, automated: !!x.is_automated }));
  }
  const a = await client.request('GET', `/v2/_catalog?n=1000`, { scopes: ['registry:catalog:*'] });
  if (a.status === 404 || a.status === 401 || a.status === 403) {
    a.body.resume();
    return [];
  }
  await client.ok(a, `listing the catalog of ${registry}`);
  const repos = (await json<{ repositories?: string[] | null }>(a)).repositories ?? [];
  return repos.filter((r) => r.includes(query)).map((r) => ({ index: registry, name: `${registry}/${r}`, description: '', stars: 0, official: false, automated: false }));
}

export async function search(term: string, o: SearchOptions, timeouts?: Timeouts): Promise<SearchResult[]> {
  const t = term.trim();
  if (!t && !o.listTags) throw badParameter('a search term is required');
  const limit = o.limit ?? 25;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw badParameter(`Limit ${limit} is outside the range of [1, 100]`);
  const f = parseFilters(o.filters);
  const out: SearchResult[] = [];
  for (const { registry, query } of searchTargets(t, o)) {
    try {
      out.push(...(await searchOne(registry, query, limit, o, timeouts)));
    } catch (e) {
      if (e instanceof RegistryError && e.kind === 'not-found') continue;
      throw fromRegistryError(e);
    }
  }
  return out
    .filter((r) => r.stars >= f.stars && (f.official === undefined || r.official === f.official) && (f.automated === undefined || r.automated === f.automated))
    .slice(0, o.listTags ? undefined : limit);
}
