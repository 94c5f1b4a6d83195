import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyRegistriesConf, emptyRegistriesConf, findRegistry, prefixMatches, pullSources, RegistriesConfError } from '../../../src/registry/registries-conf.js';
import { pullTargets } from '../../../src/engine/images/pull-names.js';
import { EngineError } from '../../../src/engine/errors.js';

const CONF = `
unqualified-search-registries = ["registry.example.com", "docker.io"]
short-name-mode = "permissive"

[[registry]]
prefix = "example.com/team"
location = "internal.example.com/mirror/team"

[[registry.mirror]]
location = "mirror.example.com/team"
insecure = true

[[registry.mirror]]
location = "digests.example.com/team"
pull-from-mirror = "digest-only"

[[registry]]
location = "localhost:5000"
insecure = true

[[registry]]
prefix = "*.blocked.io"
blocked = true

[aliases]
"app" = "quay.io/acme/app"
`;

function conf() {
  const c = emptyRegistriesConf('/etc/containers/registries.conf');
  applyRegistriesConf(c, CONF, 'test.conf');
  return c;
}

test('registries.conf v2: search list, mode, registries with mirrors, aliases', () => {
  const c = conf();
  assert.deepEqual(c.search, ['registry.example.com', 'docker.io']);
  assert.equal(c.shortNameMode, 'permissive');
  assert.equal(c.registries.length, 3);
  assert.deepEqual(c.aliases, { app: 'quay.io/acme/app' });
  assert.equal(findRegistry(c, 'localhost:5000/x')?.insecure, true);
  assert.equal(findRegistry(c, 'localhost:50000/x'), undefined, 'whole components only');
  assert.throws(() => applyRegistriesConf(emptyRegistriesConf(), 'a = [', 'bad.conf'), RegistriesConfError);
});

test('prefixes match whole components; wildcards match subdomains', () => {
  assert.equal(prefixMatches('example.com/team', 'example.com/team/app'), true);
  assert.equal(prefixMatches('example.com/team', 'example.com/teamx/app'), false);
  assert.equal(prefixMatches('example.com/team', 'example.com/team:tag'), true);
  assert.equal(prefixMatches('*.blocked.io', 'a.blocked.io/x'), true);
  assert.equal(prefixMatches('*.blocked.io', 'blocked.io/x'), false);
});

test('pull sources: mirrors first (digest-only ones for digests), then the rewritten location; blocked refused', () => {
  const c = conf();
  assert.deepEqual(pullSources(c, 'example.com/team/app', false), [
    { repo: 'mirror.example.com/team/app', insecure: true, mirror: true },
    { repo: 'internal.example.com/mirror/team/app', insecure: false, mirror: false },
  ]);
  assert.equal(pullSources(c, 'example.com/team/app', true).length, 3);
  assert.deepEqual(pullSources(c, 'quay.io/x/y', false), [{ repo: 'quay.io/x/y', insecure: false, mirror: false }]);
  assert.throws(() => pullSources(c, 'a.blocked.io/x', false), /blocked/);
});

test('pull names: docker rule, aliases, search registries; loopback is plain HTTP only by the docker rule', () => {
  const c = conf();
  const docker = pullTargets('busybox', 'docker', c);
  assert.deepEqual(docker.map((t) => t.name), ['docker.io/library/busybox:latest']);
  assert.equal(docker[0].sources[0].path, 'library/busybox');
  const searched = pullTargets('busybox:1.36', 'registries-conf', c);
  assert.deepEqual(searched.map((t) => t.name), ['registry.example.com/busybox:1.36', 'docker.io/library/busybox:1.36']);
  assert.deepEqual(pullTargets('app:v2', 'registries-conf', c).map((t) => t.name), ['quay.io/acme/app:v2']);
  assert.equal(pullTargets('127.0.0.1:5000/x', 'docker', c)[0].sources[0].insecure, true);
  assert.equal(pullTargets('127.0.0.1:5000/x', 'registries-conf', c)[0].sources[0].insecure, false);
  assert.equal(pullTargets('127.0.0.1:5000/x', 'registries-conf', c, false)[0].sources[0].insecure, true, 'tls-verify=false');
  assert.equal(pullTargets('localhost:5000/x', 'registries-conf', c)[0].sources[0].insecure, true, 'registries.conf insecure');
  const none = emptyRegistriesConf();
  assert.throws(() => pullTargets('busybox', 'registries-conf', none), (e: unknown) => e instanceof EngineError && e.kind === 'not-found' && /short-name "busybox" did not resolve/.test(e.message));
  assert.throws(() => pullTargets('Bad/Name', 'docker', none), (e: unknown) => e instanceof EngineError && e.kind === 'bad-parameter');
  const digest = 'sha256:' + 'a'.repeat(64);
  assert.equal(pullTargets(`x.io/a@${digest}`, 'docker', none)[0].name, `x.io/a@${digest}`);
});
