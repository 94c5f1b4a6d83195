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
  private stopped = false;

  constructor(
    private readonly timeoutMs: number,
    private readonly onIdle: () => void,
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
    this.last = Date.now();
  }

  /** A connection opened or closed, or a request was answered at once: restart the countdown. */
  touch(): void {
    this.last = Date.now();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
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
