// Bundles the CLI into a few ESM chunks: one file to load instead of dozens of modules is most
// of what makes a cold start answer its first request quickly. Lazy parts stay separate chunks.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

// Chunk names carry content hashes: old ones would pile up.
rmSync('dist/bundle', { recursive: true, force: true });

await build({
  entryPoints: { main: 'src/cli/main.ts' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  splitting: true,
  outdir: 'dist/bundle',
  // Native addons load their .node files relative to their own package.
  external: ['better-sqlite3', 'node-unix-socket', '@napi-rs/*', '*.node'],
  banner: { js: "import { createRequire as __berthRequire } from 'node:module'; const require = __berthRequire(import.meta.url);" },
  logLevel: 'warning',
});
