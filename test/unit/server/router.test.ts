import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Router } from '../../../src/server/router.js';

const h = (name: string) => Object.assign(() => name, { label: name });

test('versioned, unversioned and libpod paths reach the same table', () => {
  const r = new Router();
  r.add([
    { method: 'GET', path: '/containers/json', handler: h('list') },
    { method: 'GET', path: '/libpod/containers/json', handler: h('plist') },
    { method: ['GET', 'HEAD'], path: '/_ping', handler: h('ping') },
    { method: 'GET', path: '/images/{name:.*}/json', handler: h('inspect') },
    { method: 'GET', path: '/images/json', handler: h('images') },
    { method: 'DELETE', path: '/images/{name:.*}', handler: h('rmi') },
    { method: 'GET', path: '/containers/:id/json', handler: h('cinspect') },
  ]);
  const ok = (method: string, path: string) => {
    const m = r.lookup(method, path);
    assert.ok(!('miss' in m), `${method} ${path} matched`);
    return m;
  };
  const a = ok('GET', '/v1.41/containers/json');
  assert.equal(a.layer, 'compat');
  assert.equal(a.version, '1.41');
  assert.equal(ok('GET', '/containers/json').version, undefined);
  const p = ok('GET', '/v5.4.2/libpod/containers/json');
  assert.equal(p.layer, 'libpod');
  assert.equal(p.version, '5.4.2');
  assert.equal(ok('HEAD', '/_ping').layer, 'compat');
  assert.equal(ok('GET', '/v1/_ping').version, '1');

  const img = ok('GET', '/v1.41/images/localhost:5000/org/app:1.0/json');
  assert.equal(img.params.name, 'localhost:5000/org/app:1.0');
  assert.equal((img.handler as () => string)(), 'inspect');
  assert.equal((ok('GET', '/images/json').handler as () => string)(), 'images', 'exact routes win over greedy ones');
  assert.equal(ok('DELETE', '/images/docker.io%2Flibrary%2Fbusybox').params.name, 'docker.io/library/busybox');
  assert.equal(ok('GET', '/containers/abc123/json').params.id, 'abc123');
});

test('misses: 404 for unknown paths, 405 with the allowed methods', () => {
  const r = new Router();
  r.add([{ method: 'GET', path: '/info', handler: h('info') }]);
  assert.deepEqual(r.lookup('GET', '/nope'), { miss: 404, layer: 'compat' });
  assert.deepEqual(r.lookup('GET', '/libpod/nope'), { miss: 404, layer: 'libpod' });
  assert.deepEqual(r.lookup('POST', '/v1.41/info'), { miss: 405, layer: 'compat', allowed: ['GET'] });
});
