import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import type { StoragePaths } from '../../config/paths.js';
import { ContainerStore, type ContainerRow } from '../../state/containers.js';
import { buildSpec as buildOciSpec } from '../../oci/spec.js';
import { Runtime, RuntimeError } from '../../oci/runtime.js';
import type { Toolchain } from '../engine.js';
import { ConmonError, startConmon } from '../../oci/conmon.js';
import { connectAttach } from '../../oci/attach.js';
import { readLog, readLogBatches, type LogLine } from '../../oci/logfile.js';
import { resizeConsole } from '../../oci/console-ctl.js';
import { cgroupOomKilled } from '../../oci/oom.js';
import { badParameter, conflict, EngineError, internal, notModified } from '../errors.js';
import type { EventBus } from '../events.js';
import { buildSpec, newId, randomName, validateName, type CreateRequest } from './create.js';
import {
  containerDirs, exitDir, mountPoints, mountRootfs, removeDirs, resolveUser, runtimeStateDir, unmountRootfs, UserError, writeEtcFiles,
  type ContainerDirs,
} from './rootfs.js';
import { runSpecInput } from './runspec.js';
import { parseSignal } from './signals.js';
import { LIVE_STATES, type ContainerSpec, type HostConfig, type ImageSource } from './types.js';
import { AttachSession, PendingAttaches, type AttachOptions } from './attach.js';
import { Waiters } from './waiters.js';
import { planUpdate } from './update.js';
import { shouldRestart, restartDelayMs } from './restart-policy.js';
import { alive, cgroupsPathOf, dirSize, guardedExitCommand, isLive, nowIso, noSuchContainer, parseSize } from './util.js';

// Helpers other modules import from here.
export { alive, dirSize, isLive, nowIso, noSuchContainer } from './util.js';

export interface ContainerServiceOptions {
  paths: StoragePaths;
  db: Database;
  events: EventBus;
  images: ImageSource;
  /** argv prefix conmon runs when the container exits; berth appends `container cleanup ...`. */
  exitCommand: string[];
  /** The service watches the exit dir and reconciles; `container cleanup` does neither. */
  service: boolean;
  tools: Toolchain;
}

/** A container as the engine reports it: the row plus its parsed spec and paths. */
export interface ContainerView extends ContainerRow {
  parsed: ContainerSpec;
  dirs: ContainerDirs;
}

export interface ExitClaim {
  row: ContainerRow;
  view: ContainerView;
  dirs: ContainerDirs;
  removed: boolean;
  restart: boolean;
}

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

/**
 * Container lifecycle over conmon and an OCI runtime. State lives in SQLite only: any number of
 * service and cleanup processes may act on the same containers, each transition is one
 * IMMEDIATE transaction, and nothing here keeps state that another process would miss.
 */
export class ContainerService {
  readonly store: ContainerStore;
  private rt: Runtime | undefined;
  private readonly stateDir: string;
  private locks = new Map<string, Promise<unknown>>();
  private waiters = new Waiters();
  private watcher: FSWatcher | undefined;
  /** Attach sessions waiting for their container's next start (docker run attaches first). */
  private pending = new PendingAttaches();
  /** Containers whose exit teardown/restart is in progress in this process. */
  private handling = new Set<string>();

  constructor(readonly o: ContainerServiceOptions) {
    this.store = new ContainerStore(o.db);
    this.stateDir = runtimeStateDir(o.paths);
    mkdirSync(exitDir(o.paths), { recursive: true });
    if (o.service) {
      this.watchExits();
      void this.reconcile();
    }
  }

  /** The runtime, chosen on first use: a service with a broken runtime still lists and inspects. */
  private get runtime(): Runtime {
    return (this.rt ??= new Runtime(this.o.tools.runtime(), this.stateDir));
  }

  get runtimeName(): string {
    return this.runtime.info.name;
  }

  // ---- lookups -------------------------------------------------------------------------------

  /**
   * Parsed specs and paths by container: a spec only changes on update, so listing a thousand
   * containers parses none of them again (the stored text is compared, not trusted to be fresh).
   */
  private views = new Map<string, { spec: string; parsed: ContainerSpec; dirs: ContainerDirs }>();

  private view(row: ContainerRow): ContainerView {
    let c = this.views.get(row.id);
    if (!c || c.spec !== row.spec) {
      c = { spec: row.spec, parsed: JSON.parse(row.spec) as ContainerSpec, dirs: c?.dirs ?? containerDirs(this.o.paths, row.id) };
      this.views.set(row.id, c);
    }
    return { ...row, parsed: c.parsed, dirs: c.dirs };
  }

