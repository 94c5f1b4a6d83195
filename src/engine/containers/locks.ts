/**
 * One lock per container in this process: starts, stops, removals, exit teardowns and copies of
 * a stopped container's files run one at a time. Other processes are kept out by the state DB's
 * transitions (a 'starting' or 'removing' row), not by this.
 */
export class ContainerLocks {
  private tails = new Map<string, Promise<unknown>>();

  async run<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(id) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.tails.set(id, tail);
    try {
      return await next;
    } finally {
      if (this.tails.get(id) === tail) this.tails.delete(id);
    }
  }
}
