// One probe: the check's command as an exec session in the container (the exec machinery, so it
// runs under conmon like `docker exec`), its stdout and stderr captured together, killed when it
// outlives the timeout.
import type { ExecService } from '../exec/service.js';
import { clipOutput, OUTPUT_MAX } from './transitions.js';
import type { HealthLogEntry } from './types.js';

/** Go's time.Duration.String for whole milliseconds, as dockerd words its timeout message. */
export function goDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${s}s`;
}

/** `maxOutput`: bytes of output the log keeps (dockerd 4096, podman 500). */
export async function runProbe(exec: ExecService, containerId: string, argv: string[], timeoutMs: number, maxOutput = OUTPUT_MAX): Promise<HealthLogEntry> {
  const start = new Date();
  const chunks: Buffer[] = [];
  let size = 0;
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  let code: number;
  let id: string | undefined;
  let failure = '';
  try {
    id = exec.create(containerId, { Cmd: argv, AttachStdout: true, AttachStderr: true }, { quiet: true }).id;
    const run = exec.start(id, { detach: false });
    const ended = new Promise<void>((r) => {
      if (run.session) run.session.onEnd(() => r());
      else r();
    });
    run.session?.onOutput((_s, d) => {
      // Only what the log keeps is held.
      if (size > maxOutput) return;
      chunks.push(d);
      size += d.length;
    });
    run.started.then(
      (pid) => {
        timer = setTimeout(() => {
          timedOut = true;
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* already gone */
          }
        }, timeoutMs);
      },
      (e: Error) => {
        failure = e.message;
      },
    );
    code = await run.exited;
    // Output still in flight when the exit was reported; never wait long for it.
    await Promise.race([ended, new Promise((r) => setTimeout(r, 1000).unref())]);
  } catch (e) {
    code = -1;
    failure = (e as Error).message;
  } finally {
    if (timer) clearTimeout(timer);
  }
  // A probe's session is the check's own: it leaves nothing for `exec inspect` or ExecIDs.
  if (id) exec.forget(id);
  const end = new Date();
  if (timedOut) return { Start: iso(start), End: iso(end), ExitCode: -1, Output: `Health check exceeded timeout (${goDuration(timeoutMs)})` };
  const out = failure && !size ? failure : clipOutput(Buffer.concat(chunks), maxOutput);
  return { Start: iso(start), End: iso(end), ExitCode: code, Output: out };
}

/** RFC 3339 with nanosecond digits, as Go marshals a time. */
function iso(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}
