import { findBinary } from './binaries.js';
import { readFileSync } from 'node:fs';
import { CappedText, killMonitor, MONITOR_REPORT_TIMEOUT_MS } from './child.js';
import { cleanMessage } from './runtime.js';
import { spawnDetached } from './spawn.js';

/** conmon's sync messages are one short JSON line; more is not conmon talking. */
const SYNC_MAX = 64 * 1024;

export interface ConmonOptions {
  conmonPath: string;
  runtimePath: string;
  /** Extra global flags for the runtime, e.g. ['--root', stateDir]. */
  runtimeArgs: string[];
  id: string;
  name: string;
  bundle: string;
  pidFile: string;
  conmonPidFile: string;
  exitDir: string;
  /** k8s-file log path; undefined for the none driver (nothing kept). */
  logPath: string | undefined;
  terminal: boolean;
  stdin: boolean;
  stdinOnce: boolean;
  exitCommand: string[];
  /** Bytes after which conmon truncates the log (0 = unlimited). */
  logSizeMax?: number;
  env?: NodeJS.ProcessEnv;
  /** How long conmon may take to report the create (default MONITOR_REPORT_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Aborting kills conmon and the runtime at once (a forced removal during the start). */
  signal?: AbortSignal;
}

export interface ConmonResult {
  /** The container's init pid as the runtime reported it. */
  pid: number;
  conmonPid: number;
}

export class ConmonError extends Error {
  constructor(
    message: string,
    /** The runtime itself refused the container (its reason in `message`), rather than conmon failing or timing out. */
    readonly byRuntime = false,
  ) {
    super(message);
  }
}

/** conmon: containers.conf `conmon_path` entries first, then the usual places. */
export function findConmon(preferred: string[] = []): string {
  const p = findBinary('conmon', preferred);
  if (!p) throw new ConmonError('conmon not found (install the conmon package)');
  return p;
}

export function conmonArgs(o: ConmonOptions): string[] {
  const a = [
    '--api-version', '1',
    '-c', o.id, '-u', o.id, '-n', o.name,
    '-r', o.runtimePath,
    '-b', o.bundle, '-p', o.pidFile, '-P', o.conmonPidFile,
    '--exit-dir', o.exitDir,
    // The attach socket goes into the bundle dir; connectAttach handles long paths.
    '--full-attach', '--socket-dir-path', o.bundle,
    '-l', o.logPath ? `k8s-file:${o.logPath}` : 'none:',
    '--log-level', 'error',
  ];
  if (o.logSizeMax && o.logSizeMax > 0) a.push('--log-size-max', String(o.logSizeMax));
  for (const r of o.runtimeArgs) a.push('--runtime-arg', r);
  if (o.terminal) a.push('-t');
  if (o.stdin) {
    a.push('-i');
    if (!o.stdinOnce) a.push('--leave-stdin-open');
  }
  if (o.exitCommand.length) {
    a.push('--exit-command', o.exitCommand[0]);
    for (const x of o.exitCommand.slice(1)) a.push('--exit-command-arg', x);
  }
  return a;
}

/** A conmon spawned and waiting on its start pipe: nothing of the container exists yet. */
export interface ConmonLaunch {
  /**
   * Lets conmon go on to the runtime's create (the bundle's config.json must be written by now);
   * resolves with what it reports, or rejects as `startConmon` does.
   */
  go(): Promise<ConmonResult>;
  /** Ends a conmon that was never let go (a step before the create failed). */
  cancel(): void;
  /** Aborting `signal` kills conmon (and the runtime under it) as `ConmonOptions.signal` does. */
  bind(signal: AbortSignal): void;
  /** Still waiting to be let go: not ended, nor failed on its own. */
  waiting(): boolean;
}

/**
 * Spawns conmon held on its start pipe (fd 4), before it forks or runs anything: its exec and
 * library loading (a few ms, more on a loaded host) overlap with the steps that prepare the
 * bundle, and `go` lets it run the create. conmon reads the pipe once; an end of file (this
 * process gone) lets it go on too, into a create that fails without the bundle's config.json —
 * the caller removes a stale one before the launch.
 */
