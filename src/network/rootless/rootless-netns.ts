// The rootless network namespace, as podman keeps one per user: the bridges of user-defined
// networks, netavark's firewall rules and aardvark-dns live there (a rootless berth cannot make
// bridges in the host's namespace), and pasta or slirp4netns connects it to the host. Made on
// first need, bound under the runroot (in the mount namespace the pause process holds, so it
// outlives the service), and undone when the last container has left it. Everything that reads
// or changes it runs under one lock file, across the service, cleanup processes and other services.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ownerAlive } from '../../lib/owner.js';
import { privateDir, writePrivateFile } from '../../lib/private-fs.js';
import { connectNamespace, namespaceAddress } from './connector.js';
import { withFileLock } from './file-lock.js';
import { stopHelper } from './process.js';
import type { ConnectorChoice } from './tools.js';
import type { HelperProcess } from './types.js';

export interface RootlessNetnsDeps {
  /** runRoot/networks/rootless-netns */
  dir: string;
  connector: () => ConnectorChoice;
  pastaOptions?: string[];
  flock: () => string;
  nsenter: () => string;
  ns: { create(path: string): Promise<void>; remove(path: string): Promise<void> };
}

/** What the info file keeps: the connector, and the namespace's own interfaces (loopback, its tap). */
interface Info {
  helper: HelperProcess;
  links: string[];
}

export class RootlessNetns {
  readonly path: string;
  private readonly infoFile: string;
  private readonly lockFile: string;

  constructor(private readonly d: RootlessNetnsDeps) {
    this.path = join(d.dir, 'netns');
    this.infoFile = join(d.dir, 'connector.json');
    this.lockFile = join(d.dir, 'lock');
  }

  /** Runs `fn` under the lock with the namespace up (made now if need be). */
  async use<T>(fn: (netnsPath: string) => Promise<T>): Promise<T> {
    privateDir(this.d.dir);
    return withFileLock(this.d.flock(), this.lockFile, async () => {
      await this.ensure();
      return fn(this.path);
    });
  }

  /** Runs `fn` under the lock if the namespace exists, then undoes it when no container is left in it. */
  async release(fn: (netnsPath: string) => Promise<void>): Promise<void> {
    if (!existsSync(this.path)) return;
    await withFileLock(this.d.flock(), this.lockFile, async () => {
      if (!existsSync(this.path)) return;
      try {
        await fn(this.path);
      } finally {
        if (!(await this.inUse())) await this.remove();
      }
    });
  }

  private info(): Info | undefined {
    try {
      return JSON.parse(readFileSync(this.infoFile, 'utf8')) as Info;
    } catch {
      return undefined;
    }
  }

  private async ensure(): Promise<void> {
    const i = this.info();
    const mounted = this.mounted();
    if (i && ownerAlive(i.helper.token) && mounted) return;
    if (mounted) {
      // Its connector died: the bridges and containers in it stay, a new connector joins them.
      if (i) await stopHelper(i.helper);
    } else {
      // Never made, or left from an earlier pause process (a plain file now): made anew.
      await this.remove();
      await this.d.ns.create(this.path);
    }
    try {
      const c = await connectNamespace(this.d.connector(), { netnsPath: this.path, dir: this.d.dir, tag: 'rootless-netns', ports: [], pastaOptions: this.d.pastaOptions });
      writePrivateFile(this.infoFile, JSON.stringify({ helper: c.helper, links: ['lo'] } satisfies Info));
      const a = await namespaceAddress(this.d.nsenter(), this.path);
      writePrivateFile(this.infoFile, JSON.stringify({ helper: c.helper, links: ['lo', a.interfaceName].filter(Boolean) } satisfies Info));
    } catch (e) {
      await this.remove().catch(() => undefined);
      throw new Error(`setting up the rootless network namespace: ${(e as Error).message}`);
    }
  }

  /** Whether the path is a namespace's bind mount (a mount point has another device than its directory). */
  private mounted(): boolean {
    try {
      return statSync(this.path).dev !== statSync(this.d.dir).dev;
    } catch {
      return false;
    }
  }

  /** Whether anything but its own interfaces is left (a bridge, a veth: some container's network). */
  private inUse(): Promise<boolean> {
    return new Promise((resolve) => {
      execFile(this.d.nsenter(), [`--net=${this.path}`, '--', 'ip', '-o', 'link', 'show'], { timeout: 10_000 }, (err, out) => {
        if (err) return resolve(true);
        const names = String(out)
          .split('\n')
          .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1])
          .filter((n): n is string => !!n);
        const own = new Set(this.info()?.links ?? ['lo']);
        resolve(names.some((n) => !own.has(n)));
      });
    });
  }

  private async remove(): Promise<void> {
    const i = this.info();
    if (i) await stopHelper(i.helper);
    await this.d.ns.remove(this.path);
    writePrivateFile(this.infoFile, '');
  }
}
