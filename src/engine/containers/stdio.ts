// A container's stdio: its log, attach sessions through conmon, and its terminal's size.
import { join } from 'node:path';
import { connectAttach } from '../../oci/attach.js';
import { resizeConsole } from '../../oci/console-ctl.js';
import { readLog, readLogBatches } from '../../oci/logfile.js';
import { badParameter, conflict, internal } from '../errors.js';
import { AttachSession } from './attach.js';
import type { ContainerContext } from './context.js';
import type { AttachOptions, ContainerLogs, LogsOptions } from './types.js';
import { isLive } from './util.js';

export class ContainerStdio {
  constructor(private readonly ctx: ContainerContext) {}

  /** The log, from the start or `tail` lines back; `follow` ends once the run ends. */
  logs(ref: string, o: LogsOptions): ContainerLogs {
    const v = this.ctx.lookups.get(ref);
    if (v.parsed.HostConfig.LogConfig?.Type === 'none') throw badParameter('configured logging driver does not support reading');
    let lastCheck = 0;
    let done = false;
    const finished = () => {
      if (done) return true;
      const now = Date.now();
      if (now - lastCheck < 100) return false;
      lastCheck = now;
      const r = this.ctx.store.get(v.id);
      // A container that has not run yet (created, initialized) may still start: follow waits for it.
      const waiting = (s: string) => s === 'created' || s === 'initialized';
      done = !r || (!isLive(r.state) && !waiting(r.state)) || (waiting(r.state) && !waiting(v.state));
      return done;
    };
    return {
      tty: v.parsed.Config.Tty,
      lines: readLog(v.dirs.logPath, { ...o, finished }),
      batches: () => readLogBatches(v.dirs.logPath, { ...o, finished }),
    };
  }

  /**
   * Attaches to the container's stdio through conmon. Before the container runs (docker run
   * attaches first, then starts) the session waits and is connected by start, before the
   * process runs, so no output is lost.
   */
  async attach(ref: string, o: AttachOptions): Promise<AttachSession> {
    const v = this.ctx.lookups.get(ref);
    const s = new AttachSession(v.id, v.parsed.Config.Tty, o);
    if (v.state === 'running' || v.state === 'paused') {
      s.connect(await connectAttach(v.dirs.bundle));
    } else if (v.state === 'removing') {
      throw conflict(`container ${v.id} is being removed`);
    } else {
      this.ctx.pending.add(s);
    }
    this.ctx.publish('attach', v.id, {}, v);
    return s;
  }

  /** Terminal size through conmon's control fifo ("1 <height> <width>" is a resize). */
  resize(ref: string, height: number, width: number): void {
    const v = this.ctx.lookups.get(ref);
    if (!isLive(v.state)) throw conflict(`Container ${v.id} is not running`);
    if (!v.parsed.Config.Tty) return;
    try {
      resizeConsole(join(v.dirs.bundle, 'ctl'), height, width);
    } catch (e) {
      throw internal(`cannot resize the container's terminal: ${(e as Error).message}`);
    }
  }
}
