// POST /libpod/containers/{name}/update: podman's resources (the OCI LinuxResources subset the
// engine's update applies) and restart policy. The healthcheck fields are the healthchecks'
// (refused here until they land); what the engine cannot update is refused naming the field.
import type { Ctx, RouteDef } from '../../server/http.js';
import { qInt, sendJson } from '../../server/http.js';
import { HttpError } from '../../server/errors.js';
import { readBody } from '../http/body.js';
import type { HostConfig, RestartPolicy } from '../../engine/containers/types.js';

type Obj = Record<string, unknown>;
const empty = (v: unknown): boolean => v == null || v === 0 || v === false || v === '' || (Array.isArray(v) && !v.length) || (typeof v === 'object' && !Array.isArray(v) && Object.values(v as Obj).every(empty));

function refuse(field: string): never {
  throw new HttpError(400, `update field "${field}" is not supported by berth yet`, `invalid argument: ${field}`);
}

/** Each known key of `o` copied to `h` under the HostConfig name; any other non-empty key refused. */
function take(o: Obj | undefined, prefix: string, names: Record<string, keyof HostConfig>, h: Partial<HostConfig>): void {
  for (const [k, v] of Object.entries(o ?? {})) {
    if (empty(v)) continue;
    const to = names[k];
    if (!to) refuse(`${prefix}.${k}`);
    (h as Obj)[to] = v;
  }
}

async function update(ctx: Ctx): Promise<void> {
  const body = (await readBody<Obj>(ctx, 'ContainerUpdateLibpod')) ?? {};
  const h: Partial<HostConfig> = {};
  for (const [k, v] of Object.entries(body)) {
    if (empty(v)) continue;
    if (k === 'memory') take(v as Obj, k, { limit: 'Memory', reservation: 'MemoryReservation', swap: 'MemorySwap', swappiness: 'MemorySwappiness' }, h);
    else if (k === 'cpu') take(v as Obj, k, { shares: 'CpuShares', quota: 'CpuQuota', period: 'CpuPeriod', cpus: 'CpusetCpus', mems: 'CpusetMems', realtimePeriod: 'CpuRealtimePeriod', realtimeRuntime: 'CpuRealtimeRuntime' }, h);
    else if (k === 'pids') take(v as Obj, k, { limit: 'PidsLimit' }, h);
    else if (k === 'blockIO') take(v as Obj, k, { weight: 'BlkioWeight' }, h);
    else refuse(k);
  }
  const policy = ctx.query.get('restartPolicy');
  if (policy) h.RestartPolicy = { Name: policy as RestartPolicy['Name'], MaximumRetryCount: qInt(ctx, 'restartRetries', 0, { min: 0 })! };
  const v = ctx.engine.containers.get(ctx.params.name);
  await ctx.engine.containers.update(v.id, h);
  sendJson(ctx, 201, { ID: v.id });
}

export const routes: RouteDef[] = [{ method: 'POST', path: '/libpod/containers/:name/update', handler: update }];
