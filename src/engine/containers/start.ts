// Starting a container, as named steps: claim → mount the root → volumes → network → prepare its
// files → OCI spec → conmon and the runtime's create → mark running → connect waiting attaches →
// run the process. podman's init stops after the runtime's create (the container is 'initialized');
// its start then goes on from there. A feature that
// needs something at start (volumes, networks, healthchecks) adds a step here; a step that
// fails throws a StartFailure and `failStart` undoes what the steps did, in one place.
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { privateDir, writePrivateFile } from '../../lib/private-fs.js';
import { ConmonError, launchConmon, type ConmonLaunch, type ConmonOptions } from '../../oci/conmon.js';
import { connectAttach } from '../../oci/attach.js';
import { RuntimeError } from '../../oci/runtime.js';
import { buildSpec as buildOciSpec, specJson } from '../../oci/spec.js';
import type { ContainerRow } from '../../state/containers.js';
import { conflict, EngineError, notModified } from '../errors.js';
import { removeCgroup } from './cgroup.js';
import type { ContainerContext } from './context.js';
import { copyUp, isEmptyDir } from './copy-up.js';
import { anonymousVolumes } from './mounts.js';
import type { NetworkRunInfo } from './networking.js';
import { writeContainerEtc } from './etc.js';
import { resolveLinks } from './links.js';
import { exitDir, mountImage, mountRootfs, removeDirs, resolveUser, unmountRootfs, UserError, type ResolvedUser } from './rootfs.js';
import { runSpecInput, type RunSpecInput } from './runspec.js';
import { secretRunInput } from './secrets.js';
import type { ContainerDirs, ContainerView } from './types.js';
import { alive, cgroupsPathOf, guardedExitCommand, noSuchContainer, nowIso, parseSize } from './util.js';

/** A step could not be done: the start is undone and the client gets `kind` with `message`. */
export class StartFailure extends Error {
  constructor(
    message: string,
    /** Recorded as the container's exit code (docker's 125 / 126 / 127). */
    readonly exitCode: number,
    readonly kind: 'bad-parameter' | 'not-found' | 'conflict' | 'internal' = 'internal',
  ) {
    super(message);
  }
}

/**
 * The runtime refused what the container's own config asks for (a sysctl value, a limit, a
 * mount): berth checked what it could at create, the rest the kernel decides. Failures of the
 * host (no memory, no space, too many processes or files) and conmon's own stay the service's.
 */
function refusedConfig(e: unknown): boolean {
  if (!(e instanceof ConmonError) || !e.byRuntime) return false;
  return !/no space left on device|cannot allocate memory|resource temporarily unavailable|too many open files|read-only file system/i.test(e.message);
}

function asStartFailure(e: unknown): StartFailure {
  if (e instanceof EngineError) return new StartFailure(e.message, 125, e.kind === 'bad-parameter' || e.kind === 'not-found' || e.kind === 'conflict' ? e.kind : 'internal');
  return new StartFailure(`starting the container: ${e instanceof Error ? e.message : String(e)}`, 125);
}

/** One start in progress: what the steps learned so far. */
interface StartRun {
  id: string;
  /** A restart by the restart policy (or reconcile), not a client's start. */
  restarting: boolean;
  /** The row as the claim found it (its state before 'starting'). */
  row: ContainerRow;
  v: ContainerView;
  etc?: { hosts: string; hostname: string; resolv: string };
  user?: ResolvedUser;
  /** The network namespace it joins: its own (bridge networks) or another container's. */
  networkNsPath?: string;
  /** What its networks' setup answered (addresses, name servers); bridge networks only. */
  net?: NetworkRunInfo;
  /** The namespaces of its pod's infra container it joins, and that one's dirs (shared /etc files). */
  pod?: { ns: NonNullable<RunSpecInput['joinNs']>; infraDirs?: ContainerDirs };
  /** Its legacy links: hosts entries and variables. */
  links?: { hosts: string[]; env: string[] };
  /** Aborted by a forced removal: the steps that wait on a child process give up at once. */
  abort: AbortController;
}

export class Starter {
  constructor(
    private readonly ctx: ContainerContext,
    /** Applies an exit file that appeared before the run was marked running. */
    private readonly onEarlyExit: (id: string) => void,
  ) {}

