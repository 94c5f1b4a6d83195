// A real registry for end-to-end tests: Debian's docker-registry (distribution 2.8) on 127.0.0.1
// at a free port, with temp storage — plain HTTP, htpasswd Basic auth over TLS (a CA made here
// with openssl, trusted through certs.d), or Bearer tokens from the tests' own token server.
//
//   const reg = await startRegistry({ auth: 'basic', tls: true });
//   await uploadImage(reg, 'berth-push/busybox', 'latest', await fixtureImage('busybox'));
//   ... berth pulls `${reg.host}/berth-push/busybox:latest` ...
//   await reg.stop();
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, statSync, openSync, writeSync, closeSync, ftruncateSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, waitFor } from '../../helpers/berth.js';
import { parseChallenge, rawRequest, type RawResult } from './http.js';
import { startTokenServer, type TokenServer } from './token-server.js';

export const REGISTRY_BIN = '/usr/bin/docker-registry';
/** Where berth (like podman and dockerd) looks for a registry's CA: <dir>/<host:port>/ca.crt. */
export const DEFAULT_CERTS_DIRS = ['/etc/containers/certs.d', '/etc/docker/certs.d'];

export interface RegistryOptions {
  /** none (default), htpasswd Basic, or Bearer tokens from a token server started alongside. */
  auth?: 'none' | 'basic' | 'token';
  /** Serve HTTPS with a certificate of a CA made for this registry (default: true for basic). */
  tls?: boolean;
  /** user → password (default { berth: 'berth-secret' }). */
  users?: Record<string, string>;
  /** Token auth: what requests without credentials may do (default 'pull'). */
  anonymous?: 'none' | 'pull';
  /**
   * TLS: dirs under which `<host:port>/ca.crt` is written for both 127.0.0.1 and localhost (and
   * removed on stop). Default: /etc/containers/certs.d and /etc/docker/certs.d. [] writes none.
   */
  certsDirs?: string[];
}

