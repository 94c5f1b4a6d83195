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
  private quietTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  /**
   * `quiet`, when given, is told once each time activity has ended and `ms` passed without more
   * (whatever `--time` is): the moment to hand back memory a burst of work grew.
   */
  constructor(
    private timeoutMs: number,
    private readonly onIdle: () => void,
    private readonly quiet?: { ms: number; run: () => void },
  ) {
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
    if (this.quiet && !this.quietTimer && !this.stopped) this.armQuiet(this.quiet.ms);
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
    if (this.quietTimer) clearTimeout(this.quietTimer);
  }

  private armQuiet(ms: number): void {
    this.quietTimer = setTimeout(() => {
      const left = this.last + this.quiet!.ms - Date.now();
      if (this.active > 0 || left > 0) return this.armQuiet(this.active > 0 ? this.quiet!.ms : left);
      this.quietTimer = undefined;
      this.quiet!.run();
    }, ms);
    this.quietTimer.unref();
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
