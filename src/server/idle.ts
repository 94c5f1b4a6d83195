/**
 * Decides when the service has been idle for `--time` seconds. Active = a request in flight or a
 * hijacked/streaming connection; idle keep-alive connections do not keep the service alive
 * (podman behaves the same), but the countdown restarts whenever activity ends.
 */
export class IdleTracker {
  private active = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly timeoutMs: number,
    private readonly onIdle: () => void,
  ) {
    this.arm();
  }

  get activeCount(): number {
    return this.active;
  }

  enter(): void {
    this.active++;
    this.disarm();
  }

  leave(): void {
    if (this.active > 0) this.active--;
    if (this.active === 0) this.arm();
  }

  /** A connection opened or closed: the countdown restarts from now. */
  touch(): void {
    if (this.active === 0) this.arm();
  }

  stop(): void {
    this.disarm();
  }

  private arm(): void {
    this.disarm();
    if (this.timeoutMs <= 0) return;
    this.timer = setTimeout(() => this.onIdle(), this.timeoutMs);
    // A pending idle timer alone must not be what keeps the process from exiting on shutdown.
    this.timer.unref?.();
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