  find(ref: string): ContainerView | undefined {
    const r = this.store.lookup(ref);
    if (r === 'ambiguous') throw badParameter(`multiple containers found with prefix ${ref}`);
    return r && this.view(r);
  }

  get(ref: string): ContainerView {
    const v = this.find(ref);
    if (!v) throw noSuchContainer(ref);
    return v;
  }

  list(): ContainerView[] {
    const rows = this.store.list();
    // Containers removed by other processes leave cached views behind: drop them now and then.
    if (this.views.size > rows.length + 64) {
      const live = new Set(rows.map((r) => r.id));
      for (const id of this.views.keys()) if (!live.has(id)) this.views.delete(id);
    }
    return rows.map((r) => this.view(r));
  }

  counts() {
    return this.store.counts();
  }

  usesImage(imageId: string): boolean {
    return this.store.usesImage(imageId);
  }

  /** For the image store's removal check: which containers use an image. */
  containersOfImage(imageId: string): { id: string; running: boolean }[] {
    return this.store.byImage(imageId).map((r) => ({ id: r.id, running: isLive(r.state) }));
  }

  // ---- create --------------------------------------------------------------------------------

  async create(req: CreateRequest): Promise<{ id: string; warnings: string[] }> {
    const ref = req.config.Image;
    if (!ref) throw badParameter('config.Image is required');
    const net = req.hostConfig?.NetworkMode ?? '';
    // A 404 here would make the docker CLI try to pull the image: name the problem as a 400.
    if (net.startsWith('container:') && !this.find(net.slice('container:'.length))) throw badParameter(`cannot join the network of container ${net.slice('container:'.length)}: no such container`);
    const name = req.name ? validateName(req.name) : undefined;
    if (name && this.store.nameTaken(name)) throw this.nameConflict(name);
    const image = await this.o.images.resolve(ref);
    const id = newId();
    const { spec, warnings } = buildSpec(req, image, id);
    if (spec.HostConfig.Init) {
      const init = this.o.tools.init();
      if (!init) throw badParameter('--init requested but neither catatonit nor tini is installed');
      spec.initPath = init;
    }
    let finalName = name;
    try {
      this.store.tx(() => {
        finalName ??= randomName((n) => this.store.nameTaken(n));
        if (this.store.nameTaken(finalName)) throw this.nameConflict(finalName);
        this.store.insert({
          id, name: finalName, image: ref, imageId: image.id, created: nowIso(), spec: JSON.stringify(spec),
          state: 'created', pid: 0, conmonPid: 0, exitCode: 0, error: '', oomKilled: false, startedAt: '',
          finishedAt: '', restartCount: 0, stopRequested: false, generation: 0,
        });
      });
    } catch (e) {
      if (e instanceof EngineError) throw e;
      if (/UNIQUE constraint failed: containers.name/.test(String(e))) throw this.nameConflict(finalName!);
      throw e;
    }
    this.publish('create', id);
    return { id, warnings };
  }

  private nameConflict(name: string): EngineError {
    const other = this.store.lookup(name);
    const oid = other && other !== 'ambiguous' ? other.id : '';
    return conflict(`Conflict. The container name "/${name}" is already in use by container "${oid}". You have to remove (or rename) that container to be able to reuse that name.`);
  }

  // ---- start ---------------------------------------------------------------------------------

  async start(ref: string): Promise<void> {
    const v = this.get(ref);
    await this.withLock(v.id, () => this.startLocked(v.id));
  }

