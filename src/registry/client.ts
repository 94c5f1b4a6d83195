// A client of one registry (OCI distribution spec): finds its endpoint (https, or plain http
// where insecure registries are allowed), answers its auth challenges (Bearer tokens per scope,
// Basic), and offers the calls pulls and pushes are made of. One client per registry and
// operation: tokens are cached for its lifetime only.
import type { Readable } from 'node:stream';
import { errorFromResponse, RegistryError } from './errors.js';
import { connectionFailed, DEFAULT_TIMEOUTS, drop, readBody, send, type HttpAnswer, type Timeouts } from './transport.js';
import { tlsFor, type TlsMaterial } from './tls.js';
import { hasCredentials, type Credentials } from './types.js';
import { parseWwwAuthenticate, type Challenge } from './www-authenticate.js';
import { sha256Digest } from '../storage/digest.js';

export interface RegistryClientOptions {
  /** host[:port] as references name it; docker.io is served by registry-1.docker.io. */
  registry: string;
  credentials?: Credentials;
  /**
   * Plain HTTP and unverified TLS allowed: tls-verify=false, registries.conf `insecure`, or
   * docker's rule for loopback registries. https is still tried first, as docker does.
   */
  insecure?: boolean;
  /** Default: what certs.d holds for the registry. */
  tls?: TlsMaterial;
  timeouts?: Timeouts;
}

export const MEDIA = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
} as const;

/** What a manifest GET asks for: every form berth can pull, schema 1 last (to refuse it by name). */
export const MANIFEST_ACCEPT = [MEDIA.ociIndex, MEDIA.dockerList, MEDIA.ociManifest, MEDIA.dockerManifest, MEDIA.dockerSchema1Signed, MEDIA.dockerSchema1].join(', ');

/** A token scope for a repository (path without registry): `repository:library/busybox:pull`. */
export const repoScope = (repo: string, actions: ('pull' | 'push' | 'delete' | '*')[] = ['pull']) => `repository:${repo}:${actions.join(',')}`;

export interface RequestOptions {
  /** Token scopes this request needs (Bearer registries), e.g. [repoScope(repo)]. */
  scopes?: string[];
  headers?: Record<string, string>;
  /** A buffer is resent after a new challenge; a stream factory is called once per attempt. */
  body?: Buffer | (() => Readable);
  /** Follow 301/302/303/307/308 (blob downloads go to storage elsewhere); default true for GET/HEAD. */
  followRedirects?: boolean;
  signal?: AbortSignal;
}

export interface Manifest {
  /** The Content-Type the registry gave, or the document's mediaType. */
  mediaType: string;
  /** sha256 of `bytes` (checked against the reference when it was a digest). */
  digest: string;
  bytes: Buffer;
}

const DOCKER_HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

export class RegistryClient {
  readonly registry: string;
  private readonly creds?: Credentials;
  private readonly insecure: boolean;
  private readonly tls: TlsMaterial;
  private readonly timeouts: Timeouts;
  private endpoint?: Promise<{ base: URL; challenges: Challenge[] }>;
  private tokens = new Map<string, Promise<string>>();

  constructor(o: RegistryClientOptions) {
    this.registry = o.registry;
    this.creds = hasCredentials(o.credentials) ? o.credentials : undefined;
    this.insecure = !!o.insecure;
    this.timeouts = o.timeouts ?? DEFAULT_TIMEOUTS;
    this.tls = o.tls ?? tlsFor(this.host);
  }

  /** The host actually contacted. */
  get host(): string {
    return DOCKER_HUB_HOSTS.has(this.registry) ? 'registry-1.docker.io' : this.registry;
  }

  /**
   * `GET /v2/`: finds the endpoint and its auth challenges (once per client). Throws
   * unreachable / timeout / protocol errors with the address tried.
   */
  ping(): Promise<{ base: URL; challenges: Challenge[] }> {
    this.endpoint ??= this.findEndpoint();
    // A failed ping is not cached: the next call tries again.
    this.endpoint.catch(() => (this.endpoint = undefined));
    return this.endpoint;
  }

