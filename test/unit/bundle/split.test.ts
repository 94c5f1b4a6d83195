// The CLI bundle comes in two parts (scripts/bundle.mjs): main.cjs, what runs before the service
// listens, and rest.cjs, loaded after its first reply. Each module must live in exactly one of them
// (two copies would mean two classes for `instanceof`, two caches, files read twice), and nothing
// of the engine or the API handlers may slip into the part every cold start loads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const BUNDLE = join(REPO, 'dist', 'bundle');

function sources(file: string): Set<string> {
  const map = JSON.parse(readFileSync(join(BUNDLE, `${file}.map`), 'utf8')) as { sources: string[] };
  return new Set(map.sources.map((s) => s.replace(/^(\.\.\/)+/, '')).filter((s) => !s.includes('bundle-entry') && !s.startsWith('berth-')));
}

test('bundle: every module is in one part only; main.cjs holds the pre-listen path and none of the engine', { skip: !existsSync(join(BUNDLE, 'rest.cjs.map')) && 'not built' }, () => {
  const main = sources('main.cjs');
  const rest = sources('rest.cjs');
  const both = [...main].filter((s) => rest.has(s));
  assert.deepEqual(both, [], 'modules in both parts');
  for (const m of ['src/cli/main.ts', 'src/cli/service.ts', 'src/server/service.ts', 'src/server/listener.ts', 'src/api/system/ping.ts']) {
    assert.ok(main.has(m), `${m} in main.cjs`);
  }
  for (const m of ['src/engine/engine.ts', 'src/api/routes.ts', 'src/state/db.ts', 'src/server/tls.ts', 'src/config/containers-conf.ts']) {
    assert.ok(!main.has(m), `${m} not in main.cjs`);
    assert.ok(rest.has(m) || !existsSync(join(REPO, m)), `${m} in rest.cjs`);
  }
  assert.ok(![...main].some((s) => s.includes('node_modules/pino/')), 'pino is not in main.cjs');
  assert.ok(readFileSync(join(BUNDLE, 'main.cjs')).length < 200 * 1024, 'main.cjs stays small');
});

test('bundle: the two parts reach each other\'s modules, one instance each', { skip: !existsSync(join(BUNDLE, 'rest.cjs')) && 'not built' }, () => {
  const req = createRequire(import.meta.url);
  const main = req(join(BUNDLE, 'main.cjs')) as { __m: Record<string, () => Record<string, unknown>> };
  const rest = req(join(BUNDLE, 'rest.cjs')) as { __m: Record<string, () => Record<string, unknown>> };
  // The engine's error classes are main.cjs's (server/errors.ts maps them to status codes there);
  // rest.cjs, which throws them, asks main.cjs for them rather than holding a copy.
  const errors = main.__m['src/engine/errors.ts']();
  assert.equal(typeof errors.EngineError, 'function');
  assert.equal(main.__m['src/engine/errors.ts']().EngineError, errors.EngineError, 'one class');
  assert.match(readFileSync(join(BUNDLE, 'rest.cjs'), 'utf8'), /require\("\.\/main\.cjs"\)\.__m\["src\/engine\/errors\.ts"\]/);
  assert.equal(typeof rest.__m['src/engine/engine.ts']().Engine, 'function');
});