  private async startLocked(id: string, restarting = false): Promise<void> {
    // Claim the start in the database: another service instance may be starting it right now,
    // and two runtimes racing on one rootfs would tear down each other's mount.
    const row = this.store.tx(() => {
      const cur = this.store.get(id);
      if (!cur) throw noSuchContainer(id);
      if (cur.state === 'paused') throw conflict('cannot start a paused container, try unpause instead');
      if ((cur.state === 'running' || cur.state === 'stopping') && !restarting) throw notModified('container already started');
      if (cur.state === 'removing') throw conflict(`container ${id} is being removed`);
      if (cur.state === 'starting' && alive(cur.pid, 'node')) throw conflict(`container ${id} is already being started`);
      this.store.update(id, { state: 'starting', pid: process.pid });
      return cur;
    });
    const v = this.view(row);
    const { Config: c, HostConfig: h } = v.parsed;
    const d = v.dirs;
    // A previous run may still be known to the runtime if its teardown was interrupted.
    if (existsSync(join(this.stateDir, id))) await this.runtime.delete(id).catch(() => undefined);
    const failStart = async (msg: string, exitCode: number, kind: 'bad-parameter' | 'internal'): Promise<never> => {
      await unmountRootfs(d).catch(() => undefined);
      const removed = this.store.tx(() => {
        const cur = this.store.get(id);
        if (!cur) return true;
        if (h.AutoRemove) {
          this.store.recordRemovedExit(id, cur.name, exitCode);
          this.store.delete(id);
          return true;
        }
        this.store.update(id, { state: row.state === 'created' || row.finishedAt === '' ? 'created' : 'exited', exitCode, error: msg, pid: 0, conmonPid: 0 });
        return false;
      });
      this.closePendingAttach(id);
      if (removed) {
        removeDirs(d);
        this.publish('destroy', id, {}, v);
      }
      this.kick();
      throw new EngineError(kind, msg, msg);
    };
    try {
      await mountRootfs(d, await this.o.images.lowerSpec(row.imageId));
    } catch (e) {
      const msg = e instanceof EngineError ? e.message : `mounting the container's root filesystem: ${(e as Error).message}`;
      return failStart(msg, 125, 'internal');
    }
    const etc = writeEtcFiles(d, {
      hostname: c.Hostname,
      domainname: c.Domainname,
      hostNetwork: h.NetworkMode === 'host',
      extraHosts: h.ExtraHosts ?? [],
      dns: h.Dns ?? [],
      dnsSearch: h.DnsSearch ?? [],
      dnsOptions: h.DnsOptions ?? [],
    });
    let user;
    try {
      user = resolveUser(d.merged, c.User, h.GroupAdd ?? []);
    } catch (e) {
      if (e instanceof UserError) return failStart(e.message, 125, 'internal');
      throw e;
    }
    let networkNsPath: string | undefined;
    if (h.NetworkMode.startsWith('container:')) {
      const ref = h.NetworkMode.slice('container:'.length);
      const other = this.find(ref);
      if (!other || other.id === id) return failStart(`cannot join the network of container ${ref}: no such container`, 125, 'internal');
      if (other.state !== 'running' && other.state !== 'paused') return failStart(`cannot join network of a non running container: ${ref}`, 125, 'internal');
      networkNsPath = `/proc/${other.pid}/ns/net`;
    }
    const spec = buildOciSpec(
      runSpecInput({ id, spec: v.parsed, rootfs: d.merged, user, etc, cgroupsPath: cgroupsPathOf(id, v.parsed), networkNsPath }),
    );
    mkdirSync(d.bundle, { recursive: true });
    writeFileSync(join(d.bundle, 'config.json'), JSON.stringify(spec));
    for (const f of [d.exitFile, join(d.bundle, 'oom'), join(d.bundle, 'attach'), join(d.bundle, 'pidfile')]) rmSync(f, { force: true });
    mkdirSync(d.userdata, { recursive: true });

    let res;
    try {
      res = await startConmon({
        conmonPath: this.o.tools.conmon(),
        runtimePath: this.runtime.info.path,
        runtimeArgs: ['--root', this.stateDir],
        id,
        name: row.name,
        bundle: d.bundle,
        pidFile: join(d.bundle, 'pidfile'),
        conmonPidFile: join(d.bundle, 'conmon.pid'),
        exitDir: exitDir(this.o.paths),
        logPath: h.LogConfig?.Type === 'none' ? undefined : d.logPath,
        terminal: c.Tty,
        stdin: c.OpenStdin,
        // Without a TTY, podman closes the container's stdin when the attached client's stdin
        // ends, docker only with StdinOnce. A TTY stays open for the next attach (detach keys).
        stdinOnce: !c.Tty && (c.StdinOnce || v.parsed.flavor === 'podman'),
        logSizeMax: parseSize(h.LogConfig?.Config?.['max-size']),
        exitCommand: guardedExitCommand(d.exitFile, [...this.o.exitCommand, '--root', this.o.paths.root, '--runroot', this.o.paths.runRoot, 'container', 'cleanup', id]),
      });
    } catch (e) {
      const msg = e instanceof ConmonError ? e.message : String(e);
      await this.runtime.delete(id).catch(() => undefined);
      const code = /executable file not found|no such file or directory/i.test(msg) ? 127 : /permission denied/i.test(msg) ? 126 : 125;
      return failStart(`OCI runtime create failed: ${msg}`, code, code === 125 ? 'internal' : 'bad-parameter');
    }
    // Live before `runtime start`: an instant exit must find a running row to record.
    const gen = row.generation + 1;
    this.store.tx(() =>
      this.store.update(id, {
        state: 'running', pid: res.pid, conmonPid: res.conmonPid, startedAt: nowIso(), generation: gen, exitCode: 0,
        error: '', oomKilled: false, ...(restarting ? {} : { stopRequested: false }),
      }),
    );
    await this.connectPendingAttach(id, d);
    try {
      await this.runtime.start(id);
    } catch (e) {
      const msg = e instanceof RuntimeError ? e.message : String(e);
      await this.runtime.kill(id, 'KILL').catch(() => undefined);
      return failStart(`OCI runtime start failed: ${msg}`, 125, 'internal');
    }
    this.publish(restarting ? 'restart' : 'start', id, {}, v);
    this.kick();
    if (existsSync(d.exitFile)) void this.handleExit(id);
  }

