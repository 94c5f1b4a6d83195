// slirp4netns as the connector of one network namespace: a user-mode TCP/IP stack behind a tap
// interface there (10.0.2.100/24, gateway 10.0.2.2, resolver 10.0.2.3). It stays in the
// foreground, so berth starts it in a session of its own and lets it go once it reports ready
// (--ready-fd); published ports are added through its API socket (add_hostfwd), as podman's
// slirp4netns port handler does. It ends when its pid is signalled at teardown.
import { spawn } from 'node:child_process';
import { closeSync, openSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import type { PublishedPort } from './types.js';

/** Its built-in resolver (it forwards to the host's); the address and gateway are read back from the namespace. */
export const SLIRP_DNS = '10.0.2.3';
const READY_TIMEOUT_MS = 30_000;

export interface SlirpInput {
  netnsPath: string;
  apiSocket: string;
  /** Where its output goes (it runs on after berth is gone). */
  logFile: string;
  ipv6?: boolean;
}

export function slirpArgs(i: SlirpInput): string[] {
  const a = ['--configure', '--mtu=65520', '--disable-host-loopback'];
  if (i.ipv6) a.push('--enable-ipv6');
  a.push('--netns-type=path', '--ready-fd=3', `--api-socket=${i.apiSocket}`, i.netnsPath, 'tap0');
  return a;
}

/** The API request that publishes one port. */
export function hostFwdRequest(p: PublishedPort): Record<string, unknown> {
  return { execute: 'add_hostfwd', arguments: { proto: p.protocol, host_addr: p.hostIp || '0.0.0.0', host_port: p.hostPort, guest_port: p.containerPort } };
}

/** Starts slirp4netns detached; answers its pid once the namespace's tap is configured. */
export function startSlirp(slirp: string, i: SlirpInput): Promise<number> {
  rmSync(i.apiSocket, { force: true });
  const log = openSync(i.logFile, 'a', 0o600);
  const child = spawn(slirp, slirpArgs(i), { detached: true, stdio: ['ignore', log, log, 'pipe'] });
  closeSync(log);
  return new Promise((resolve, reject) => {
    const ready = child.stdio[3] as NodeJS.ReadableStream & { destroy(): void };
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      ready.destroy();
      child.unref();
      if (err) {
        if (child.exitCode === null) child.kill('SIGKILL');
        reject(err);
      } else resolve(child.pid!);
    };
    const timer = setTimeout(() => finish(new Error('slirp4netns did not get ready in time')), READY_TIMEOUT_MS);
    ready.once('data', () => finish());
    child.once('error', (e) => finish(new Error(`running slirp4netns: ${e.message}`)));
    child.once('exit', (code, sig) => finish(new Error(`slirp4netns exited (${sig ?? `status ${code}`}) before it was ready; see ${i.logFile}`)));
  });
}

/** One API call: the JSON request in, its JSON answer out (an `error` member is thrown). */
export function slirpApi(socket: string, req: Record<string, unknown>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const s = connect(socket);
    let out = '';
    s.setTimeout(10_000, () => s.destroy(new Error('slirp4netns API did not answer')));
    s.on('connect', () => s.end(JSON.stringify(req)));
    s.on('data', (d) => (out += d.toString()));
    s.on('error', (e) => reject(new Error(`slirp4netns API: ${e.message}`)));
    s.on('close', () => {
      try {
        const a = JSON.parse(out) as { error?: { desc?: string }; return?: unknown };
        if (a.error) reject(new Error(`slirp4netns: ${a.error.desc ?? JSON.stringify(a.error)}`));
        else resolve(a.return);
      } catch {
        reject(new Error(`slirp4netns API answered ${JSON.stringify(out.slice(0, 200))}`));
      }
    });
  });
}
