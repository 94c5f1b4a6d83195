// Bundles the CLI into two CommonJS files for a cold start that answers its first request quickly
// with little memory: dist/bundle/main.cjs, what runs before the service listens (argument
// parsing, the listener, /_ping) and the small commands conmon and the health
// timers run (`container cleanup`, `container healthcheck`, which return before they need the
// engine when they can), and dist/bundle/rest.cjs, everything those only import dynamically (the
// engine, the API handlers, TLS, the access policy, pino...), which the service first loads in
// its warm-up after the first reply.
//
// Why CommonJS: measured on Node 24 against the ESM bundle split into chunks (dynamic imports as
// lazy chunks), every ESM module costs resolution, package.json lookups and async linking, and
// their records stay; a CJS file is one read and one compile (its code cache, kept in
// dist/compile-cache, spares even that), and lazy parts stay lazy: esbuild turns each dynamic
// import into a module initialised on first use. Idle RSS 73 -> 65 MiB. (CJS also spares an ESM
// cost of Node 24: `import http from 'node:http'` builds the built-in's ESM facade, which reads
// every export, lazy getters included, and so loads undici.)
//
// Why two: even with its code cache, loading a bundle costs time in proportion to its size
// (reading, hashing and deserialising it: ~6 ms per MB here), and every cold start paid it for
// the whole 1.1 MB before listening, of which the pre-listen part is ~40 KB.
//
// How: esbuild splits only ESM output, so the split is done here. Pass 0 finds the static import
// closure of the entry and of the KEEP modules: that is main.cjs. In main.cjs, a dynamic import
// of anything outside it becomes `require('./rest.cjs').__m[path]()`; rest.cjs is built from an
// entry listing those modules, and in it every import of a module main.cjs holds becomes
// `require('./main.cjs').__m[path]()`. Each module thus exists once, in one of the two files
// (one class for `instanceof`, one cache, one read of each file), and is initialised when first
// used, as before.
//
// Minified: 2.1 MB -> 1.1 MB took the load from 13 to 7.4 ms of every cold start. keepNames keeps
// class and function names (error kinds, stack frames); the linked source maps give stack traces
// their source lines under `--enable-source-maps`.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { build } from 'esbuild';

const ROOT = process.cwd();
const ENTRY = resolve('src/cli/main.ts');
/** Imported dynamically, yet in main.cjs: the service command itself and what it needs before listening, and the small commands. */
const KEEP = ['src/cli/service.ts', 'src/cli/cleanup.ts', 'src/cli/healthcheck.ts'].map((p) => resolve(p));
/** Packages main.cjs imports dynamically and keeps (none: containers.conf is parsed after the first reply). */
const KEEP_PACKAGES = [];

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node24',
  // Native addons load their .node files relative to their own package.
  external: ['better-sqlite3', 'node-unix-socket', 'berth-peercred', 'berth-mount', '@napi-rs/*', '*.node'],
  // The sources are ESM: import.meta.url names the bundle.
  define: { 'import.meta.url': '__berthUrl' },
  banner: { js: "const __berthUrl = require('node:url').pathToFileURL(__filename).href;" },
  minify: true,
  keepNames: true,
  logLevel: 'warning',
};
const key = (abs) => relative(ROOT, abs);

rmSync('dist/bundle', { recursive: true, force: true });
rmSync('dist/compile-cache', { recursive: true, force: true });

// Pass 0: the static closure of the entry and of KEEP (KEEP_PACKAGES' files join it as they are reached).
const probe = await build({ ...common, entryPoints: [ENTRY], write: false, outfile: 'dist/bundle/probe.cjs', metafile: true, minify: false });
const inputs = probe.metafile.inputs;
const isKeptPackage = (p) => KEEP_PACKAGES.some((k) => p.startsWith(`node_modules/${k}/`));
const mainSet = new Set();
const stack = [ENTRY, ...KEEP].map(key);
while (stack.length) {
  const f = stack.pop();
  if (mainSet.has(f)) continue;
  mainSet.add(f);
  for (const i of inputs[f]?.imports ?? []) {
    if (i.external) continue;
    if (i.kind === 'dynamic-import' && !isKeptPackage(i.path) && !KEEP.includes(resolve(i.path))) continue;
    stack.push(i.path);
  }
}