  // ---- exits ---------------------------------------------------------------------------------

  private watchExits(): void {
    try {
      this.watcher = watch(exitDir(this.o.paths), (_ev, file) => {
        if (file && /^[0-9a-f]{64}$/.test(String(file))) void this.handleExit(String(file));
      });
      this.watcher.unref();
    } catch {
      /* polling in waiters still notices exits recorded by cleanup processes */
    }
  }

  /**
   * Applies conmon's exit file: records the exit, then tears down and applies --rm or the restart
   * policy. Runs in the service (inotify) and in `container cleanup` (conmon's exit command);
   * whichever claims the row in its transaction does the work, the other finds nothing to do.
   */
  async handleExit(id: string): Promise<void> {
    const claim = this.claimExit(id);
    if (claim) await this.finishExit(claim);
  }

  /** The synchronous half: one transaction records the exit (or removes an --rm container). */
  claimExit(id: string): ExitClaim | undefined {
    const d = containerDirs(this.o.paths, id);
    let text: string;
    try {
      text = readFileSync(d.exitFile, 'utf8').trim();
    } catch {
      return undefined;
    }
    if (text === '') return undefined; // conmon is still writing it; the next event brings the rest
    const code = Number.parseInt(text, 10);
    const exitCode = Number.isNaN(code) || code < 0 ? 137 : code;
    let oom = existsSync(join(d.bundle, 'oom'));
    let keepFile = false;
    const claim = this.store.tx(() => {
      const row = this.store.get(id);
      if (row && !oom) oom = cgroupOomKilled(cgroupsPathOf(id, JSON.parse(row.spec) as ContainerSpec));
      // A start in progress owns the file's future: never drop an exit we could not apply yet.
      if (row?.state === 'starting') keepFile = true;
      if (!row || !isLive(row.state) || row.state === 'restarting') return undefined;
      const spec = JSON.parse(row.spec) as ContainerSpec;
      const restart = shouldRestart(spec.HostConfig.RestartPolicy, exitCode, row);
      const finishedAt = nowIso();
      if (spec.HostConfig.AutoRemove) {
        this.store.recordRemovedExit(id, row.name, exitCode);
        this.store.delete(id);
        return { row, removed: true, restart: false };
      }
      this.store.update(id, { state: restart ? 'restarting' : 'exited', exitCode, finishedAt, pid: 0, conmonPid: 0, oomKilled: oom });
      return { row, removed: false, restart };
    });
    if (!keepFile) rmSync(d.exitFile, { force: true });
    if (!claim) return undefined;
    const view = this.view(claim.row);
    if (oom) this.publish('oom', id, {}, view);
    this.publish('die', id, { exitCode: String(exitCode) }, view);
    this.kick();
    return { ...claim, view, dirs: d };
  }

  /** The slow half: unmount, forget the runtime state, then --rm or restart. */
  async finishExit(claim: ExitClaim): Promise<void> {
    const id = claim.row.id;
    const d = claim.dirs;
    this.handling.add(id);
    try {
      await this.withLock(id, async () => {
        await this.teardown(id, d);
        if (claim.removed) {
          removeDirs(d);
          this.publish('destroy', id, {}, claim.view);
          this.kick();
          return;
        }
        if (!claim.restart) return;
        await new Promise((r) => setTimeout(r, restartDelayMs(claim.row.restartCount)));
        const go = this.store.tx(() => {
          const cur = this.store.get(id);
          if (!cur || cur.state !== 'restarting' || cur.stopRequested) {
            if (cur?.state === 'restarting') this.store.update(id, { state: 'exited' });
            return false;
          }
          this.store.update(id, { restartCount: cur.restartCount + 1 });
          return true;
        });
        if (!go) return this.kick();
        await this.startLocked(id, true).catch(() => this.kick());
      });
    } finally {
      this.handling.delete(id);
    }
  }

  /**
   * Called while someone waits on a live container: applies an exit file the watcher missed,
   * and stands in for a conmon that died (killed, OOM) by writing the exit file it never will
   * once the container's process is gone too.
   */
  private noticeExit(r: ContainerRow): Promise<void> | undefined {
    if (!isLive(r.state) || r.state === 'restarting') return undefined;
    const d = containerDirs(this.o.paths, r.id);
    if (existsSync(d.exitFile)) return this.handleExit(r.id);
    if (!r.conmonPid || alive(r.conmonPid, 'conmon') || this.containerProcessAlive(r)) return undefined;
    try {
      writeFileSync(`${d.exitFile}.tmp`, '137');
      renameSync(`${d.exitFile}.tmp`, d.exitFile);
    } catch {
      return undefined;
    }
    return this.handleExit(r.id);
  }

