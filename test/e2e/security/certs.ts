// Certificates for the TLS tests, made with openssl: a CA, server and client certificates it
// signs, an expired client certificate, and a second CA with its own client.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../helpers/berth.js';

async function ossl(args: string[]): Promise<void> {
  const r = await run('openssl', args, { env: { ...process.env, OPENSSL_CONF: '/dev/null' }, timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export async function makeCa(dir: string, name: string): Promise<{ cert: string; key: string }> {
  mkdirSync(dir, { recursive: true });
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}-key.pem`);
  await ossl(['req', '-x509', ...EC, '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  return { cert, key };
}

/** A certificate `ca` signs: for a server (SAN 127.0.0.1, localhost) or a client; `expired` dates it in 2020. */
export async function makeCert(dir: string, name: string, ca: { cert: string; key: string }, o: { server?: boolean; subject?: string; expired?: boolean } = {}): Promise<{ cert: string; key: string }> {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}-key.pem`);
  const csr = join(dir, `${name}.csr`);
  await ossl(['req', ...EC, '-keyout', key, '-out', csr, '-subj', o.subject ?? `/CN=${name}`]);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, o.server ? 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' : 'extendedKeyUsage=clientAuth\n');
  if (o.expired) {
    // x509 -req has no start date: openssl ca does, with a throwaway database.
    const db = join(dir, `${name}-db`);
    mkdirSync(db, { recursive: true });
    writeFileSync(join(db, 'index.txt'), '');
    writeFileSync(join(db, 'serial'), '1000\n');
    const cnf = join(db, 'ca.cnf');
    writeFileSync(cnf, `[ca]\ndefault_ca=d\n[d]\ndatabase=${db}/index.txt\nnew_certs_dir=${db}\nserial=${db}/serial\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n`);
    await ossl(['ca', '-batch', '-config', cnf, '-cert', ca.cert, '-keyfile', ca.key, '-in', csr, '-out', cert, '-extfile', ext,
      '-startdate', '20200101000000Z', '-enddate', '20200102000000Z']);
  } else {
    await ossl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-out', cert, '-days', '1', '-extfile', ext]);
  }
  return { cert, key };
}

/** A DOCKER_CERT_PATH directory: ca.pem, cert.pem, key.pem. */
export function certPath(dir: string, ca: string, client: { cert: string; key: string }): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'ca.pem'), readFileSync(ca));
  writeFileSync(join(dir, 'cert.pem'), readFileSync(client.cert));
  writeFileSync(join(dir, 'key.pem'), readFileSync(client.key));
  return dir;
}
