// Per-registry certificates as docker and containers/image find them: <dir>/<host[:port]>/
// holding *.crt (CAs added to the system's) and *.cert + *.key pairs (client certificates).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { userContainersDir } from '../config/conf-dirs.js';
import { isRootless } from '../config/rootless.js';

export interface TlsMaterial {
  /** Undefined: the system's CAs alone. */
  ca?: string[];
  cert?: Buffer;
  key?: Buffer;
  /** The directory the material came from (for messages). */
  dir?: string;
}

/** BERTH_CERTS_D (colon-separated) replaces the system's dirs: tests and unusual setups. */
export function certsDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.BERTH_CERTS_D) return env.BERTH_CERTS_D.split(':').filter(Boolean);
  const system = ['/etc/containers/certs.d', '/etc/docker/certs.d'];
  // As containers/image: a rootless engine looks in the user's own dir first.
  return isRootless() ? [join(userContainersDir(env), 'certs.d'), ...system] : system;
}

/** What the certs.d dirs hold for `host` (host[:port] as written in references). */
export function tlsFor(host: string, dirs: string[] = certsDirs()): TlsMaterial {
  // A host name with a path separator would read outside certs.d.
  if (host.includes('/') || host.startsWith('.')) return {};
  for (const base of dirs) {
    const dir = join(base, host);
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      continue;
    }
    const out: TlsMaterial = { dir };
    const cas = names.filter((n) => n.endsWith('.crt')).map((n) => readFileSync(join(dir, n), 'utf8'));
    if (cas.length) out.ca = [...(process.getBuiltinModule('node:tls') as typeof import('node:tls')).rootCertificates, ...cas];
    const cert = names.find((n) => n.endsWith('.cert'));
    if (cert) {
      const key = cert.replace(/\.cert$/, '.key');
      if (!names.includes(key)) throw new Error(`${join(dir, cert)} has no matching ${key}`);
      out.cert = readFileSync(join(dir, cert));
      out.key = readFileSync(join(dir, key));
    }
    return out;
  }
  return {};
}