  /** Starts the container; the caller holds its lock. */
  async start(id: string, restarting = false): Promise<void> {
    const row = this.claim(id, restarting);
    const run: StartRun = { id, restarting, row, v: this.ctx.lookups.view(row), abort: new AbortController() };
    this.ctx.starts.set(id, run.abort);
    try {
      const proc = row.state === 'initialized' ? { pid: row.pid, conmonPid: row.conmonPid } : await this.createRun(run);
      this.markRunning(run, proc);
      // Health starts over with the run (inspect never shows a running container's old verdict).
      this.ctx.healthStarted(id);
      await this.connectAttaches(run);
      await this.runProcess(run);
    } catch (e) {
      // Whatever went wrong, the start is undone: a row left in 'starting' would block the
      // container (and a `--rm` client waiting for its removal) until the next reconcile.
      return this.failStart(run, e instanceof StartFailure ? e : asStartFailure(e));
    } finally {
      if (this.ctx.starts.get(id) === run.abort) this.ctx.starts.delete(id);
    }
    this.ctx.publish(restarting ? 'restart' : 'start', id, {}, run.v);
    this.ctx.kick();
    if (existsSync(run.v.dirs.exitFile)) this.onEarlyExit(id);
  }

  /**
   * podman's init: every step of a start up to the runtime's create, so the container exists in
   * the runtime (and conmon watches it) with its process waiting to run; the caller holds its lock.
   */
  async init(id: string): Promise<void> {
    const { store } = this.ctx;
    const row = store.tx(() => {
      const cur = store.get(id);
      if (!cur) throw noSuchContainer(id);
      // podman: only a configured (created) or stopped container can be initialized.
      if (cur.state !== 'created' && cur.state !== 'exited') throw notModified(`container ${id} has already been created in runtime`);
      store.update(id, { state: 'starting', pid: process.pid });
      return cur;
    });
    const run: StartRun = { id, restarting: false, row, v: this.ctx.lookups.view(row), abort: new AbortController() };
    // A forced removal aborts an init in progress as it aborts a start.
    this.ctx.starts.set(id, run.abort);
    try {
      const proc = await this.createRun(run);
      store.tx(() =>
        store.update(id, {
          state: 'initialized', pid: proc.pid, conmonPid: proc.conmonPid, generation: row.generation + 1, exitCode: 0, error: '', oomKilled: false, stopRequested: false,
        }),
      );
    } catch (e) {
      return this.failStart(run, e instanceof StartFailure ? e : asStartFailure(e));
    } finally {
      if (this.ctx.starts.get(id) === run.abort) this.ctx.starts.delete(id);
    }
    this.ctx.publish('init', id, {}, run.v);
    this.ctx.kick();
    if (existsSync(run.v.dirs.exitFile)) this.onEarlyExit(id);
  }

  /** The steps up to the runtime's create: the container's process exists, stopped before its exec. */
  private async createRun(run: StartRun): Promise<{ pid: number; conmonPid: number }> {
    await this.forgetPreviousRun(run);
    const conmon = this.launchMonitor(run);
    try {
      await this.mountRoot(run);
      await this.prepareVolumes(run);
      await this.joinNetwork(run);
      this.joinPod(run);
      this.preparePod(run);
      this.resolveLinks(run);
      this.prepareFiles(run);
      this.writeSpec(run);
    } catch (e) {
      conmon.cancel();
      throw e;
    }
    return this.createWithConmon(run, conmon);
  }

  /**
   * Claims the start in the database: another service instance may be starting it right now,
   * and two runtimes racing on one rootfs would tear down each other's mount.
   */
  private claim(id: string, restarting: boolean): ContainerRow {
    const { store } = this.ctx;
    return store.tx(() => {
      const cur = store.get(id);
      if (!cur) throw noSuchContainer(id);
      if (cur.state === 'paused') throw conflict('cannot start a paused container, try unpause instead');
      if ((cur.state === 'running' || cur.state === 'stopping') && !restarting) throw notModified('container already started');
      if (cur.state === 'removing') throw conflict(`container ${id} is being removed`);
      if (cur.state === 'starting' && alive(cur.pid, 'node')) throw conflict(`container ${id} is already being started`);
      store.update(id, { state: 'starting', pid: process.pid });
      return cur;
    });
  }

