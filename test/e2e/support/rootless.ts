// Rootless berth for end-to-end tests: an unprivileged user with subuid/subgid ranges (made here,
// idempotently, at test time: CI starts from a clean machine), the checkout made usable by it,
// HOME and XDG_RUNTIME_DIR in temp dirs, berth started as that user on a temp socket, and
// clients run as that user. Root can still reach the user's socket (request() does so).
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BERTH_BIN, DOCKER, FIXTURES, REPO, unixRequest, waitFor, type CmdResult, type HttpResult } from '../../helpers/berth.js';

export interface TestUser {
  name: string;
  uid: number;
  gid: number;
  /** The user's subordinate range (uid and gid alike); undefined for a user made without one. */
  sub?: { start: number; count: number };
}

/** The suite's user (its range is nobody else's: manual helpers use 100000-565535). */
export const SUITE_USER = { name: 'berth-rltest', sub: { start: 600000, count: 65536 } };
/** A user with no subuid/subgid entry, for the error path. */
export const NOSUB_USER = { name: 'berth-rltest-nosub' };

function idOf(name: string): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    return { uid, gid };
  } catch {
    return undefined;
  }
}

function rangesOf(file: string, name: string): string[] {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith(`${name}:`))
      .map((l) => l.split(':').slice(1).join(':'));
  } catch {
    return [];
  }
}

/** useradd/usermod, again while another process holds the shadow files' lock. */
function shadowTool(cmd: string, args: string[]): void {
  for (let i = 0; ; i++) {
    try {
      execFileSync(cmd, args, { stdio: 'pipe' });
      return;
    } catch (e) {
      const err = String((e as { stderr?: Buffer }).stderr ?? '');
      if (i >= 20 || !/lock|try again/i.test(err)) throw new Error(`${cmd} ${args.join(' ')}: ${err || (e as Error).message}`);
      execFileSync('sleep', ['0.2']);
    }
  }
}

/**
 * Makes (or finds) the user and gives it exactly `sub` as subordinate uids and gids (none when
 * undefined). Safe to call from test files running at the same time.
 */
export function ensureUser(spec: { name: string; sub?: { start: number; count: number } }): TestUser {
  let ids = idOf(spec.name);
  if (!ids) {
    try {
      // No automatic subordinate ranges: this user gets the one the test chose, or none.
      shadowTool('useradd', ['--no-create-home', '--shell', '/bin/sh', '-K', 'SUB_UID_COUNT=0', '-K', 'SUB_GID_COUNT=0', spec.name]);
    } catch (e) {
      // Another test file made it meanwhile.
      if (!idOf(spec.name)) throw e;
    }
    ids = idOf(spec.name)!;
  }
  const want = spec.sub ? `${spec.sub.start}:${spec.sub.count}` : undefined;
  for (const [file, del, add] of [
    ['/etc/subuid', '--del-subuids', '--add-subuids'],
    ['/etc/subgid', '--del-subgids', '--add-subgids'],
  ] as const) {
    const have = rangesOf(file, spec.name);
    for (const r of have) {
      if (r === want) continue;
      const [s, c] = r.split(':').map(Number);
      shadowTool('usermod', [del, `${s}-${s + c - 1}`, spec.name]);
    }
    if (spec.sub && !have.includes(want!)) shadowTool('usermod', [add, `${spec.sub.start}-${spec.sub.start + spec.sub.count - 1}`, spec.name]);
  }
  return { name: spec.name, ...ids, sub: spec.sub };
}

/**
 * The user must reach the checkout (bin, dist, node_modules, fixtures) and run its Node: in CI
 * the clone may sit under a directory only root enters (/root), so each directory on the way
 * gets o+x (search, not listing).
 */
export function openCheckout(): void {
  for (let d = REPO; ; d = dirname(d)) {
    const st = statSync(d);
    if ((st.mode & 0o001) === 0) chmodSync(d, st.mode | 0o001);
    if (d === '/') break;
  }
  for (const f of [BERTH_BIN, process.execPath, join(FIXTURES, 'busybox-legacy.tar')]) {
    if (!existsSync(f)) continue;
    const st = statSync(f);
    if ((st.mode & 0o004) === 0) chmodSync(f, st.mode | 0o004 | (st.mode & 0o100 ? 0o001 : 0));
  }
}

export interface RootlessBerth {
  user: TestUser;
  proc: ChildProcess;
  /** Temp dir owned by the user: home/, xdg/ (XDG_RUNTIME_DIR), berth.sock. */
  dir: string;
  home: string;
  xdg: string;
  socket: string;
  /** The rootless default storage and runroot: ~/.local/share/berth, $XDG_RUNTIME_DIR/berth. */
  root: string;
  runRoot: string;
  /** The environment the service and clients run with (the user's). */
  env: NodeJS.ProcessEnv;
  stderr(): string;
  exited: Promise<number | null>;
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<HttpResult>;
  /** Runs a command as the user with its environment (DOCKER_HOST at this berth). */
  runAs(cmd: string, args: string[], opts?: { input?: string | Buffer; timeoutMs?: number; env?: NodeJS.ProcessEnv }): Promise<CmdResult>;
  /** The docker CLI, run as the user. */
  docker(args: string[], opts?: { input?: string | Buffer; timeoutMs?: number }): Promise<CmdResult>;
  dockerOk(args: string[], opts?: { input?: string | Buffer; timeoutMs?: number }): Promise<string>;
  /** The pid of the pause process holding the namespaces (undefined before the first start). */
  pausePid(): number | undefined;
  /** Stops the service (containers and the pause process stay). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Starts the service again on the same storage, socket and pause process. */
  restart(): Promise<void>;
  /** Removes containers, stops the service, kills the pause process, removes the temp dir. */
  cleanup(): Promise<void>;
}

