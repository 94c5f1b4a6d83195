// pasta (passt's namespace mode) as the connector of one network namespace: it configures a tap
// interface there with the host's addresses and routes, carries the namespace's outbound traffic
// through host sockets, binds the published ports on the host and forwards them in. It daemonizes
// once set up, writes its pid, and quits by itself when the namespace's bind mount is removed.
// Options are the ones Debian 12's passt (a 2023-03 snapshot) has; podman 5 starts it the same way.
import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import type { PublishedPort } from './types.js';

/** pasta answers DNS queries to this address with the host's resolver (podman 5's choice). */
export const PASTA_DNS = '169.254.1.1';
const START_TIMEOUT_MS = 30_000;

export interface PastaInput {
  netnsPath: string;
  pidFile: string;
  ports: PublishedPort[];
  /** containers.conf's pasta_options, appended (they may override the defaults). */
  extra?: string[];
}

/** One `-t`/`-u` spec: `[ADDR/]HOST:CTR`. */
export function pastaPortSpec(p: PublishedPort): string {
  return `${p.hostIp ? `${p.hostIp}/` : ''}${p.hostPort}:${p.containerPort}`;
}

export function pastaArgs(i: PastaInput): string[] {
  const a = ['--config-net', '--netns', i.netnsPath, '--pid', i.pidFile, '--quiet'];
  // Traffic to the gateway goes to the gateway, not to the host's loopback (podman 5's default).
  a.push('--no-map-gw', '--dns-forward', PASTA_DNS);
  // Without explicit specs pasta forwards every port bound on either side ("auto"), so each
  // direction is "none" unless published ports or the options' own specs say otherwise.
  const extra = i.extra ?? [];
  const given = (short: string, long: string) => extra.some((o) => o === short || o === long || o.startsWith(`${long}=`) || (o.startsWith(short) && o.length > 2));
  for (const [flag, long, proto] of [['-t', '--tcp-ports', 'tcp'], ['-u', '--udp-ports', 'udp']] as const) {
    const specs = i.ports.filter((p) => p.protocol === proto).map(pastaPortSpec);
    if (!specs.length && !given(flag, long)) a.push(flag, 'none');
    for (const s of specs) a.push(flag, s);
  }
  if (!given('-T', '--tcp-ns')) a.push('-T', 'none');
  if (!given('-U', '--udp-ns')) a.push('-U', 'none');
  a.push(...extra);
  return a;
}

/** Its stderr without the syslog noise it prints where no syslog listens. */
export function pastaMessage(stderr: string): string {
  return stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^Failed to send \d+ bytes to syslog/.test(l))
    .join('; ');
}

/** Starts pasta for the namespace and answers its pid once it has daemonized. */
export function startPasta(pasta: string, i: PastaInput): Promise<number> {
  rmSync(i.pidFile, { force: true });
  return new Promise((resolve, reject) => {
    execFile(pasta, pastaArgs(i), { timeout: START_TIMEOUT_MS, killSignal: 'SIGKILL' }, (err, _out, stderr) => {
      if (err) {
        reject(new Error(`pasta: ${pastaMessage(String(stderr)) || err.message}`));
        return;
      }
      const pid = Number(readPid(i.pidFile));
      if (!Number.isInteger(pid) || pid <= 0) reject(new Error(`pasta wrote no pid to ${i.pidFile}`));
      else resolve(pid);
    });
  });
}

function readPid(f: string): string {
  try {
    return readFileSync(f, 'utf8').trim();
  } catch {
    return '';
  }
}
