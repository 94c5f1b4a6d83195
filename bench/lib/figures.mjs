// The figures. Each group measures one or more metrics on every engine: optional setup (per
// engine, once), then `reps` repetitions interleaved across engines (the engine order rotates
// each repetition), then teardown. A group that fails on one engine records the reason for that
// engine (n/a) and carries on; nothing here asserts anything about time.
import { rmSync, statSync, existsSync, mkdirSync, writeFileSync, readFileSync, appendFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { sh, now, sleep, pool, quantile, median, firstLine, log, memOf, countGet, round } from './util.mjs';
import { serviceMemory } from './engines.mjs';
import { bigArchive, multiImageArchive, runcBundle } from './artifacts.mjs';
import { pullImage } from './registry.mjs';

const require = createRequire(import.meta.url);
const autocannon = require('autocannon');

/** Metric catalogue: id → {title, unit, better}. Order here is the order of the table. */
export const METRICS = {
  'ping.c1.rps': { title: 'GET /_ping, 1 connection: throughput', unit: 'req/s', better: 'higher' },
  'ping.c1.p50': { title: 'GET /_ping, 1 connection: p50 latency', unit: 'ms', better: 'lower' },
  'ping.c1.p99': { title: 'GET /_ping, 1 connection: p99 latency', unit: 'ms', better: 'lower' },
  'ping.c32.rps': { title: 'GET /_ping, 32 connections: throughput', unit: 'req/s', better: 'higher' },
  'ping.c32.p50': { title: 'GET /_ping, 32 connections: p50 latency', unit: 'ms', better: 'lower' },
  'ping.c32.p99': { title: 'GET /_ping, 32 connections: p99 latency', unit: 'ms', better: 'lower' },
  'list.N1': { title: 'GET /containers/json?all=1, {N1} created containers', unit: 'ms', better: 'lower' },
  'list.N2': { title: 'GET /containers/json?all=1, {N2} created containers', unit: 'ms', better: 'lower' },
  'rm.rate': { title: 'remove created (never started) containers via API, 4 in flight', unit: 'containers/s', better: 'higher' },
  'create.rate': { title: 'container create via API, 4 in flight (busybox true)', unit: 'containers/s', better: 'higher' },
  'images.N': { title: 'GET /images/json, {IMG} tagged images', unit: 'ms', better: 'lower' },
  'images.load': { title: 'docker load of one archive holding {IMG} images', unit: 's', better: 'lower' },
  'run.seq': { title: '`docker run --rm busybox true`, sequential: median', unit: 'ms', better: 'lower' },
  'run.conc': { title: '{RUNS} concurrent `docker run --rm busybox true`: total', unit: 's', better: 'lower' },
  'exec.seq': { title: '`docker exec C true`: median', unit: 'ms', better: 'lower' },
  'logs.write': { title: 'container writes {LOGMB} MB to stdout: run to exit', unit: 's', better: 'lower' },
  'logs.read': { title: '`docker logs` of {LOGMB} MB: time to read it all', unit: 's', better: 'lower' },
  'logs.mibs': { title: '`docker logs` throughput', unit: 'MiB/s', better: 'higher' },
  'logs.tail': { title: '`docker logs --tail 10` of that container', unit: 'ms', better: 'lower' },
  'logs.api': { title: 'GET /containers/C/logs (raw API stream, no CLI) throughput', unit: 'MiB/s', better: 'higher' },
  'load.s': { title: '`docker load` of a {LOADMB} MB archive', unit: 's', better: 'lower' },
  'save.s': { title: '`docker save` of that image', unit: 's', better: 'lower' },
  'pull.s': { title: '`docker pull` of a {PULLMB} MB image of 5 gzip layers from a local registry, cold', unit: 's', better: 'lower' },
  'pull.rss': { title: 'service RSS peak during that pull', unit: 'MiB', better: 'lower' },
  'build.cold': { title: '`docker build --no-cache` of a 6-step Dockerfile (FROM busybox, COPY {BUILDMB} MB, 3 RUN, CMD)', unit: 's', better: 'lower' },
  'build.cached': { title: 'the same build again, every step cached', unit: 's', better: 'lower' },
  'cold.direct': { title: 'cold start: process start to first /_ping', unit: 'ms', better: 'lower' },
  'cold.activation': { title: 'cold start: socket activation, first connect to /_ping reply', unit: 'ms', better: 'lower' },
  'rss.idle': { title: 'service RSS, idle (after start, busybox loaded)', unit: 'MiB', better: 'lower' },
  'start.N': { title: 'create+start {RUNNING} containers (API, 4 in flight): total', unit: 's', better: 'lower' },
  'rss.running': { title: 'service RSS with {RUNNING} running containers', unit: 'MiB', better: 'lower' },
  'monitor.pss': { title: 'per-container monitor memory, PSS (conmon / containerd-shim)', unit: 'KiB', better: 'lower' },
  'monitor.rss': { title: 'per-container monitor memory, RSS', unit: 'KiB', better: 'lower' },
  'rm.N': { title: 'remove {RUNNING} running containers (force, 4 in flight): total', unit: 's', better: 'lower' },
  'rss.end': { title: 'service RSS at the end of the bench, settled (5 s idle)', unit: 'MiB', better: 'lower' },
};

export const PROFILES = {
  full: { reps: 3, coldReps: 5, pingSec: 5, listN: [100, 1000], listReqs: 10, images: 200, runs: 20, execs: 20, logMB: 200, loadMB: 100, loadReps: 3, running: 100, pullMB: 200, pullReps: 3, buildMB: 20, buildReps: 3 },
  quick: { reps: 1, coldReps: 2, pingSec: 2, listN: [100], listReqs: 5, images: 50, runs: 5, execs: 5, logMB: 20, loadMB: 100, loadReps: 1, running: 20, pullMB: 200, pullReps: 1, buildMB: 20, buildReps: 1 },
  smoke: { reps: 1, coldReps: 0, pingSec: 1, listN: [5], listReqs: 3, images: 0, runs: 0, execs: 0, logMB: 0, loadMB: 0, loadReps: 0, running: 0, pullMB: 0, pullReps: 0, buildMB: 0, buildReps: 0 },
};

const RUN_ARGS = ['run', '--rm', '--pull', 'never', '--network', 'none', 'busybox', 'true'];
const rotate = (arr, k) => arr.map((_, i) => arr[(i + k) % arr.length]);
const mib = (kib) => kib / 1024;

/** The bench context: results store, engines, profile, paths. */
export class Bench {
  constructor({ engines, profile, workDir, fixturesDir, groups }) {
    this.engines = engines;
    this.p = profile;
    this.workDir = workDir;
    this.fixturesDir = fixturesDir;
    this.only = groups; // null: all
    this.values = {}; // metric → engine → number[]
    this.na = {}; // metric → engine → reason
    this.notes = {}; // metric → engine → note
    this.floor = {}; // metric → number[] (runc, no engine)
    this.rssTrail = {}; // engine → [{after: group, rssMiB}]
  }
  add(metric, engine, v) {
    ((this.values[metric] ??= {})[engine] ??= []).push(v);
  }
  fail(metrics, engine, reason) {
    for (const m of metrics) if (!this.values[m]?.[engine]?.length) (this.na[m] ??= {})[engine] ??= firstLine(reason);
  }
  note(metric, engine, text) {
    (this.notes[metric] ??= {})[engine] = text;
  }

  /**
   * Runs one group: setup per engine, reps interleaved, teardown per engine. `metrics` lists
   * what the group produces (to mark n/a on failure).
   */
  async group(name, metrics, { setup, measure, teardown, reps }) {
    if (this.only && !this.only.includes(name)) return;
    const t0 = now();
    log(`${name}: start`);
    this.peaks = {};
    const dead = new Map();
    for (const e of this.engines) {
      if (!setup) continue;
      try {
        await setup(e);
      } catch (err) {
        dead.set(e.name, err.message);
        this.fail(metrics, e.name, err.message);
        log(`${name}: ${e.name}: setup failed: ${firstLine(err.message)}`);
      }
    }
    for (let r = 0; r < (reps ?? this.p.reps); r++) {
      for (const e of rotate(this.engines, r)) {
        if (dead.has(e.name) || !measure) continue;
        // Sample the service's RSS while it works: the peak goes into the RSS trail.
        let peak = 0;
        const sample = () => (peak = Math.max(peak, serviceMemory(e).rssKiB));
        const timer = setInterval(sample, 50);
        try {
          await measure(e, r);
        } catch (err) {
          log(`${name}: ${e.name}: rep ${r} failed: ${firstLine(err.message)}`);
          this.fail(metrics, e.name, err.message);
          if (err.fatal) dead.set(e.name, err.message);
        } finally {
          clearInterval(timer);
          sample();
          const m = mib(peak);
          this.peaks[e.name] = Math.max(this.peaks[e.name] ?? 0, m);
        }
      }
    }
    for (const e of this.engines) {
      if (!teardown) continue;
      try {
        await teardown(e);
      } catch (err) {
        log(`${name}: ${e.name}: teardown failed: ${firstLine(err.message)}`);
      }
    }
    for (const e of this.engines) if (e.proc) (this.rssTrail[e.name] ??= []).push({ after: name, rssMiB: round(mib(serviceMemory(e).rssKiB), 1), peakMiB: round(this.peaks[e.name] ?? NaN, 1) });
    // BERTH_BENCH_SETTLE_MS (bench/README.md): the RSS once the group's work has settled, split
    // into anonymous and file-backed, after berth's own breakdown when its debug hook is on.
    if (process.env.BERTH_BENCH_SETTLE_MS) {
      await sleep(Number(process.env.BERTH_BENCH_SETTLE_MS));
      for (const e of this.engines) {
        if (!e.proc) continue;
        const pid = e.servicePids()[0]?.pid;
        if (e.name === 'berth' && process.env.BERTH_DEBUG_MEMORY) {
          process.kill(pid, 'SIGUSR2');
          await sleep(1500);
        }
        const roll = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
        const num = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(roll)?.[1] ?? NaN);
        const rec = { engine: e.name, group: name, rssKiB: num('Rss'), anonKiB: num('Anonymous'), fileKiB: num('Rss') - num('Anonymous') };
        if (process.env.BERTH_BENCH_TRAIL_FILE) appendFileSync(process.env.BERTH_BENCH_TRAIL_FILE, JSON.stringify(rec) + '\n');
      }
    }
    log(`${name}: done in ${((now() - t0) / 1000).toFixed(1)} s`);
  }
}