  /** A previous run may still be known to the runtime if its teardown was interrupted. */
  private async forgetPreviousRun(run: StartRun): Promise<void> {
    if (existsSync(join(this.ctx.stateDir, run.id))) await this.ctx.runtime.delete(run.id).catch(() => undefined);
  }

  private async mountRoot(run: StartRun): Promise<void> {
    try {
      await mountRootfs(run.v.dirs, await this.ctx.images.lowerSpec(run.row.imageId));
    } catch (e) {
      throw new StartFailure(e instanceof EngineError ? e.message : `mounting the container's root filesystem: ${(e as Error).message}`, 125);
    }
  }

  /**
   * Each volume exists and is mounted (made again, empty, if it is gone; its driver's filesystem
   * mounted), each image mount's overlay is mounted, a missing Binds host path is made a
   * directory (dockerd's rule). At the container's
   * first start (dockerd seeds at create) an empty volume gets the image's content at its
   * destination, unless nocopy.
   */
  private async prepareVolumes(run: StartRun): Promise<void> {
    const first = run.row.generation === 0;
    for (const m of run.v.mounts) {
      try {
        // Only a path that is not there is made: one the service may not reach (a rootless
        // service and root's directories) says so rather than failing to make it.
        if (m.type === 'bind' && m.origin === 'binds' && !statSync(m.source, { throwIfNoEntry: false })) mkdirSync(m.source, { recursive: true, mode: 0o755 });
        if (m.type === 'image') await mountImage(m, await this.ctx.images.lowerSpec(m.image!), run.v.dirs);
        if (m.type !== 'volume') continue;
        const dir = await this.ctx.volumes.mount(m, run.id);
        if (first && !m.noCopy && isEmptyDir(dir)) await copyUp(run.v.dirs.merged, m.destination, dir);
      } catch (e) {
        const what = m.type === 'volume' ? `volume ${m.name}` : m.type === 'image' ? `image ${m.image}` : `bind source ${m.source}`;
        throw new StartFailure(e instanceof EngineError ? e.message : `preparing ${what} for ${m.destination}: ${(e as Error).message}`, 125);
      }
    }
  }

  /** /etc/hosts, hostname and resolv.conf, and the user the process runs as (from the image's passwd). */
  private prepareFiles(run: StartRun): void {
    const { Config: c, HostConfig: h } = run.v.parsed;
    const d = run.v.dirs;
    run.etc = writeContainerEtc(run.v, run.net, run.links?.hosts);
    const shared = run.pod?.infraDirs;
    if (shared) run.etc = { ...run.etc, hosts: join(shared.userdata, 'hosts'), resolv: join(shared.userdata, 'resolv.conf') };
    try {
      run.user = resolveUser(d.merged, c.User, h.GroupAdd ?? []);
    } catch (e) {
      // The image has no such user or group: the container's config, not the service, is at fault.
      if (e instanceof UserError) throw new StartFailure(e.message, 125, 'bad-parameter');
      throw e;
    }
  }

  /**
   * The network namespace: a new one set up by netavark for a network (bridge), another
   * container's for `container:X`; host and none need nothing here.
   */
  private async joinNetwork(run: StartRun): Promise<void> {
    const mode = run.v.parsed.HostConfig.NetworkMode;
    if (mode === 'host' || mode === 'none') return;
    if (!mode.startsWith('container:')) {
      run.net = await this.ctx.networks().setup({ id: run.id, name: run.row.name, generation: run.row.generation + 1, spec: run.v.parsed });
      run.networkNsPath = run.net.netnsPath;
      return;
    }
    const ref = mode.slice('container:'.length);
    const other = this.ctx.lookups.find(ref);
    if (!other || other.id === run.id) throw new StartFailure(`cannot join the network of container ${ref}: no such container`, 125, 'not-found');
    if (other.state !== 'running' && other.state !== 'paused') throw new StartFailure(`cannot join network of a non running container: ${ref}`, 125, 'conflict');
    run.networkNsPath = `/proc/${other.pid}/ns/net`;
  }