  /** The container's init still runs: the runtime knows it and its pid is not a zombie. */
  private containerProcessAlive(r: ContainerRow): boolean {
    if (!r.pid || !existsSync(join(this.stateDir, r.id))) return false;
    return alive(r.pid, '');
  }

  private async teardown(id: string, d: ContainerDirs): Promise<void> {
    await unmountRootfs(d).catch(() => undefined);
    // A container the runtime never knew (created, never started) needs no `runc delete`.
    if (existsSync(join(this.stateDir, id))) await this.runtime.delete(id).catch(() => undefined);
  }

  /**
   * After a restart of the service: apply exit files that arrived while nobody watched, notice
   * containers whose conmon died without one, and finish interrupted removals.
   */
  reconcile(): Promise<void> {
    const slow: Promise<unknown>[] = [];
    for (const row of this.store.byState('starting')) {
      if (alive(row.pid, 'node')) continue;
      // Its starter died half-way: whatever it left (conmon, mount) is cleaned up, the run never was.
      slow.push(this.withLock(row.id, async () => {
        const cur = this.store.get(row.id);
        if (cur?.state !== 'starting' || alive(cur.pid, 'node')) return;
        const d = containerDirs(this.o.paths, row.id);
        await this.runtime.kill(row.id, 9).catch(() => undefined);
        await this.teardown(row.id, d);
        this.store.tx(() => this.store.update(row.id, { state: cur.finishedAt ? 'exited' : 'created', pid: 0, conmonPid: 0, error: 'interrupted while starting' }));
      }));
    }
    for (const row of this.store.byState(...LIVE_STATES, 'removing')) {
      const d = containerDirs(this.o.paths, row.id);
      if (row.state === 'removing') {
        slow.push(this.withLock(row.id, async () => {
          await this.teardown(row.id, d);
          removeDirs(d);
          this.store.tx(() => this.store.delete(row.id));
        }));
        continue;
      }
      const claim = this.claimExit(row.id);
      if (claim) {
        slow.push(this.finishExit(claim));
        continue;
      }
      if (row.state === 'restarting') {
        // Its restarter died with the previous process; start it from here.
        slow.push(this.withLock(row.id, async () => {
          const cur = this.store.get(row.id);
          if (cur?.state !== 'restarting' || cur.stopRequested) return;
          this.store.tx(() => this.store.update(row.id, { restartCount: cur.restartCount + 1 }));
          await this.startLocked(row.id, true).catch(() => undefined);
        }));
        continue;
      }
      // conmon gone without an exit file (killed, or the host rebooted): the exit is ours to record,
      // and the restart policy applies as for any exit (always/unless-stopped come back, as in dockerd).
      const p = this.noticeExit(row);
      if (p) slow.push(p);
    }
    // An exit handled by a process that died before its teardown leaves a mount behind.
    const mounted = mountPoints(join(this.o.paths.runRoot, 'containers'));
    for (const row of this.store.byState('exited', 'created')) {
      const d = containerDirs(this.o.paths, row.id);
      if (mounted.has(d.merged) && !this.handling.has(row.id)) slow.push(this.withLock(row.id, () => this.teardown(row.id, d)));
    }
    this.kick();
    return Promise.allSettled(slow).then(() => this.kick());
  }

  // ---- signals -------------------------------------------------------------------------------

  async kill(ref: string, signal?: string): Promise<void> {
    const v = this.get(ref);
    const sig = parseSignal(signal, 'SIGKILL');
    if (!isLive(v.state) || v.state === 'restarting') throw conflict(`Cannot kill container: ${ref}: Container ${v.id} is not running`);
    // As in docker: only SIGKILL or the stop signal count as the user stopping it (no restart).
    if (sig === 9 || sig === parseSignal(v.parsed.Config.StopSignal, 'SIGTERM')) {
      this.store.tx(() => this.store.update(v.id, { stopRequested: true }));
    }
    await this.signal(v, sig);
  }