export interface Registry {
  /** `127.0.0.1:PORT`: the name to put before a repository. */
  host: string;
  /** `localhost:PORT`: the same registry by another name (its certificate covers both). */
  hostAlias: string;
  port: number;
  /** `http://host` or `https://host`. */
  url: string;
  tls: boolean;
  auth: 'none' | 'basic' | 'token';
  users: Record<string, string>;
  /** PEM path of the CA that signed the registry's certificate (TLS only). */
  caFile?: string;
  caPem?: string;
  /** The certs.d host dirs written (TLS only). */
  certsHostDirs: string[];
  /** The registry's storage root (filesystem driver). */
  storage: string;
  dir: string;
  token?: TokenServer;
  /** What the registry printed (its log). */
  output(): string;
  /**
   * A request to the registry as `user` (the first user by default; null: anonymous): Basic
   * credentials, or a token fetched from the token server for the scope the registry asks for.
   * `noAuth`: the request as it is, the 401 and its challenge answered as they come.
   */
  request(method: string, path: string, o?: { headers?: Record<string, string>; body?: Buffer | string; user?: string | null; noAuth?: boolean }): Promise<RawResult>;
  /** The data file of a blob in the registry's storage. */
  blobFile(digest: string): string;
  /** Damages a stored blob: `flip` changes one byte in the middle (same size), `truncate` halves it. */
  corruptBlob(digest: string, mode?: 'flip' | 'truncate'): void;
  /** Kills the registry process at once (storage stays: `start()` brings it back on the same port). */
  kill(): Promise<void>;
  start(): Promise<void>;
  /** Stops the registry and token server; removes storage and certs.d entries. */
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function openssl(args: string[], cwd: string): Promise<void> {
  const r = await run('openssl', args, { timeoutMs: 30_000, env: { ...process.env, OPENSSL_CONF: '/dev/null' } });
  if (r.code !== 0) throw new Error(`openssl ${args.join(' ')} (in ${cwd}): ${r.stderr}`);
}

/** A CA, and a server certificate for 127.0.0.1 and localhost signed by it. */
async function makeTlsFiles(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  const p = (n: string) => join(dir, n);
  await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=berth test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-keyout', p('ca.key'), '-out', p('ca.crt')], dir);
  await openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', p('server.key'), '-out', p('server.csr')], dir);
  writeFileSync(p('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n');
  await openssl(['x509', '-req', '-in', p('server.csr'), '-CA', p('ca.crt'), '-CAkey', p('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', p('server.ext'), '-out', p('server.crt')], dir);
  return { ca: p('ca.crt'), cert: p('server.crt'), key: p('server.key') };
}

/** The JWT signing pair for token auth (RSA: the registry verifies RS256 through libtrust). */
async function makeTokenKey(dir: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, 'token.crt');
  const key = join(dir, 'token.key');
  await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=berth test token issuer', '-keyout', key, '-out', cert], dir);
  return { cert, key };
}

async function htpasswdFile(path: string, users: Record<string, string>): Promise<void> {
  const lines: string[] = [];
  for (const [u, pw] of Object.entries(users)) {
    // -B: bcrypt, the only scheme distribution's htpasswd accepts; -i: password on stdin.
    const r = await run('htpasswd', ['-niB', u], { input: pw + '\n', timeoutMs: 30_000 });
    if (r.code !== 0) throw new Error(`htpasswd (Debian apache2-utils) failed: ${r.stderr}`);
    lines.push(r.stdout.trim());
  }
  writeFileSync(path, lines.join('\n') + '\n', { mode: 0o600 });
}

/** The registry's config, in the YAML subset distribution reads (JSON is valid YAML). */
function registryConfig(o: { port: number; storage: string; tls?: { cert: string; key: string }; htpasswd?: string; token?: { realm: string; service: string; issuer: string; bundle: string } }): string {
  const cfg: Record<string, unknown> = {
    version: 0.1,
    log: { level: 'info', formatter: 'text', accesslog: { disabled: false } },
    storage: { filesystem: { rootdirectory: o.storage }, delete: { enabled: true }, maintenance: { uploadpurging: { enabled: false } } },
    http: { addr: `127.0.0.1:${o.port}`, secret: randomBytes(16).toString('hex'), ...(o.tls ? { tls: { certificate: o.tls.cert, key: o.tls.key } } : {}) },
  };
  if (o.htpasswd) cfg.auth = { htpasswd: { realm: 'berth-test-registry', path: o.htpasswd } };
  if (o.token) cfg.auth = { token: { realm: o.token.realm, service: o.token.service, issuer: o.token.issuer, rootcertbundle: o.token.bundle } };
  return JSON.stringify(cfg, null, 2);
}

export async function startRegistry(o: RegistryOptions = {}): Promise<Registry> {
  const auth = o.auth ?? 'none';
  const tls = o.tls ?? auth === 'basic';
  const users = o.users ?? { berth: 'berth-secret' };
  const dir = mkdtempSync(join(tmpdir(), 'berth-registry-'));
  const storage = join(dir, 'storage');
  mkdirSync(storage);
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const hostAlias = `localhost:${port}`;

  let tlsFiles: { ca: string; cert: string; key: string } | undefined;
  const certsHostDirs: string[] = [];
  if (tls) {
    tlsFiles = await makeTlsFiles(dir);
    for (const base of o.certsDirs ?? DEFAULT_CERTS_DIRS) {
      for (const h of [host, hostAlias]) {
        const d = join(base, h);
        mkdirSync(d, { recursive: true });
        writeFileSync(join(d, 'ca.crt'), readFileSync(tlsFiles.ca));
        certsHostDirs.push(d);
      }
    }
  }
  let htpasswd: string | undefined;
  if (auth === 'basic') {
    htpasswd = join(dir, 'htpasswd');
    await htpasswdFile(htpasswd, users);
  }
  let token: TokenServer | undefined;
  let tokenCfg: { realm: string; service: string; issuer: string; bundle: string } | undefined;
  if (auth === 'token') {
    const k = await makeTokenKey(dir);
    const service = `berth-test-registry-${port}`;
    const issuer = 'berth-test-token-issuer';
    token = await startTokenServer({ users, anonymous: o.anonymous, service, issuer, keyFile: k.key, certFile: k.cert });
    tokenCfg = { realm: token.realm, service, issuer, bundle: k.cert };
  }
  const configFile = join(dir, 'config.yml');
  writeFileSync(configFile, registryConfig({ port, storage, tls: tlsFiles, htpasswd, token: tokenCfg }));

  const url = `${tls ? 'https' : 'http'}://${host}`;
  const caPem = tlsFiles ? readFileSync(tlsFiles.ca, 'utf8') : undefined;
  let proc: ChildProcess | undefined;
  let out = '';
  const killAtExit = () => proc?.kill('SIGKILL');
  process.once('exit', killAtExit);

  // Tokens the harness fetched, per user and scope: the registry asks again for every new scope.
  const tokens = new Map<string, string>();
  const request: Registry['request'] = async (method, path, ro = {}) => {
    const user = ro.user === undefined ? Object.keys(users)[0] : ro.user;
    const headers: Record<string, string> = { ...ro.headers };
    const basic = user ? `Basic ${Buffer.from(`${user}:${users[user]}`).toString('base64')}` : undefined;
    if (auth === 'basic' && basic) headers.Authorization = basic;
    const target = path.startsWith('http') ? path : url + path;
    const send = () => rawRequest(method, target, { headers, body: ro.body, ca: caPem });
    let r = await send();
    if (r.status === 401 && auth === 'token' && !ro.noAuth) {
      const ch = parseChallenge(r.headers['www-authenticate'] as string | undefined);
      if (ch?.scheme === 'bearer') {
        const key = `${user}\n${ch.params.scope ?? ''}`;
        let t = tokens.get(key);
        if (!t) {
          const q = new URLSearchParams({ service: ch.params.service ?? '' });
          if (ch.params.scope) q.set('scope', ch.params.scope);
          const tr = await rawRequest('GET', `${ch.params.realm}?${q}`, { headers: basic ? { Authorization: basic } : {} });
          if (tr.status !== 200) return tr;
          t = JSON.parse(tr.body.toString('utf8')).token as string;
          tokens.set(key, t);
        }
        headers.Authorization = `Bearer ${t}`;
        r = await send();
      }
    }
    return r;
  };

  const reg: Registry = {
    host,
    hostAlias,
    port,
    url,
    tls,
    auth,
    users,
    caFile: tlsFiles?.ca,
    caPem,
    certsHostDirs,
    storage,
    dir,
    token,
    output: () => out,
    request,
    blobFile: (digest) => {
      const hex = digest.replace(/^sha256:/, '');
      return join(storage, 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
    },
    corruptBlob: (digest, mode = 'flip') => {
      const f = reg.blobFile(digest);
      const size = statSync(f).size;
      const fd = openSync(f, 'r+');
      try {
        if (mode === 'truncate') ftruncateSync(fd, Math.floor(size / 2));
        else {
          const at = Math.floor(size / 2);
          const b = readFileSync(f).subarray(at, at + 1);
          writeSync(fd, Buffer.from([b[0] ^ 0xff]), 0, 1, at);
        }
      } finally {
        closeSync(fd);
      }
    },
    kill: async () => {
      const p = proc;
      if (!p || p.exitCode !== null || p.signalCode !== null) return;
      const gone = new Promise((r) => p.once('exit', r));
      p.kill('SIGKILL');
      await gone;
    },
    start: async () => {
      const p = spawn(REGISTRY_BIN, ['serve', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
      proc = p;
      const keep = (c: Buffer) => {
        out += c.toString();
        if (out.length > 1 << 20) out = out.slice(-(1 << 19));
      };
      p.stdout!.on('data', keep);
      p.stderr!.on('data', keep);
      const up = await waitFor(async () => {
        if (p.exitCode !== null) return true;
        try {
          const r = await rawRequest('GET', `${url}/v2/`, { ca: caPem, timeoutMs: 2_000 });
          return r.status === 200 || r.status === 401;
        } catch {
          return false;
        }
      }, 20_000, 50);
      if (!up || p.exitCode !== null) throw new Error(`docker-registry did not start (exit ${p.exitCode}): ${out}`);
    },
    stop: async () => {
      process.removeListener('exit', killAtExit);
      const p = proc;
      if (p && p.exitCode === null && p.signalCode === null) {
        const gone = new Promise((r) => p.once('exit', r));
        p.kill('SIGTERM');
        const t = setTimeout(() => p.kill('SIGKILL'), 5_000);
        await gone;
        clearTimeout(t);
      }
      await token?.close();
      for (const d of certsHostDirs) rmSync(d, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await reg.start();
  } catch (e) {
    await reg.stop();
    throw e;
  }
  return reg;
}

/** Writes a docker config.json with these credentials (for a test's DOCKER_CONFIG dir). */
export function writeDockerConfig(dir: string, reg: Registry, user = Object.keys(reg.users)[0]): string {
  mkdirSync(dir, { recursive: true });
  const auth = Buffer.from(`${user}:${reg.users[user]}`).toString('base64');
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ auths: { [reg.host]: { auth } } }, null, 2), { mode: 0o600 });
  return file;
}