  /**
   * A pod member joins the infra container's namespaces (its network through `container:ID`,
   * above) and, sharing its network, its /etc/hosts and resolv.conf, as podman does.
   */
  private joinPod(run: StartRun): void {
    const p = run.v.parsed.pod;
    if (!p?.infraId) return;
    const infra = this.ctx.lookups.find(p.infraId);
    if (!infra || (infra.state !== 'running' && infra.state !== 'paused')) throw new StartFailure(`the infra container of pod ${p.id} is not running`, 125, 'conflict');
    const ns: NonNullable<RunSpecInput['joinNs']> = {};
    for (const t of p.share) if (t !== 'net') ns[t] = `/proc/${infra.pid}/ns/${t}`;
    run.pod = { ns, infraDirs: p.share.includes('net') ? infra.dirs : undefined };
  }

  /** The pod's share of the start (its cgroup, above the container's). */
  private preparePod(run: StartRun): void {
    const p = run.v.parsed.pod;
    if (!p) return;
    try {
      this.ctx.pods?.().prepareStart(p.id);
    } catch (e) {
      throw new StartFailure(`preparing pod ${p.id}: ${(e as Error).message}`, 125);
    }
  }

  /** docker's links: the containers they name must run; their addresses and ports become hosts entries and variables. */
  private resolveLinks(run: StartRun): void {
    if (!run.v.parsed.HostConfig.Links?.length) return;
    try {
      run.links = resolveLinks(run.v, this.ctx.lookups, this.ctx.networks());
    } catch (e) {
      throw new StartFailure((e as Error).message, 125, 'bad-parameter');
    }
  }

  /** The OCI bundle: config.json, with the files of a previous run cleared. */
  private writeSpec(run: StartRun): void {
    const { v, id } = run;
    const d = v.dirs;
    const spec = buildOciSpec(
      runSpecInput({ id, spec: v.parsed, rootfs: d.merged, user: run.user!, etc: run.etc!, cgroupsPath: cgroupsPathOf(id, v.parsed), networkNsPath: run.networkNsPath, extraEnv: run.links?.env, joinNs: run.pod?.ns, secrets: secretRunInput(v.parsed.secrets, d.base) }),
    );
    privateDir(d.bundle);
    writePrivateFile(join(d.bundle, 'config.json'), specJson(spec));
    for (const f of [d.exitFile, join(d.bundle, 'oom'), join(d.bundle, 'attach'), join(d.bundle, 'pidfile')]) rmSync(f, { force: true });
    privateDir(d.userdata);
  }

  /**
   * conmon, spawned before the steps that prepare the bundle and held on its start pipe: its
   * start overlaps with theirs. (Not earlier, at create: a create need not be followed by a
   * start, and a monitor spawned for a start that never comes is a process the work did not need.)
   */
  private launchMonitor(run: StartRun): ConmonLaunch {
    let o: ConmonOptions;
    try {
      this.monitorDirs(run.v.dirs);
      o = this.monitorOptions(run.row, run.v);
    } catch (e) {
      throw new StartFailure(`OCI runtime create failed: ${e instanceof Error ? e.message : String(e)}`, 125);
    }
    const launch = launchConmon(o);
    launch.bind(run.abort.signal);
    return launch;
  }

  /**
   * What conmon opens at once is there already (the bundle dir, its cwd and attach socket's
   * home; the log's dir); a previous run's config.json and conmon.pid go first, so a conmon let
   * go early (this process gone) finds no spec to create from, and no stale pid is taken for its own.
   */
  private monitorDirs(d: ContainerDirs): void {
    privateDir(d.base);
    privateDir(d.run);
    privateDir(d.bundle);
    privateDir(d.userdata);
    for (const f of ['config.json', 'conmon.pid']) rmSync(join(d.bundle, f), { force: true });
  }

  private monitorOptions(row: ContainerRow, v: ContainerView): ConmonOptions {
    const { ctx } = this;
    const { Config: c, HostConfig: h } = v.parsed;
    const d = v.dirs;
    const id = row.id;
    return {
      conmonPath: ctx.tools.conmon(),
      runtimePath: ctx.runtime.info.path,
      runtimeArgs: ['--root', ctx.stateDir],
      id,
      name: row.name,
      bundle: d.bundle,
      pidFile: join(d.bundle, 'pidfile'),
      conmonPidFile: join(d.bundle, 'conmon.pid'),
      exitDir: exitDir(ctx.paths),
      logPath: h.LogConfig?.Type === 'none' ? undefined : d.logPath,
      terminal: c.Tty,
      stdin: c.OpenStdin,
      // Without a TTY, podman closes the container's stdin when the attached client's stdin
      // ends, docker only with StdinOnce. A TTY stays open for the next attach (detach keys).
      stdinOnce: !c.Tty && (c.StdinOnce || v.parsed.flavor === 'podman'),
      logSizeMax: parseSize(h.LogConfig?.Config?.['max-size']),
      exitCommand: guardedExitCommand(d.exitFile, [...ctx.exitCommand, '--root', ctx.paths.root, '--runroot', ctx.paths.runRoot, 'container', 'cleanup', id]),
    };
  }

