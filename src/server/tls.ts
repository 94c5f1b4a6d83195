// HTTPS for tcp:// (--tls-cert/--tls-key, and --tls-verify/--tls-ca for client certificates, as
// dockerd's --tlsverify). Loaded only when one of these is given: a plain start never reads it.
import { readFileSync } from 'node:fs';
import type { SecureContextOptions, TlsOptions } from 'node:tls';

export interface TlsFiles {
  cert: string;
  key: string;
  /** Client certificates must be signed by this CA (and are required) when `verify`. */
  ca?: string;
  verify: boolean;
}

export class TlsError extends Error {}

function read(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new TlsError(`cannot read ${what} ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
}

/** The certificate, key and CA as a secure context's options; checked by building one. */
export function secureContextOptions(f: TlsFiles): SecureContextOptions {
  const o: SecureContextOptions = { cert: read(f.cert, 'TLS certificate'), key: read(f.key, 'TLS key'), minVersion: 'TLSv1.2' };
  if (f.ca) o.ca = read(f.ca, 'TLS CA certificate');
  const tls = process.getBuiltinModule('node:tls') as typeof import('node:tls');
  try {
    tls.createSecureContext(o);
  } catch (e) {
    throw new TlsError(`TLS certificate ${f.cert} with key ${f.key}: ${(e as Error).message}`);
  }
  return o;
}

/** The server's options: TLS 1.2 or later; with verify, no connection without a client certificate the CA signed. */
export function serverOptions(f: TlsFiles): TlsOptions {
  return { ...secureContextOptions(f), requestCert: f.verify, rejectUnauthorized: f.verify };
}
