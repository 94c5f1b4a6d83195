import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import type { StoragePaths } from '../../config/paths.js';
import { privateDir } from '../../lib/private-fs.js';
import { Runtime } from '../../oci/runtime.js';
import { ContainerStore } from '../../state/containers.js';
import type { Toolchain } from '../engine.js';
import type { EventBus } from '../events.js';
import { PendingAttaches } from './attach.js';
import type { ContainerNetworking } from './networking.js';
import type { ContainerPods } from './pod-membership.js';
import type { SecretSource } from '../secrets/service.js';
import { ContainerLocks } from './locks.js';
import { ContainerLookups } from './lookups.js';
import { containerDirs, exitDir, runtimeStateDir, type ContainerDirs } from './rootfs.js';
import type { ContainerSpec, ImageSource, VolumeSource } from './types.js';
import { Waiters } from './waiters.js';

export interface ContainerServiceOptions {
  paths: StoragePaths;
  db: Database;
  events: EventBus;
  images: ImageSource;
  volumes: VolumeSource;
  /** argv prefix conmon runs when the container exits; berth appends `container cleanup ...`. */
  exitCommand: string[];
  /** The service watches the exit dir and reconciles; `container cleanup` does neither. */
  service: boolean;
  tools: Toolchain;
  /** The network service's container side, built on first use. */
  networks: () => ContainerNetworking;
  /** The pod service's container side, built on first use. */
  pods?: () => ContainerPods;
  /** The secret store, built on first use (a create that names a secret). */
  secrets: () => SecretSource;
  /** The unix socket the service listens on (units that reach it: generate systemd). */
  endpoint?: string;
  /** Healthchecks, told of each run's start and end (health/service.ts), built on first use. */
  health?: () => ContainerHealthHooks;
}

export interface HealthSchedule {
  timerPid: number;
  generation: number;
}

/** What the lifecycle tells healthchecks, and what list filters ask of them. */
export interface ContainerHealthHooks {
  /** A run began (the container's state is running): its checks start. */
  started(id: string): void;
  /** The scheduler of the container's checks, if any (read before a removal takes its record). */
  schedule(id: string): HealthSchedule | undefined;
  /** Run `generation` ended: its checks stop (`schedule` as read before the exit was recorded). */
  ended(id: string, generation: number, schedule?: HealthSchedule): void;
  /** Each container's health status (containers without a check are absent). */
  statuses(): Map<string, string>;
  /** One container's (undefined without a check). */
  status(id: string): string | undefined;
}

/**
 * What the parts of the container service share (lookups, create, lifecycle, exits, wait,
 * stdio): the state store, paths, the per-container locks, the waiters, the view cache, the
 * attach sessions waiting for a start, the event bus and the tools. Built once per service.
 */
export class ContainerContext {
  readonly paths: StoragePaths;
  readonly store: ContainerStore;
  readonly images: ImageSource;
  readonly volumes: VolumeSource;
  readonly tools: Toolchain;
  readonly exitCommand: string[];
  /** Attachments at create, each run's network at start and its teardown at the end. */
  readonly networks: () => ContainerNetworking;
  /** Pods: joined at create, their exit policy applied after a member's exit. */
  readonly pods: (() => ContainerPods) | undefined;
  readonly secrets: () => SecretSource;
  readonly endpoint: string | undefined;
  /** The runtime's --root: its state of each container it knows. */
  readonly stateDir: string;
  readonly lookups: ContainerLookups;
  readonly locks = new ContainerLocks();
  readonly waiters = new Waiters();
  /** Attach sessions waiting for their container's next start (docker run attaches first). */
  readonly pending = new PendingAttaches();
  /** Containers whose exit teardown/restart is in progress in this process. */
  readonly handling = new Set<string>();
  /** Starts in progress in this process: a forced removal aborts one (conmon and the runtime are killed). */
  readonly starts = new Map<string, AbortController>();
  private readonly events: EventBus;
  private readonly health: (() => ContainerHealthHooks) | undefined;
  private rt: Runtime | undefined;

  constructor(o: ContainerServiceOptions) {
    this.paths = o.paths;
    this.store = new ContainerStore(o.db);
    this.images = o.images;
    this.volumes = o.volumes;
    this.tools = o.tools;
    this.exitCommand = o.exitCommand;
    this.networks = o.networks;
    this.pods = o.pods;
    this.secrets = o.secrets;
    this.endpoint = o.endpoint;
    this.events = o.events;
    this.health = o.health;
    this.stateDir = runtimeStateDir(o.paths);
    this.lookups = new ContainerLookups(this.store, o.paths);
    // Bundles (config.json with the env), exit codes and container data are the owner's only.
    for (const d of [exitDir(o.paths), join(o.paths.runRoot, 'containers'), join(o.paths.root, 'containers')]) privateDir(d);
  }

  /** The runtime, chosen on first use: a service with a broken runtime still lists and inspects. */
  get runtime(): Runtime {
    return (this.rt ??= new Runtime(this.tools.runtime(), this.stateDir));
  }

  dirs(id: string): ContainerDirs {
    return containerDirs(this.paths, id);
  }

  /** A container event, with its labels, name and image as attributes (docker's). */
  publish(action: string, id: string, extra: Record<string, string> = {}, v?: { name: string; image: string; parsed?: ContainerSpec }): void {
    const view = v ?? this.lookups.find(id);
    const attrs: Record<string, string> = { ...(view?.parsed?.Config.Labels ?? {}), ...extra };
    if (view) {
      attrs.name = view.name;
      attrs.image = view.image;
    }
    this.events.publish('container', action, id, attrs);
  }

  /** Tells healthchecks a run began or ended; their failure never fails the lifecycle. */
  healthStarted(id: string): void {
    try {
      this.health?.().started(id);
    } catch {
      /* the next service's reconcile starts the schedule */
    }
  }

  healthSchedule(id: string): HealthSchedule | undefined {
    try {
      return this.health?.().schedule(id);
    } catch {
      return undefined;
    }
  }

  healthEnded(id: string, generation: number, schedule?: HealthSchedule): void {
    try {
      this.health?.().ended(id, generation, schedule);
    } catch {
      /* the scheduler's next tick finds the run over and ends */
    }
  }

  healthStatus(id: string): string | undefined {
    try {
      return this.health?.().status(id);
    } catch {
      return undefined;
    }
  }

  healthStatuses(): Map<string, string> {
    try {
      return this.health?.().statuses() ?? new Map();
    } catch {
      return new Map();
    }
  }

  /** Wakes waiters: a state change made in this process. */
  kick(): void {
    this.waiters.kick();
  }

  /** Runs `fn` under the container's lock. */
  exclusive<T>(id: string, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(id, fn);
  }
}
