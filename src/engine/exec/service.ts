// Exec sessions: a process started in a running container through conmon (oci/exec.ts). The
// session lives in the state DB from create on, so any service instance can start, inspect or
// resize it; its exit code comes over conmon's sync pipe to the process that started it, or
// from conmon's exit file to whoever looks next.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import type { StoragePaths } from '../../config/paths.js';
import type { Toolchain } from '../engine.js';
import type { EventBus } from '../events.js';
import { ExecStore, type ExecConfig, type ExecRow } from '../../state/exec.js';
import { alive, nowIso, type ContainerService, type ContainerView } from '../containers/service.js';
import { badParameter, conflict, EngineError, internal, notFound } from '../errors.js';
import { resolveUser, UserError } from '../containers/rootfs.js';
import { runtimeStateDir } from '../containers/rootfs.js';
import { privateDir, writePrivateFile } from '../../lib/private-fs.js';
import { quote } from '../../lib/clip.js';
import { connectAttach } from '../../oci/attach.js';
import { ExecStartError, startExecConmon, type ExecConmon, type ExecConmonOptions } from '../../oci/exec.js';
import { clampRlimits } from '../../oci/rlimits.js';
import { resizeConsole } from '../../oci/console-ctl.js';
import { boundingCaps } from '../../oci/caps.js';
import { processJson, type Rlimit } from '../../oci/spec.js';
import { AttachSession } from '../containers/attach.js';
import { checkExecInputs } from '../containers/config-checks.js';
import type { ExecPort } from './port.js';
import type { ExecCreateRequest, ExecRun, ExecStartOptions, ExecView } from './types.js';

const ID_RE = /^[0-9a-f]{64}$/;
/** How long a spare monitor waits for its session's start before it is ended. */
const SPARE_MS = 30_000;
/** Spares held at once: a client creating sessions it never starts pays for a few, not one each. */
const MAX_SPARES = 4;

/**
 * A conmon spawned for a session once it is created, held before it forks or runs anything: the
 * client's start finds its exec and loading done. Its process spec has a name of its own, which
 * only this service writes, at the start: a spare let go by this process's end (its start pipe
 * closed) runs nothing.
 */
interface SpareMonitor {
  cm: ExecConmon;
  spec: string;
  terminal: boolean;
  stdin: boolean;
  gone: boolean;
  timer: NodeJS.Timeout;
}

export interface ExecServiceDeps {
  db: Database;
  paths: StoragePaths;
  events: EventBus;
  tools: Toolchain;
}

export class ExecService implements ExecPort {
  readonly store: ExecStore;
  /** Starts in flight in this process (for resize before the ctl fifo exists). */
  private live = new Map<string, { size?: [number, number]; ready: boolean }>();
  /** Sessions of this process that publish no events. */
  private quiet = new Set<string>();
  /** Spare monitors of sessions created here and not started yet. */
  private spares = new Map<string, SpareMonitor>();

  constructor(
    private readonly deps: ExecServiceDeps,
    readonly containers: ContainerService,
  ) {
    this.store = new ExecStore(deps.db);
    privateDir(join(deps.paths.runRoot, 'exec'));
    // Sessions of containers removed while no service ran (or by another process).
    this.prune();
  }

  private dir(id: string): string {
    return join(this.deps.paths.runRoot, 'exec', id);
  }

  private exitFile(row: ExecRow): string {
    return join(this.dir(row.id), 'exit', row.containerId);
  }

  // ---- create / inspect ----------------------------------------------------------------------

