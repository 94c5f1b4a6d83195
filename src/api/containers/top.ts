// The `ps` arguments each layer's top asks for: docker passes ps_args to ps as they are (default
// -ef); podman takes ps descriptors (user,pid,args...) and only passes options starting with "-".
import type { Ctx } from '../../server/http.js';
import { startStream } from '../../server/http.js';
import { requestSignal } from '../http/request-signal.js';

/** podman's default descriptors. */
const LIBPOD_DEFAULT = 'user,pid,ppid,pcpu,etime,tty,time,args';
const LIBPOD_TITLES: Record<string, string> = {
  user: 'USER', pid: 'PID', ppid: 'PPID', pcpu: '%CPU', etime: 'ELAPSED', tty: 'TTY', time: 'TIME', args: 'COMMAND',
  comm: 'COMMAND', group: 'GROUP', nice: 'NI', pgid: 'PGID', rgroup: 'RGROUP', ruser: 'RUSER', vsz: 'VSZ', rss: 'RSS',
};

/** docker's ps_args (joined with spaces). */
export function compatPsArgs(psArgs: string | undefined): string[] {
  return (psArgs || '-ef').split(/\s+/).filter(Boolean);
}

/** podman's ps_args (joined with commas): descriptors become `-o desc=TITLE` columns, with a PID column. */
export function libpodPsArgs(psArgs: string | undefined): string[] {
  const desc = (psArgs || LIBPOD_DEFAULT).split(/[\s,]+/).filter(Boolean);
  if (desc.some((d) => d.startsWith('-'))) return psArgs!.split(/\s+/).filter(Boolean);
  if (!desc.includes('pid')) desc.unshift('pid');
  return ['-e', ...desc.flatMap((d) => ['-o', `${d}=${LIBPOD_TITLES[d] ?? d.toUpperCase()}`])];
}

/**
 * podman's top with `stream=true`: one reading every `delayS` seconds until the client goes
 * away, the service shuts down or a reading fails (the container or pod stopped). The first
 * reading comes before the status line, so a missing or stopped target is still its own error.
 */
export async function streamTop(ctx: Ctx, delayS: number, read: () => Promise<unknown>): Promise<void> {
  let reading = await read();
  const res = startStream(ctx);
  const { signal, done } = requestSignal(ctx);
  try {
    while (!signal.aborted) {
      res.write(JSON.stringify(reading) + '\n');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, delayS * 1000);
        signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      });
      if (signal.aborted) break;
      try {
        reading = await read();
      } catch {
        break;
      }
    }
  } finally {
    done();
    if (!res.writableEnded) res.end();
  }
}
