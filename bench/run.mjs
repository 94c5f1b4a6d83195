#!/usr/bin/env node
// berth vs podman vs dockerd, side by side on this machine: `npm run bench` (full, ~20 min),
// `npm run bench -- --quick` (< 3 min), `--smoke` (berth alone, ping + one list, for the test).
// Other options: --engines berth,podman,dockerd  --only cold,ping,images,list,run,exec,logs,load,pull,running
//                --out DIR (default bench/results)  --reps N  --no-build  --no-install
//                --set KEY:VALUE (a profile parameter, e.g. --set logMB:50 --set listN:100,1000)
// See bench/README.md for what each figure means.
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, readFileSync, existsSync, rmdirSync, readdirSync } from 'node:fs';
import os from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sh, log, now, firstLine, closeAgents } from './lib/util.mjs';
import { makeEngines, unmountUnder, REPO } from './lib/engines.mjs';
import { ensureEngines, dockerCliVersion } from './lib/install.mjs';
import { Bench, PROFILES, coldStart, ping, images, listContainers, runs, exec, logs, loadSave, pull, build, running, endMemory } from './lib/figures.mjs';
import { startBenchRegistry } from './lib/registry.mjs';
import { buildResults, markdown } from './lib/report.mjs';

const here = dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  const o = { mode: 'full', engines: ['berth', 'podman', 'dockerd'], only: null, out: join(here, 'results'), reps: null, build: true, install: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const [k, v] = a.split('=');
      if (v !== undefined) return v;
      if (i + 1 >= argv.length) throw new Error(`${k} needs a value`);
      return argv[++i];
    };
    if (a === '--quick') o.mode = 'quick';
    else if (a === '--smoke') o.mode = 'smoke';
    else if (a === '--full') o.mode = 'full';
    else if (a.startsWith('--engines')) o.engines = val().split(',').filter(Boolean);
    else if (a.startsWith('--only')) o.only = val().split(',').filter(Boolean);
    else if (a.startsWith('--out')) o.out = resolve(val());
    else if (a.startsWith('--reps')) o.reps = Number(val());
    else if (a.startsWith('--set')) {
      const [k, v] = val().split(':');
      (o.set ??= {})[k] = v.includes(',') ? v.split(',').map(Number) : Number(v);
    } else if (a === '--no-build') o.build = false;
    else if (a === '--no-install') o.install = false;
    else if (a === '-h' || a === '--help') {
      process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 6).map((l) => l.replace(/^\/\/ ?/, '')).join('\n') + '\n');
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  if (o.mode === 'smoke' && !argv.some((a) => a.startsWith('--engines'))) o.engines = ['berth'];
  return o;
}

function machine() {
  const cpus = os.cpus();
  let distro = '';
  try {
    distro = /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? '';
  } catch {
    /* unknown */
  }
  const cgroup = existsSync('/sys/fs/cgroup/cgroup.controllers') ? 'v2' : existsSync('/sys/fs/cgroup/unified') ? 'v1 (hybrid)' : 'v1';
  const m = {
    os: distro,
    kernel: os.release(),
    cpus: cpus.length,
    cpuModel: cpus[0]?.model?.trim(),
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    cgroup,
    node: process.version,
  };
  m.summary = `${m.os}, kernel ${m.kernel}, ${m.cpus} × ${m.cpuModel}, ${m.memGiB} GiB, cgroups ${m.cgroup}`;
  return m;
}

