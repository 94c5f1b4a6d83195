// Socket activation of a rootless service. process.execve marks every fd above stderr
// close-on-exec, so the socket systemd passes as fd 3 would not reach berth in the namespace.
// An activated launcher therefore stays as a small supervisor instead: it runs the service in
// the namespace as its child with the passed fds at the same numbers, points LISTEN_PID at that
// child (sh sets it to its own pid, then execs berth in place), passes signals on and exits as
// the child does. systemd's main pid is the supervisor, so `systemctl stop` (KillMode=process)
// still reaches the service, and an idle exit still ends the unit.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

/** Whether systemd activated this process (LISTEN_PID names it), and with how many fds. */
export function activatedFds(env: NodeJS.ProcessEnv = process.env): number {
  if (env.LISTEN_PID !== String(process.pid)) return 0;
  const n = Number(env.LISTEN_FDS);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

const FORWARDED: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

/**
 * Runs `nsenter ... -- <berth argv>` as a child that gets fds 3..3+n-1; never resolves (the
 * process exits with the child).
 */
export function superviseActivated(nsenter: string, nsenterArgs: string[], command: string[], env: NodeJS.ProcessEnv, fds: number): Promise<never> {
  const childEnv = { ...env };
  delete childEnv.LISTEN_PID;
  const child = spawn(nsenter, [...nsenterArgs, '--', '/bin/sh', '-c', 'LISTEN_PID=$$; export LISTEN_PID; exec "$@"', 'sh', ...command], {
    env: childEnv,
    stdio: ['inherit', 'inherit', 'inherit', ...Array.from({ length: fds }, (_, i) => 3 + i)],
  });
  for (const s of FORWARDED) process.on(s, () => child.kill(s));
  return new Promise<never>(() => {
    child.on('error', (e) => {
      process.stderr.write(`Error: running the service in its user namespace: ${e.message}\n`);
      process.exit(125);
    });
    child.on('exit', (code, signal) => {
      if (signal) {
        // Die of the same signal, as the service did.
        for (const s of FORWARDED) process.removeAllListeners(s);
        process.kill(process.pid, signal);
      }
      process.exit(code ?? 128 + (signal ? constants.signals[signal] : 0));
    });
  });
}