  private async findEndpoint(): Promise<{ base: URL; challenges: Challenge[] }> {
    const bases = [new URL(`https://${this.host}/`)];
    if (this.insecure) bases.push(new URL(`http://${this.host}/`));
    let lastErr: unknown;
    for (const base of bases) {
      try {
        const a = await send(new URL('/v2/', base), { method: 'GET', tls: this.tls, skipVerify: this.insecure, timeouts: this.timeouts });
        const text = (await readBody(a, 1 << 20)).toString('utf8');
        if (a.status === 200) return { base, challenges: [] };
        if (a.status === 401) return { base, challenges: challengesOf(a) };
        // Some registries answer /v2/ with 404 on http and are real on https: keep looking.
        lastErr = errorFromResponse(a.status, text, `${base.origin}/v2/`);
        if (a.status >= 500) continue;
        throw lastErr;
      } catch (e) {
        if (!connectionFailed(e)) throw e;
        lastErr = e;
      }
    }
    if (lastErr instanceof RegistryError && connectionFailed(lastErr)) {
      // The hint only where https met something else (a plain-HTTP registry answers TLS with garbage).
      const tlsTrouble = /EPROTO|wrong version number|SSL|TLS|certificate|self.signed/i.test(lastErr.message);
      const hint = !this.insecure && tlsTrouble ? ' (for a plain-HTTP registry, mark it insecure in registries.conf or use --tls-verify=false)' : '';
      throw new RegistryError(lastErr.kind, `pinging registry ${this.registry}: ${lastErr.message}${hint}`);
    }
    throw lastErr;
  }