const fatal = (msg) => Object.assign(new Error(msg), { fatal: true });

async function ensureRunning(e) {
  if (!e.proc) await e.start();
}

// ---------------------------------------------------------------- cold start and idle RSS
export async function coldStart(b) {
  if (!b.p.coldReps) return;
  await b.group('cold', ['cold.direct', 'cold.activation', 'rss.idle'], {
    reps: b.p.coldReps,
    measure: async (e) => {
      await e.stop();
      const ms = await e.start();
      b.add('cold.direct', e.name, ms);
      // Idle memory: settle a moment after the first answer.
      await e.api('GET', '/_ping');
      await sleep(1000);
      b.add('rss.idle', e.name, mib(serviceMemory(e).rssKiB));
      await e.stop();
      try {
        b.add('cold.activation', e.name, await e.start({ activation: true }));
      } catch (err) {
        b.fail(['cold.activation'], e.name, err.message);
      }
      await e.stop();
      await e.start();
    },
  });
}

// ---------------------------------------------------------------- /_ping load
async function cannon(socket, connections, seconds) {
  const lat = [];
  const inst = autocannon({ url: 'http://localhost/_ping', socketPath: socket, connections, duration: seconds, timeout: 10 });
  inst.on('response', (_client, status, _bytes, responseTime) => {
    if (status === 200) lat.push(responseTime);
  });
  const r = await inst;
  const ok = r['2xx'];
  if (!ok) throw new Error(`no 2xx answers (errors ${r.errors}, non-2xx ${r.non2xx})`);
  return { rps: ok / (r.duration || seconds), p50: quantile(lat, 0.5), p99: quantile(lat, 0.99), errors: r.errors + r.non2xx };
}