  /**
   * `quiet`: a session of berth's own (a healthcheck's probe) publishes no exec events, as podman
   * has it: a probe every second would crowd everything else out of the event log.
   */
  create(ref: string, req: ExecCreateRequest, o: { quiet?: boolean } = {}): { id: string } {
    const v = this.containers.get(ref);
    this.assertRunning(v);
    const cmd = typeof req.Cmd === 'string' ? [req.Cmd] : req.Cmd ?? [];
    if (!cmd.length) throw badParameter('No exec command specified');
    for (const e of req.Env ?? []) if (typeof e !== 'string' || !e) throw badParameter(`invalid environment variable: ${quote(e)}`);
    checkExecInputs({ Cmd: cmd, Env: req.Env, WorkingDir: req.WorkingDir, User: req.User });
    const config: ExecConfig = {
      Cmd: cmd.map(String),
      Env: req.Env ?? [],
      WorkingDir: req.WorkingDir ?? '',
      User: req.User ?? '',
      Privileged: !!req.Privileged,
      Tty: !!req.Tty,
      AttachStdin: !!req.AttachStdin,
      AttachStdout: !!req.AttachStdout,
      AttachStderr: !!req.AttachStderr,
      DetachKeys: req.DetachKeys ?? '',
      ConsoleSize: Array.isArray(req.ConsoleSize) && req.ConsoleSize[0] > 0 && req.ConsoleSize[1] > 0 ? req.ConsoleSize : null,
    };
    const id = randomBytes(32).toString('hex');
    // Ended sessions stay inspectable for a while (docker's exec GC keeps them ~5 minutes).
    this.store.forgetEnded(new Date(Date.now() - 15 * 60_000).toISOString());
    this.store.insert({ id, containerId: v.id, config, state: 'created', pid: 0, conmonPid: 0, exitCode: null, created: nowIso(), startedBy: 0 });
    if (o.quiet) this.quiet.add(id);
    this.publish(v, `exec_create: ${config.Cmd.join(' ')}`, id);
    // After the answer is out: the client's start comes a round trip later.
    setImmediate(() => this.spawnSpare(id));
    return { id };
  }

  /** What every monitor of a session is given; `spec` names its process spec. */
  private monitorOptions(row: ExecRow, v: { id: string; name: string }, spec: string, terminal: boolean, stdin: boolean, attach: boolean): ExecConmonOptions {
    const dir = this.dir(row.id);
    return {
      conmonPath: this.deps.tools.conmon(),
      runtimePath: this.deps.tools.runtime().path,
      runtimeArgs: ['--root', runtimeStateDir(this.deps.paths)],
      containerId: v.id,
      sessionId: row.id,
      name: v.name,
      bundle: dir,
      processSpec: spec,
      pidFile: join(dir, 'pid'),
      conmonPidFile: join(dir, 'conmon.pid'),
      exitDir: join(dir, 'exit'),
      terminal,
      stdin,
      attach,
    };
  }

  /** Spawns the spare monitor of a session still waiting for its start (see SpareMonitor). */
  private spawnSpare(id: string): void {
    try {
      const row = this.store.get(id);
      if (!row || row.state !== 'created' || this.spares.has(id) || this.spares.size >= MAX_SPARES) return;
      const v = this.containers.find(row.containerId);
      if (!v || v.state !== 'running') return;
      const dir = this.dir(id);
      privateDir(dir);
      privateDir(join(dir, 'exit'));
      const spec = join(dir, `process-${randomBytes(6).toString('hex')}.json`);
      // Attach mode: a detached start lets it go at once, an attached one once connected.
      const terminal = row.config.Tty;
      const stdin = row.config.AttachStdin;
      const cm = startExecConmon({ ...this.monitorOptions(row, v, spec, terminal, stdin, true), held: true });
      const spare: SpareMonitor = { cm, spec, terminal, stdin, gone: false, timer: setTimeout(() => this.dropSpare(id), SPARE_MS) };
      spare.timer.unref();
      void cm.gone.then(() => (spare.gone = true));
      this.spares.set(id, spare);
    } catch {
      /* no spare: the start spawns its monitor itself */
    }
  }

  /** The session's spare monitor, taken out of the spares (undefined if none, or it is gone). */
  private takeSpare(id: string): SpareMonitor | undefined {
    const sp = this.spares.get(id);
    if (!sp) return undefined;
    this.spares.delete(id);
    clearTimeout(sp.timer);
    if (!sp.gone) return sp;
    sp.cm.cancel();
    return undefined;
  }

  private dropSpare(id: string): void {
    this.takeSpare(id)?.cm.cancel();
  }

