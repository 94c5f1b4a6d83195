// netavark as podman runs it: `netavark --config DIR --rootless false --aardvark-binary PATH
// --file OPTIONS setup|teardown NETNS`. Calls are serialised across processes (the service,
// cleanup processes, other services on this storage) with flock on one lock file: two setups
// on one network would race creating its firewall chains.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { privateDir, writePrivateFile } from '../lib/private-fs.js';
import { STDERR_KEEP } from '../oci/child.js';
import type { NetworkOptions, StatusBlock } from './netavark-types.js';

/** A setup takes ~0.1 s; this only ends one stuck on the lock or the firewall. */
const NETAVARK_TIMEOUT_MS = 60_000;

export class NetavarkError extends Error {}

export interface NetavarkTools {
  netavark: string;
  aardvark?: string;
  flock: string;
  /** Rootless: netavark runs inside the rootless network namespace, entered with nsenter. */
  rootless?: { nsenter: string };
}

export class Netavark {
  constructor(
    private readonly tools: NetavarkTools,
    /** netavark's --config: aardvark-dns keeps its config and pid file below it. */
    readonly configDir: string,
  ) {}

  /** Creates the interfaces, routes, firewall rules and DNS entries; answers per network name. */
  async setup(netnsPath: string, opts: NetworkOptions, inNetns?: string): Promise<Record<string, StatusBlock>> {
    const out = await this.run('setup', netnsPath, opts, inNetns);
    try {
      return JSON.parse(out) as Record<string, StatusBlock>;
    } catch {
      throw new NetavarkError(`netavark setup answered no JSON: ${out.slice(0, 200)}`);
    }
  }

  async teardown(netnsPath: string, opts: NetworkOptions, inNetns?: string): Promise<void> {
    await this.run('teardown', netnsPath, opts, inNetns);
  }

  /** `inNetns`: the rootless network namespace, where the bridges are (rootless only). */
  private run(cmd: 'setup' | 'teardown', netnsPath: string, opts: NetworkOptions, inNetns?: string): Promise<string> {
    privateDir(this.configDir);
    const tag = randomBytes(6).toString('hex');
    const input = join(this.configDir, `${tag}.json`);
    const outFile = join(this.configDir, `${tag}.out`);
    const errFile = join(this.configDir, `${tag}.err`);
    writePrivateFile(input, JSON.stringify(opts));
    // Files, not pipes, for its output: aardvark-dns, which netavark starts, inherits them and
    // would hold a pipe open for as long as it runs.
    const outFd = openSync(outFile, 'w', 0o600);
    const errFd = openSync(errFile, 'w', 0o600);
    // -o: the lock's fd is not passed on; aardvark-dns, which netavark may start, would hold it.
    const rl = this.tools.rootless;
    if (rl && !inNetns) throw new NetavarkError('rootless netavark runs in the rootless network namespace only');
    const enter = rl ? [rl.nsenter, `--net=${inNetns}`, '--'] : [];
    const args = ['-o', '-w', String(NETAVARK_TIMEOUT_MS / 1000), join(this.configDir, 'netavark.lock'), ...enter, this.tools.netavark, '--config', this.configDir, '--rootless', rl ? 'true' : 'false'];
    if (this.tools.aardvark) args.push('--aardvark-binary', this.tools.aardvark);
    args.push('--file', input, cmd, netnsPath);
    return new Promise<string>((resolve, reject) => {
      const child = spawn(this.tools.flock, args, { stdio: ['ignore', outFd, errFd], env: { ...process.env, RUST_LOG: 'error' } });
      closeSync(outFd);
      closeSync(errFd);
      const timer = setTimeout(() => child.kill('SIGKILL'), NETAVARK_TIMEOUT_MS + 5_000);
      const read = (f: string) => {
        try {
          return readFileSync(f, 'utf8');
        } catch {
          return '';
        }
      };
      let done = false;
      const finish = (code: number | null, signal: string | null, spawnError?: Error) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        const out = read(outFile);
        const errText = read(errFile).slice(0, STDERR_KEEP);
        for (const f of [input, outFile, errFile]) rmSync(f, { force: true });
        if (spawnError) reject(new NetavarkError(`running netavark: ${spawnError.message}`));
        else if (code === 0) resolve(out);
        else reject(new NetavarkError(`netavark ${cmd}: ${netavarkMessage(`${errText}\n${out.slice(0, STDERR_KEEP)}`) || (signal ? `killed by ${signal}` : `exit status ${code}`)}`));
      };
      child.once('error', (e) => finish(null, null, e));
      child.once('exit', (code, signal) => finish(code, signal));
    });
  }
}

/** netavark prints `{"error": "..."}` on stdout on failure, and log noise (syslog) on stderr. */
function netavarkMessage(stderr: string): string {
  for (const line of stderr.split('\n').reverse()) {
    const t = line.trim();
    if (!t.startsWith('{')) continue;
    try {
      const e = (JSON.parse(t) as { error?: string }).error;
      if (e) return e;
    } catch {
      /* not its JSON */
    }
  }
  return stderr.split('\n').filter((l) => l.trim() && !/syslog/.test(l)).join('; ').slice(0, 1000);
}
