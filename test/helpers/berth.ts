// Starts a real berth service on a temp socket with temp storage, for end-to-end tests.
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** Repository root (tests run from dist/test/helpers). */
export const REPO = resolve(here, '..', '..', '..');
export const BERTH_BIN = join(REPO, 'bin', 'berth.js');
export const DOCKER = '/usr/local/bin/docker';
export const FIXTURES = join(REPO, 'test', 'fixtures', 'build');

export interface BerthOptions {
  /** Extra args after `system service` (before the URI). Default: ['--time', '0']. */
  args?: string[];
  /** Override the URI; default unix://<tmp>/berth.sock. Pass null to omit it. */
  uri?: string | null;
  env?: NodeJS.ProcessEnv;
  /** Reuse the storage of an earlier instance (to test restarts). */
  root?: string;
  runRoot?: string;
  logLevel?: string;
  /** Wait for the socket to answer /_ping before returning (default true). */
  wait?: boolean;
}

export interface Berth {
  proc: ChildProcess;
  dir: string;
  socket: string;
  root: string;
  runRoot: string;
  env: NodeJS.ProcessEnv;
  stderr(): string;
  stdout(): string;
  exited: Promise<number | null>;
  /** GET/POST etc. over the unix socket; body is parsed JSON when the answer is JSON. */
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<HttpResult>;
  /** Runs the real docker CLI against this service. */
  docker(args: string[], opts?: { input?: string | Buffer; timeoutMs?: number }): Promise<CmdResult>;
  /** The same, asserting exit code 0; returns stdout. */
  dockerOk(args: string[], opts?: { input?: string | Buffer; timeoutMs?: number }): Promise<string>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Stops the service and removes its temp storage (unmounting anything left). */
  cleanup(): Promise<void>;
}

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: any;
}

export interface CmdResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string | Buffer; timeoutMs?: number } = {}): Promise<CmdResult> {
  return new Promise((resolveP) => {
    const p = execFile(cmd, args, { env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 512 * 1024 * 1024, encoding: 'buffer' }, (err, stdout, stderr) => {
      const code = err ? ((err as NodeJS.ErrnoException & { code?: unknown }).code as number | undefined) ?? (p.exitCode ?? 1) : 0;
      resolveP({ code: typeof code === 'number' ? code : p.exitCode ?? 1, stdout: stdout.toString(), stderr: stderr.toString() });
    });
    if (opts.input !== undefined) p.stdin!.end(opts.input);
    else p.stdin!.end();
  });
}

export function unixRequest(socket: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpResult> {
  return new Promise((resolveP, reject) => {
    const data = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const req = http.request(
      { socketPath: socket, method, path, headers: { ...(data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {}), ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          if (/json/.test(String(res.headers['content-type'])) && text) {
            try {
              json = JSON.parse(text);
            } catch {
              json = undefined;
            }
          }
          resolveP({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

/** Removes every container the service holds: what a test file leaves behind before its cleanup. */
export async function removeAllContainers(b: Pick<Berth, 'docker'>): Promise<void> {
  const ids = (await b.docker(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
  if (ids.length) await b.docker(['rm', '-f', ...ids]);
}

export async function waitFor(pred: () => boolean | Promise<boolean>, timeoutMs = 10_000, stepMs = 25): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await pred()) return true;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return false;
}

export async function startBerth(o: BerthOptions = {}): Promise<Berth> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-test-'));
  const socket = join(dir, 'berth.sock');
  const root = o.root ?? join(dir, 'root');
  const runRoot = o.runRoot ?? join(dir, 'run');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    BERTH_ROOT: root,
    BERTH_RUNROOT: runRoot,
    // Tests must not pick up the machine's containers.conf settings unless they ask to.
    CONTAINERS_CONF: join(dir, 'containers.conf'),
    ...o.env,
  };
  const uri = o.uri === null ? [] : [o.uri ?? `unix://${socket}`];
  const args = [BERTH_BIN, ...(o.logLevel ? [`--log-level=${o.logLevel}`] : []), 'system', 'service', ...(o.args ?? ['--time', '0']), ...uri];
  const proc = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (c) => (out += c));
  proc.stderr!.on('data', (c) => (err += c));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const dockerEnv = { ...process.env, DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: join(dir, 'docker-config') };
  const b: Berth = {
    proc,
    dir,
    socket,
    root,
    runRoot,
    env,
    stderr: () => err,
    stdout: () => out,
    exited,
    request: (method, path, body, headers) => unixRequest(socket, method, path, body, headers),
    docker: (a, opts) => run(DOCKER, a, { env: dockerEnv, ...opts }),
    dockerOk: async (a, opts) => {
      const r = await run(DOCKER, a, { env: dockerEnv, ...opts });
      assert.equal(r.code, 0, `docker ${a.join(' ')} failed: ${r.stderr}`);
      return r.stdout;
    },
    stop: async (signal = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
    cleanup: async () => {
      await b.stop();
      await run('sh', ['-c', `grep -o " ${dir}[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null; true`]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  if (o.wait !== false && o.uri === undefined) {
    const ok = await waitFor(async () => {
      if (proc.exitCode !== null) return true;
      if (!existsSync(socket)) return false;
      try {
        return (await b.request('GET', '/_ping')).status === 200;
      } catch {
        return false;
      }
    }, 15_000);
    if (!ok || proc.exitCode !== null) throw new Error(`berth did not start (exit ${proc.exitCode}): ${err}`);
  }
  return b;
}