  private assertRunning(v: ContainerView): void {
    if (v.state === 'paused') throw conflict(`Container ${v.id} is paused, unpause the container before exec`);
    if (v.state !== 'running') throw conflict(`Container ${v.id} is not running`);
  }

  find(ref: string): ExecRow {
    const r = this.store.lookup(ref);
    if (r === 'ambiguous') throw badParameter(`multiple exec sessions found with prefix ${ref}`);
    if (!r) throw notFound(`No such exec instance: ${ref}`);
    if (!this.containers.find(r.containerId)) {
      this.store.delete(r.id);
      throw notFound(`No such exec instance: ${ref}`);
    }
    return r;
  }

  /** The session, with an exit that happened while nobody watched applied first. */
  inspect(ref: string): ExecView {
    const r = this.refresh(this.find(ref));
    return { ...r, running: r.state === 'running' || r.state === 'starting' };
  }

  /** Exec IDs of a container (inspect's ExecIDs). */
  idsOf(containerId: string): string[] {
    return this.store.idsByContainer(containerId);
  }

  private refresh(r: ExecRow): ExecRow {
    if (r.state !== 'running' && r.state !== 'starting') return r;
    if (this.live.has(r.id)) return r;
    let code: number | undefined;
    try {
      const t = readFileSync(this.exitFile(r), 'utf8').trim();
      if (t !== '') code = Number.parseInt(t, 10);
    } catch {
      /* no exit file yet */
    }
    if (code === undefined) {
      const starterGone = r.state === 'starting' && !alive(r.startedBy, 'node');
      const monitorGone = r.state === 'running' && r.conmonPid > 0 && !alive(r.conmonPid, 'conmon');
      if (!starterGone && !monitorGone) return r;
      code = -1;
    }
    const exitCode = Number.isNaN(code) ? -1 : code;
    this.store.tx(() => {
      const cur = this.store.get(r.id);
      if (cur && (cur.state === 'running' || cur.state === 'starting')) this.store.update(r.id, { state: 'exited', exitCode });
    });
    rmSync(this.dir(r.id), { recursive: true, force: true });
    return this.store.get(r.id) ?? { ...r, state: 'exited', exitCode };
  }

  // ---- start ---------------------------------------------------------------------------------