/** Removes the empty cgroup directories dockerd and podman leave behind (rmdir refuses busy ones); returns how many remain. */
function removeEmptyCgroups() {
  const root = '/sys/fs/cgroup';
  if (!existsSync(root)) return;
  const rmTree = (d) => {
    try {
      for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) rmTree(join(d, e.name));
      rmdirSync(d);
    } catch {
      /* busy or gone */
    }
  };
  let left = 0;
  for (const ctl of readdirSync(root)) {
    for (const name of ['docker', 'libpod_parent']) {
      if (!existsSync(join(root, ctl, name))) continue;
      rmTree(join(root, ctl, name));
      if (existsSync(join(root, ctl, name))) left++;
    }
  }
  return left;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (process.getuid?.() !== 0) throw new Error('the bench runs containers and mounts overlays: run it as root');
  const profile = { ...PROFILES[opts.mode] };
  if (opts.reps) profile.reps = opts.reps;
  Object.assign(profile, opts.set ?? {});
  const t0 = now();
  const fixturesDir = join(REPO, 'test', 'fixtures', 'build');
  const workDir = join(here, 'work');
  mkdirSync(workDir, { recursive: true });

  if (opts.build) {
    log('building berth (npm run build)');
    const r = await sh('npm', ['run', '--silent', 'build'], { cwd: REPO, timeoutMs: 300_000 });
    if (r.code !== 0) {
      if (!existsSync(join(REPO, 'dist', 'bundle', 'main.js'))) throw new Error(`npm run build failed: ${firstLine(r.stderr || r.stdout)}`);
      log(`warning: npm run build failed, using the existing dist/: ${firstLine(r.stderr || r.stdout)}`);
    }
  }
  const fx = await sh('bash', [join(REPO, 'test', 'fixtures', 'build.sh')], { timeoutMs: 300_000 });
  if (fx.code !== 0) throw new Error(`fixtures: ${firstLine(fx.stderr)}`);

  const skipped = opts.mode === 'smoke' ? {} : await ensureEngines(opts.engines, { install: opts.install });
  const names = opts.engines.filter((n) => !skipped[n]);
  for (const [n, why] of Object.entries(skipped)) log(`${n}: skipped: ${why}`);

  const base = mkdtempSync(join(os.tmpdir(), 'berth-bench-'));
  // The pull figure's registry comes first: podman must be told it is plain HTTP when it starts.
  const wantPull = opts.mode !== 'smoke' && profile.pullMB > 0 && (!opts.only || opts.only.includes('pull'));
  const registry = wantPull ? await startBenchRegistry().catch((e) => log(`pull: no registry: ${e.message}`)) : undefined;
  const engines = makeEngines(base, names, { insecureRegistries: registry ? [registry.host] : [] });
  const b = new Bench({ engines, profile, workDir, fixturesDir, groups: opts.only });
  b.registry = registry;
  const meta = {
    mode: opts.mode,
    date: new Date().toISOString(),
    machine: machine(),
    params: profile,
    engineNames: opts.engines,
    engines: {},
    skipped,
    client: await dockerCliVersion(),
    scratch: base,
    runtime: 'runc',
  };

  let interrupted = false;
  const cleanup = async () => {
    log('cleaning up');
    closeAgents();
    for (const e of engines) {
      try {
        if (e.proc) await Promise.race([e.removeAllContainers(), new Promise((r) => setTimeout(r, 120_000).unref())]);
      } catch {
        /* destroy below */
      }
      await e.destroy().catch((err) => log(`${e.name}: destroy: ${err.message}`));
    }
    await unmountUnder(base);
    rmSync(base, { recursive: true, force: true });
    await registry?.stop().catch(() => {});
    // conmon's exit commands (podman container cleanup) may still be finishing: retry a little.
    for (let i = 0; i < 5 && removeEmptyCgroups(); i++) await new Promise((r) => setTimeout(r, 500));
  };
  const onSignal = (sig) => {
    if (interrupted) return;
    interrupted = true;
    log(`${sig}: stopping`);
    cleanup().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    // Start every engine and give it the busybox image from the fixtures.
    for (const e of engines) {
      try {
        const ms = await e.start();
        const v = await e.api('GET', '/version');
        meta.engines[e.name] = { version: v.json?.Version ?? '?', apiVersion: v.json?.ApiVersion };
        const l = await e.docker(['load', '-i', join(fixturesDir, 'busybox-legacy.tar')], { timeoutMs: 120_000 });
        if (l.code !== 0) log(`${e.name}: loading busybox failed: ${firstLine(l.stderr)}`);
        log(`${e.name} ${meta.engines[e.name].version} up in ${ms.toFixed(0)} ms`);
      } catch (err) {
        log(`${e.name}: ${err.message}`);
        meta.engines[e.name] = { version: '?', error: firstLine(err.message) };
      }
    }
    if (opts.mode === 'smoke') {
      await ping(b);
      await listContainers(b);
    } else {
      await coldStart(b);
      await ping(b);
      await images(b);
      await listContainers(b);
      await runs(b);
      await exec(b);
      // Memory with N running before logs and load, whose buffers would skew it.
      await running(b);
      await logs(b);
      await loadSave(b);
      await pull(b);
      await build(b);
    }
    await endMemory(b);
  } finally {
    if (!interrupted) await cleanup();
  }
  meta.durationS = Math.round((now() - t0) / 1000);
  const res = buildResults(b, meta);
  mkdirSync(opts.out, { recursive: true });
  const stem = opts.mode === 'full' ? 'latest' : `latest-${opts.mode}`;
  writeFileSync(join(opts.out, `${stem}.json`), JSON.stringify(res, null, 2) + '\n');
  writeFileSync(join(opts.out, `${stem}.md`), markdown(res));
  log(`wrote ${join(opts.out, stem + '.json')} and .md in ${meta.durationS} s`);
  process.stdout.write(markdown(res));
}

main().then(
  () => process.exit(0),
  (err) => {
    log(`error: ${err.stack ?? err}`);
    process.exit(1);
  },
);
