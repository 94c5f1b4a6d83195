// A container's record: create, rename, update, remove, prune.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clip } from '../../lib/clip.js';
import { badParameter, conflict, EngineError, internal, notFound } from '../errors.js';
import type { ContainerContext } from './context.js';
import { buildSpec, newId, randomName, validateName } from './create.js';
import type { Exits } from './exits.js';
import { pruneSelector } from './filters.js';
import type { Lifecycle } from './lifecycle.js';
import { anonymousVolumes, placeImageMounts } from './mounts.js';
import { parseLink } from './links.js';
import type { NetworkPlan } from './networking.js';
import { removeDirs } from './rootfs.js';
import { provideSecrets, removeSecretCopies } from './secrets.js';
import type { ContainerSpec, CreateRequest, HostConfig, MountSpec, PodMembership, PruneResult, RestartPolicy } from './types.js';
import type { RuntimeResources } from './resources.js';
import { planUpdate } from './update.js';
import { dirSize, hasRun, isLive, noSuchContainer, nowIso } from './util.js';

export class ContainerRecords {
  constructor(
    private readonly ctx: ContainerContext,
    private readonly lifecycle: Lifecycle,
    private readonly exits: Exits,
  ) {}

  async create(given: CreateRequest): Promise<{ id: string; warnings: string[] }> {
    const { ctx } = this;
    const { store } = ctx;
    const { req, membership } = this.joinPod(given);
    const ref = req.config.Image;
    if (!ref) throw badParameter('config.Image is required');
    const net = req.hostConfig?.NetworkMode ?? '';
    // A 404 here would make the docker CLI try to pull the image: name the problem as a 400.
    if (net.startsWith('container:') && !ctx.lookups.find(net.slice('container:'.length))) throw badParameter(`cannot join the network of container ${net.slice('container:'.length)}: no such container`);
    for (const l of req.hostConfig?.Links ?? []) {
      const child = parseLink(l).name;
      if (!ctx.lookups.find(child)) throw badParameter(`Could not get container for ${clip(child)}`);
    }
    const name = req.name ? validateName(req.name) : undefined;
    if (name && store.nameTaken(name)) throw this.nameConflict(name);
    const image = await ctx.images.resolve(ref);
    const id = newId();
    // The networks it names must exist (the default one is made on first use).
    let plan: NetworkPlan;
    try {
      plan = ctx.networks().plan(net, req.endpoints ?? {}, req.config.MacAddress);
    } catch (e) {
      // As for container:X: a 404 would send the docker CLI pulling the image.
      if (e instanceof EngineError && e.kind === 'not-found') throw badParameter(e.message);
      throw e;
    }
    const { spec, warnings } = buildSpec({ ...req, hostConfig: { ...req.hostConfig, NetworkMode: plan.mode } }, image, id, { mountsOf: (r) => ctx.lookups.find(r)?.mounts });
    if (membership) spec.pod = membership;
    await this.resolveImageMounts(spec.mounts ?? [], id);
    // One runtime per engine: another one asked for by name is unknown here, as in dockerd.
    const runtime = spec.HostConfig.Runtime;
    if (runtime && runtime !== 'oci' && runtime !== ctx.runtime.info.name) throw badParameter(`Unknown runtime specified ${String(runtime).slice(0, 100)}`);
    if (spec.HostConfig.Init) {
      const init = ctx.tools.init();
      if (!init) throw badParameter('--init requested but neither catatonit nor tini is installed');
      spec.initPath = init;
    }
    let finalName = name;
    // Copied now (podman's rule), outside the root filesystem; nothing of them goes into the record but names.
    const secrets = provideSecrets(req.secrets, ctx.secrets, ctx.dirs(id).base);
    if (secrets.length) spec.secrets = secrets;
    // Volumes are made before the record (docker shows them once the create answers); the
    // record claims them in its transaction, and those made for it go again if it fails.
    const made = ctx.volumes.provide(spec.mounts ?? []);
    const used = [...new Set((spec.mounts ?? []).filter((m) => m.type === 'volume').map((m) => m.name!))];
    try {
      store.tx(() => {
        finalName ??= randomName((n) => store.nameTaken(n));
        if (store.nameTaken(finalName)) throw this.nameConflict(finalName);
        store.insert({
          id, name: finalName, image: ref, imageId: image.id, created: nowIso(), spec: JSON.stringify(spec),
          state: 'created', pid: 0, conmonPid: 0, exitCode: 0, error: '', oomKilled: false, startedAt: '',
          finishedAt: '', restartCount: 0, stopRequested: false, generation: 0,
        });
        ctx.volumes.claim(id, used);
        ctx.networks().attach(id, plan);
      });
    } catch (e) {
      await ctx.volumes.discard(made).catch(() => undefined);
      if (secrets.length) removeSecretCopies(ctx.dirs(id).base);
      if (e instanceof EngineError) throw e;
      if (/UNIQUE constraint failed: containers.name/.test(String(e))) throw this.nameConflict(finalName!);
      throw e;
    }
    ctx.publish('create', id);
    return { id, warnings };
  }

