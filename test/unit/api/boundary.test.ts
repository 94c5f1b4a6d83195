// The API layers reach the engine only through its ports: a file under src/api/ may import from
// src/engine/ nothing but ports.ts, errors.ts and a resource's port.ts or types.ts. Without this
// test the boundary erodes one convenient import at a time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const SRC = join(REPO, 'src');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every module specifier a file imports or re-exports, static or dynamic. */
export function specifiers(text: string): string[] {
  const out: string[] = [];
  const re = /(?:^|[^\w$.])(?:import|export)\s*(?:type\s+)?(?:[^'"();]*?\sfrom\s*)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const m of text.matchAll(re)) out.push(m[1] ?? m[2]);
  return out;
}

export function allowedEngineModule(rel: string): boolean {
  const p = rel.split(sep).join('/');
  return p === 'ports.ts' || p === 'errors.ts' || /(^|\/)(port|types)\.ts$/.test(p);
}

test('specifier scanner sees static, type-only, re-exported and dynamic imports', () => {
  const text = "import a from './a.js';\nimport type { B } from '../b.js';\nexport { c } from './c.js';\nconst d = await import('./d.js');\nimport './e.js';";
  assert.deepEqual(specifiers(text), ['./a.js', '../b.js', './c.js', './d.js', './e.js']);
  assert.equal(allowedEngineModule('containers/port.ts'), true);
  assert.equal(allowedEngineModule('containers/files/port.ts'), true);
  assert.equal(allowedEngineModule('images/types.ts'), true);
  assert.equal(allowedEngineModule('containers/service.ts'), false);
  assert.equal(allowedEngineModule('engine.ts'), false);
});

test('src/api imports from the engine only its ports, errors and types', () => {
  const engineDir = join(SRC, 'engine');
  const offences: string[] = [];
  const files = tsFiles(join(SRC, 'api'));
  assert.ok(files.length > 10, 'the API sources are where this test expects them');
  for (const f of files) {
    for (const s of specifiers(readFileSync(f, 'utf8'))) {
      if (!s.startsWith('.')) continue;
      const target = resolve(dirname(f), s).replace(/\.js$/, '.ts');
      const rel = relative(engineDir, target);
      if (rel.startsWith('..')) continue;
      if (!allowedEngineModule(rel)) offences.push(`${relative(REPO, f)} imports ${s}`);
    }
  }
  assert.deepEqual(offences, []);
});