  private async signal(v: ContainerView, sig: number): Promise<void> {
    try {
      await this.runtime.kill(v.id, sig);
    } catch (e) {
      const cur = this.store.get(v.id);
      if (cur && isLive(cur.state) && !/not running|process already finished|container not running/i.test((e as Error).message)) {
        throw internal(`cannot send signal ${sig}: ${(e as Error).message}`);
      }
    }
    this.publish('kill', v.id, { signal: String(sig) }, v);
    // A frozen process only sees the signal once thawed; docker does the same for kill and stop.
    if (v.state === 'paused' && (sig === 9 || sig === parseSignal(v.parsed.Config.StopSignal, 'SIGTERM'))) {
      await this.runtime.resume(v.id).catch(() => undefined);
      this.store.tx(() => {
        const cur = this.store.get(v.id);
        if (cur?.state === 'paused') this.store.update(v.id, { state: 'running' });
      });
    }
  }

  async stop(ref: string, timeoutSec?: number, signal?: string): Promise<void> {
    const v = this.get(ref);
    if (!isLive(v.state)) throw notModified('container already stopped');
    const sig = parseSignal(signal || v.parsed.Config.StopSignal, 'SIGTERM');
    const t = timeoutSec ?? v.parsed.Config.StopTimeout ?? 10;
    await this.withLock(v.id, () => this.stopLocked(v.id, sig, t));
    this.publish('stop', v.id, {}, v);
  }

  private async stopLocked(id: string, sig: number, timeoutSec: number): Promise<void> {
    const row = this.store.get(id);
    if (!row || !isLive(row.state)) return;
    this.store.tx(() => this.store.update(id, { stopRequested: true }));
    if (row.state === 'restarting') {
      this.store.tx(() => this.store.update(id, { state: 'exited' }));
      return this.kick();
    }
    const v = this.view(row);
    if (timeoutSec !== 0) {
      await this.signal(v, sig);
      if (await this.waitExit(id, row.generation, timeoutSec < 0 ? undefined : timeoutSec * 1000)) return;
    }
    await this.signal({ ...v, state: this.store.get(id)?.state ?? v.state }, 9);
    if (!(await this.waitExit(id, row.generation, 30_000))) throw internal(`container ${id} did not exit after SIGKILL`);
  }

  /** Resolves true once run `gen` of the container is recorded as ended (or it is gone). */
  private waitExit(id: string, gen: number, ms?: number): Promise<boolean> {
    return this.waitFor(() => {
      const r = this.store.get(id);
      if (!r || r.generation !== gen || !isLive(r.state) || r.state === 'restarting') return true;
      void this.noticeExit(r);
      return undefined;
    }, ms).then((x) => x === true);
  }

  async restart(ref: string, timeoutSec?: number, signal?: string): Promise<void> {
    const v = this.get(ref);
    await this.withLock(v.id, async () => {
      const row = this.store.get(v.id);
      if (row && isLive(row.state)) {
        const sig = parseSignal(signal || v.parsed.Config.StopSignal, 'SIGTERM');
        await this.stopLocked(v.id, sig, timeoutSec ?? v.parsed.Config.StopTimeout ?? 10);
        // Let the exit handler finish its teardown before the new run (it waits on this lock).
        await this.waitFor(() => (this.handling.has(v.id) ? undefined : true), 5000);
      }
    });
    // The exit handler takes the lock for teardown; start after it.
    await this.withLock(v.id, async () => {
      const cur = this.store.get(v.id);
      if (!cur) throw noSuchContainer(ref);
      if (!isLive(cur.state)) await this.startLocked(v.id);
    });
    this.publish('restart', v.id, {}, v);
  }

  async pause(ref: string): Promise<void> {
    const v = this.get(ref);
    await this.withLock(v.id, async () => {
      const r = this.store.get(v.id)!;
      if (r.state === 'paused') throw conflict(`Container ${v.id} is already paused`);
      if (r.state !== 'running') throw conflict(`Container ${v.id} is not running`);
      await this.runtime.pause(v.id).catch((e: Error) => {
        throw internal(`cannot pause container: ${e.message}`);
      });
      this.store.tx(() => this.store.update(v.id, { state: 'paused' }));
    });
    this.publish('pause', v.id, {}, v);
  }

  async unpause(ref: string): Promise<void> {
    const v = this.get(ref);
    await this.withLock(v.id, async () => {
      const r = this.store.get(v.id)!;
      if (r.state !== 'paused') throw conflict(`Container ${v.id} is not paused`);
      await this.runtime.resume(v.id).catch((e: Error) => {
        throw internal(`cannot unpause container: ${e.message}`);
      });
      this.store.tx(() => this.store.update(v.id, { state: 'running' }));
    });
    this.publish('unpause', v.id, {}, v);
  }

  // ---- remove, rename, update ----------------------------------------------------------------

