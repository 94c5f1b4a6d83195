import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentialsFor } from '../../../src/registry/credentials.js';
import { authFiles } from '../../../src/registry/auth-files.js';
import { registryAuthOf } from '../../../src/api/http/registry-auth.js';
import { EngineError } from '../../../src/engine/errors.js';

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

test('X-Registry-Auth: one config (base64url or standard), podman\'s map; X-Registry-Config; garbage is 400', () => {
  assert.deepEqual(registryAuthOf({ 'x-registry-auth': b64({ username: 'u', password: 'p?>', serveraddress: 'r.io' }) }), { single: { username: 'u', password: 'p?>' }, byRegistry: { 'r.io': { username: 'u', password: 'p?>' } } });
  assert.deepEqual(registryAuthOf({ 'x-registry-auth': Buffer.from(JSON.stringify({ Username: 'u', Password: 'p' })).toString('base64') }), { single: { username: 'u', password: 'p' } });
  assert.deepEqual(registryAuthOf({ 'x-registry-auth': b64({ auth: Buffer.from('a:b:c').toString('base64') }) }), { single: { username: 'a', password: 'b:c' } });
  assert.deepEqual(registryAuthOf({ 'x-registry-auth': b64({ identitytoken: 'rt' }) }), { single: { identityToken: 'rt' } });
  assert.deepEqual(registryAuthOf({ 'x-registry-auth': b64({ 'localhost:5000': { username: 'a', password: 'b' } }) }), { byRegistry: { 'localhost:5000': { username: 'a', password: 'b' } } });
  assert.deepEqual(registryAuthOf({ 'x-registry-config': b64({ 'https://index.docker.io/v1/': { username: 'd', password: 'h' } }) }), { byRegistry: { 'https://index.docker.io/v1/': { username: 'd', password: 'h' } } });
  assert.equal(registryAuthOf({ 'x-registry-auth': b64({}) }), undefined);
  assert.equal(registryAuthOf({ 'x-registry-auth': 'e30=' }), undefined);
  assert.equal(registryAuthOf({}), undefined);
  assert.throws(() => registryAuthOf({ 'x-registry-auth': '!!!notbase64json' }), (e: unknown) => e instanceof EngineError && e.kind === 'bad-parameter');
});

test('credentials: the request\'s for the registry first, then auth.json, then docker config.json with helpers', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-creds-'));
  try {
    const authJson = join(dir, 'auth.json');
    writeFileSync(authJson, JSON.stringify({ auths: { 'r.io/team': { auth: Buffer.from('team:t').toString('base64') }, 'r.io': { auth: Buffer.from('any:a').toString('base64') } } }));
    const dockerDir = join(dir, 'docker');
    mkdirSync(dockerDir);
    writeFileSync(join(dockerDir, 'config.json'), JSON.stringify({ auths: { 'https://index.docker.io/v1/': { auth: Buffer.from('hub:h').toString('base64') } }, credHelpers: { 'helped.io': 'berthtest' } }));
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'docker-credential-berthtest'), '#!/bin/sh\nread host\necho "{\\"ServerURL\\":\\"$host\\",\\"Username\\":\\"<token>\\",\\"Secret\\":\\"tok-$host\\"}"\n');
    chmodSync(join(bin, 'docker-credential-berthtest'), 0o755);
    const env = { HOME: dir, REGISTRY_AUTH_FILE: authJson, DOCKER_CONFIG: dockerDir, PATH: `${bin}:${process.env.PATH}` };
    assert.deepEqual(authFiles(env), [authJson, join(dockerDir, 'config.json')]);
    assert.deepEqual(await credentialsFor(undefined, 'r.io', 'team/app', env), { username: 'team', password: 't' });
    assert.deepEqual(await credentialsFor(undefined, 'r.io', 'other/app', env), { username: 'any', password: 'a' });
    assert.deepEqual(await credentialsFor(undefined, 'docker.io', 'library/busybox', env), { username: 'hub', password: 'h' });
    assert.deepEqual(await credentialsFor(undefined, 'helped.io', 'x', env), { identityToken: 'tok-helped.io' });
    assert.equal(await credentialsFor(undefined, 'none.io', 'x', env), undefined);
    assert.deepEqual(await credentialsFor({ byRegistry: { 'https://r.io/v1/': { username: 'req', password: 'r' } } }, 'r.io', 'team/app', env), { username: 'req', password: 'r' });
    assert.deepEqual(await credentialsFor({ single: { username: 's', password: 's' } }, 'r.io', 'team/app', env), { username: 's', password: 's' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('auth files without XDG_RUNTIME_DIR: /run/containers/<uid of the user>/auth.json, as containers/image', { skip: process.getuid?.() !== 0 && 'not root' }, () => {
  // Root in the initial namespace: its own per-uid file (a rootless berth names the user's uid).
  assert.deepEqual(authFiles({ HOME: '/h' }), ['/run/containers/0/auth.json', '/h/.config/containers/auth.json', '/h/.docker/config.json']);
  assert.deepEqual(authFiles({ HOME: '/h', XDG_RUNTIME_DIR: '/run/user/7' })[0], '/run/user/7/containers/auth.json');
});