  /**
   * A pod member's request: with an infra container the pod's network (its ports, networks, DNS)
   * and hostname replace the member's own, and its other shared namespaces are joined at start.
   */
  private joinPod(req: CreateRequest): { req: CreateRequest; membership?: PodMembership } {
    if (!req.pod) return { req };
    const pods = this.ctx.pods?.();
    if (!pods) throw badParameter('pods are not available in this engine');
    const j = pods.join(req.pod);
    if (req.podInfra) return { req, membership: { id: j.podId, infra: true, share: j.share } };
    const h = { ...req.hostConfig };
    // The pod's defaults for what the member does not set itself.
    if (!h.CgroupParent && j.cgroupParent) h.CgroupParent = j.cgroupParent;
    if (!h.RestartPolicy?.Name && j.restartPolicy && !h.AutoRemove) h.RestartPolicy = { Name: j.restartPolicy as RestartPolicy['Name'], MaximumRetryCount: j.restartTries };
    if (!j.infraId) return { req: { ...req, hostConfig: h }, membership: { id: j.podId, share: [] } };
    const c = { ...req.config };
    let endpoints = req.endpoints;
    if (j.share.includes('net')) {
      const published = Object.values(h.PortBindings ?? {}).some((b) => b && b.length) || !!h.PublishAllPorts;
      // podman's words: a member's ports are the pod's, given when the pod is made.
      if (published) throw badParameter('invalid config provided: published or exposed ports must be defined when the pod is created: network cannot be configured when it is shared with a pod');
      h.NetworkMode = `container:${j.infraId}`;
      delete h.PortBindings;
      endpoints = {};
    }
    if (j.share.includes('uts')) {
      // podman's words: the name is the pod's.
      if (c.Hostname && c.Hostname !== j.hostname) throw badParameter('invalid config provided: cannot set hostname when joining the pod UTS namespace');
      c.Hostname = j.hostname;
    }
    return { req: { ...req, config: c, hostConfig: h, endpoints }, membership: { id: j.podId, infraId: j.infraId, share: j.share } };
  }

  /** Image mounts name their image by ID from now on (a 404 would make the docker CLI pull: a 400). */
  private async resolveImageMounts(mounts: MountSpec[], id: string): Promise<void> {
    for (const m of mounts) {
      if (m.type !== 'image') continue;
      try {
        m.image = (await this.ctx.images.resolve(m.image!)).id;
      } catch (e) {
        if (e instanceof EngineError && e.kind === 'not-found') throw badParameter(`image mount at ${m.destination}: ${e.message}`);
        throw e;
      }
    }
    placeImageMounts(mounts, this.ctx.dirs(id).run);
  }

  rename(ref: string, newName: string): void {
    const { ctx } = this;
    const v = ctx.lookups.get(ref);
    const name = validateName(newName);
    if (name === v.name) throw conflict(`Renaming a container with the same name as its current name`);
    ctx.store.tx(() => {
      if (ctx.store.nameTaken(name)) throw this.nameConflict(name);
      ctx.store.update(v.id, { name });
    });
    ctx.publish('rename', v.id, { oldName: `/${v.name}` }, { ...v, name });
  }

  /** docker's `rm --link parent/alias`: the parent no longer links that alias from its next start. */
  removeLink(parentRef: string, alias: string): void {
    const { ctx } = this;
    const v = ctx.lookups.get(parentRef);
    ctx.store.tx(() => {
      const cur = ctx.store.get(v.id);
      if (!cur) throw noSuchContainer(parentRef);
      const spec = JSON.parse(cur.spec) as ContainerSpec;
      const links = spec.HostConfig.Links ?? [];
      const kept = links.filter((l) => parseLink(l).alias !== alias);
      if (kept.length === links.length) throw notFound(`Could not find link ${clip(alias)} of container ${v.name}`);
      spec.HostConfig.Links = kept.length ? kept : null;
      ctx.store.update(v.id, { spec: JSON.stringify(spec) });
    });
  }

