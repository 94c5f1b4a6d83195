import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWwwAuthenticate } from '../../../src/registry/www-authenticate.js';
import { errorFromResponse } from '../../../src/registry/errors.js';
import { isLoopbackRegistry } from '../../../src/registry/loopback.js';

test('Bearer and Basic challenges with quoted, escaped and bare parameters, several in one header', () => {
  assert.deepEqual(parseWwwAuthenticate('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"'), [
    { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' } },
  ]);
  assert.deepEqual(parseWwwAuthenticate('Basic realm="berth test"'), [{ scheme: 'basic', params: { realm: 'berth test' } }]);
  assert.deepEqual(parseWwwAuthenticate('Bearer realm="a\\"b", error=insufficient_scope, Basic realm=x'), [
    { scheme: 'bearer', params: { realm: 'a"b', error: 'insufficient_scope' } },
    { scheme: 'basic', params: { realm: 'x' } },
  ]);
  assert.deepEqual(parseWwwAuthenticate('Negotiate'), [{ scheme: 'negotiate', params: {} }]);
  assert.deepEqual(parseWwwAuthenticate(''), []);
  // A scope with a port and several actions keeps its colons and commas inside the quotes.
  assert.equal(parseWwwAuthenticate('Bearer scope="repository:localhost:5000/x:pull,push"')[0].params.scope, 'repository:localhost:5000/x:pull,push');
});

test('registry errors keep the codes and read as docker renders them', () => {
  const e = errorFromResponse(404, '{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"nope"}}]}', 'manifest x:nope');
  assert.equal(e.kind, 'not-found');
  assert.equal(e.code, 'MANIFEST_UNKNOWN');
  assert.equal(e.registryText, 'manifest unknown: manifest unknown');
  assert.equal(errorFromResponse(401, '{"details":"incorrect username or password"}', 'token').kind, 'unauthorized');
  assert.equal(errorFromResponse(403, '', 'x').kind, 'denied');
  assert.equal(errorFromResponse(500, '<html>oops</html>', 'x').message, 'x: 500 Internal Server Error');
});

test("docker's loopback registries", () => {
  for (const h of ['localhost', 'localhost:5000', '127.0.0.1:5000', '127.1.2.3', '[::1]:5000']) assert.equal(isLoopbackRegistry(h), true, h);
  for (const h of ['docker.io', 'localhost.example.com', '128.0.0.1:5000', '10.0.0.1']) assert.equal(isLoopbackRegistry(h), false, h);
});
