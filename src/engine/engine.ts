import type { Database } from 'better-sqlite3';
import type { ContainersConf } from '../config/containers-conf.js';
import type { StoragePaths } from '../config/paths.js';
import { isRootless } from '../config/rootless.js';
import { findConmon } from '../oci/conmon.js';
import { findBinary, findInit } from '../oci/binaries.js';
import { chooseRuntime, RuntimeChoiceError, type RuntimeInfo } from '../oci/runtime-choice.js';
import { openState, releaseStateMemory } from '../state/db.js';
import { EventLog } from '../state/events.js';
import { internal } from './errors.js';
import { EventBus } from './events.js';
import { BuildService } from './build/service.js';
import { ContainerService } from './containers/service.js';
import { ContainerFiles } from './containers/files/service.js';
import { berthExitCommand } from './containers/exit-command.js';
import type { ImageSource } from './containers/types.js';
import { ExecService } from './exec/service.js';
import { HealthService } from './health/service.js';
import { ImageService } from './images/service.js';
import { ManifestService } from './manifests/service.js';
import { timeoutsFromEnv } from '../registry/transport.js';
import { KubeService } from './kube/service.js';
import { podsPodHost } from './kube/pod-host.js';
import { NetworkService } from './networks/service.js';
import { PodService } from './pods/service.js';
import { SecretService } from './secrets/service.js';
import { SystemService } from './system/service.js';
import { VolumeService } from './volumes/service.js';
import type { EnginePorts } from './ports.js';

export interface EngineOptions {
  paths: StoragePaths;
  conf: ContainersConf;
  /** The endpoint the service listens on, for /info's remote socket. */
  socketPath?: string;
  /**
   * `service` watches exits and reconciles state left by earlier processes; `cleanup` (conmon's
   * exit command) only applies one exit. Default `service`.
   */
  role?: 'service' | 'cleanup';
}

/** What every service needs from its host: one place that finds the binaries berth drives. */
export interface Toolchain {
  /** The OCI runtime (one choice for /info and for containers); throws when none works. */
  runtime(): RuntimeInfo;
  conmon(): string;
  init(): string | undefined;
  /** netavark (with aardvark-dns when installed) and flock, which serialises its calls; throws without netavark. */
  network(): { netavark: string; aardvark?: string; flock: string; rootless?: { nsenter: string } };
  /** A program the rootless networks need (nsenter, flock): its path, or an error naming the package. */
  required(name: string, pkg: string): string;
}

/**
 * The composition root: builds every engine service once, with explicit dependencies, and is the
 * one object both API layers reach the engine through (as `EnginePorts`). Getters are lazy, so a
 * cold start that answers only /_ping opens no database and loads no service.
 */
export class Engine implements EnginePorts {
  /** Shared through the state DB with cleanup processes and other services on this storage. */
  readonly events = new EventBus(() => new EventLog(this.db));
  readonly tools: Toolchain;
  private shutdownHooks = new Set<() => void | Promise<void>>();
  private built: { images?: ImageService; manifests?: ManifestService; containers?: ContainerService; files?: ContainerFiles; exec?: ExecService; system?: SystemService; volumes?: VolumeService; networks?: NetworkService; pods?: PodService; secrets?: SecretService; kube?: KubeService; build?: BuildService; health?: HealthService } = {};

  constructor(readonly opts: EngineOptions) {
    let rt: RuntimeInfo | undefined;
    let conmon: string | undefined;
    let init: { path?: string } | undefined;
    this.tools = {
      runtime: () => {
        try {
          return (rt ??= chooseRuntime(opts.conf.engine));
        } catch (e) {
          if (e instanceof RuntimeChoiceError) throw internal(e.message, e.message);
          throw e;
        }
      },
      conmon: () => (conmon ??= findConmon(opts.conf.engine.conmon_path ?? [])),
      init: () => (init ??= { path: findInit() }).path,
      network: () => {
        const netavark = findBinary('netavark');
        const flock = findBinary('flock');
        if (!netavark) throw internal('netavark is not installed: bridge networks need it (Debian package netavark)');
        if (!flock) throw internal('flock is not installed (Debian package util-linux)');
        return { netavark, aardvark: findBinary('aardvark-dns'), flock, ...(isRootless() ? { rootless: { nsenter: this.tools.required('nsenter', 'util-linux') } } : {}) };
      },
      required: (name, pkg) => {
        const p = findBinary(name);
        if (!p) throw internal(`${name} is not installed (Debian package ${pkg})`);
        return p;
      },
    };
  }

  get paths(): StoragePaths {
    return this.opts.paths;
  }

  get conf(): ContainersConf {
    return this.opts.conf;
  }

  /** The state DB, opened on first use. */
  get db(): Database {
    return openState(this.opts.paths.root);
  }

  get images(): ImageService {
    return (this.built.images ??= new ImageService({
      db: this.db,
      paths: this.paths,
      events: this.events,
      // Removal must see every container that uses an image, so the check asks the container store.
      usage: (id) => ({ containers: this.containers.containersOfImage(id) }),
      pullParallel: this.conf.engine.image_parallel_copies,
      registryTimeouts: timeoutsFromEnv(),
    }));
  }

  get manifests(): ManifestService {
    return (this.built.manifests ??= new ManifestService({ db: this.db, images: this.images }));
  }

