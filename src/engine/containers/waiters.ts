/**
 * Pending waits on container state. Changes made in this process `kick` them at once; changes
 * made by other processes (another service, a cleanup process) are seen by polling the state
 * DB, which only runs while someone waits.
 */
/** The longest wait a timer can time (about 24.8 days): Node fires a longer one after 1 ms. */
const TIMER_MAX_MS = 2 ** 31 - 1;

export class Waiters {
  private waiters = new Set<() => void>();
  private pollTimer: NodeJS.Timeout | undefined;

  constructor(private readonly pollMs = 100) {}

  /**
   * Resolves with the first defined value of `check`, or undefined on timeout or abort; a timeout
   * beyond what a timer can time (a stop's `t` of years) waits without one.
   */
  waitFor<T>(check: () => T | undefined, ms?: number, signal?: AbortSignal): Promise<T | undefined> {
    const first = check();
    if (first !== undefined) return Promise.resolve(first);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (v: T | undefined) => {
        this.waiters.delete(w);
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (!this.waiters.size && this.pollTimer) {
          clearInterval(this.pollTimer);
          this.pollTimer = undefined;
        }
        resolve(v);
      };
      const w = () => {
        const v = check();
        if (v !== undefined) finish(v);
      };
      const onAbort = () => finish(undefined);
      signal?.addEventListener('abort', onAbort);
      if (ms !== undefined && ms <= TIMER_MAX_MS) timer = setTimeout(() => finish(undefined), ms);
      this.waiters.add(w);
      this.pollTimer ??= setInterval(() => this.kick(), this.pollMs);
    });
  }

  kick(): void {
    for (const w of [...this.waiters]) w();
  }

  close(): void {
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = undefined;
    this.kick();
  }
}
