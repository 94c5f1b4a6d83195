/**
 * Decides when the service has been idle for `--time` seconds. Active = a request in flight or a
 * hijacked/streaming connection; idle keep-alive connections do not keep the service alive
 * (podman behaves the same), but the countdown restarts whenever activity ends.
 *
 * Activity only stamps a time; the one timer re-arms itself for the remainder when it fires
 * early, so a busy service pays no timer churn per request.
 */
export class IdleTracker {
  private active = 0;
  private last = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private readonly quiet: { ms: number; run: () => void; timer?: NodeJS.Timeout }[];
  private stopped = false;

  /**
   * Each `quiet` hook is told once each time activity has ended and its `ms` passed without more
   * (whatever `--time` is): the moments to hand back memory a burst of work grew.
   */
  constructor(
    private timeoutMs: number,
    private readonly onIdle: () => void,
    quiet?: { ms: number; run: () => void } | { ms: number; run: () => void }[],
  ) {
    this.quiet = (Array.isArray(quiet) ? quiet : quiet ? [quiet] : []).map((q) => ({ ...q }));
    this.schedule(timeoutMs);
  }

  get activeCount(): number {
    return this.active;
  }

  enter(): void {
    this.active++;
  }

  leave(): void {
    if (this.active > 0) this.active--;
    this.touch();
  }

  /** A connection opened or closed, or a request was answered at once: restart the countdown. */
  touch(): void {
    this.last = Date.now();
    if (this.stopped) return;
    for (const q of this.quiet) if (!q.timer) this.armQuiet(q, q.ms);
  }

  /**
   * The timeout from now on, counted from the last activity as if it had been known from the
   * start (the service learns containers.conf's service_timeout only after listening).
   */
  setTimeoutMs(ms: number): void {
    this.timeoutMs = ms;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.active === 0) this.schedule(Math.max(0, this.last + ms - Date.now()));
    else this.schedule(ms);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const q of this.quiet) if (q.timer) clearTimeout(q.timer);
  }

  private armQuiet(q: (typeof this.quiet)[number], ms: number): void {
    q.timer = setTimeout(() => {
      const left = this.last + q.ms - Date.now();
      if (this.active > 0 || left > 0) return this.armQuiet(q, this.active > 0 ? q.ms : left);
      q.timer = undefined;
      q.run();
    }, ms);
    q.timer.unref();
  }

  private schedule(ms: number): void {
    if (this.timeoutMs <= 0 || this.stopped) return;
    this.timer = setTimeout(() => this.check(), ms);
  }

  private check(): void {
    if (this.stopped) return;
    if (this.active > 0) return this.schedule(this.timeoutMs);
    const left = this.last + this.timeoutMs - Date.now();
    if (left > 0) return this.schedule(left);
    this.onIdle();
  }
}