  async remove(ref: string, opts: { force?: boolean } = {}): Promise<string> {
    const v = this.get(ref);
    await this.withLock(v.id, async () => {
      const row = this.store.get(v.id);
      if (!row) return;
      if (row.state === 'starting' && !opts.force) throw conflict(`container ${v.id} is starting`);
      if (isLive(row.state)) {
        if (!opts.force) {
          const what = row.state === 'paused' ? 'paused' : 'running';
          throw conflict(`You cannot remove a ${what} container ${v.id}. Stop the container before attempting removal or force remove`);
        }
        await this.stopLocked(v.id, 9, 0);
      }
      const gone = this.store.tx(() => {
        const cur = this.store.get(v.id);
        if (!cur) return true;
        if (isLive(cur.state)) throw conflict(`container ${v.id} is still running`);
        this.store.update(v.id, { state: 'removing' });
        return false;
      });
      await this.teardown(v.id, v.dirs);
      removeDirs(v.dirs);
      if (!gone) this.store.tx(() => this.store.delete(v.id));
      this.views.delete(v.id);
    });
    this.closePendingAttach(v.id);
    this.publish('destroy', v.id, {}, v);
    this.kick();
    return v.id;
  }

  rename(ref: string, newName: string): void {
    const v = this.get(ref);
    const name = validateName(newName);
    if (name === v.name) throw conflict(`Renaming a container with the same name as its current name`);
    this.store.tx(() => {
      if (this.store.nameTaken(name)) throw this.nameConflict(name);
      this.store.update(v.id, { name });
    });
    this.publish('rename', v.id, { oldName: `/${v.name}` }, { ...v, name });
  }

  async update(ref: string, u: Partial<HostConfig>): Promise<string[]> {
    const v = this.get(ref);
    const { hostConfig: h, runtimeFlags: flags } = planUpdate(v.parsed.HostConfig, u);
    await this.withLock(v.id, async () => {
      const row = this.store.get(v.id);
      if (!row) throw noSuchContainer(ref);
      if (flags.length && isLive(row.state) && row.state !== 'restarting') {
        await this.runtime.run(['update', ...flags, v.id]).catch((e: Error) => {
          throw internal(`Cannot update container ${v.id}: ${e.message}`);
        });
      }
      this.store.tx(() => {
        const cur = this.store.get(v.id);
        if (!cur) return;
        const spec = JSON.parse(cur.spec) as ContainerSpec;
        spec.HostConfig = h;
        this.store.update(v.id, { spec: JSON.stringify(spec) });
      });
    });
    this.publish('update', v.id, {}, v);
    return [];
  }

