// The helper processes a rootless network starts (pasta, slirp4netns, port forwarders) run on
// after the service that started them; whoever tears the network down ends them by token, so a
// reused pid is never signalled.
import { rmSync } from 'node:fs';
import { ownerAlive } from '../../lib/owner.js';
import type { HelperProcess } from './types.js';

const STOP_WAIT_MS = 3_000;

/** SIGTERM, then SIGKILL if it lingers; then its files. Gone already is fine. */
export async function stopHelper(h: HelperProcess): Promise<void> {
  const pid = Number(h.token.split('.')[0]);
  if (ownerAlive(h.token)) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* gone meanwhile */
    }
    const end = Date.now() + STOP_WAIT_MS;
    while (ownerAlive(h.token) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    if (ownerAlive(h.token)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone meanwhile */
      }
    }
  }
  for (const f of h.files ?? []) rmSync(f, { force: true });
}