export function launchConmon(o: ConmonOptions): ConmonLaunch {
  const child = spawnDetached(o.conmonPath, conmonArgs(o), {
    stdio: ['ignore', 'ignore', 'read', 'read', 'write'],
    env: { ...(o.env ?? process.env), _OCI_SYNCPIPE: '3', _OCI_STARTPIPE: '4' },
    // conmon writes files (an `oom` marker) relative to its working directory: keep them in
    // the bundle, never in whatever directory the service was started from.
    cwd: o.bundle,
  });
  const stderr$ = child.stdio[2] as NodeJS.ReadableStream & { destroy(): void };
  const stderr = new CappedText();
  let sync = '';
  let settled = false;
  let released = false;
  let timer: NodeJS.Timeout | undefined;
  let resolveResult!: (r: ConmonResult) => void;
  let rejectResult!: (e: Error) => void;
  const result = new Promise<ConmonResult>((res, rej) => {
    resolveResult = res;
    rejectResult = rej;
  });
  result.catch(() => undefined);
  const startPipe = child.stdio[4] as NodeJS.WritableStream & { destroy(): void; destroyed: boolean };
  startPipe.on('error', () => undefined);
  const timeoutMs = o.timeoutMs ?? MONITOR_REPORT_TIMEOUT_MS;
  const signals: AbortSignal[] = [];
  const onAbort = () => stop(String(signals.find((x) => x.aborted)?.reason ?? 'the start was cancelled'));
  const done = (err: Error | undefined, res?: ConmonResult) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    for (const x of signals) x.removeEventListener('abort', onAbort);
    sync$.destroy();
    startPipe.destroy();
    stderr$.destroy();
    if (err) rejectResult(err);
    else resolveResult(res!);
  };
  const stop = (why: string) => {
    if (settled) return;
    // Held on the start pipe it has not forked yet: the pid we spawned is all there is (a
    // conmon.pid file there may be a previous run's).
    if (released) killMonitor(child.pid, o.conmonPidFile);
    else killMonitor(child.pid, '');
    done(new ConmonError(why));
  };
  stderr$.on('data', (d: Buffer) => stderr.add(d));
  stderr$.on('error', () => undefined);
  const sync$ = child.stdio[3] as NodeJS.ReadableStream & { destroy(): void };
  sync$.on('data', (d: Buffer) => {
    if (sync.length < SYNC_MAX) sync += d.toString();
    const nl = sync.indexOf('\n');
    if (nl < 0) {
      if (sync.length >= SYNC_MAX) stop('conmon sent an oversized sync message');
      return;
    }
    let msg: { data?: number; message?: string };
    try {
      msg = JSON.parse(sync.slice(0, nl)) as typeof msg;
    } catch {
      return done(new ConmonError('conmon sent an unreadable sync message'));
    }
    if (msg.data === undefined || msg.data < 0) return done(new ConmonError(cleanMessage(msg.message ?? '') || 'container create failed', true));
    let conmonPid = 0;
    try {
      conmonPid = Number(readFileSync(o.conmonPidFile, 'utf8').trim());
    } catch {
      /* conmon writes it before its parent exits; a miss only loses the pid */
    }
    done(undefined, { pid: msg.data, conmonPid });
  });
  sync$.on('error', () => undefined);
  sync$.on('end', () => done(new ConmonError(stderr.toString().trim() || 'conmon exited before reporting the container pid')));
  child.onError((e) => done(new ConmonError(`cannot run conmon: ${e.message}`)));
  const bind = (x: AbortSignal) => {
    if (settled) return;
    signals.push(x);
    if (x.aborted) onAbort();
    else x.addEventListener('abort', onAbort, { once: true });
  };
  if (o.signal) bind(o.signal);
  return {
    bind,
    waiting: () => !settled && !released,
    go() {
      if (!settled && !released) {
        released = true;
        timer = setTimeout(() => stop(`the runtime did not create the container within ${timeoutMs / 1000} s`), timeoutMs);
        startPipe.end('0');
      }
      return result;
    },
    cancel() {
      if (!released) stop('the start was cancelled');
    },
  };
}

/**
 * Starts conmon, which double-forks (so the container is never our child), runs `runtime create`
 * and reports the container pid over the sync pipe (fd 3) as `{"data": pid}` or
 * `{"data": -1, "message": "..."}` on failure. The container is left created, not started.
 * A conmon that does not report within `timeoutMs`, or whose start is aborted, is killed with
 * the runtime under it and the promise rejects; the caller cleans up the runtime's state.
 */
export function startConmon(o: ConmonOptions): Promise<ConmonResult> {
  return launchConmon(o).go();
}
