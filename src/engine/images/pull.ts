// A pull: the name resolved to its candidates (pull-names.ts), the manifest found (and the
// platform's entry of an index), the config fetched and checked — all before `run`, so a
// missing image or bad credentials are the caller's status code — then the layers fetched in
// parallel (bounded), each streamed once into the store (pull-layer.ts), and the image recorded.
// Concurrent pulls share layers in flight; a failed pull keeps the layers it completed (a retry
// skips them) and leaves no partial one.
import { chainIds, hexOf, sha256Digest } from '../../storage/digest.js';
import { TarError } from '../../storage/tar-reader.js';
import { UnsafeEntryError } from '../../storage/tar-paths.js';
import { LayerDigestError } from '../../storage/unpack.js';
import type { LayerRow } from '../../state/images.js';
import { loadRegistriesConf, readBody, RegistryError } from '../../registry/index.js';
import { clip } from '../../lib/clip.js';
import { familiarName, parseReference, repoOf } from '../../lib/image-ref.js';
import { badParameter, EngineError, internal, notFound } from '../errors.js';
import { parseManifestDoc } from './manifest-doc.js';
import { wantedPlatform } from './platform.js';
import { clients, explain, find, resolveImage, shown, type Found, type Resolved } from './pull-find.js';
import { pullLayer } from './pull-layer.js';
import { pullTargets, type PullTarget } from './pull-names.js';
import type { ImageService } from './service.js';
import type { DistributionInfo, PullEvent, PullJob, PullOptions, PullResult } from './types.js';

/** A local image the policy may take instead of a registry's. */
function localImage(svc: ImageService, input: string, names: string[]): string | undefined {
  for (const n of [input, ...names]) {
    try {
      return svc.resolve(n).id;
    } catch (e) {
      if (!(e instanceof EngineError) || e.kind !== 'not-found') throw e;
    }
  }
  return undefined;
}

export async function startPull(svc: ImageService, input: string, opts: PullOptions): Promise<PullJob> {
  const policy = opts.policy ?? 'always';
  parseReference(input);
  const localJob = (id: string, name: string): PullJob => ({
    name,
    local: id,
    run: async () => ({ id, ids: [id], name, digest: svc.get(id)?.digest ?? '', upToDate: true }),
  });
  if (policy === 'never' || policy === 'missing') {
    const targets = (() => {
      try {
        return pullTargets(input, opts.naming, loadRegistriesConf(), opts.tlsVerify).map((t) => t.name);
      } catch {
        return [];
      }
    })();
    const id = localImage(svc, input, targets);
    if (id) return localJob(id, targets[0] ?? input);
    if (policy === 'never') throw notFound(`${clip(input)}: image not known`);
  }
  if (opts.allTags) return allTagsJob(svc, input, opts);
  let found: Found;
  try {
    found = await find(svc, input, opts);
  } catch (e) {
    // `newer` keeps the local image when the registry cannot tell (offline, gone), as podman does.
    const id = policy === 'newer' ? localImage(svc, input, []) : undefined;
    if (id) return localJob(id, input);
    throw e;
  }
  const name = found.target.name;
  if (policy === 'newer') {
    const id = localImage(svc, input, [name]);
    if (id && svc.get(id)?.digests.includes(`${repoOf(found.target.ref)}@${found.top.digest}`)) return localJob(id, name);
  }
  const resolved = await resolveImage(svc, found, wantedPlatform(opts.platform));
  return { name, run: (onEvent) => runPull(svc, resolved, onEvent ?? (() => undefined)) };
}

