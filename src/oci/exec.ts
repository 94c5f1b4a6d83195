// Exec sessions through conmon, as podman runs them: `conmon --exec --exec-process-spec FILE`
// starts `runtime exec --detach` in the running container and monitors the process like a
// container: attach socket and ctl fifo in the session's bundle dir, exit code over the sync pipe
// and into an exit file. With `--exec-attach` conmon waits (on the start pipe) until we are
// connected to its attach socket, so no output is lost.
import { readFileSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { CappedText, killMonitor, MONITOR_REPORT_TIMEOUT_MS } from './child.js';
import { cleanMessage } from './runtime.js';
import { spawnDetached } from './spawn.js';

export interface ExecConmonOptions {
  conmonPath: string;
  runtimePath: string;
  runtimeArgs: string[];
  containerId: string;
  sessionId: string;
  name: string;
  /** The session's own dir: attach socket, ctl fifo, pid file. */
  bundle: string;
  processSpec: string;
  pidFile: string;
  conmonPidFile: string;
  /** conmon writes `<exitDir>/<containerId>` with the exit code. */
  exitDir: string;
  terminal: boolean;
  stdin: boolean;
  /** Wait for attach (start pipe) before the runtime runs: set when a client attaches. */
  attach: boolean;
  /** How long conmon may take to report the process pid (default MONITOR_REPORT_TIMEOUT_MS). */
  timeoutMs?: number;
  /**
   * Spawned ahead of the start and held on its start pipe (before it forks or runs anything)
   * until `release`; otherwise released at once.
   */
  held?: boolean;
}

/** A started exec monitor. `pid` settles once the runtime started the process (or failed). */
export interface ExecConmon {
  /** Lets a `held` conmon go on (the process spec must be written by now); once only. */
  release(): void;
  /** Ends a conmon never released (a spare one that is not used): nothing ran. */
  cancel(): void;
  /** Resolves when conmon's attach socket exists (only with `attach`). */
  attachReady: Promise<void>;
  /** Lets the runtime run once the client is connected (only with `attach`). */
  go(): void;
  /** The process pid, or rejects with the runtime's error. */
  pid: Promise<number>;
  /** The exit code (conmon's second sync message); undefined when conmon vanished. */
  exit: Promise<{ code: number; message?: string }>;
  /**
   * Settles once conmon is gone (its end of the sync pipe closed): it still writes into the
   * session dir after reporting the exit, so the dir is removed after this, not before.
   */
  gone: Promise<void>;
  conmonPid(): number;
}

export class ExecStartError extends Error {
  constructor(
    message: string,
    /** 126 not executable, 127 not found, 125 anything else (docker's codes). */
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** docker's and podman's codes for a command that could not run. */
export function execFailureCode(msg: string): number {
  if (/executable file not found|no such file or directory|not found in \$PATH/i.test(msg)) return 127;
  if (/permission denied|not executable|is a directory/i.test(msg)) return 126;
  return 125;
}

export function execConmonArgs(o: ExecConmonOptions): string[] {
  const a = [
    '--api-version', '1',
    '-c', o.containerId, '-u', o.sessionId, '-n', o.name,
    '-r', o.runtimePath,
    '-b', o.bundle, '-p', o.pidFile, '-P', o.conmonPidFile,
    '--exit-dir', o.exitDir,
    '--full-attach', '--socket-dir-path', o.bundle,
    '-l', 'none:',
    '--log-level', 'error',
    '-e', '--exec-process-spec', o.processSpec,
  ];
  for (const r of o.runtimeArgs) a.push('--runtime-arg', r);
  if (o.terminal) a.push('-t');
  if (o.stdin) a.push('-i');
  if (o.attach) a.push('--exec-attach');
  return a;
}

/** Reads conmon's newline-delimited `{"data": N, "message": "..."}` messages from a pipe. */
function messages(stream: Readable): () => Promise<{ data: number; message?: string } | undefined> {
  let buf = '';
  const queue: { data: number; message?: string }[] = [];
  const waiting: ((m: { data: number; message?: string } | undefined) => void)[] = [];
  let ended = false;
  stream.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      let m: { data?: number; message?: string };
      try {
        m = JSON.parse(line) as typeof m;
      } catch {
        continue;
      }
      const msg = { data: Number(m.data ?? -1), message: m.message };
      const w = waiting.shift();
      if (w) w(msg);
      else queue.push(msg);
    }
  });
  const end = () => {
    ended = true;
    for (const w of waiting.splice(0)) w(undefined);
  };
  stream.on('end', end);
  stream.on('close', end);
  stream.on('error', end);
  return () => {
    const q = queue.shift();
    if (q) return Promise.resolve(q);
    if (ended) return Promise.resolve(undefined);
    return new Promise((r) => waiting.push(r));
  };
}