  async prune(keep: (v: ContainerView) => boolean = () => false): Promise<{ deleted: string[]; reclaimed: number }> {
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const v of this.list()) {
      if (isLive(v.state) || v.state === 'removing' || keep(v)) continue;
      const size = dirSize(v.dirs.upper);
      try {
        await this.remove(v.id);
        deleted.push(v.id);
        reclaimed += size;
      } catch {
        /* raced with a start: keep it */
      }
    }
    return { deleted, reclaimed };
  }

  // ---- wait ----------------------------------------------------------------------------------

  /**
   * docker's wait: `not-running` returns at once for a stopped container, `next-exit` waits for
   * the next exit, `removed` for the removal. Auto-removed containers still report their code.
   */
  async wait(ref: string, condition: WaitCondition = 'not-running', signal?: AbortSignal): Promise<{ exitCode: number; error?: string }> {
    const v = this.get(ref);
    const id = v.id;
    const startGen = v.generation;
    const startFinished = v.finishedAt;
    const res = await this.waitFor(() => {
      const r = this.store.get(id);
      if (!r) return { exitCode: this.store.removedExit(id) ?? v.exitCode };
      void this.noticeExit(r);
      if (condition === 'removed') return undefined;
      const ended = (!isLive(r.state) && r.state !== 'starting') || r.state === 'restarting';
      if (condition === 'not-running') return ended ? { exitCode: r.exitCode, error: r.error || undefined } : undefined;
      // next-exit: a new exit recorded since we started waiting.
      if (ended && (r.finishedAt !== startFinished || r.generation !== startGen) && r.finishedAt !== '') {
        return { exitCode: r.exitCode, error: r.error || undefined };
      }
      return undefined;
    }, undefined, signal);
    if (!res) throw internal('wait aborted');
    return res;
  }

  /** libpod's wait: one of podman's state names; resolves with the exit code. */
  async waitState(ref: string, conditions: string[], signal?: AbortSignal): Promise<number> {
    const v = this.get(ref);
    const want = new Set(conditions.length ? conditions : ['stopped', 'exited']);
    const res = await this.waitFor(() => {
      const r = this.store.get(v.id);
      if (!r) return { code: this.store.removedExit(v.id) ?? v.exitCode };
      void this.noticeExit(r);
      const st = r.state === 'exited' ? ['exited', 'stopped'] : r.state === 'stopping' ? ['stopping'] : [r.state];
      if (r.state === 'created') st.push('configured', 'initialized');
      return st.some((s) => want.has(s)) ? { code: r.exitCode } : undefined;
    }, undefined, signal);
    if (!res) throw internal('wait aborted');
    return res.code;
  }

  private waitFor<T>(check: () => T | undefined, ms?: number, signal?: AbortSignal): Promise<T | undefined> {
    return this.waiters.waitFor(check, ms, signal);
  }

  private kick(): void {
    this.waiters.kick();
  }

  // ---- logs and attach -----------------------------------------------------------------------

  logs(
    ref: string,
    o: { follow?: boolean; sinceNs?: bigint; untilNs?: bigint; tail?: number; signal?: AbortSignal },
  ): { tty: boolean; lines: AsyncGenerator<LogLine>; batches: () => AsyncGenerator<LogLine[]> } {
    const v = this.get(ref);
    if (v.parsed.HostConfig.LogConfig?.Type === 'none') throw badParameter('configured logging driver does not support reading');
    let lastCheck = 0;
    let done = false;
    const finished = () => {
      if (done) return true;
      const now = Date.now();
      if (now - lastCheck < 100) return false;
      lastCheck = now;
      const r = this.store.get(v.id);
      done = !r || (!isLive(r.state) && r.state !== 'created') || (r.state === 'created' && v.state !== 'created');
      return done;
    };
    return {
      tty: v.parsed.Config.Tty,
      lines: readLog(v.dirs.logPath, { ...o, finished }),
      batches: () => readLogBatches(v.dirs.logPath, { ...o, finished }),
    };
  }

  /**
   * Attaches to the container's stdio through conmon. Before the container runs (docker run
   * attaches first, then starts) the session waits and is connected by start, before the
   * process runs, so no output is lost.
   */
  async attach(ref: string, o: AttachOptions): Promise<AttachSession> {
    const v = this.get(ref);
    const s = new AttachSession(v.id, v.parsed.Config.Tty, o);
    if (v.state === 'running' || v.state === 'paused') {
      s.connect(await connectAttach(v.dirs.bundle));
    } else if (v.state === 'removing') {
      throw conflict(`container ${v.id} is being removed`);
    } else {
      this.pending.add(s);
    }
    this.publish('attach', v.id, {}, v);
    return s;
  }

  private connectPendingAttach(id: string, d: ContainerDirs): Promise<void> {
    return this.pending.connect(id, () => connectAttach(d.bundle));
  }

  private closePendingAttach(id: string): void {
    this.pending.fail(id, 'container stopped before it was attached');
  }

  /** Terminal size through conmon's control fifo ("1 <height> <width>" is a resize). */
  resize(ref: string, height: number, width: number): void {
    const v = this.get(ref);
    if (!isLive(v.state)) throw conflict(`Container ${v.id} is not running`);
    if (!v.parsed.Config.Tty) return;
    try {
      resizeConsole(join(v.dirs.bundle, 'ctl'), height, width);
    } catch (e) {
      throw internal(`cannot resize the container's terminal: ${(e as Error).message}`);
    }
  }

  // ---- misc ----------------------------------------------------------------------------------

  private publish(action: string, id: string, extra: Record<string, string> = {}, v?: { name: string; image: string; parsed?: ContainerSpec }): void {
    const view = v ?? this.find(id);
    const attrs: Record<string, string> = { ...(view?.parsed?.Config.Labels ?? {}), ...extra };
    if (view) {
      attrs.name = view.name;
      attrs.image = view.image;
    }
    this.o.events.publish('container', action, id, attrs);
  }

  /** Runs `fn` under this container's lock: starts, stops and removals in this process wait for it. */
  exclusive<T>(id: string, fn: () => Promise<T>): Promise<T> {
    return this.withLock(id, fn);
  }

  private async withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(id) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.locks.set(id, tail);
    try {
      return await next;
    } finally {
      if (this.locks.get(id) === tail) this.locks.delete(id);
    }
  }

  /** overlay's lowerdir for inspect's GraphDriver, as absolute paths ('' when unknown). */
  async lowerDir(v: ContainerView): Promise<string> {
    try {
      const l = await this.o.images.lowerSpec(v.imageId);
      return l.lower.split(':').map((p) => (l.cwd && !p.startsWith('/') ? join(l.cwd, p) : p)).join(':');
    } catch {
      return '';
    }
  }

  sizeRw(v: ContainerView): number {
    return dirSize(v.dirs.upper);
  }

  close(): void {
    this.watcher?.close();
    this.waiters.close();
  }
}