/** Every tag of the repository (podman's --all-tags, dockerd's pull without a tag), one after the other. */
async function allTagsJob(svc: ImageService, input: string, opts: PullOptions): Promise<PullJob> {
  const ref = parseReference(input);
  if (ref.tag || ref.digest) throw badParameter(`tag or digest can't be used with the all-tags option: ${clip(input)}`);
  const client = clients(opts);
  const failures: { target: PullTarget; err: unknown }[] = [];
  for (const target of pullTargets(input, opts.naming, loadRegistriesConf(), opts.tlsVerify)) {
    for (const src of target.sources) {
      const c = await client(src.registry, src.path, src.insecure, svc);
      let tags: string[];
      try {
        const a = await c.ok(await c.request('GET', `/v2/${src.path}/tags/list`, { scopes: [`repository:${src.path}:pull`] }), `tags of ${repoOf(target.ref)}`);
        const list = (JSON.parse((await readBody(a)).toString('utf8')) as { tags?: string[] | null }).tags ?? [];
        tags = list.filter((t) => typeof t === 'string' && /^[\w][\w.-]{0,127}$/.test(t)).sort();
      } catch (e) {
        if (!(e instanceof RegistryError) && !(e instanceof SyntaxError)) throw e;
        if (!src.mirror) failures.push({ target, err: e instanceof SyntaxError ? new RegistryError('protocol', `tags of ${repoOf(target.ref)}: not JSON`) : e });
        continue;
      }
      if (!tags.length) throw notFound(`${familiarName(repoOf(target.ref))}: the repository has no tags`);
      const base = repoOf(target.ref);
      // Each tag as its own pull, found before the stream starts, so a bad one fails early too.
      const jobs: PullJob[] = [];
      for (const t of tags) jobs.push(await startPull(svc, `${base}:${t}`, { ...opts, allTags: false, naming: 'docker' }));
      return {
        name: base,
        run: async (onEvent) => {
          const ids: string[] = [];
          let last: PullResult | undefined;
          for (const j of jobs) {
            last = await j.run(onEvent);
            ids.push(last.id);
          }
          return { ...last!, name: base, ids, upToDate: false };
        },
      };
    }
  }
  throw explain(failures, input);
}

async function runPull(svc: ImageService, r: Resolved, emit: (e: PullEvent) => void): Promise<PullResult> {
  const ref = r.target.ref;
  emit({ type: 'resolved', name: r.target.name, repo: repoOf(ref), tag: ref.digest ? undefined : (ref.tag ?? 'latest'), digest: ref.digest });
  const chain = chainIds(r.diffIds).map(hexOf);
  const short = (d: string) => hexOf(d).slice(0, 12);
  const missing: number[] = [];
  r.layers.forEach((l, i) => {
    if (svc.layers.has(chain[i]) && !svc.inflight.has(chain[i])) emit({ type: 'layer', id: short(l.digest), digest: l.digest, state: 'exists' });
    else {
      missing.push(i);
      emit({ type: 'layer', id: short(l.digest), digest: l.digest, state: 'pending' });
    }
  });
  const limit = Math.max(1, svc.pullParallel);
  missing.slice(limit).forEach((i) => emit({ type: 'layer', id: short(r.layers[i].digest), digest: r.layers[i].digest, state: 'waiting' }));
  const abort = new AbortController();
  const created = new Set<string>();
  const one = async (i: number) => {
    const desc = r.layers[i];
    const id = short(desc.digest);
    const ev = (state: Extract<PullEvent, { type: 'layer' }>['state'], current?: number, total?: number) => emit({ type: 'layer', id, digest: desc.digest, state, current, total });
    let shared = svc.inflight.get(chain[i]);
    if (!shared && svc.layers.has(chain[i])) return ev('complete');
    if (!shared) {
      const p: Promise<LayerRow> = pullLayer(svc, {
        client: r.client,
        path: r.path,
        desc,
        parent: i ? chain[i - 1] : null,
        diffId: r.diffIds[i],
        signal: abort.signal,
        progress: {
          downloading: (c, t) => ev('downloading', c, t),
          downloaded: () => {
            ev('verifying');
            ev('downloaded');
            ev('extracting', desc.size, desc.size);
          },
        },
      }).then((row) => {
        created.add(row.id);
        return row;
      });
      shared = p.finally(() => svc.inflight.delete(chain[i]));
      svc.inflight.set(chain[i], shared);
      shared.catch(() => undefined);
    } else ev('waiting');
    await shared.catch((e) => {
      throw layerError(e, desc.digest);
    });
    svc.state.addLayerBlob({ diff_id: r.diffIds[i], digest: desc.digest, media_type: desc.mediaType, size: desc.size, registry: r.registry, repo: r.path, added: Date.now() });
    ev('complete');
  };
  try {
    await pool(missing, limit, one, () => abort.abort());
    emit({ type: 'config', digest: sha256Digest(r.config) });
    emit({ type: 'writing-manifest' });
    const result = await svc.locked(async () => {
      for (let i = 0; i < chain.length; i++) {
        if (!svc.layers.has(chain[i])) throw internal(`layer ${short(r.layers[i].digest)} was removed while the image was being pulled: pull again`);
      }
      const before = svc.get(sha256Digest(r.config));
      const img = svc.record(r.config, chain, { digest: r.top.digest, manifest: r.manifest.bytes });
      const name = r.target.name;
      const hadName = svc.state.imageByName(name) === img.id;
      if (!ref.digest) svc.applyName(img.id, name);
      svc.state.addDigest(`${repoOf(ref)}@${r.top.digest}`, img.id);
      svc.publish('pull', img.id, name);
      return { id: img.id, upToDate: !!before && (hadName || !!ref.digest) };
    });
    emit({ type: 'image', id: result.id, name: r.target.name, digest: r.top.digest, upToDate: result.upToDate && missing.length === 0 });
    return { id: result.id, ids: [result.id], name: r.target.name, digest: r.top.digest, upToDate: result.upToDate && missing.length === 0 };
  } finally {
    // Recorded or not, what was completed stays (a retry skips it); claims go with the image,
    // or with this process, whose death lets a later sweep take unused layers.
    if (svc.get(sha256Digest(r.config))) svc.state.releaseLayerClaims(created);
  }
}

