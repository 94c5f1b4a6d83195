// berth over HTTPS with client certificates, as dockerd --tlsverify: the docker CLI with
// DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH, unchanged; clients without a certificate, with an
// expired one or one from another CA are refused in the handshake; SIGHUP serves new certificates
// to new connections while open ones go on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import tls from 'node:tls';
import { join } from 'node:path';
import { DOCKER, run, startBerth, waitFor, type Berth } from '../../helpers/berth.js';
import { certPath, makeCa, makeCert } from './certs.js';

let b: Berth;
let port: number;
let dir: string;
let ca: { cert: string; key: string };
let server: { cert: string; key: string };
const paths: Record<string, string> = {};

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

const dockerTls = (certDir: string, args: string[]) =>
  run(DOCKER, args, { env: { ...process.env, DOCKER_HOST: `tcp://127.0.0.1:${port}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certDir, DOCKER_CONFIG: join(dir, 'docker-config') }, timeoutMs: 30_000 });

/** A TLS connection with the good client certificate, kept open for several requests. */
function connect(): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca: readFileSync(ca.cert), cert: readFileSync(join(paths.good, 'cert.pem')), key: readFileSync(join(paths.good, 'key.pem')), servername: 'localhost' }, () => resolve(s));
    s.once('error', reject);
  });
}

/** One keep-alive request on `s`; resolves with the status line. */
function ask(s: tls.TLSSocket, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (c: Buffer) => {
      buf += c.toString();
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const len = Number(/content-length: (\d+)/i.exec(buf.slice(0, end))?.[1] ?? 0);
      if (buf.length >= end + 4 + len) {
        s.off('data', onData);
        resolve(buf.split('\r\n')[0]);
      }
    };
    s.on('data', onData);
    s.once('error', reject);
    s.write(`GET ${path} HTTP/1.1\r\nHost: berth\r\nConnection: keep-alive\r\n\r\n`);
  });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-security-tls-'));
  ca = await makeCa(join(dir, 'pki'), 'ca');
  server = await makeCert(join(dir, 'pki'), 'server', ca, { server: true });
  const client = await makeCert(join(dir, 'pki'), 'client', ca, { subject: '/O=berth-tests/CN=ci' });
  const admin = await makeCert(join(dir, 'pki'), 'admin', ca, { subject: '/O=berth-tests/CN=admin' });
  const expired = await makeCert(join(dir, 'pki'), 'expired', ca, { expired: true });
  const other = await makeCa(join(dir, 'pki'), 'otherca');
  const stranger = await makeCert(join(dir, 'pki'), 'stranger', other);
  paths.good = certPath(join(dir, 'good'), ca.cert, client);
  paths.admin = certPath(join(dir, 'admin'), ca.cert, admin);
  paths.expired = certPath(join(dir, 'expired'), ca.cert, expired);
  // Certificates pick their rule by subject.
  writeFileSync(join(dir, 'policy.toml'), '[[rule]]\nsubject = "CN=admin,O=berth-tests"\nprofile = "full"\n\n[[rule]]\nname = "ci"\nsubject = ["CN=ci"]\nprofile = "read-only"\n');
  paths.other = certPath(join(dir, 'other'), ca.cert, stranger);
  // The files berth serves, replaced in place for the reload test.
  copyFileSync(server.cert, join(dir, 'pki', 'live.pem'));
  copyFileSync(server.key, join(dir, 'pki', 'live-key.pem'));
  port = await freePort();
  b = await startBerth({
    uri: `tcp://127.0.0.1:${port}`,
    wait: false,
    args: ['--time', '0', '--tls-cert', join(dir, 'pki', 'live.pem'), '--tls-key', join(dir, 'pki', 'live-key.pem'), '--tls-verify', '--tls-ca', ca.cert, '--audit-log', join(dir, 'audit.log'), '--policy', join(dir, 'policy.toml')],
  });
  const up = await waitFor(async () => (await dockerTls(paths.good, ['version', '--format', '{{.Server.Version}}'])).code === 0 || b.proc.exitCode !== null, 15_000, 100);
  assert.ok(up && b.proc.exitCode === null, `berth did not start: ${b.stderr()}`);
});
after(async () => {
  await b?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

test('the docker CLI with DOCKER_TLS_VERIFY and a certificate the CA signed works unchanged', async () => {
  const v = await dockerTls(paths.good, ['version', '--format', '{{.Server.APIVersion}}']);
  assert.equal(v.code, 0, v.stderr);
  const ps = await dockerTls(paths.good, ['ps', '-a']);
  assert.equal(ps.code, 0, ps.stderr);
  assert.match(ps.stdout, /CONTAINER ID/);
  // Encrypted, but without --tls-verify it would not be enough: this is the warning's absence.
  assert.doesNotMatch(b.stderr(), /not secured/);
  // The audit log names the peer by its certificate.
  const lines = readFileSync(join(dir, 'audit.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const list = lines.find((l) => /\/containers\/json$/.test(l.path));
  assert.deepEqual(list.peer.subject, { O: 'berth-tests', CN: 'ci' });
  assert.equal(list.peer.transport, 'tls');
});

test('the policy tells certificates apart by subject', async () => {
  const ro = await dockerTls(paths.good, ['volume', 'create', 'sec-tls-vol']);
  assert.notEqual(ro.code, 0);
  assert.match(ro.stderr, /policy rule 2 "ci" \(profile read-only\) does not allow POST/);
  const adm = await dockerTls(paths.admin, ['volume', 'create', 'sec-tls-vol']);
  assert.equal(adm.code, 0, adm.stderr);
  const ls = await dockerTls(paths.good, ['volume', 'ls', '-q']);
  assert.match(ls.stdout, /sec-tls-vol/);
  const rm = await dockerTls(paths.admin, ['volume', 'rm', 'sec-tls-vol']);
  assert.equal(rm.code, 0, rm.stderr);
});

test('no client certificate, an expired one, or one from another CA: refused', async () => {
  const expired = await dockerTls(paths.expired, ['ps']);
  assert.notEqual(expired.code, 0);
  assert.match(expired.stderr, /certificate|tls|remote error|connection reset|EOF/i);
  const other = await dockerTls(paths.other, ['ps']);
  assert.notEqual(other.code, 0);
  assert.match(other.stderr, /certificate|tls|remote error|connection reset|EOF/i);
  // No certificate at all (curl trusts the server, offers none).
  const none = await run('curl', ['-sS', '--cacert', ca.cert, `https://127.0.0.1:${port}/v1.41/containers/json`]);
  assert.notEqual(none.code, 0, none.stdout);
  // Plain HTTP on the TLS port gets no API either.
  const plain = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${port}/_ping`]);
  assert.ok(plain.code !== 0 || plain.stdout !== '200');
  // TLS 1.1 is refused.
  const old = await run('curl', ['-sS', '--cacert', ca.cert, '--cert', join(paths.good, 'cert.pem'), '--key', join(paths.good, 'key.pem'), '--tls-max', '1.1', `https://127.0.0.1:${port}/_ping`]);
  assert.notEqual(old.code, 0);
  const good = await run('curl', ['-sS', '--cacert', ca.cert, '--cert', join(paths.good, 'cert.pem'), '--key', join(paths.good, 'key.pem'), `https://127.0.0.1:${port}/_ping`]);
  assert.equal(good.stdout, 'OK', good.stderr);
});

test('SIGHUP serves a new certificate to new connections; an open connection goes on', async () => {
  const kept = await connect();
  const before = kept.getPeerX509Certificate()!.serialNumber;
  assert.match(await ask(kept, '/v1.41/version'), /^HTTP\/1\.1 200/);
  const fresh = await makeCert(join(dir, 'pki'), 'server2', ca, { server: true });
  copyFileSync(fresh.cert, join(dir, 'pki', 'live.pem'));
  copyFileSync(fresh.key, join(dir, 'pki', 'live-key.pem'));
  const want = new (await import('node:crypto')).X509Certificate(readFileSync(fresh.cert)).serialNumber;
  assert.notEqual(want, before);
  b.proc.kill('SIGHUP');
  const served = async () => {
    const s = await connect();
    const serial = s.getPeerX509Certificate()!.serialNumber;
    s.destroy();
    return serial;
  };
  assert.ok(await waitFor(async () => (await served()) === want, 5_000, 50), 'the new certificate is served');
  // The old connection still answers, with its old session.
  assert.match(await ask(kept, '/v1.41/containers/json'), /^HTTP\/1\.1 200/);
  assert.equal(kept.getPeerX509Certificate()!.serialNumber, before);
  kept.destroy();
  assert.equal(b.proc.exitCode, null, 'SIGHUP does not stop the service');
  const v = await dockerTls(paths.good, ['ps']);
  assert.equal(v.code, 0, v.stderr);
});

test('TLS options are checked at start', async () => {
  const bad = async (args: string[], re: RegExp, uri = 'tcp://127.0.0.1:0') => {
    const x = await startBerth({ uri, wait: false, args: ['--time', '0', ...args] });
    const code = await x.exited;
    assert.notEqual(code, 0);
    assert.match(x.stderr(), re);
    await x.cleanup();
  };
  const pki = join(dir, 'pki');
  await bad(['--tls-cert', server.cert], /--tls-cert and --tls-key go together/);
  await bad(['--tls-cert', server.cert, '--tls-key', server.key, '--tls-verify'], /--tls-verify needs --tls-ca/);
  await bad(['--tls-cert', join(pki, 'nope.pem'), '--tls-key', server.key], /cannot read TLS certificate .*nope\.pem: no such file/);
  await bad(['--tls-cert', server.cert, '--tls-key', join(pki, 'client-key.pem')], /TLS certificate .* with key .*: .*(key values mismatch|mismatch)/i);
  await bad(['--tls-cert', server.cert, '--tls-key', server.key], /TLS is for tcp:\/\/ endpoints/, `unix://${join(pki, 's.sock')}`);
});