  /**
   * Starts the session. Validation and the claim happen before this resolves (so the caller can
   * still answer with an error); the process itself starts in the background: `started` and
   * `exited` report on it, and `session` relays its stdio when attached.
   */
  start(ref: string, o: ExecStartOptions): ExecRun {
    const row = this.find(ref);
    const v = this.containers.get(row.containerId);
    const claimed = this.store.tx(() => {
      const cur = this.store.get(row.id);
      if (!cur) throw notFound(`No such exec instance: ${ref}`);
      if (cur.state === 'running' || cur.state === 'starting') throw conflict(`Error: Exec command ${row.id} is already running`);
      if (cur.state === 'exited' || cur.state === 'failed') throw conflict(`Error: Exec command ${row.id} has already run`);
      const c = this.containers.store.get(row.containerId);
      if (!c) throw notFound(`No such container: ${row.containerId}`);
      this.assertRunning({ ...v, state: c.state });
      this.store.update(row.id, { state: 'starting', startedBy: process.pid });
      return cur;
    });
    const cfg = claimed.config;
    // The terminal is the session's, as created; how a client frames the stream is its own affair.
    const tty = cfg.Tty;
    const attach = !o.detach;
    const session = attach
      ? new AttachSession(row.id, tty, { stdin: cfg.AttachStdin, stdout: cfg.AttachStdout, stderr: cfg.AttachStderr })
      : undefined;
    const liveEntry: { size?: [number, number]; ready: boolean } = { ready: false, size: o.size ?? cfg.ConsoleSize ?? undefined };
    this.live.set(row.id, liveEntry);
    const dir = this.dir(row.id);
    let resolveExit!: (n: number) => void;
    let rejectExit!: (e: unknown) => void;
    const exited = new Promise<number>((res, rej) => {
      resolveExit = res;
      rejectExit = rej;
    });
    exited.catch(() => undefined);
    const record = (patch: Partial<ExecRow>) =>
      this.store.tx(() => {
        if (this.store.get(row.id)) this.store.update(row.id, patch);
      });

    // The spare serves when it has the stdio this start wants (a detached start with stdin
    // asked for keeps no stdin open that nobody writes to).
    let spare = this.takeSpare(row.id);
    if (spare && (spare.terminal !== tty || spare.stdin !== (cfg.AttachStdin && attach))) {
      spare.cm.cancel();
      spare = undefined;
    }
    let initialSize: [number, number] | undefined;
    const started = (async (): Promise<number> => {
      let spec: Record<string, unknown>;
      initialSize = liveEntry.size;
      try {
        spec = this.processSpec(v, cfg, tty, liveEntry.size);
      } catch (e) {
        spare?.cm.cancel();
        // docker's code for a session that could not be set up (e.g. an unknown user).
        record({ state: 'failed', exitCode: 126 });
        this.live.delete(row.id);
        session?.fail((e as Error).message);
        resolveExit(126);
        throw e;
      }
      // The process spec carries the exec's env: the session's dir is the owner's only.
      privateDir(dir);
      privateDir(join(dir, 'exit'));
      const specPath = spare?.spec ?? join(dir, 'process.json');
      writePrivateFile(specPath, processJson(spec));
      let cm: ExecConmon;
      try {
        cm = spare?.cm ?? startExecConmon(this.monitorOptions(row, v, specPath, tty, cfg.AttachStdin && attach, attach));
      } catch (e) {
        record({ state: 'failed', exitCode: 125 });
        this.live.delete(row.id);
        session?.fail((e as Error).message);
        resolveExit(125);
        throw e;
      }
      cm.release();
      // conmon writes into the session dir until it exits: the dir goes once it is gone.
      // On the pool: rmSync held the event loop ~1.5 ms here, just as the client's inspect came.
      void cm.gone.then(() => rm(dir, { recursive: true, force: true })).catch(() => undefined);
      try {
        // A spare is in attach mode: a detached start lets it run once it is as far as an
        // attached one (its socket up means it read the release; a second byte sent sooner
        // could be read with the first, and conmon would wait forever for another).
        if (session || spare) {
          await cm.attachReady;
          if (session) session.connect(await connectAttach(dir));
          cm.go();
        }
        const pid = await cm.pid;
        liveEntry.ready = true;
        record({ state: 'running', pid, conmonPid: cm.conmonPid() });
        // A resize that came while the fifo did not exist yet.
        if (tty && liveEntry.size && liveEntry.size !== initialSize) this.writeCtl(dir, liveEntry.size[0], liveEntry.size[1]);
        this.publish(v, `exec_start: ${cfg.Cmd.join(' ')}`, row.id);
        void cm.exit.then(
          ({ code }) => {
            record({ state: 'exited', exitCode: code });
            this.live.delete(row.id);
            this.publish(v, 'exec_die', row.id, { exitCode: String(code) });
            resolveExit(code);
          },
          (e) => {
            this.live.delete(row.id);
            rejectExit(e);
          },
        );
        return pid;
      } catch (e) {
        const code = e instanceof ExecStartError ? e.exitCode : 125;
        record({ state: 'failed', exitCode: code });
        this.live.delete(row.id);
        session?.fail((e as Error).message);
        resolveExit(code);
        const msg = `OCI runtime exec failed: ${(e as Error).message}`;
        throw new EngineError(code === 125 ? 'internal' : 'bad-parameter', msg, msg);
      }
    })();
    started.catch(() => undefined);
    return { id: row.id, tty, config: cfg, session, started, exited };
  }

