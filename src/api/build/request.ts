// The query of POST /build and POST /libpod/build as one BuildRequest: the two layers share
// most parameters, and differ in a few spellings (podman's JSON list of Containerfiles).
import type { Ctx } from '../../server/http.js';
import { qBool, qInt } from '../../server/http.js';
import { HttpError } from '../../server/errors.js';
import type { BuildRequest } from '../../engine/build/types.js';
import { LOCAL_DOMAIN, qualifyShortName } from '../../lib/image-ref.js';

function jsonParam<T>(ctx: Ctx, name: string, check: (v: unknown) => v is T, what: string): T | undefined {
  const raw = ctx.query.get(name);
  if (raw === null || raw === '') return undefined;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw new HttpError(400, `invalid ${name}: not JSON (${what})`);
  }
  if (v === null) return undefined;
  if (!check(v)) throw new HttpError(400, `invalid ${name}: ${what}`);
  return v;
}

const isStringMap = (v: unknown): v is Record<string, string | null> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => x === null || typeof x === 'string');
const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
const isUlimits = (v: unknown): v is { Name: string; Soft: number; Hard: number }[] =>
  Array.isArray(v) && v.every((u) => typeof u === 'object' && u && typeof (u as { Name: unknown }).Name === 'string');

function stringMap(m: Record<string, string | null> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m ?? {})) if (v !== null) out[k] = v;
  return out;
}

/** Extra hosts: docker sends them comma- or space-separated in one value, podman as a JSON list. */
function extraHosts(ctx: Ctx): string[] {
  const raw = ctx.query.getAll('extrahosts').filter(Boolean);
  const out: string[] = [];
  for (const r of raw) {
    if (r.startsWith('[')) {
      try {
        const v = JSON.parse(r) as unknown;
        if (isStringList(v)) {
          out.push(...v);
          continue;
        }
      } catch {
        /* a plain list */
      }
    }
    out.push(...r.split(/[,\s]+/).filter(Boolean));
  }
  return out;
}

/** podman sends buildah's network policy as a number: 0 default, 1 disabled, 2 enabled. */
function networkMode(v: string | undefined, flavor: 'docker' | 'podman'): string | undefined {
  if (flavor === 'podman' && v !== undefined && /^\d+$/.test(v)) return v === '1' ? 'none' : undefined;
  return v;
}

const BUILDAH_NS: Record<string, string> = { network: 'network', net: 'network', pid: 'pid', ipc: 'ipc', uts: 'uts', user: 'userns', cgroup: 'cgroupns' };

/**
 * The host namespaces podman-remote asks for in `nsoptions` (buildah's NamespaceOptions, a JSON
 * list of {Name, Host, Path}): only what the access policy judges; the builder applies `networkmode`.
 */
export function buildHostNamespaces(ctx: Ctx): Record<string, string> {
  const raw = ctx.query.get('nsoptions');
  if (!raw) return {};
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw new HttpError(400, 'invalid nsoptions: not JSON (a list of {Name, Host, Path})');
  }
  const out: Record<string, string> = {};
  for (const o of Array.isArray(v) ? (v as { Name?: unknown; Host?: unknown }[]) : []) {
    const ns = typeof o?.Name === 'string' ? BUILDAH_NS[o.Name] : undefined;
    if (ns && o.Host === true) out[ns] = 'host';
  }
  return out;
}

export function buildRequest(ctx: Ctx, flavor: 'docker' | 'podman'): BuildRequest {
  let dockerfile = ctx.query.get('dockerfile') || undefined;
  if (dockerfile?.startsWith('[')) {
    // podman: a JSON list of Containerfiles; the first is built (an absolute one was sent in the context).
    let list: unknown;
    try {
      list = JSON.parse(dockerfile);
    } catch {
      throw new HttpError(400, 'invalid dockerfile: a path or a JSON list of paths');
    }
    if (!isStringList(list)) throw new HttpError(400, 'invalid dockerfile: a path or a JSON list of paths');
    dockerfile = list[0];
  }
  if (dockerfile?.startsWith('/')) dockerfile = dockerfile.split('/').filter(Boolean).pop();
  const pullRaw = ctx.query.get('pull');
  const format = ctx.query.get('format') || ctx.query.get('outputformat') || undefined;
  if (format && !/^(oci|docker|application\/vnd\.oci\.image\.manifest\.v1\+json|application\/vnd\.docker\.distribution\.manifest\.v2\+json)$/.test(format)) {
    throw new HttpError(400, `unrecognized image type "${format}": oci or docker`);
  }
  const cacheFrom = jsonParam(ctx, 'cachefrom', isStringList, 'a JSON list of image names') ?? [];
  const cpushares = qInt(ctx, 'cpushares');
  return {
    dockerfile,
    // podman names a registry-less image localhost/name.
    tags: ctx.query.getAll('t').flatMap((t) => t.split(',')).filter(Boolean).map((t) => (flavor === 'podman' ? qualifyShortName(t, LOCAL_DOMAIN) : t)),
    buildArgs: stringMap(jsonParam(ctx, 'buildargs', isStringMap, 'a JSON object of strings')),
    labels: stringMap(jsonParam(ctx, 'labels', isStringMap, 'a JSON object of strings')),
    target: ctx.query.get('target') || undefined,
    noCache: qBool(ctx, 'nocache') || (flavor === 'podman' && ctx.query.get('layers') !== null && !qBool(ctx, 'layers', true)),
    cacheFrom,
    // docker's `pull` is a bool, podman's may be a policy word.
    pull: pullRaw === 'always' || pullRaw === 'true' || pullRaw === '1',
    rm: qBool(ctx, 'rm', true),
    forceRm: qBool(ctx, 'forcerm'),
    quiet: qBool(ctx, 'q'),
    squash: qBool(ctx, 'squash'),
    platform: ctx.query.get('platform') || undefined,
    remote: ctx.query.get('remote') || undefined,
    flavor,
    format: format ? (/oci/.test(format) ? 'oci' : 'docker') : undefined,
    run: {
      networkMode: networkMode(ctx.query.get('networkmode') || undefined, flavor),
      extraHosts: extraHosts(ctx),
      memory: qInt(ctx, 'memory'),
      memorySwap: qInt(ctx, 'memswap'),
      cpuShares: cpushares,
      cpuSetCpus: ctx.query.get('cpusetcpus') || undefined,
      cpuPeriod: qInt(ctx, 'cpuperiod'),
      cpuQuota: qInt(ctx, 'cpuquota'),
      shmSize: qInt(ctx, 'shmsize'),
      ulimits: jsonParam(ctx, 'ulimits', isUlimits, 'a JSON list of {Name, Soft, Hard}') ?? [],
    },
  };
}