export async function ping(b) {
  const conns = [1, 32];
  await b.group('ping', conns.flatMap((c) => [`ping.c${c}.rps`, `ping.c${c}.p50`, `ping.c${c}.p99`]), {
    setup: ensureRunning,
    measure: async (e) => {
      for (const c of conns) {
        const r = await cannon(e.socket, c, b.p.pingSec);
        b.add(`ping.c${c}.rps`, e.name, r.rps);
        b.add(`ping.c${c}.p50`, e.name, r.p50);
        b.add(`ping.c${c}.p99`, e.name, r.p99);
        if (r.errors) b.note(`ping.c${c}.rps`, e.name, `${r.errors} errors/non-2xx`);
      }
    },
  });
}

// ---------------------------------------------------------------- container list
async function createContainers(e, n, { start = false, cmd = ['true'] } = {}) {
  const body = { Image: 'busybox', Cmd: cmd, HostConfig: { NetworkMode: 'none' }, Labels: { 'berth.bench': '1' } };
  const errs = [];
  await pool(n, 4, async () => {
    if (errs.length > 3) return;
    const r = await e.api('POST', '/containers/create', body);
    if (r.status !== 201) return errs.push(`create ${r.status}: ${firstLine(r.text)}`);
    if (start) {
      const s = await e.api('POST', `/containers/${r.json.Id}/start`);
      if (s.status !== 204 && s.status !== 304) errs.push(`start ${s.status}: ${firstLine(s.text)}`);
    }
  });
  if (errs.length) throw fatal(errs[0]);
}