  /**
   * Checks credentials the way `docker login` does: a token with them (asking for a refresh
   * token, which is returned as `identityToken`), or Basic against /v2/. Throws unauthorized.
   */
  async login(): Promise<{ identityToken?: string }> {
    const { base, challenges } = await this.ping();
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer) {
      const t = await this.fetchToken(bearer, [], true);
      return t.refreshToken ? { identityToken: t.refreshToken } : {};
    }
    if (!challenges.length) return {};
    const a = await send(new URL('/v2/', base), { method: 'GET', headers: this.basicHeader(), tls: this.tls, skipVerify: this.insecure, timeouts: this.timeouts });
    const text = (await readBody(a, 1 << 20)).toString('utf8');
    if (a.status !== 200) throw errorFromResponse(a.status, text, `login to ${this.registry}`);
    return {};
  }

  /**
   * One call on the registry's API (`path` starts with /v2/), authenticated for `scopes`.
   * Answers whatever status the registry gave, body unread: see `ok()` and `readBody`.
   */
  async request(method: string, path: string, o: RequestOptions = {}): Promise<HttpAnswer> {
    const { base, challenges } = await this.ping();
    let url = new URL(path, base);
    let auth = await this.authHeader(challenges, o.scopes ?? []);
    const follow = o.followRedirects ?? (method === 'GET' || method === 'HEAD');
    let retried = false;
    for (let hops = 0; ; hops++) {
      const body = typeof o.body === 'function' ? o.body() : o.body;
      const a = await send(url, { method, headers: { ...auth, ...o.headers }, body, tls: this.tls, skipVerify: this.insecure, timeouts: this.timeouts, signal: o.signal });
      if (a.status === 401 && !retried && typeof o.body !== 'function' && url.origin === base.origin) {
        // A new challenge (another scope, an expired token): one more try with a fresh token.
        const fresh = challengesOf(a);
        if (fresh.some((c) => c.scheme === 'bearer') || (fresh.some((c) => c.scheme === 'basic') && this.creds?.username && !auth.Authorization)) {
          drop(a);
          retried = true;
          this.tokens.clear();
          auth = await this.authHeader(fresh, o.scopes ?? []);
          continue;
        }
      }
      if (follow && [301, 302, 303, 307, 308].includes(a.status) && a.headers.location && hops < 5) {
        drop(a);
        const next = new URL(a.headers.location, url);
        // Credentials stay with the registry: storage behind a redirect gets a signed URL instead.
        if (next.origin !== base.origin) auth = {};
        url = next;
        continue;
      }
      return a;
    }
  }

  /** Throws the registry's error for a non-2xx answer (reading its body for the message). */
  async ok(a: HttpAnswer, what: string): Promise<HttpAnswer> {
    if (a.status >= 200 && a.status < 300) return a;
    const text = (await readBody(a, 1 << 20).catch(() => Buffer.alloc(0))).toString('utf8');
    throw errorFromResponse(a.status, text, what);
  }

  /** GET a manifest by tag or digest; a digest reference is checked against the bytes. */
  async manifest(repo: string, reference: string, accept = MANIFEST_ACCEPT): Promise<Manifest> {
    const a = await this.ok(await this.request('GET', `/v2/${repo}/manifests/${reference}`, { scopes: [repoScope(repo)], headers: { Accept: accept } }), `manifest ${this.registry}/${repo}:${reference}`);
    const bytes = await readBody(a, 4 * 1024 * 1024);
    const digest = sha256Digest(bytes);
    if (reference.includes(':') && reference !== digest) {
      throw new RegistryError('protocol', `manifest ${this.registry}/${repo}@${reference}: content does not match its digest (got ${digest})`);
    }
    let mediaType = String(a.headers['content-type'] ?? '').split(';')[0].trim();
    try {
      const doc = JSON.parse(bytes.toString('utf8')) as { mediaType?: string; schemaVersion?: number; manifests?: unknown; layers?: unknown; fsLayers?: unknown };
      if (doc.mediaType) mediaType = doc.mediaType;
      else if (!mediaType || mediaType === 'application/json' || mediaType === 'text/plain') {
        mediaType = doc.schemaVersion === 1 || doc.fsLayers ? MEDIA.dockerSchema1 : doc.manifests ? MEDIA.ociIndex : MEDIA.ociManifest;
      }
    } catch {
      throw new RegistryError('protocol', `manifest ${this.registry}/${repo}:${reference} is not JSON`);
    }
    return { mediaType, digest, bytes };
  }

  /** HEAD a manifest: its digest (Docker-Content-Digest), or undefined when unknown (404). */
  async manifestDigest(repo: string, reference: string, accept = MANIFEST_ACCEPT): Promise<string | undefined> {
    const a = await this.request('HEAD', `/v2/${repo}/manifests/${reference}`, { scopes: [repoScope(repo)], headers: { Accept: accept } });
    drop(a);
    if (a.status === 404) return undefined;
    await this.ok(a, `manifest ${this.registry}/${repo}:${reference}`);
    const d = a.headers['docker-content-digest'];
    return typeof d === 'string' ? d : undefined;
  }

  /** GET a blob as a stream (redirects followed); the caller checks its digest as it reads. */
  async blob(repo: string, digest: string, o: { signal?: AbortSignal } = {}): Promise<{ size?: number; stream: Readable }> {
    const a = await this.ok(await this.request('GET', `/v2/${repo}/blobs/${digest}`, { scopes: [repoScope(repo)], signal: o.signal }), `blob ${digest}`);
    const len = Number(a.headers['content-length']);
    return { size: Number.isFinite(len) ? len : undefined, stream: a.body };
  }

  /** A small blob (a config) whole; larger than `limit` is a protocol error. */
  async blobBytes(repo: string, digest: string, limit: number): Promise<Buffer> {
    const a = await this.ok(await this.request('GET', `/v2/${repo}/blobs/${digest}`, { scopes: [repoScope(repo)] }), `blob ${digest}`);
    return readBody(a, limit);
  }

  /** HEAD a blob: its size when the registry has it, undefined when not. */
  async blobSize(repo: string, digest: string, scopes = [repoScope(repo)]): Promise<number | undefined> {
    const a = await this.request('HEAD', `/v2/${repo}/blobs/${digest}`, { scopes });
    drop(a);
    if (a.status === 404) return undefined;
    await this.ok(a, `blob ${digest}`);
    const len = Number(a.headers['content-length']);
    return Number.isFinite(len) ? len : 0;
  }

  // ---- auth ----

  private basicHeader(): Record<string, string> {
    const c = this.creds;
    if (!c?.username) return {};
    return { Authorization: `Basic ${Buffer.from(`${c.username}:${c.password ?? ''}`).toString('base64')}` };
  }

  private async authHeader(challenges: Challenge[], scopes: string[]): Promise<Record<string, string>> {
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer) {
      if (this.creds?.registryToken) return { Authorization: `Bearer ${this.creds.registryToken}` };
      // The challenge's own scope (insufficient_scope answers name it) joins what was asked.
      const all = [...new Set([...scopes, ...(bearer.params.scope ? bearer.params.scope.split(' ') : [])])].sort();
      const key = `${bearer.params.realm}|${bearer.params.service}|${all.join(' ')}`;
      let t = this.tokens.get(key);
      if (!t) {
        t = this.fetchToken(bearer, all, false).then((r) => r.token);
        this.tokens.set(key, t);
        t.catch(() => this.tokens.delete(key));
      }
      return { Authorization: `Bearer ${await t}` };
    }
    if (challenges.some((c) => c.scheme === 'basic')) return this.basicHeader();
    return {};
  }

  /** The token server's answer for `scopes` (docker's token spec; OAuth2 POST for refresh tokens). */
  private async fetchToken(ch: Challenge, scopes: string[], offline: boolean): Promise<{ token: string; refreshToken?: string }> {
    const realm = ch.params.realm;
    if (!realm) throw new RegistryError('protocol', `registry ${this.registry} asked for a bearer token without a realm`);
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new RegistryError('protocol', `registry ${this.registry} named a bad token realm: ${realm.slice(0, 200)}`);
    }
    const c = this.creds;
    const what = `getting a token from ${url.origin}${url.pathname}`;
    let a: HttpAnswer;
    if (c?.identityToken) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: c.identityToken, client_id: 'berth' });
      if (ch.params.service) form.set('service', ch.params.service);
      if (scopes.length) form.set('scope', scopes.join(' '));
      if (offline) form.set('access_type', 'offline');
      a = await send(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: Buffer.from(form.toString()), tls: tlsFor(url.host), timeouts: this.timeouts, skipVerify: this.insecure });
    } else {
      if (ch.params.service) url.searchParams.set('service', ch.params.service);
      for (const s of scopes) url.searchParams.append('scope', s);
      if (c?.username) url.searchParams.set('account', c.username);
      if (offline) {
        url.searchParams.set('offline_token', 'true');
        url.searchParams.set('client_id', 'berth');
      }
      a = await send(url, { method: 'GET', headers: this.basicHeader(), tls: tlsFor(url.host), timeouts: this.timeouts, skipVerify: this.insecure });
    }
    const text = (await readBody(a, 1 << 20)).toString('utf8');
    if (a.status !== 200) {
      const e = errorFromResponse(a.status, text, what);
      if (e.kind === 'unauthorized' && !c) throw new RegistryError('unauthorized', `${what}: authentication required (no credentials given)`, 401, e.errors);
      throw e;
    }
    let j: { token?: string; access_token?: string; refresh_token?: string };
    try {
      j = JSON.parse(text);
    } catch {
      throw new RegistryError('protocol', `${what}: the answer is not JSON`);
    }
    const token = j.token || j.access_token;
    if (!token) throw new RegistryError('protocol', `${what}: the answer holds no token`);
    return { token, refreshToken: j.refresh_token };
  }
}

function challengesOf(a: HttpAnswer): Challenge[] {
  const h = a.headers['www-authenticate'];
  const values = Array.isArray(h) ? h : h ? [h] : [];
  return values.flatMap(parseWwwAuthenticate);
}