  /** conmon runs the runtime's create: the container's process exists, stopped before its exec. */
  private async createWithConmon(run: StartRun, conmon: ConmonLaunch): Promise<{ pid: number; conmonPid: number }> {
    const { ctx } = this;
    const { id, v } = run;
    try {
      return await conmon.go();
    } catch (e) {
      const msg = e instanceof ConmonError ? e.message : String(e);
      await ctx.runtime.delete(id).catch(() => undefined);
      // A runtime killed half-way never removed the cgroup it made.
      removeCgroup(cgroupsPathOf(id, v.parsed));
      const code = /executable file not found|no such file or directory/i.test(msg) ? 127 : /permission denied/i.test(msg) ? 126 : 125;
      throw new StartFailure(`OCI runtime create failed: ${msg}`, code, code !== 125 || refusedConfig(e) ? 'bad-parameter' : 'internal');
    }
  }

  /** Live before `runtime start`: an instant exit must find a running row to record. */
  private markRunning(run: StartRun, proc: { pid: number; conmonPid: number }): void {
    const { store } = this.ctx;
    // An initialized container's run began at its init.
    const generation = run.row.state === 'initialized' ? run.row.generation : run.row.generation + 1;
    store.tx(() =>
      store.update(run.id, {
        state: 'running', pid: proc.pid, conmonPid: proc.conmonPid, startedAt: nowIso(), generation, exitCode: 0,
        error: '', oomKilled: false, ...(run.restarting ? {} : { stopRequested: false }),
      }),
    );
  }

  /** Sessions that attached before the start connect now, before the process runs: no output is lost. */
  private connectAttaches(run: StartRun): Promise<void> {
    return this.ctx.pending.connect(run.id, () => connectAttach(run.v.dirs.bundle));
  }

  /** The runtime's start: the container's process execs its command. */
  private async runProcess(run: StartRun): Promise<void> {
    try {
      await this.ctx.runtime.start(run.id);
    } catch (e) {
      const msg = e instanceof RuntimeError ? e.message : String(e);
      await this.ctx.runtime.kill(run.id, 'KILL').catch(() => undefined);
      throw new StartFailure(`OCI runtime start failed: ${msg}`, 125);
    }
  }

  /**
   * Undoes a failed start: unmounts, records the failure (or removes an --rm container), fails
   * waiting attach sessions, then throws the failure as the client's error.
   */
  private async failStart(run: StartRun, f: StartFailure): Promise<never> {
    const { ctx } = this;
    const { id, row, v } = run;
    await ctx.networks().teardown(id, row.generation + 1).catch(() => undefined);
    await unmountRootfs(v.dirs).catch(() => undefined);
    let volumes: string[] = [];
    const removed = ctx.store.tx(() => {
      const cur = ctx.store.get(id);
      if (!cur) return true;
      if (v.parsed.HostConfig.AutoRemove) {
        ctx.store.recordRemovedExit(id, cur.name, f.exitCode);
        ctx.store.delete(id);
        volumes = ctx.volumes.dropAnonymous(anonymousVolumes(v.mounts));
        return true;
      }
      ctx.store.update(id, { state: row.state === 'created' || row.finishedAt === '' ? 'created' : 'exited', exitCode: f.exitCode, error: f.message, pid: 0, conmonPid: 0 });
      return false;
    });
    ctx.pending.fail(id, 'container stopped before it was attached');
    if (removed) {
      await removeDirs(v.dirs);
      await ctx.volumes.destroy(volumes).catch(() => undefined);
      ctx.publish('destroy', id, {}, v);
    }
    ctx.kick();
    throw new EngineError(f.kind, f.message, f.message);
  }
}
