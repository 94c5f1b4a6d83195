// docker login and pushes with credentials: htpasswd Basic auth over TLS (the CA trusted through
// certs.d) and Bearer tokens from the tests' own token server, through the real docker CLI (its
// config.json in a temp DOCKER_CONFIG) and podman-remote.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBerth, run, FIXTURES, type Berth } from '../../helpers/berth.js';
import { buildFixtures } from '../../fixtures/index.js';
import { startRegistry, type Registry } from '../support/registry.js';
import { getManifest } from '../support/images.js';

let b: Berth;
let ids: { busybox: string };
const regs: Registry[] = [];
const podman = (args: string[]) => run('podman', ['--remote', '--url', `unix://${b.socket}`, ...args], { timeoutMs: 60_000 });
const dockerConfig = () => JSON.parse(readFileSync(join(b.dir, 'docker-config', 'config.json'), 'utf8'));

before(async () => {
  ids = await buildFixtures();
  b = await startBerth();
  await b.dockerOk(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
});
after(async () => {
  await b?.cleanup();
  for (const r of regs) await r.stop();
});

test('htpasswd over TLS: docker login refuses a wrong password with 401, then login, push, logout', async () => {
  const reg = await startRegistry({ auth: 'basic', tls: true, users: { alice: 'wonderland' } });
  regs.push(reg);
  const api = await b.request('POST', '/v1.41/auth', { username: 'alice', password: 'nope', serveraddress: reg.host });
  assert.equal(api.status, 401);
  assert.match(api.json.message, /unauthorized|401/i);
  const wrong = await b.docker(['login', '-u', 'alice', '--password-stdin', reg.host], { input: 'nope\n' });
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.stderr, /unauthorized|401/i);

  const ok = await b.request('POST', '/v1.41/auth', { username: 'alice', password: 'wonderland', serveraddress: `https://${reg.host}` });
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.json, { IdentityToken: '', Status: 'Login Succeeded' });
  const login = await b.docker(['login', '-u', 'alice', '--password-stdin', reg.host], { input: 'wonderland\n' });
  assert.equal(login.code, 0, login.stderr);
  assert.match(login.stdout, /Login Succeeded/);
  assert.equal(Buffer.from(dockerConfig().auths[reg.host].auth, 'base64').toString(), 'alice:wonderland');

  const name = `${reg.host}/berth-auth/busybox:latest`;
  await b.dockerOk(['tag', 'busybox', name]);
  await b.dockerOk(['push', name]);
  const m = await getManifest(reg, 'berth-auth/busybox', 'latest');
  assert.equal(m?.json.config.digest, `sha256:${ids.busybox}`);
  await b.dockerOk(['rmi', name]);
  const pulled = await b.dockerOk(['pull', name]);
  assert.match(pulled, new RegExp(`Digest: ${m!.digest}`));
  assert.equal(JSON.parse(await b.dockerOk(['inspect', name]))[0].Id, `sha256:${ids.busybox}`);

  await b.dockerOk(['logout', reg.host]);
  const anon = await b.docker(['push', name]);
  assert.notEqual(anon.code, 0);
  assert.match(anon.stderr, /unauthorized|authentication required|no basic auth credentials/i);
});

test('htpasswd over TLS with verification on: podman-remote push with --creds trusts the certs.d CA', async () => {
  const reg = await startRegistry({ auth: 'basic', tls: true, users: { carol: 'c4rol' } });
  regs.push(reg);
  // localhost:PORT is not loopback-insecure for podman: TLS is verified against certs.d.
  const dest = `${reg.hostAlias}/berth-auth/podman:v1`;
  const no = await podman(['push', 'busybox', dest]);
  assert.notEqual(no.code, 0);
  assert.match(no.stderr, /unauthorized|authentication required/i);
  const r = await podman(['push', '--creds', 'carol:c4rol', 'busybox', dest]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await getManifest(reg, 'berth-auth/podman', 'v1'))?.json.config.digest, `sha256:${ids.busybox}`);
});

test('Bearer tokens: docker login gets an identity token, push uses it (refresh grant), anonymous push is refused', async () => {
  const reg = await startRegistry({ auth: 'token', users: { dave: 'd4ve' } });
  regs.push(reg);
  const bad = await b.request('POST', '/v1.41/auth', { username: 'dave', password: 'wrong', serveraddress: reg.host });
  assert.equal(bad.status, 401);
  assert.match(bad.json.message, /incorrect username or password/);
  const ok = await b.request('POST', '/v1.41/auth', { username: 'dave', password: 'd4ve', serveraddress: reg.host });
  assert.equal(ok.status, 200);
  assert.equal(ok.json.Status, 'Login Succeeded');
  assert.ok(reg.token!.refreshTokens.has(ok.json.IdentityToken), 'the identity token is the token server’s refresh token');

  const login = await b.docker(['login', '-u', 'dave', '--password-stdin', reg.host], { input: 'd4ve\n' });
  assert.equal(login.code, 0, login.stderr);
  const saved = dockerConfig().auths[reg.host];
  assert.ok(saved.identitytoken, JSON.stringify(saved));

  const name = `${reg.host}/berth-token/busybox:latest`;
  await b.dockerOk(['tag', 'busybox', name]);
  await b.dockerOk(['push', name]);
  assert.ok(reg.token!.log.some((l) => l.grant === 'refresh_token' && l.user === 'dave' && l.scopes.some((s) => s.includes('berth-token/busybox') && s.includes('push'))), JSON.stringify(reg.token!.log));
  const m = await getManifest(reg, 'berth-token/busybox', 'latest');
  assert.equal(m?.json.config.digest, `sha256:${ids.busybox}`);
  await b.dockerOk(['rmi', name]);
  assert.match(await b.dockerOk(['pull', name]), new RegExp(`Digest: ${m!.digest}`));
  assert.equal(JSON.parse(await b.dockerOk(['inspect', name]))[0].Id, `sha256:${ids.busybox}`);

  await b.dockerOk(['logout', reg.host]);
  const anon = await b.docker(['push', name]);
  assert.notEqual(anon.code, 0);
  assert.match(anon.stderr, /unauthorized|authentication required|denied/i);
});
