// Finding what a pull names, before anything is downloaded: the candidates (pull-names.ts) tried
// at their sources (mirrors first) until one has the manifest, with the most telling error when
// none has; then the platform's manifest of an index and the config, checked against its digest.
import { sha256Digest } from '../../storage/digest.js';
import { credentialsFor, loadRegistriesConf, RegistryClient, RegistryError, type Manifest } from '../../registry/index.js';
import { clip } from '../../lib/clip.js';
import { familiarName, repoOf } from '../../lib/image-ref.js';
import { badParameter, EngineError, notFound } from '../errors.js';
import { parseManifestDoc, type Descriptor } from './manifest-doc.js';
import { platformText, selectPlatform } from './platform.js';
import { pullTargets, type PullTarget } from './pull-names.js';
import { fromRegistryError } from './registry-errors.js';
import type { ImageService } from './service.js';
import type { ImageConfig, Platform, PullOptions } from './types.js';

export interface Found {
  target: PullTarget;
  client: RegistryClient;
  /** Registry and repository path it was found at (a mirror, a rewritten location). */
  registry: string;
  path: string;
  /** What the name points at (an index, or the image manifest itself). */
  top: Manifest;
}

export interface Resolved extends Found {
  manifest: Manifest;
  config: Buffer;
  cfg: ImageConfig;
  layers: Descriptor[];
  diffIds: string[];
}

export const clients = (opts: PullOptions) => {
  const made = new Map<string, Promise<RegistryClient>>();
  return (registry: string, path: string, insecure: boolean, svc: ImageService) => {
    const key = `${registry}|${insecure}|${path}`;
    let c = made.get(key);
    if (!c) {
      c = credentialsFor(opts.auth, registry, path).then((credentials) => new RegistryClient({ registry, credentials, insecure, timeouts: svc.registryTimeouts }));
      made.set(key, c);
    }
    return c;
  };
};

/** docker's wording of a name in messages: busybox:latest, localhost:5000/x@sha256:... */
export const shown = (t: PullTarget) => familiarName(t.name);

/** Finds the first candidate the registries have; the most telling error when none has it. */
export async function find(svc: ImageService, input: string, opts: PullOptions, reference?: string): Promise<Found> {
  const targets = pullTargets(input, opts.naming, loadRegistriesConf(), opts.tlsVerify);
  const client = clients(opts);
  const failures: { target: PullTarget; err: unknown }[] = [];
  for (const target of targets) {
    for (const src of target.sources) {
      const c = await client(src.registry, src.path, src.insecure, svc);
      try {
        const ref = reference ?? target.ref.digest ?? target.ref.tag ?? 'latest';
        const top = await c.manifest(src.path, ref);
        return { target, client: c, registry: src.registry, path: src.path, top };
      } catch (e) {
        if (!(e instanceof RegistryError)) throw e;
        // A mirror that fails is skipped; the primary location's error is the one to tell.
        if (!src.mirror) failures.push({ target, err: e });
      }
    }
  }
  throw explain(failures, input);
}

/** docker's messages for a pull that found nothing: manifest unknown, repository unknown, denied. */
export function explain(failures: { target: PullTarget; err: unknown }[], input: string): unknown {
  if (!failures.length) return notFound(`${clip(input)}: no registry to pull from`);
  // With several candidates, an auth failure or unreachable registry beats "not found".
  const pick = failures.find((f) => f.err instanceof RegistryError && f.err.kind !== 'not-found') ?? failures[0];
  const e = pick.err as RegistryError;
  const name = shown(pick.target);
  const repo = familiarName(repoOf(pick.target.ref));
  let err: unknown;
  if (e.kind === 'not-found') {
    if (e.code === 'NAME_UNKNOWN') err = notFound(`repository ${repo} not found: ${e.registryText}`);
    else err = notFound(`manifest for ${name} not found: ${e.registryText ?? 'manifest unknown: manifest unknown'}`);
  } else if (e.kind === 'denied') err = notFound(`pull access denied for ${repo}, repository does not exist or may require 'docker login': ${e.registryText ?? 'denied: requested access to the resource is denied'}`);
  else err = fromRegistryError(e);
  if (failures.length > 1 && err instanceof EngineError) {
    const tried = failures.map((f) => f.target.name).join(', ');
    return new EngineError(err.kind, `${err.message} (tried ${tried})`, err.causeText);
  }
  return err;
}

/** The image manifest for the platform, its config checked against its digest. */
export async function resolveImage(svc: ImageService, f: Found, want: Platform): Promise<Resolved> {
  const name = shown(f.target);
  let manifest = f.top;
  let doc = parseManifestDoc(manifest.mediaType, manifest.bytes, name);
  if (doc.kind === 'index') {
    const entry = selectPlatform(doc.manifests, want);
    if (!entry) throw notFound(`no matching manifest for ${platformText(want)} in the manifest list entries`);
    manifest = await f.client.manifest(f.path, entry.digest).catch((e) => {
      throw fromRegistryError(e);
    });
    doc = parseManifestDoc(manifest.mediaType, manifest.bytes, name);
    if (doc.kind === 'index') throw badParameter(`${name}: an index inside an index is not supported`);
  }
  const { config: cd, layers } = doc;
  let config: Buffer;
  try {
    config = await f.client.blobBytes(f.path, cd.digest, 8 * 1024 * 1024);
  } catch (e) {
    throw fromRegistryError(e, `config ${cd.digest}`);
  }
  if (sha256Digest(config) !== cd.digest) throw badParameter(`${name}: the image config does not match its digest ${cd.digest}`);
  let cfg: ImageConfig;
  try {
    cfg = JSON.parse(config.toString('utf8')) as ImageConfig;
  } catch {
    throw badParameter(`${name}: the image config is not JSON`);
  }
  const diffIds = cfg.rootfs?.diff_ids ?? [];
  if (!Array.isArray(diffIds) || diffIds.length !== layers.length) {
    throw badParameter(`${name}: the manifest has ${layers.length} layers but the config ${Array.isArray(diffIds) ? diffIds.length : 'no'} diff IDs`);
  }
  return { ...f, manifest, config, cfg, layers, diffIds };
}
