// Small helpers for the bench: commands with timeouts, HTTP over unix sockets, statistics,
// process memory. Plain ESM so the bench runs without a build step.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import http from 'node:http';

export const now = () => Number(process.hrtime.bigint()) / 1e6; // ms, float
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs a command; never throws. Returns {code, stdout, stderr, ms, outBytes}.
 * opts: env, timeoutMs (default 120 s), input, countOnly (count stdout bytes, keep none),
 * discard (stdout goes to /dev/null: the cheapest sink, nothing counted).
 */
export function sh(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const t0 = now();
    let p;
    try {
      p = spawn(cmd, args, { env: opts.env ?? process.env, stdio: [opts.input === undefined ? 'ignore' : 'pipe', opts.discard ? 'ignore' : 'pipe', 'pipe'], cwd: opts.cwd });
    } catch (e) {
      resolve({ code: -1, stdout: '', stderr: String(e), ms: 0, outBytes: 0 });
      return;
    }
    const out = [];
    const err = [];
    let outBytes = 0;
    let errLen = 0;
    p.stdout?.on('data', (c) => {
      outBytes += c.length;
      if (!opts.countOnly) out.push(c);
    });
    p.stderr.on('data', (c) => {
      // Keep the first 64 KiB of stderr: enough for an error message.
      if (errLen < 65536) err.push(c);
      errLen += c.length;
    });
    if (opts.input !== undefined) p.stdin.end(opts.input);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      p.kill('SIGKILL');
    }, opts.timeoutMs ?? 120_000);
    p.on('error', (e) => err.push(Buffer.from(String(e))));
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      const ms = now() - t0;
      let stderr = Buffer.concat(err).toString();
      if (timedOut) stderr = `timed out after ${opts.timeoutMs ?? 120_000} ms; ` + stderr;
      resolve({ code: code ?? (signal ? 128 : -1), stdout: Buffer.concat(out).toString(), stderr, ms, outBytes });
    });
  });
}

/** Throws with the command's stderr when it fails. */
export async function must(cmd, args, opts) {
  const r = await sh(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.code}: ${firstLine(r.stderr || r.stdout)}`);
  return r;
}

export const firstLine = (s) =>
  String(s ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(0, 2)
    .join(' / ')
    .slice(0, 300);

const agent = new Map();
/** HTTP over a unix socket (keep-alive agent per socket). Resolves {status, text, json, ms}; rejects on socket errors. */
export function req(socket, method, path, body, { timeoutMs = 120_000, fresh = false } = {}) {
  return new Promise((resolve, reject) => {
    if (!agent.has(socket)) agent.set(socket, new http.Agent({ keepAlive: true, maxSockets: 16 }));
    const data = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const t0 = now();
    const r = http.request(
      {
        socketPath: socket,
        method,
        path,
        agent: fresh ? false : agent.get(socket),
        headers: { Host: 'localhost', ...(data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {}) },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const ms = now() - t0;
          const text = Buffer.concat(chunks).toString();
          let json;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, text, json, ms, bytes: Buffer.byteLength(text) });
        });
        res.on('error', reject);
      },
    );
    r.on('timeout', () => r.destroy(new Error(`${method} ${path}: timed out`)));
    r.on('error', reject);
    r.end(data);
  });
}

/** GET streamed and counted, never kept: {status, bytes, ms}. */
export function countGet(socket, path, timeoutMs = 300_000) {
  return new Promise((resolve, reject) => {
    const t0 = now();
    const r = http.get({ socketPath: socket, path, agent: false, headers: { Host: 'localhost' }, timeout: timeoutMs }, (res) => {
      let bytes = 0;
      res.on('data', (c) => (bytes += c.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, ms: now() - t0 }));
      res.on('error', reject);
    });
    r.on('timeout', () => r.destroy(new Error(`GET ${path}: timed out`)));
    r.on('error', reject);
  });
}

export function closeAgents() {
  for (const a of agent.values()) a.destroy();
  agent.clear();
}

/** Runs fn(i) for i in [0, n) with at most `conc` in flight; collects results in order. */
export async function pool(n, conc, fn) {
  const res = new Array(n);
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      res[i] = await fn(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(conc, n) }, worker));
  return res;
}

// ---------- statistics ----------
export function quantile(xs, q) {
  const a = xs.filter((x) => Number.isFinite(x)).sort((x, y) => x - y);
  if (!a.length) return null;
  const pos = (a.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return a[lo] + (a[hi] - a[lo]) * (pos - lo);
}
export const median = (xs) => quantile(xs, 0.5);

/** {median, min, max, n, values} of per-repetition values. */
export function summarize(values) {
  const v = values.filter((x) => Number.isFinite(x));
  if (!v.length) return null;
  return { median: median(v), min: Math.min(...v), max: Math.max(...v), n: v.length, values: v.map((x) => round(x)) };
}

export function round(x, digits = 3) {
  if (!Number.isFinite(x)) return x;
  const m = 10 ** digits;
  return Math.round(x * m) / m;
}

// ---------- processes and memory ----------
export function readProc(pid, file) {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return '';
  }
}

/** {rss, pss} in KiB of one process (pss from smaps_rollup). */
export function memOf(pid) {
  const status = readProc(pid, 'status');
  const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  const roll = readProc(pid, 'smaps_rollup');
  const pss = Number(/^Pss:\s+(\d+)/m.exec(roll)?.[1] ?? NaN);
  return { rss, pss };
}

/** All pids whose command line contains `needle` (and optionally whose comm matches). */
export function findProcs(needle, commRe) {
  const out = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const cmd = readProc(d, 'cmdline').replace(/\0/g, ' ');
    if (!cmd.includes(needle)) continue;
    const comm = readProc(d, 'comm').trim();
    if (commRe && !commRe.test(comm)) continue;
    out.push({ pid: Number(d), comm, cmd });
  }
  return out;
}

export function alive(pid) {
  return pid > 0 && existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readProc(pid, 'status'));
}

/** Waits for a unix socket to answer GET /_ping with 200; returns ms waited or null on timeout. */
export async function waitPing(socket, timeoutMs = 30_000, stepMs = 2, gaveUp = () => false) {
  const t0 = now();
  while (now() - t0 < timeoutMs && !gaveUp()) {
    try {
      const r = await req(socket, 'GET', '/_ping', undefined, { timeoutMs: 5000, fresh: true });
      if (r.status === 200) return now() - t0;
    } catch {
      /* not yet */
    }
    await sleep(stepMs);
  }
  return null;
}

export function log(...a) {
  const t = new Date().toISOString().slice(11, 19);
  process.stderr.write(`[bench ${t}] ${a.join(' ')}\n`);
}