export function startExecConmon(o: ExecConmonOptions): ExecConmon {
  const child = spawnDetached(o.conmonPath, execConmonArgs(o), {
    // fd 3 sync (pid, then exit code), fd 4 start (we write), fd 5 attach (conmon writes when its socket is up).
    stdio: ['ignore', 'ignore', 'read', 'read', 'write', 'read'],
    env: { ...process.env, _OCI_SYNCPIPE: '3', _OCI_STARTPIPE: '4', _OCI_ATTACHPIPE: '5' },
    // Files conmon writes relative to its working directory stay with the session.
    cwd: o.bundle,
  });
  const err = new CappedText();
  const stderr = () => err.toString();
  const stderr$ = child.stdio[2] as Readable;
  stderr$.on('data', (d: Buffer) => err.add(d));
  stderr$.on('error', () => undefined);
  const sync = child.stdio[3] as Readable;
  const start = child.stdio[4] as Writable;
  const attachPipe = child.stdio[5] as Readable;
  start.on('error', () => undefined);
  const nextSync = messages(sync);
  const nextAttach = messages(attachPipe);
  // Until the pid is reported: a conmon that cannot run, or one that never reports (its runtime
  // stuck), fails the start; the stuck one is killed with the runtime under it. The bound runs
  // from the release: a held conmon waits for as long as its holder likes.
  let timer: NodeJS.Timeout | undefined;
  let fail!: (e: Error) => void;
  const failed = new Promise<never>((_r, reject) => {
    fail = reject;
    child.onError((e) => reject(new ExecStartError(`cannot run conmon: ${e.message}`, 125)));
  });
  failed.catch(() => undefined);
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    const ms = o.timeoutMs ?? MONITOR_REPORT_TIMEOUT_MS;
    timer = setTimeout(() => {
      killMonitor(child.pid, o.conmonPidFile);
      fail(new ExecStartError(`the runtime did not start the exec process within ${ms / 1000} s`, 125));
    }, ms);
    // conmon's first read of the start pipe lets it go on (podman moves it to a cgroup first).
    if (!start.destroyed) start.write('0');
  };
  if (!o.held) release();

  const attachReady = o.attach
    ? Promise.race([
        nextAttach().then((m) => {
          if (!m) throw new ExecStartError(cleanMessage(stderr()) || 'conmon exited before creating the attach socket', 125);
        }),
        failed,
      ])
    : Promise.resolve();
  attachReady.catch(() => undefined);

  const pid = Promise.race([
    nextSync().then((m) => {
      if (!m) throw new ExecStartError(cleanMessage(stderr()) || 'conmon exited before reporting the exec pid', 125);
      if (m.data <= 0) {
        const msg = cleanMessage(m.message ?? '') || cleanMessage(stderr()) || 'exec failed';
        throw new ExecStartError(msg, execFailureCode(msg));
      }
      return m.data;
    }),
    failed,
  ]);
  pid.catch(() => undefined);
  void pid.finally(() => clearTimeout(timer)).catch(() => undefined);
  const exit = pid.then(
    async () => {
      const m = await nextSync();
      end();
      if (!m) return { code: -1, message: 'conmon exited without reporting the exit code' };
      return { code: m.data, message: m.message };
    },
    (e) => {
      end();
      throw e;
    },
  );
  exit.catch(() => undefined);
  // The sync pipe stays open to its EOF: that is how conmon's exit is seen (it is not our child).
  const gone = new Promise<void>((r) => {
    sync.once('close', () => r());
    sync.once('error', () => r());
  });
  const end = () => {
    attachPipe.destroy();
    start.destroy();
    stderr$.destroy();
  };
  return {
    release,
    cancel() {
      if (released) return;
      released = true;
      // Held before its fork: the pid we spawned is all there is.
      killMonitor(child.pid, '');
      fail(new ExecStartError('the exec monitor was not used', 125));
    },
    attachReady,
    go() {
      if (!start.destroyed) start.write('1');
    },
    pid,
    exit,
    gone,
    conmonPid: () => {
      try {
        return Number(readFileSync(o.conmonPidFile, 'utf8').trim()) || 0;
      } catch {
        return 0;
      }
    },
  };
}