  /** How containers reach images: the config at create, the overlay lower dirs at start. */
  get imageSource(): ImageSource {
    return {
      resolve: (ref) => {
        const img = this.images.resolve(ref);
        return { id: img.id, config: img.cfg.config ?? {} };
      },
      idOf: (ref) => {
        try {
          return this.images.resolve(ref).id;
        } catch {
          return undefined;
        }
      },
      lowerSpec: (imageId) => this.images.lowerSpec(imageId),
    };
  }

  get containers(): ContainerService {
    if (this.built.containers) return this.built.containers;
    const svc = new ContainerService({
      paths: this.paths,
      db: this.db,
      events: this.events,
      images: this.imageSource,
      volumes: this.volumes,
      tools: this.tools,
      exitCommand: berthExitCommand(),
      service: (this.opts.role ?? 'service') === 'service',
      networks: () => this.networks.attachments,
      pods: () => this.pods,
      secrets: () => this.secrets,
      endpoint: this.opts.socketPath,
      health: () => this.health,
    });
    this.built.containers = svc;
    this.onShutdown(() => svc.close());
    // Building the health service resumes schedules whose scheduler is gone (a service's reconcile).
    if ((this.opts.role ?? 'service') === 'service') setImmediate(() => void this.health);
    return svc;
  }

  get volumes(): VolumeService {
    return (this.built.volumes ??= new VolumeService({
      db: this.db,
      paths: this.paths,
      events: this.events,
      removeContainer: async (id) => void (await this.containers.remove(id, { force: true })),
      sweep: (this.opts.role ?? 'service') === 'service',
    }));
  }

  get networks(): NetworkService {
    return (this.built.networks ??= new NetworkService({
      db: this.db,
      paths: this.paths,
      conf: this.conf,
      events: this.events,
      tools: () => this.tools.network(),
      rootless: isRootless() ? { self: berthExitCommand, nsenter: () => this.tools.required('nsenter', 'util-linux'), flock: () => this.tools.required('flock', 'util-linux') } : undefined,
      containers: () => ({
        find: (ref) => {
          const v = this.containers.find(ref);
          return v && { id: v.id, name: v.name, state: v.state, mode: v.parsed.HostConfig.NetworkMode };
        },
        exclusive: (id, fn) => this.containers.exclusive(id, fn),
        remove: async (id) => {
          await this.containers.remove(id, { force: true });
        },
        networkChanged: (id) => this.containers.refreshEtc(id),
      }),
    }));
  }

  get pods(): PodService {
    return (this.built.pods ??= new PodService({
      db: this.db,
      events: this.events,
      containers: () => this.containers,
      images: () => ({
        exists: (ref) => this.imageSource.idOf(ref) !== undefined,
        import: (input, opts) => this.images.import(input, opts),
      }),
    }));
  }

  get secrets(): SecretService {
    return (this.built.secrets ??= new SecretService({ db: this.db, paths: this.paths, events: this.events }));
  }

  get kube(): KubeService {
    return (this.built.kube ??= new KubeService({
      containers: this.containers,
      volumes: this.volumes,
      images: {
        config: (ref) => {
          try {
            return this.images.resolve(ref).cfg.config ?? {};
          } catch {
            return undefined;
          }
        },
        // As podman's play: an image not stored is pulled (short names through registries.conf),
        // before anything is made.
        ensure: async (ref) => void (await (await this.images.pull(ref, { policy: 'missing', naming: 'registries-conf' })).run()),
      },
      hosts: podsPodHost(() => this.pods),
      secrets: this.secrets,
    }));
  }

  get containerFiles(): ContainerFiles {
    return (this.built.files ??= new ContainerFiles(this));
  }

  get build(): BuildService {
    return (this.built.build ??= new BuildService({ db: this.db, paths: this.paths, images: this.images, containers: this.containers, files: this }));
  }

  get exec(): ExecService {
    return (this.built.exec ??= new ExecService({ db: this.db, paths: this.paths, events: this.events, tools: this.tools }, this.containers));
  }

  get health(): HealthService {
    if (this.built.health) return this.built.health;
    const svc = new HealthService({
      db: this.db,
      events: this.events,
      containers: () => this.containers,
      exec: () => this.exec,
      berth: [...berthExitCommand(), '--root', this.paths.root, '--runroot', this.paths.runRoot],
    });
    this.built.health = svc;
    // A service resumes the schedules of running containers whose scheduler is gone.
    if ((this.opts.role ?? 'service') === 'service') setImmediate(() => {
      try {
        svc.reconcile();
      } catch {
        /* retried by the next service */
      }
    });
    return svc;
  }

  get system(): SystemService {
    return (this.built.system ??= new SystemService({
      paths: this.paths,
      conf: this.conf,
      events: this.events,
      tools: this.tools,
      counts: () => ({ containers: this.containers.counts(), images: this.images.count() }),
      socketPath: this.opts.socketPath,
      targets: () => ({ pods: this.pods, containers: this.containers, images: this.images, volumes: this.volumes, networks: this.networks, secrets: this.secrets }),
    }));
  }

  /** Runs `fn` when the service shuts down (ends streams, stops watchers); returns an unregister. */
  onShutdown(fn: () => void | Promise<void>): () => void {
    this.shutdownHooks.add(fn);
    return () => this.shutdownHooks.delete(fn);
  }

  /** Frees what an idle engine need not hold (the service calls it once it has gone quiet). */
  releaseMemory(): void {
    releaseStateMemory();
  }

  /** Releases what the engine holds (streams, watchers) before the service exits. */
  async close(): Promise<void> {
    const hooks = [...this.shutdownHooks];
    this.shutdownHooks.clear();
    await Promise.allSettled(hooks.map(async (h) => h()));
    this.events.close();
  }
}