async function timeList(e, path, expect, k) {
  const ms = [];
  const t0 = now();
  // Bounded: at least 3 requests, and no new one after 10 s.
  for (let i = 0; i < k && (i < 3 || now() - t0 < 10_000); i++) {
    const r = await e.api('GET', path);
    if (r.status !== 200) throw new Error(`${path}: ${r.status} ${firstLine(r.text)}`);
    if (!Array.isArray(r.json) || r.json.length < expect) throw new Error(`${path}: ${r.json?.length} entries, expected ${expect}`);
    ms.push(r.ms);
  }
  return median(ms);
}

export async function listContainers(b) {
  const [n1, n2] = b.p.listN;
  const create = async (e, n) => {
    const t0 = now();
    await createContainers(e, n);
    b.add('create.rate', e.name, n / ((now() - t0) / 1000));
  };
  await b.group('list', ['list.N1', 'create.rate'], {
    setup: async (e) => {
      await ensureRunning(e);
      await e.removeAllContainers();
      await create(e, n1);
    },
    measure: async (e) => b.add('list.N1', e.name, await timeList(e, '/containers/json?all=1', n1, b.p.listReqs)),
    teardown: n2
      ? undefined
      : async (e) => {
          const t0 = now();
          const k = await e.removeAllContainers();
          if (typeof k === 'number' && k > 0) b.add('rm.rate', e.name, k / ((now() - t0) / 1000));
        },
  });
  if (!n2) return;
  await b.group('list', ['list.N2'], {
    setup: (e) => create(e, n2 - n1),
    measure: async (e) => b.add('list.N2', e.name, await timeList(e, '/containers/json?all=1', n2, b.p.listReqs)),
    teardown: async (e) => {
      const t0 = now();
      const k = await e.removeAllContainers();
      if (typeof k === 'number' && k > 0) b.add('rm.rate', e.name, k / ((now() - t0) / 1000));
    },
  });
}

// ---------------------------------------------------------------- image list
export async function images(b) {
  const n = b.p.images;
  if (!n) return;
  const archive = await multiImageArchive(b.workDir, b.fixturesDir, n);
  await b.group('images', ['images.N', 'images.load'], {
    setup: async (e) => {
      await ensureRunning(e);
      const r = await e.docker(['load', '-i', archive], { timeoutMs: 300_000 });
      if (r.code !== 0) throw new Error(`docker load (${n} images): ${firstLine(r.stderr)}`);
      b.add('images.load', e.name, r.ms / 1000);
    },
    measure: async (e) => b.add('images.N', e.name, await timeList(e, '/images/json', n, b.p.listReqs)),
    teardown: async (e) => {
      await pool(n, 4, (i) => e.api('DELETE', `/images/bench/img:${i}?force=1`).catch(() => {}));
    },
  });
}

