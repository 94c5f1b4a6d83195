// Credentials from the files users already have: containers' auth.json and docker's
// config.json (with its credential helpers). Read at each lookup: `docker login` on the host
// takes effect without a restart.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { rootlessUid } from '../config/rootless.js';
import type { Credentials } from './types.js';

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
}

interface AuthFile {
  auths?: Record<string, AuthEntry>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

/** Docker Hub's legacy key, which docker login writes for docker.io. */
export const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';

/** The auth files in lookup order: containers' first (as podman), then docker's. */
export function authFiles(env: NodeJS.ProcessEnv = process.env): string[] {
  const home = env.HOME || homedir();
  const files: string[] = [];
  if (env.REGISTRY_AUTH_FILE) files.push(env.REGISTRY_AUTH_FILE);
  else {
    // containers/image's per-uid fallback, by the user's uid as the host knows it: a rootless
    // berth is uid 0 in its user namespace, and /run/containers/0 is root's.
    files.push(env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json') : `/run/containers/${rootlessUid()}/auth.json`);
    files.push(join(env.XDG_CONFIG_HOME || join(home, '.config'), 'containers', 'auth.json'));
  }
  files.push(join(env.DOCKER_CONFIG || join(home, '.docker'), 'config.json'));
  return files;
}

/** The keys an entry for `registry` (and repository `repo`, without registry) may be under, most specific first. */
export function authKeys(registry: string, repo?: string): string[] {
  const keys: string[] = [];
  if (repo) {
    const parts = repo.split('/');
    for (let n = parts.length; n > 0; n--) keys.push(`${registry}/${parts.slice(0, n).join('/')}`);
  }
  keys.push(registry, `https://${registry}`, `http://${registry}`, `https://${registry}/v1/`, `https://${registry}/v2/`);
  if (registry === 'docker.io' || registry === 'registry-1.docker.io' || registry === 'index.docker.io') keys.push(DOCKER_HUB_KEY, 'docker.io', 'index.docker.io', 'registry-1.docker.io');
  return keys;
}

/** An auth entry as credentials (`auth` is base64 of "user:password"). */
export function entryCredentials(e: AuthEntry): Credentials | undefined {
  const c: Credentials = {};
  if (e.auth) {
    const plain = Buffer.from(e.auth, 'base64').toString('utf8');
    const i = plain.indexOf(':');
    if (i > 0) {
      c.username = plain.slice(0, i);
      c.password = plain.slice(i + 1);
    }
  }
  if (e.username) c.username = e.username;
  if (e.password) c.password = e.password;
  if (e.identitytoken) c.identityToken = e.identitytoken;
  if (e.registrytoken) c.registryToken = e.registrytoken;
  return c.username || c.identityToken || c.registryToken ? c : undefined;
}

function readJson(file: string): AuthFile | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as AuthFile;
  } catch {
    return undefined;
  }
}

/** Asks `docker-credential-<helper> get`; missing helpers and unknown hosts give nothing. */
export function fromHelper(helper: string, server: string, env: NodeJS.ProcessEnv = process.env, timeoutMs = 10_000): Promise<Credentials | undefined> {
  if (!/^[\w.-]+$/.test(helper)) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const child = execFile(`docker-credential-${helper}`, ['get'], { timeout: timeoutMs, killSignal: 'SIGKILL', env }, (err, stdout) => {
      if (err) return resolve(undefined);
      try {
        const j = JSON.parse(stdout) as { Username?: string; Secret?: string };
        if (!j.Secret) return resolve(undefined);
        // docker's convention: a username of "<token>" means the secret is an identity token.
        resolve(j.Username === '<token>' ? { identityToken: j.Secret } : { username: j.Username, password: j.Secret });
      } catch {
        resolve(undefined);
      }
    });
    child.on('error', () => resolve(undefined));
    child.stdin?.end(server);
  });
}

/** Credentials for `registry` (host[:port]) from the auth files and helpers, or undefined. */
export async function credentialsFromFiles(registry: string, repo?: string, env: NodeJS.ProcessEnv = process.env): Promise<Credentials | undefined> {
  const keys = authKeys(registry, repo);
  for (const file of authFiles(env)) {
    const j = readJson(file);
    if (!j) continue;
    for (const k of keys) {
      const helper = j.credHelpers?.[k];
      if (helper) {
        const c = await fromHelper(helper, k, env);
        if (c) return c;
      }
    }
    for (const k of keys) {
      const e = j.auths?.[k];
      const c = e && entryCredentials(e);
      if (c) return c;
    }
    if (j.credsStore && keys.some((k) => j.auths?.[k] !== undefined || !j.auths)) {
      for (const k of keys) {
        const c = await fromHelper(j.credsStore, k, env);
        if (c) return c;
      }
    }
  }
  return undefined;
}