export interface RootlessOptions {
  user?: { name: string; sub?: { start: number; count: number } };
  /** Extra service args before the URI (default --time 0). */
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** Wait for /_ping (default true); false for a start expected to fail. */
  wait?: boolean;
}

export async function startRootlessBerth(o: RootlessOptions = {}): Promise<RootlessBerth> {
  const user = ensureUser(o.user ?? SUITE_USER);
  openCheckout();
  const dir = mkdtempSync(join(tmpdir(), 'berth-rl-'));
  const home = join(dir, 'home');
  const xdg = join(dir, 'xdg');
  mkdirSync(home);
  mkdirSync(xdg, { mode: 0o700 });
  // An empty client config: podman-remote refuses a DOCKER_CONFIG that names no file.
  mkdirSync(join(home, '.docker'));
  writeFileSync(join(home, '.docker', 'config.json'), '{}\n');
  for (const d of [dir, home, xdg, join(home, '.docker'), join(home, '.docker', 'config.json')]) chownSync(d, user.uid, user.gid);
  chmodSync(dir, 0o755);
  const socket = join(dir, 'berth.sock');
  const confFile = join(dir, 'containers.conf');
  writeFileSync(confFile, '');
  const env: NodeJS.ProcessEnv = {
    PATH: `${dirname(process.execPath)}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
    HOME: home,
    USER: user.name,
    LOGNAME: user.name,
    XDG_RUNTIME_DIR: xdg,
    // Tests must not pick up the machine's containers.conf settings unless they ask to.
    CONTAINERS_CONF: confFile,
    DOCKER_HOST: `unix://${socket}`,
    DOCKER_CONFIG: join(home, '.docker'),
    ...o.env,
  };
  const runRoot = join(xdg, 'berth');
  let proc!: ChildProcess;
  let err = '';
  let exited!: Promise<number | null>;
  const start = async (wait: boolean) => {
    err = '';
    proc = spawn(process.execPath, [BERTH_BIN, 'system', 'service', ...(o.args ?? ['--time', '0']), `unix://${socket}`], {
      env,
      uid: user.uid,
      gid: user.gid,
      cwd: home,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    proc.stderr!.on('data', (c) => (err += c));
    exited = new Promise((r) => proc.once('exit', (code) => r(code)));
    if (!wait) return;
    const ok = await waitFor(async () => {
      if (proc.exitCode !== null) return true;
      if (!existsSync(socket)) return false;
      try {
        return (await unixRequest(socket, 'GET', '/_ping')).status === 200;
      } catch {
        return false;
      }
    }, 20_000);
    if (!ok || proc.exitCode !== null) throw new Error(`rootless berth did not start (exit ${proc.exitCode}): ${err}`);
  };
  const runAs: RootlessBerth['runAs'] = (cmd, args, opts = {}) => runAsUser(user, cmd, args, { ...opts, env: { ...env, ...opts.env }, cwd: home });
  const b: RootlessBerth = {
    user,
    get proc() {
      return proc;
    },
    dir,
    home,
    xdg,
    socket,
    root: join(home, '.local', 'share', 'berth'),
    runRoot,
    env,
    stderr: () => err,
    get exited() {
      return exited;
    },
    request: (method, path, body, headers) => unixRequest(socket, method, path, body, headers),
    runAs,
    docker: (a, opts) => runAs(DOCKER, a, opts),
    dockerOk: async (a, opts) => {
      const r = await runAs(DOCKER, a, opts);
      assert.equal(r.code, 0, `docker ${a.join(' ')} failed: ${r.stderr}`);
      return r.stdout;
    },
    pausePid: () => {
      try {
        return Number(readFileSync(join(runRoot, 'pause.pid'), 'utf8').trim()) || undefined;
      } catch {
        return undefined;
      }
    },
    stop: async (signal = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
    restart: () => start(true),
    cleanup: async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        const ids = (await b.docker(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
        if (ids.length) await b.docker(['rm', '-f', ...ids], { timeoutMs: 60_000 });
      }
      await b.stop();
      const pid = b.pausePid();
      // The namespaces (and every mount made in them) go with their last process.
      if (pid) killNamespace(pid);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await start(o.wait !== false);
  return b;
}

/** A command as `user` (execFile with its uid and gid; no shell). */
export function runAsUser(user: TestUser, cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string | Buffer; timeoutMs?: number; cwd?: string } = {}): Promise<CmdResult> {
  return new Promise((resolveP) => {
    const p = execFile(
      cmd,
      args,
      { env: opts.env, uid: user.uid, gid: user.gid, cwd: opts.cwd, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 256 * 1024 * 1024, encoding: 'buffer' },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : (p.exitCode ?? 1)) : 0;
        resolveP({ code, stdout: stdout.toString(), stderr: stderr.toString() });
      },
    );
    if (opts.input !== undefined) p.stdin!.end(opts.input);
    else p.stdin!.end();
  });
}

/** SIGKILLs every process in the pause process's user namespace, the pause process last. */
export function killNamespace(pausePid: number): void {
  let ns: string;
  try {
    ns = readlinkSync(`/proc/${pausePid}/ns/user`);
  } catch {
    return;
  }
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === pausePid) continue;
    try {
      if (readlinkSync(`/proc/${e}/ns/user`) === ns) process.kill(Number(e), 'SIGKILL');
    } catch {
      /* gone, or a nested namespace */
    }
  }
  try {
    process.kill(pausePid, 'SIGKILL');
  } catch {
    /* gone */
  }
}
