// Pulls that need credentials: htpasswd Basic over TLS (the CA trusted through certs.d) and
// Bearer tokens from a token server, with credentials from the docker CLI's config.json
// (X-Registry-Auth), a refresh token (identitytoken), podman's auth.json, and none (401).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, startBerth, type Berth } from '../../helpers/berth.js';
import { buildFixtures } from '../../fixtures/index.js';
import { fixtureImage, uploadImage } from '../support/images.js';
import { startRegistry, writeDockerConfig, type Registry } from '../support/registry.js';

let b: Berth;
let basic: Registry;
let token: Registry;
let ids: Record<string, string>;
let authFile: string;
const podman = (args: string[]) => run('podman', ['--remote', '--url', `unix://${b.socket}`, ...args], { timeoutMs: 60_000 });
const xAuth = (o: object) => ({ 'X-Registry-Auth': Buffer.from(JSON.stringify(o)).toString('base64url') });

before(async () => {
  ids = await buildFixtures();
  basic = await startRegistry({ auth: 'basic', tls: true });
  token = await startRegistry({ auth: 'token', anonymous: 'none' });
  const img = await fixtureImage('busybox');
  await uploadImage(basic, 'berth-pull-auth/busybox', 'latest', img);
  await uploadImage(token, 'berth-pull-auth/busybox', 'latest', img);
  b = await startBerth({ env: { CONTAINERS_REGISTRIES_CONF: '/nonexistent/berth-pull-registries.conf', REGISTRY_AUTH_FILE: '/nonexistent/berth-pull-auth.json' } });
  authFile = join(b.dir, 'auth.json');
});
after(async () => {
  await b?.cleanup();
  await basic?.stop();
  await token?.stop();
});

test('Basic over TLS: no credentials is a 401 before any stream; the CLI\'s config.json credentials pull', async () => {
  const name = `${basic.host}/berth-pull-auth/busybox:latest`;
  const anon = await b.request('POST', `/v1.41/images/create?fromImage=${encodeURIComponent(name)}`);
  assert.equal(anon.status, 401, anon.text);
  assert.match(anon.json.message, /unauthorized|authentication required/i);
  const wrong = await b.request('POST', `/v1.41/images/create?fromImage=${encodeURIComponent(name)}`, undefined, xAuth({ username: 'berth', password: 'nope' }));
  assert.equal(wrong.status, 401);
  writeDockerConfig(join(b.dir, 'docker-config'), basic);
  const out = await b.dockerOk(['pull', name], { timeoutMs: 60_000 });
  assert.match(out, /Downloaded newer image/);
  assert.equal(JSON.parse(await b.dockerOk(['inspect', name]))[0].Id, `sha256:${ids.busybox}`);
});

test('Bearer tokens: anonymous refused, credentials and a refresh token (identitytoken) pull', async () => {
  const name = `${token.host}/berth-pull-auth/busybox:latest`;
  const anon = await b.request('POST', `/v1.41/images/create?fromImage=${encodeURIComponent(name)}`);
  assert.equal(anon.status, 401, anon.text);
  const ok = await b.request('POST', `/v1.41/images/create?fromImage=${encodeURIComponent(name)}`, undefined, xAuth({ username: 'berth', password: 'berth-secret', serveraddress: token.host }));
  assert.equal(ok.status, 200, ok.text);
  assert.match(ok.text, /Status: Downloaded newer image/);
  const log = token.token!.log.filter((l) => l.status === 200 && l.user === 'berth');
  assert.ok(log.some((l) => l.scopes.includes('repository:berth-pull-auth/busybox:pull')), JSON.stringify(token.token!.log));

  const realm = token.token!.realm;
  const off = JSON.parse((await run('curl', ['-sS', '-u', 'berth:berth-secret', `${realm}?service=berth-test-registry-${token.port}&offline_token=true&client_id=test`])).stdout);
  await b.dockerOk(['rmi', name]);
  const refreshed = await b.request('POST', `/v1.41/images/create?fromImage=${encodeURIComponent(name)}`, undefined, xAuth({ identitytoken: off.refresh_token }));
  assert.equal(refreshed.status, 200, refreshed.text);
  assert.ok(token.token!.log.some((l) => l.grant === 'refresh_token' && l.status === 200));
});

test('podman --remote pull over TLS verified with the certs.d CA, credentials from auth.json', async () => {
  const name = `${basic.hostAlias}/berth-pull-auth/busybox:latest`;
  const none = await podman(['pull', name]);
  assert.notEqual(none.code, 0);
  assert.match(none.stderr, /unauthorized|authentication required/i);
  mkdirSync(b.dir, { recursive: true });
  writeFileSync(authFile, JSON.stringify({ auths: { [basic.hostAlias]: { auth: Buffer.from('berth:berth-secret').toString('base64') } } }));
  const r = await podman(['pull', '--authfile', authFile, name]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), ids.busybox);
  // --creds travels as X-Registry-Auth; a wrong password is the registry's refusal.
  const bad = await podman(['pull', '--creds', 'berth:wrong', `${basic.hostAlias}/berth-pull-auth/busybox:latest`]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /unauthorized|authentication required/i);
  const creds = await podman(['pull', '-q', '--creds', 'berth:berth-secret', `${basic.host}/berth-pull-auth/busybox:latest`]);
  assert.equal(creds.code, 0, creds.stderr);
  assert.equal(creds.stdout.trim(), ids.busybox);
});
