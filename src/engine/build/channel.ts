/** A queue of events one producer pushes and one consumer iterates; an error ends it. */
export class Channel<T> implements AsyncIterable<T> {
  private items: T[] = [];
  private waiting?: () => void;
  private closed = false;
  private error?: unknown;

  push(v: T): void {
    this.items.push(v);
    this.wake();
  }

  close(err?: unknown): void {
    this.closed = true;
    this.error = err;
    this.wake();
  }

  private wake(): void {
    const w = this.waiting;
    this.waiting = undefined;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for (;;) {
      while (this.items.length) yield this.items.shift()!;
      if (this.closed) {
        if (this.error !== undefined) throw this.error;
        return;
      }
      await new Promise<void>((r) => (this.waiting = r));
    }
  }
}