  /** The runtime's process JSON: the container's process with the exec's command, env, user, cwd. */
  private processSpec(v: ContainerView, cfg: ExecConfig, tty: boolean, size: [number, number] | undefined): Record<string, unknown> {
    let base: { process?: Record<string, unknown> };
    try {
      base = JSON.parse(readFileSync(join(v.dirs.bundle, 'config.json'), 'utf8')) as typeof base;
    } catch (e) {
      throw internal(`cannot read the container's runtime config: ${(e as Error).message}`);
    }
    const p: Record<string, unknown> = { ...(base.process ?? {}) };
    const env = [...((p.env as string[]) ?? [])];
    const set = (kv: string) => {
      const k = kv.split('=')[0];
      const i = env.findIndex((e) => e.split('=')[0] === k);
      if (i >= 0) env[i] = kv;
      else env.push(kv);
    };
    if (cfg.User) {
      let u;
      try {
        u = resolveUser(v.dirs.merged, cfg.User);
      } catch (e) {
        if (e instanceof UserError) throw badParameter(e.message);
        throw e;
      }
      p.user = { uid: u.uid, gid: u.gid, ...(u.additionalGids.length ? { additionalGids: u.additionalGids } : {}) };
      set(`HOME=${u.home || '/'}`);
    }
    for (const e of cfg.Env) set(e.includes('=') ? e : `${e}=`);
    if (tty && !env.some((e) => e.startsWith('TERM='))) env.push('TERM=xterm');
    p.env = env;
    p.args = cfg.Cmd;
    p.terminal = tty;
    if (cfg.WorkingDir) p.cwd = cfg.WorkingDir;
    if (tty && size) p.consoleSize = { height: size[0], width: size[1] };
    else delete p.consoleSize;
    if (cfg.Privileged) {
      const caps = boundingCaps();
      p.capabilities = { bounding: caps, effective: caps, permitted: caps, inheritable: [] };
    }
    // Without CAP_SYS_RESOURCE runc exec fails on a limit above ours, as runc create would.
    if (Array.isArray(p.rlimits)) p.rlimits = clampRlimits(p.rlimits as Rlimit[]);
    return p;
  }

  /** Drops an ended session's record (a healthcheck's probe leaves none behind). */
  forget(id: string): void {
    this.store.tx(() => {
      const r = this.store.get(id);
      if (r && r.state !== 'running' && r.state !== 'starting') this.store.delete(id);
    });
    this.quiet.delete(id);
  }

  // ---- resize --------------------------------------------------------------------------------

  resize(ref: string, height: number, width: number): void {
    const r = this.refresh(this.find(ref));
    if (!r.config.Tty) return;
    const l = this.live.get(r.id);
    if (l && !l.ready) {
      l.size = [height, width];
      return;
    }
    if (r.state === 'created') {
      // Applied as the initial console size when it starts.
      this.store.setConfig(r.id, { ...r.config, ConsoleSize: [height, width] });
      return;
    }
    if (r.state !== 'running') throw conflict(`exec session ${r.id} is not running`);
    this.writeCtl(this.dir(r.id), height, width);
  }

  private writeCtl(dir: string, h: number, w: number): void {
    try {
      resizeConsole(join(dir, 'ctl'), h, w);
    } catch (e) {
      throw internal(`cannot resize the exec session's terminal: ${(e as Error).message}`);
    }
  }

  /** Drops sessions of containers that are gone, and session dirs no running session owns. */
  prune(): void {
    for (const id of this.store.orphans()) {
      this.store.delete(id);
      if (ID_RE.test(id)) rmSync(this.dir(id), { recursive: true, force: true });
    }
    let dirs: string[] = [];
    try {
      dirs = readdirSync(join(this.deps.paths.runRoot, 'exec'));
    } catch {
      /* none yet */
    }
    for (const id of dirs) {
      const r = ID_RE.test(id) ? this.store.get(id) : undefined;
      if (ID_RE.test(id) && (!r || r.state === 'exited')) rmSync(this.dir(id), { recursive: true, force: true });
    }
  }

  private publish(v: ContainerView, action: string, execId: string, extra: Record<string, string> = {}): void {
    if (this.quiet.has(execId)) return;
    this.deps.events.publish('container', action, v.id, { ...(v.parsed.Config.Labels ?? {}), execID: execId, ...extra, name: v.name, image: v.image });
  }
}