/** Runs `fn` over `items`, at most `limit` at once; the first failure stops the rest. */
async function pool<T>(items: T[], limit: number, fn: (x: T) => Promise<void>, onFail: () => void): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (failed === undefined && next < items.length) {
      const x = items[next++];
      try {
        await fn(x);
      } catch (e) {
        if (failed === undefined) {
          failed = e;
          onFail();
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed !== undefined) throw failed;
}

function layerError(e: unknown, digest: string): unknown {
  if (e instanceof EngineError) return e;
  if (e instanceof LayerDigestError) return badParameter(e.message);
  if (e instanceof TarError || e instanceof UnsafeEntryError) return badParameter(`layer ${digest}: ${e.message}`);
  if (e instanceof RegistryError) return internal(`pulling layer ${digest}: ${e.message}`, e.message);
  const msg = (e as Error)?.message ?? String(e);
  if (/zstd|incorrect header check|unexpected end of file|invalid (block|distance|stored)|header/i.test(msg)) return badParameter(`layer ${digest}: corrupt compressed data (${msg})`);
  if ((e as Error)?.name === 'AbortError') return internal(`pulling layer ${digest}: stopped because another layer failed`);
  return internal(`pulling layer ${digest}: ${msg}${/aborted|ECONNRESET|socket hang up/i.test(msg) ? ' (the registry closed the connection)' : ''}`, msg);
}

/** `GET /distribution/{name}/json`: what the name points at, and the platforms it serves. */
export async function distribution(svc: ImageService, input: string, opts: Pick<PullOptions, 'naming' | 'auth' | 'tlsVerify'>): Promise<DistributionInfo> {
  const f = await find(svc, input, { ...opts, policy: 'always' });
  const doc = parseManifestDoc(f.top.mediaType, f.top.bytes, shown(f.target));
  const descriptor = { mediaType: f.top.mediaType, digest: f.top.digest, size: f.top.bytes.length };
  if (doc.kind === 'index') {
    const platforms = doc.manifests
      .filter((m) => m.platform?.os && m.platform.architecture && m.platform.os !== 'unknown')
      .map((m) => ({ os: m.platform!.os!, architecture: m.platform!.architecture!, ...(m.platform!.variant ? { variant: m.platform!.variant } : {}) }));
    return { descriptor, platforms };
  }
  const r = await resolveImage(svc, f, wantedPlatform(undefined));
  return { descriptor, platforms: [{ os: r.cfg.os ?? 'linux', architecture: r.cfg.architecture ?? '', ...(r.cfg.variant ? { variant: r.cfg.variant } : {}) }] };
}