/** Imports that resolve into `other`'s set become a call into that bundle's module table. */
function crossPlugin(name, isOther, otherFile, kinds, seen) {
  return {
    name,
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData?.cross || !kinds.includes(args.kind)) return undefined;
        const r = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: { cross: true } });
        if (r.errors.length || r.external || !r.path.startsWith('/')) return undefined;
        const k = key(r.path);
        if (!isOther(k)) return undefined;
        seen.add(k);
        return { path: k, namespace: name };
      });
      b.onResolve({ filter: new RegExp(`^\\./${otherFile.replace('.', '\\.')}$`) }, (args) => ({ path: args.path, external: true }));
      b.onLoad({ filter: /.*/, namespace: name }, (args) => ({
        contents: `module.exports = require('./${otherFile}').__m[${JSON.stringify(args.path)}]();`,
        loader: 'js',
        resolveDir: ROOT,
      }));
    },
  };
}

/** An entry exporting `__m`: a thunk per module, which initialises it on first call. */
function tableEntry(keys, extra = '') {
  return {
    contents: `${extra}exports.__m = {\n${[...keys].map((k) => `  ${JSON.stringify(k)}: () => require(${JSON.stringify(resolve(k))}),`).join('\n')}\n};\n`,
    resolveDir: ROOT,
    sourcefile: 'bundle-entry.js',
    loader: 'js',
  };
}

// Pass 1: main.cjs; dynamic imports of modules outside its set go to rest.cjs.
const restTargets = new Set();
const mainKeys = [...mainSet].filter((k) => inputs[k] && !k.startsWith('<'));
await build({
  ...common,
  stdin: tableEntry(mainKeys, `exports.main = (argv) => require(${JSON.stringify(ENTRY)}).main(argv);\n`),
  outfile: 'dist/bundle/main.cjs',
  sourcemap: 'linked',
  plugins: [crossPlugin('berth-rest', (k) => !mainSet.has(k), 'rest.cjs', ['dynamic-import'], restTargets)],
});

// Pass 2: rest.cjs, an entry for what main.cjs asks of it; imports of main.cjs's modules go back there.
const back = new Set();
await build({
  ...common,
  stdin: tableEntry(restTargets),
  outfile: 'dist/bundle/rest.cjs',
  sourcemap: 'linked',
  plugins: [crossPlugin('berth-main', (k) => mainSet.has(k), 'main.cjs', ['import-statement', 'dynamic-import', 'require-call'], back)],
});

// ASCII only: esbuild escapes strings but leaves a regular expression's literal characters as
// they are, and one non-ASCII character makes V8 hold the whole source as a two-byte string
// (1.1 -> 2.2 MB of heap for as long as the service runs) decoded on a slow path at every start
// (measured: 0.8 -> 3.7 ms to read it). Write such characters as \u escapes in the sources.
for (const f of ['dist/bundle/main.cjs', 'dist/bundle/rest.cjs']) {
  const out = readFileSync(f);
  const at = out.findIndex((b) => b > 0x7f);
  if (at >= 0) {
    const line = out.subarray(Math.max(0, at - 60), at + 20).toString('utf8');
    console.error(`bundle: non-ASCII character in ${f} at byte ${at}: ...${line}...\nwrite it as a \\u escape in the source`);
    process.exit(1);
  }
}

// Node looks for the package.json nearest to every CommonJS file it loads; without one here that
// is the repository's, read and parsed at every start (CPU profiles of the load: 2.9 -> 0.6 ms).
writeFileSync('dist/bundle/package.json', '{ "type": "commonjs" }\n');
