// Pull and push as the unprivileged user against the test registry (htpasswd Basic over TLS),
// with the user's own credentials and CA: the auth.json under the user's XDG_RUNTIME_DIR (no
// REGISTRY_AUTH_FILE), then ~/.config/containers/auth.json, then `docker login` run as the user
// (the CLI's ~/.docker/config.json); the CA from the user's ~/.config/containers/certs.d.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chownSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fixtureImage, getManifest, uploadImage } from '../support/images.js';
import { startRegistry, type Registry } from '../support/registry.js';
import { startRootlessBerth, type RootlessBerth } from '../support/rootless.js';

// No rootless network yet (rl-net): the containers run without one; pulls are the service's own.
const NET = ['--network', 'none'];

let b: RootlessBerth;
let reg: Registry;
const ok = (args: string[], opts?: { input?: string | Buffer; timeoutMs?: number }) => b.dockerOk(args, opts);

/** Writes `file` as the user would have it: made by them, 0600, in dirs of theirs. */
function userFile(file: string, text: string): void {
  for (let d = dirname(file); d.startsWith(b.home) || d.startsWith(b.xdg); d = dirname(d)) {
    if (d === b.home || d === b.xdg) break;
    mkdirSync(d, { recursive: true, mode: 0o700 });
    chownSync(d, b.user.uid, b.user.gid);
  }
  writeFileSync(file, text, { mode: 0o600 });
  chownSync(file, b.user.uid, b.user.gid);
}

/** A pull without X-Registry-Auth: what the service finds in the user's files decides. */
const pullStatus = async (ref: string) => (await b.request('POST', `/v1.41/images/create?fromImage=${encodeURIComponent(ref)}`)).status;

const authJson = () => JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from(`rlfeat:${reg.users.rlfeat}`).toString('base64') } } });

before(async () => {
  b = await startRootlessBerth({ env: { CONTAINERS_REGISTRIES_CONF: '/nonexistent/berth-rlfeat-registries.conf' } });
  // The registry's CA goes only where a rootless engine looks first: the user's own certs.d.
  reg = await startRegistry({ auth: 'basic', tls: true, users: { rlfeat: 'rlfeat-pw' }, certsDirs: [join(b.home, '.config', 'containers', 'certs.d')] });
  await uploadImage(reg, 'rlfeat/busybox', 'v1', await fixtureImage('busybox'));
});
after(async () => {
  await b?.cleanup();
  await reg?.stop();
});

test('credentials from the auth.json under the user\'s XDG_RUNTIME_DIR, then ~/.config/containers: pull, run, push', async () => {
  const src = `${reg.host}/rlfeat/busybox:v1`;
  assert.equal(b.env.REGISTRY_AUTH_FILE, undefined);
  // (Asked over the API: on a refused pull the docker CLI prompts for a login.)
  const anon = await pullStatus(src);
  assert.equal(anon, 401, 'no credentials anywhere: the registry refuses');

  const runtimeAuth = join(b.xdg, 'containers', 'auth.json');
  userFile(runtimeAuth, authJson());
  await ok(['pull', src], { timeoutMs: 120_000 });
  assert.equal((await ok(['run', '--rm', ...NET, src, 'echo', 'pulled rootless'])).trim(), 'pulled rootless');
  await ok(['tag', src, `${reg.host}/rlfeat/pushed:v1`]);
  await ok(['push', `${reg.host}/rlfeat/pushed:v1`], { timeoutMs: 120_000 });
  assert.ok(await getManifest(reg, 'rlfeat/pushed', 'v1'), 'the push reached the registry');

  // The same file in the user's config dir, the runtime one gone.
  const configAuth = join(b.home, '.config', 'containers', 'auth.json');
  userFile(configAuth, '{}');
  renameSync(runtimeAuth, configAuth);
  await ok(['rmi', src, `${reg.host}/rlfeat/pushed:v1`]);
  await ok(['pull', src], { timeoutMs: 120_000 });
  rmSync(configAuth);
  await ok(['rmi', src]);
});

test('docker login as the user, then pull and push with what the CLI keeps; logout', async () => {
  const login = await b.docker(['login', '-u', 'rlfeat', '--password-stdin', reg.host], { input: reg.users.rlfeat });
  assert.equal(login.code, 0, login.stderr);
  assert.match(login.stdout, /Login Succeeded/);
  const bad = await b.docker(['login', '-u', 'rlfeat', '--password-stdin', reg.host], { input: 'wrong' });
  assert.notEqual(bad.code, 0);

  const src = `${reg.host}/rlfeat/busybox:v1`;
  await ok(['pull', src], { timeoutMs: 120_000 });
  await ok(['tag', src, `${reg.host}/rlfeat/login-pushed:v1`]);
  await ok(['push', `${reg.host}/rlfeat/login-pushed:v1`], { timeoutMs: 120_000 });
  assert.ok(await getManifest(reg, 'rlfeat/login-pushed', 'v1'));

  await ok(['logout', reg.host]);
  await ok(['rmi', src]);
  assert.equal(await pullStatus(src), 401, 'logged out: no credentials left');
});

test('podman login as the user writes the auth.json the service then reads', async () => {
  const src = `${reg.host}/rlfeat/busybox:v1`;
  assert.equal(await pullStatus(src), 401);
  const podman = (args: string[], input?: string) =>
    b.runAs('podman', ['--remote', '--url', `unix://${b.socket}`, ...args], { input, timeoutMs: 60_000, env: { DOCKER_CONFIG: undefined, CONTAINERS_REGISTRIES_CONF: undefined } });
  const login = await podman(['login', '-u', 'rlfeat', '--password-stdin', reg.host], reg.users.rlfeat);
  assert.equal(login.code, 0, login.stderr);
  assert.ok(JSON.parse(readFileSync(join(b.xdg, 'containers', 'auth.json'), 'utf8')).auths[reg.host], 'podman keeps them in $XDG_RUNTIME_DIR/containers/auth.json');
  assert.equal(await pullStatus(src), 200);
  assert.equal((await podman(['logout', reg.host])).code, 0);
  await ok(['rmi', src]);
  assert.equal(await pullStatus(src), 401);
});
