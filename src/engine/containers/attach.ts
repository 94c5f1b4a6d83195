import { CONMON_STDERR, type AttachConn, type StreamId } from '../../oci/attach.js';
import type { AttachOptions, AttachStream } from './types.js';

/**
 * One client's view of a container's stdio. It may exist before the container runs (docker run
 * attaches first); `connect` hands it conmon's socket once the container is created.
 */
export class AttachSession implements AttachStream {
  private conn: AttachConn | undefined;
  private outCbs: ((s: 1 | 2, d: Buffer) => void)[] = [];
  private endCbs: ((err?: string) => void)[] = [];
  private ended = false;
  private queuedStdin: Buffer[] = [];
  private stdinClosed = false;

  constructor(
    readonly id: string,
    readonly tty: boolean,
    readonly opts: AttachOptions,
  ) {}

  connect(conn: AttachConn): void {
    if (this.ended) return conn.close();
    this.conn = conn;
    conn.onOutput((stream: StreamId, data: Buffer) => {
      const s = stream === CONMON_STDERR ? 2 : 1;
      if ((s === 1 && !this.opts.stdout) || (s === 2 && !this.opts.stderr)) return;
      for (const cb of this.outCbs) cb(s, data);
    });
    conn.onClose(() => this.finish());
    for (const b of this.queuedStdin.splice(0)) conn.writeStdin(b);
    if (this.stdinClosed) conn.endStdin();
  }

  onOutput(cb: (stream: 1 | 2, data: Buffer) => void): void {
    this.outCbs.push(cb);
  }

  onEnd(cb: (err?: string) => void): void {
    if (this.ended) cb();
    else this.endCbs.push(cb);
  }

  write(data: Buffer): void {
    if (!this.opts.stdin || this.ended) return;
    if (this.conn) this.conn.writeStdin(data);
    else this.queuedStdin.push(data);
  }

  endStdin(): void {
    if (!this.opts.stdin) return;
    this.stdinClosed = true;
    this.conn?.endStdin();
  }

  fail(msg: string): void {
    this.finish(msg);
  }

  close(): void {
    this.conn?.close();
    this.finish();
  }

  private finish(err?: string): void {
    if (this.ended) return;
    this.ended = true;
    for (const cb of this.endCbs.splice(0)) cb(err);
  }
}

/** Sessions attached to containers that are not running yet, connected by their next start. */
export class PendingAttaches {
  private byId = new Map<string, Set<AttachSession>>();

  add(s: AttachSession): void {
    let set = this.byId.get(s.id);
    if (!set) this.byId.set(s.id, (set = new Set()));
    set.add(s);
    // A session that ends before the start (the client went away) takes its entry along.
    s.onEnd(() => {
      set!.delete(s);
      if (!set!.size && this.byId.get(s.id) === set) this.byId.delete(s.id);
    });
  }

  /** Connects every waiting session; runs after the runtime created the container, before it starts. */
  async connect(id: string, open: () => Promise<AttachConn>): Promise<void> {
    const set = this.byId.get(id);
    this.byId.delete(id);
    if (!set?.size) return;
    await Promise.all(
      [...set].map(async (s) => {
        try {
          s.connect(await open());
        } catch (e) {
          s.fail((e as Error).message);
        }
      }),
    );
  }

  fail(id: string, msg: string): void {
    const set = this.byId.get(id);
    this.byId.delete(id);
    for (const s of set ?? []) s.fail(msg);
  }
}