// ---------------------------------------------------------------- docker run, and the runc floor
export async function runs(b) {
  const n = b.p.runs;
  if (!n) return;
  await b.group('run', ['run.seq', 'run.conc'], {
    setup: async (e) => {
      await ensureRunning(e);
      const r = await e.docker(RUN_ARGS, { timeoutMs: 60_000 });
      if (r.code !== 0) throw new Error(`docker run: ${firstLine(r.stderr)}`);
    },
    measure: async (e) => {
      const ms = [];
      for (let i = 0; i < n; i++) {
        const r = await e.docker(RUN_ARGS, { timeoutMs: 60_000 });
        if (r.code !== 0) throw new Error(`docker run: ${firstLine(r.stderr)}`);
        ms.push(r.ms);
      }
      b.add('run.seq', e.name, median(ms));
      const t0 = now();
      const rs = await Promise.all(Array.from({ length: n }, () => e.docker(RUN_ARGS, { timeoutMs: 120_000 })));
      const bad = rs.filter((r) => r.code !== 0);
      if (bad.length) throw new Error(`${bad.length}/${n} concurrent runs failed: ${firstLine(bad[0].stderr)}`);
      b.add('run.conc', e.name, (now() - t0) / 1000);
    },
  });
  // The floor: the same container straight through runc, no engine, no overlay, no CLI.
  const bundle = await runcBundle(join(b.workDir, 'runc-bundle'), b.fixturesDir);
  const root = join(b.workDir, 'runc-state');
  let k = 0;
  const one = async () => {
    const id = `berth-bench-floor-${process.pid}-${k++}`;
    const r = await sh('runc', ['--root', root, 'run', '--bundle', bundle, id], { timeoutMs: 60_000 });
    if (r.code !== 0) {
      await sh('runc', ['--root', root, 'delete', '--force', id]);
      throw new Error(`runc run: ${firstLine(r.stderr)}`);
    }
    return r.ms;
  };
  try {
    for (let rep = 0; rep < b.p.reps; rep++) {
      const ms = [];
      for (let i = 0; i < n; i++) ms.push(await one());
      (b.floor['run.seq'] ??= []).push(median(ms));
      const t0 = now();
      await Promise.all(Array.from({ length: n }, one));
      (b.floor['run.conc'] ??= []).push((now() - t0) / 1000);
    }
  } catch (err) {
    b.floorError = firstLine(err.message);
    log(`floor: ${b.floorError}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- exec
export async function exec(b) {
  const n = b.p.execs;
  if (!n) return;
  const name = 'berth-bench-exec';
  await b.group('exec', ['exec.seq'], {
    setup: async (e) => {
      await ensureRunning(e);
      await e.docker(['rm', '-f', name]);
      const r = await e.docker(['run', '-d', '--pull', 'never', '--network', 'none', '--name', name, 'busybox', 'sleep', '3600']);
      if (r.code !== 0) throw new Error(`docker run -d: ${firstLine(r.stderr)}`);
      const x = await e.docker(['exec', name, 'true'], { timeoutMs: 30_000 });
      if (x.code !== 0) {
        const why = firstLine(x.stderr);
        throw new Error(/page not found/.test(why) ? `exec is not implemented in this build (POST /containers/{id}/exec answers 404): ${why}` : `docker exec: ${why}`);
      }
    },
    measure: async (e) => {
      const ms = [];
      for (let i = 0; i < n; i++) {
        const r = await e.docker(['exec', name, 'true'], { timeoutMs: 30_000 });
        if (r.code !== 0) throw new Error(`docker exec: ${firstLine(r.stderr)}`);
        ms.push(r.ms);
      }
      b.add('exec.seq', e.name, median(ms));
    },
    teardown: async (e) => {
      await e.docker(['rm', '-f', name]);
    },
  });
}

// ---------------------------------------------------------------- logs
export async function logs(b) {
  const mb = b.p.logMB;
  if (!mb) return;
  const bytes = mb * 1000 * 1000;
  const line = 'berth-bench-log-line-'.padEnd(99, 'x'); // 100 bytes with the newline
  const name = 'berth-bench-logs';
  await b.group('logs', ['logs.write', 'logs.read', 'logs.mibs', 'logs.api', 'logs.tail'], {
    setup: ensureRunning,
    measure: async (e) => {
      await e.docker(['rm', '-f', name]);
      const t0 = now();
      const r = await e.docker(['run', '-d', '--pull', 'never', '--network', 'none', '--name', name, 'busybox', 'sh', '-c', `yes ${line} | head -c ${bytes}`]);
      if (r.code !== 0) throw new Error(`docker run -d: ${firstLine(r.stderr)}`);
      const w = await e.docker(['wait', name], { timeoutMs: 300_000 });
      if (w.code !== 0) throw new Error(`docker wait: ${firstLine(w.stderr)}`);
      b.add('logs.write', e.name, (now() - t0) / 1000);
      try {
        // The CLI's stdout goes to /dev/null (the cheapest sink); the raw API stream is counted
        // separately to check that everything came back.
        const l = await e.docker(['logs', name], { discard: true, timeoutMs: 300_000 });
        if (l.code !== 0) throw new Error(`docker logs: ${firstLine(l.stderr)}`);
        const a = await countGet(e.socket, `/containers/${name}/logs?stdout=1&stderr=1`);
        if (a.status !== 200) throw new Error(`GET /containers/${name}/logs: ${a.status}`);
        if (a.bytes < bytes) throw new Error(`the logs endpoint returned ${a.bytes} bytes of ${bytes}`);
        b.add('logs.read', e.name, l.ms / 1000);
        b.add('logs.mibs', e.name, bytes / 1048576 / (l.ms / 1000));
        b.add('logs.api', e.name, bytes / 1048576 / (a.ms / 1000));
        const t = await e.docker(['logs', '--tail', '10', name], { timeoutMs: 120_000 });
        if (t.code === 0 && t.stdout.split('\n').filter(Boolean).length === 10) b.add('logs.tail', e.name, t.ms);
        else b.fail(['logs.tail'], e.name, `docker logs --tail 10: exit ${t.code}, ${t.stdout.split('\n').filter(Boolean).length} lines: ${firstLine(t.stderr)}`);
      } finally {
        await e.docker(['rm', '-f', name]);
      }
    },
  });
}

// ---------------------------------------------------------------- load / save
export async function loadSave(b) {
  if (!b.p.loadMB || !b.p.loadReps) return;
  const archive = await bigArchive(b.workDir, b.fixturesDir, b.p.loadMB);
  const size = statSync(archive).size;
  await b.group('load', ['load.s', 'save.s'], {
    reps: b.p.loadReps,
    setup: ensureRunning,
    measure: async (e) => {
      const l = await e.docker(['load', '-i', archive], { timeoutMs: 300_000 });
      if (l.code !== 0) throw new Error(`docker load: ${firstLine(l.stderr)}`);
      b.add('load.s', e.name, l.ms / 1000);
      const out = join(b.workDir, `save-${e.name}.tar`);
      try {
        const s = await e.docker(['save', '-o', out, 'bench/big:latest'], { timeoutMs: 300_000 });
        if (s.code !== 0) throw new Error(`docker save: ${firstLine(s.stderr)}`);
        const got = existsSync(out) ? statSync(out).size : 0;
        if (got < size * 0.9) throw new Error(`docker save wrote ${got} bytes, the image is ${size}`);
        b.add('save.s', e.name, s.ms / 1000);
      } finally {
        rmSync(out, { force: true });
        await e.docker(['rmi', '-f', 'bench/big:latest']);
      }
    },
  });
}

// ---------------------------------------------------------------- pull from a local registry
/**
 * `b.registry` (started by run.mjs before the engines, so podman's registries.conf can mark it
 * insecure) holds the image; each repetition pulls it with nothing stored (the image and its
 * layers removed before), timed to `docker pull` exit, with the service's RSS sampled throughout.
 */
export async function pull(b) {
  if (!b.p.pullMB || !b.p.pullReps || !b.registry) return;
  const image = await pullImage(b.workDir, b.fixturesDir, b.p.pullMB);
  const up = await b.registry.upload('bench/pull', 'latest', image);
  const ref = `${b.registry.host}/bench/pull:latest`;
  const clear = (e) => e.docker(['rmi', '-f', ref], { timeoutMs: 120_000 });
  await b.group('pull', ['pull.s', 'pull.rss'], {
    reps: b.p.pullReps,
    setup: async (e) => {
      await ensureRunning(e);
      await clear(e);
    },
    measure: async (e) => {
      let peak = 0;
      const timer = setInterval(() => (peak = Math.max(peak, serviceMemory(e).rssKiB)), 25);
      try {
        const r = await e.docker(['pull', ref], { timeoutMs: 600_000 });
        if (r.code !== 0) throw new Error(`docker pull: ${firstLine(r.stderr)}`);
        const id = await e.docker(['inspect', '--format', '{{.Id}}', ref]);
        if (id.stdout.trim() !== `sha256:${up.id}`) throw new Error(`pulled image ID ${id.stdout.trim()}, expected sha256:${up.id}`);
        b.add('pull.s', e.name, r.ms / 1000);
      } finally {
        clearInterval(timer);
        peak = Math.max(peak, serviceMemory(e).rssKiB);
        if (peak) b.add('pull.rss', e.name, mib(peak));
        await clear(e);
      }
    },
  });
}

// ---------------------------------------------------------------- build
export async function build(b) {
  if (!b.p.buildMB || !b.p.buildReps) return;
  const ctx = join(b.workDir, 'build-ctx');
  mkdirSync(ctx, { recursive: true });
  writeFileSync(join(ctx, 'blob.bin'), randomBytes(b.p.buildMB * 1024 * 1024));
  writeFileSync(
    join(ctx, 'Dockerfile'),
    'FROM busybox\nCOPY blob.bin /data/blob.bin\nRUN echo one > /one\nRUN wc -c /data/blob.bin > /size\nRUN echo three > /three\nCMD ["cat", "/size"]\n',
  );
  await b.group('build', ['build.cold', 'build.cached'], {
    reps: b.p.buildReps,
    setup: ensureRunning,
    measure: async (e) => {
      const cold = await e.docker(['build', '--no-cache', '--network', 'none', '-t', 'bench/build:latest', ctx], { timeoutMs: 300_000 });
      if (cold.code !== 0) throw new Error(`docker build: ${firstLine(cold.stderr)}`);
      b.add('build.cold', e.name, cold.ms / 1000);
      const cached = await e.docker(['build', '--network', 'none', '-t', 'bench/build:latest', ctx], { timeoutMs: 300_000 });
      if (cached.code !== 0) throw new Error(`docker build (cached): ${firstLine(cached.stderr)}`);
      b.add('build.cached', e.name, cached.ms / 1000);
    },
  });
}

// ---------------------------------------------------------------- memory with N running
export async function running(b) {
  const n = b.p.running;
  if (!n) return;
  const metrics = ['start.N', 'rss.running', 'monitor.pss', 'monitor.rss', 'rm.N'];
  await b.group('running', metrics, {
    reps: 1,
    setup: async (e) => {
      await ensureRunning(e);
      await e.removeAllContainers();
    },
    measure: async (e) => {
      try {
        const t0 = now();
        await createContainers(e, n, { start: true, cmd: ['sleep', '3600'] });
        b.add('start.N', e.name, (now() - t0) / 1000);
        await sleep(2000);
        b.add('rss.running', e.name, mib(serviceMemory(e).rssKiB));
        const mons = e.monitorPids().map((p) => memOf(p.pid));
        if (mons.length < n) b.note('monitor.pss', e.name, `${mons.length} monitors found for ${n} containers`);
        if (mons.length) {
          b.add('monitor.pss', e.name, mons.reduce((s, m) => s + (m.pss || 0), 0) / n);
          b.add('monitor.rss', e.name, mons.reduce((s, m) => s + (m.rss || 0), 0) / n);
        } else b.fail(['monitor.pss', 'monitor.rss'], e.name, 'no monitor processes found');
      } finally {
        const t1 = now();
        const removed = await e.removeAllContainers();
        if (typeof removed === 'number' && removed >= n) b.add('rm.N', e.name, (now() - t1) / 1000);
      }
    },
  });
}

/** Quiet time before the end-of-bench RSS: the figure is what a service keeps once its work has settled. */
const SETTLE_MS = 5000;

export async function endMemory(b) {
  // Every engine gets the same quiet seconds after the last group (Go's scavenger and berth's
  // reclaimer both hand memory back once idle); the RSS trail keeps the value right after it.
  if (b.engines.some((e) => e.proc)) await sleep(SETTLE_MS);
  for (const e of b.engines) {
    if (e.proc) b.add('rss.end', e.name, mib(serviceMemory(e).rssKiB));
  }
}
