// Bundles the CLI into one CommonJS file, dist/bundle/main.cjs, for a cold start that answers its
// first request quickly with little memory. Measured on Node 24 against the ESM bundle split
// into chunks (dynamic imports as lazy chunks): every ESM module costs resolution, package.json
// lookups and async linking, and their records stay; one CJS file is one read and one compile
// (its code cache, kept in dist/compile-cache, spares even that), and lazy parts stay lazy: esbuild
// turns each dynamic import into a module initialised on first use. Idle RSS 73 -> 65 MiB.
// (CJS also spares an ESM cost of Node 24: `import http from 'node:http'` builds the built-in's
// ESM facade, which reads every export, lazy getters included, and so loads undici.)
// Minified: even with its code cache, loading the bundle costs time in proportion to its size
// (measured on Node 24 here: about 6 ms per MB; 2.1 MB -> 1.1 MB took the load from 13 to 7.4 ms
// of every cold start). keepNames keeps class and function names (error kinds, stack frames);
// the linked source map gives stack traces their source lines under `--enable-source-maps`.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

rmSync('dist/bundle', { recursive: true, force: true });
rmSync('dist/compile-cache', { recursive: true, force: true });

await build({
  entryPoints: { main: 'src/cli/main.ts' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node24',
  outfile: 'dist/bundle/main.cjs',
  // Native addons load their .node files relative to their own package.
  external: ['better-sqlite3', 'node-unix-socket', 'berth-peercred', 'berth-mount', '@napi-rs/*', '*.node'],
  // The sources are ESM: import.meta.url names the bundle.
  define: { 'import.meta.url': '__berthUrl' },
  banner: { js: "const __berthUrl = require('node:url').pathToFileURL(__filename).href;" },
  minify: true,
  keepNames: true,
  sourcemap: 'linked',
  logLevel: 'warning',
});

// ASCII only: esbuild escapes strings but leaves a regular expression's literal characters as
// they are, and one non-ASCII character makes V8 hold the whole source as a two-byte string
// (1.1 -> 2.2 MB of heap for as long as the service runs) decoded on a slow path at every start
// (measured: 0.8 -> 3.7 ms to read it). Write such characters as \u escapes in the sources.
const out = readFileSync('dist/bundle/main.cjs');
const at = out.findIndex((b) => b > 0x7f);
if (at >= 0) {
  const line = out.subarray(Math.max(0, at - 60), at + 20).toString('utf8');
  console.error(`bundle: non-ASCII character at byte ${at}: ...${line}...\nwrite it as a \\u escape in the source`);
  process.exit(1);
}

// Node looks for the package.json nearest to every CommonJS file it loads; without one here that
// is the repository's, read and parsed at every start (CPU profiles of the load: 2.9 -> 0.6 ms).
writeFileSync('dist/bundle/package.json', '{ "type": "commonjs" }\n');
