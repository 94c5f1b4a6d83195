// Every route of podman's API (the operations of podman-api-v5.4.2.swagger.yaml, as the generated
// route-params.ts lists them) is served by the libpod route table or listed in the README's table
// of unserved routes with its reason — and a route that became served leaves that table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROUTE_PARAMS } from '../../../src/api/http/route-params.js';
import { routeKey } from '../../../src/api/http/query-check.js';
import { libpodRoutes } from '../../../src/api/libpod-routes.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

function unservedInReadme(): Map<string, string> {
  const text = readFileSync(join(REPO, 'README.md'), 'utf8');
  const block = text.split('<!-- libpod-unserved:start -->')[1]?.split('<!-- libpod-unserved:end -->')[0];
  assert.ok(block, 'README.md has the libpod-unserved table');
  const out = new Map<string, string>();
  for (const m of block.matchAll(/^\| `(GET|POST|PUT|DELETE|HEAD) ([^`]+)` \| (.+) \|$/gm)) {
    assert.ok(m[3].trim().length > 5, `${m[1]} ${m[2]}: a reason`);
    out.set(routeKey(m[1], m[2]), m[3]);
  }
  return out;
}

const served = new Set(libpodRoutes.flatMap((r) => (Array.isArray(r.method) ? r.method : [r.method]).map((m) => routeKey(m, r.path))));
const specRoutes = Object.keys(ROUTE_PARAMS).filter((k) => k.split(' ')[1].startsWith('/libpod/'));

test('every libpod route of the spec is served or listed in the README with its reason', () => {
  const listed = unservedInReadme();
  assert.ok(specRoutes.length > 100, 'the spec lists the libpod routes');
  const missing = specRoutes.filter((k) => !served.has(k) && !listed.has(k));
  assert.deepEqual(missing, [], 'routes neither served nor listed in README.md');
});

test('the README lists no route that is served, nor one the spec does not have', () => {
  const listed = [...unservedInReadme().keys()];
  assert.deepEqual(listed.filter((k) => served.has(k)), [], 'served routes still listed as unserved');
  assert.deepEqual(listed.filter((k) => !specRoutes.includes(k)), [], 'listed routes the spec does not have');
});
