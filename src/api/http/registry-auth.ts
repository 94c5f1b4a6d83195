// The registry credentials a request carries, decoded from docker's and podman's headers:
// X-Registry-Auth (base64url JSON of one auth config, or podman's map of registry -> config)
// and X-Registry-Config (base64url JSON map, what `docker build` sends). The engine gets a
// RegistryAuth and never sees the headers.
import type { IncomingHttpHeaders } from 'node:http';
import { badParameter } from '../../engine/errors.js';
import type { Credentials, RegistryAuth } from '../../engine/images/types.js';

interface AuthConfig {
  username?: string;
  password?: string;
  auth?: string;
  identitytoken?: string;
  registrytoken?: string;
  serveraddress?: string;
}

const CONFIG_KEYS = ['username', 'password', 'auth', 'identitytoken', 'registrytoken', 'serveraddress', 'email'];

function decodeJson(value: string, header: string): unknown {
  const v = value.trim();
  if (!v) return undefined;
  // docker sends base64url; older clients standard base64: Buffer reads both.
  const text = Buffer.from(v.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw badParameter(`invalid ${header} header: not base64-encoded JSON`);
  }
}

function credentialsOf(a: AuthConfig | undefined): Credentials | undefined {
  if (!a || typeof a !== 'object') return undefined;
  // Keys are case-insensitive in docker's decoder (Go's encoding/json).
  const low: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(a)) low[k.toLowerCase()] = v;
  const s = (k: string) => (typeof low[k] === 'string' && low[k] ? (low[k] as string) : undefined);
  const c: Credentials = { username: s('username'), password: s('password'), identityToken: s('identitytoken'), registryToken: s('registrytoken') };
  const auth = s('auth');
  if (auth && !c.username) {
    const plain = Buffer.from(auth, 'base64').toString('utf8');
    const i = plain.indexOf(':');
    if (i > 0) {
      c.username = plain.slice(0, i);
      c.password = plain.slice(i + 1);
    }
  }
  for (const k of Object.keys(c) as (keyof Credentials)[]) if (c[k] === undefined) delete c[k];
  return Object.keys(c).length ? c : undefined;
}

function mapOf(j: Record<string, unknown>): Record<string, Credentials> {
  const out: Record<string, Credentials> = {};
  for (const [k, v] of Object.entries(j)) {
    const c = credentialsOf(v as AuthConfig);
    if (c) out[k] = c;
  }
  return out;
}

/** Decodes the request's registry credentials; undefined when it carried none. */
export function registryAuthOf(headers: IncomingHttpHeaders): RegistryAuth | undefined {
  const auth: RegistryAuth = {};
  const xa = headers['x-registry-auth'];
  if (typeof xa === 'string') {
    const j = decodeJson(xa, 'X-Registry-Auth');
    if (j && typeof j === 'object' && !Array.isArray(j)) {
      const obj = j as Record<string, unknown>;
      const isConfig = Object.keys(obj).some((k) => CONFIG_KEYS.includes(k.toLowerCase())) || !Object.keys(obj).length;
      if (isConfig) {
        const c = credentialsOf(obj as AuthConfig);
        if (c) {
          auth.single = c;
          const server = (obj.serveraddress ?? obj.ServerAddress) as string | undefined;
          if (server) auth.byRegistry = { [server]: c };
        }
      } else auth.byRegistry = mapOf(obj);
    }
  }
  const xc = headers['x-registry-config'];
  if (typeof xc === 'string') {
    const j = decodeJson(xc, 'X-Registry-Config');
    if (j && typeof j === 'object' && !Array.isArray(j)) {
      const obj = j as Record<string, unknown>;
      // podman wraps it as {"auths": {...}} at times.
      const m = mapOf((obj.auths && typeof obj.auths === 'object' ? obj.auths : obj) as Record<string, unknown>);
      auth.byRegistry = { ...m, ...auth.byRegistry };
    }
  }
  return auth.single || (auth.byRegistry && Object.keys(auth.byRegistry).length) ? auth : undefined;
}