  async update(ref: string, u: Partial<HostConfig>): Promise<string[]> {
    const { ctx } = this;
    const v = ctx.lookups.get(ref);
    const { hostConfig: h, runtime: resources, warnings } = planUpdate(v.id, v.parsed.HostConfig, u);
    await ctx.locks.run(v.id, async () => {
      const row = ctx.store.get(v.id);
      if (!row) throw noSuchContainer(ref);
      if (resources && hasRun(row.state) && row.state !== 'restarting') await this.applyResources(v.id, v.dirs.bundle, resources);
      ctx.store.tx(() => {
        const cur = ctx.store.get(v.id);
        if (!cur) return;
        const spec = JSON.parse(cur.spec) as ContainerSpec;
        spec.HostConfig = h;
        ctx.store.update(v.id, { spec: JSON.stringify(spec) });
      });
    });
    ctx.publish('update', v.id, {}, v);
    return warnings;
  }

  /** `runc update --resources FILE`: every field in one document (runc's flags miss some). */
  private async applyResources(id: string, bundle: string, r: RuntimeResources): Promise<void> {
    const file = join(bundle, 'update.json');
    writeFileSync(file, JSON.stringify(r), { mode: 0o600 });
    try {
      await this.ctx.runtime.run(['update', '--resources', file, id]);
    } catch (e) {
      throw internal(`Cannot update container ${id}: ${(e as Error).message}`);
    } finally {
      rmSync(file, { force: true });
    }
  }

  async remove(ref: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<string> {
    const { ctx } = this;
    const { store } = ctx;
    const v = ctx.lookups.get(ref);
    const pod = v.parsed.pod;
    if (pod?.infra && ctx.pods?.().exists(pod.id)) throw conflict(`container ${v.id} is the infra container of pod ${pod.id} and cannot be removed without removing the pod`);
    // Forced: whatever holds the lock now (a stop with a long timeout, a start waiting on the
    // runtime) must not hold up the removal, so the container is killed before the lock is taken.
    if (opts.force) await this.lifecycle.killForRemoval(v.id);
    await ctx.locks.run(v.id, async () => {
      const row = store.get(v.id);
      if (!row) return;
      if (row.state === 'starting' && !opts.force) throw conflict(`container ${v.id} is starting`);
      // podman removes an initialized container without force: its process never ran.
      if (row.state === 'initialized') await this.lifecycle.stopLocked(v.id, 9, 0);
      if (isLive(row.state)) {
        if (!opts.force) {
          const what = row.state === 'paused' ? 'paused' : 'running';
          throw conflict(`You cannot remove a ${what} container ${v.id}. Stop the container before attempting removal or force remove`);
        }
        await this.lifecycle.stopLocked(v.id, 9, 0);
      }
      const gone = store.tx(() => {
        const cur = store.get(v.id);
        if (!cur) return true;
        if (isLive(cur.state)) throw conflict(`container ${v.id} is still running`);
        store.update(v.id, { state: 'removing' });
        return false;
      });
      await this.exits.teardown(v.id, v.dirs);
      await removeDirs(v.dirs);
      if (!gone) store.tx(() => store.delete(v.id));
      ctx.lookups.forget(v.id);
      // rm -v: the container's anonymous volumes that no other container uses; named ones stay.
      if (opts.volumes) await ctx.volumes.removeAnonymous(anonymousVolumes(v.mounts)).catch(() => undefined);
    });
    ctx.pending.fail(v.id, 'container stopped before it was attached');
    ctx.publish('destroy', v.id, {}, v);
    ctx.kick();
    return v.id;
  }

  /** Removes stopped containers, except those the filters (until, label, label!) keep. */
  async prune(filters: Record<string, string[]> = {}): Promise<PruneResult> {
    const selected = pruneSelector(filters);
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const v of this.ctx.lookups.all()) {
      if (hasRun(v.state) || v.state === 'removing' || v.state === 'starting' || !selected(v)) continue;
      const size = dirSize(v.dirs.upper);
      try {
        await this.remove(v.id);
        deleted.push(v.id);
        reclaimed += size;
      } catch {
        /* raced with a start: keep it */
      }
    }
    return { deleted, reclaimed };
  }

  private nameConflict(name: string): EngineError {
    const other = this.ctx.store.lookup(name);
    const oid = other && other !== 'ambiguous' ? other.id : '';
    return conflict(`Conflict. The container name "/${name}" is already in use by container "${oid}". You have to remove (or rename) that container to be able to reuse that name.`);
  }
}
