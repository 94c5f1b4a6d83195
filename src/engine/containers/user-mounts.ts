// podman's mount and unmount: a container's root filesystem mounted for the user (while it is
// stopped too), its path answered, so that tools can read and write the files directly. Whether
// a root is mounted is read from the kernel's mount table, the one truth every process shares;
// a teardown (exit, removal) unmounts it as it does after a run.
import { join } from 'node:path';
import { hasRun } from '../../state/container-states.js';
import { conflict } from '../errors.js';
import type { ContainerContext } from './context.js';
import { mountPoints, mountRootfs, unmountRootfs } from './rootfs.js';

export class UserMounts {
  constructor(private readonly ctx: ContainerContext) {}

  async mount(ref: string): Promise<string> {
    const v = this.ctx.lookups.get(ref);
    return this.ctx.exclusive(v.id, async () => {
      const cur = this.ctx.lookups.get(v.id);
      if (cur.state === 'removing') throw conflict(`container ${v.id} is being removed`);
      await mountRootfs(cur.dirs, await this.ctx.images.lowerSpec(cur.imageId));
      this.ctx.publish('mount', v.id, {}, cur);
      return cur.dirs.merged;
    });
  }

  async unmount(ref: string): Promise<void> {
    const v = this.ctx.lookups.get(ref);
    await this.ctx.exclusive(v.id, async () => {
      const cur = this.ctx.lookups.get(v.id);
      // The runtime holds a live container's root: taking it away would break the container.
      if (hasRun(cur.state) || cur.state === 'starting') throw conflict(`cannot unmount the root filesystem of container ${cur.name}: it is ${cur.state}`);
      await unmountRootfs(cur.dirs);
      this.ctx.publish('unmount', v.id, {}, cur);
    });
  }

  /** ID → mount point of every container whose root is mounted now (running ones too). */
  mounted(): Record<string, string> {
    const points = mountPoints(join(this.ctx.paths.runRoot, 'containers'));
    const out: Record<string, string> = {};
    for (const v of this.ctx.lookups.all()) if (points.has(v.dirs.merged)) out[v.id] = v.dirs.merged;
    return out;
  }
}
