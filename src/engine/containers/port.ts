import type { SystemdUnitOptions } from './systemd-unit.js';
import type { ContainerNetworkState } from '../networks/types.js';
import type {
  AttachOptions, AttachStream, ContainerLogs, ContainerView, CreateRequest, HostConfig, ListOptions, LogsOptions, PruneResult, WaitCondition,
} from './types.js';

/**
 * What the API layers may ask of containers. A `ref` is an ID, a unique ID prefix or a name;
 * an unknown one is a not-found EngineError.
 */
export interface ContainersPort {
  // ---- lookups
  find(ref: string): ContainerView | undefined;
  get(ref: string): ContainerView;
  /** Newest first, through docker's/podman's filters; only live containers unless `all` or a `limit`. */
  list(o: ListOptions): ContainerView[];
  /** The exit code recorded for an auto-removed container (by ID or name), if any. */
  removedExit(ref: string): number | undefined;
  /** Whether the restart policy brings the container back after its exit. */
  willRestart(ref: string): boolean;
  /** The capabilities its process is given. */
  effectiveCaps(v: ContainerView): string[];
  /** overlay's lowerdir, absolute paths ('' when unknown). */
  lowerDir(v: ContainerView): Promise<string>;
  /** Bytes in the writable layer. */
  sizeRw(v: ContainerView): number;
  /** The OCI runtime's name (runc, crun). */
  readonly runtimeName: string;
  /** Its networks (with their addresses while it runs), published ports and namespace. */
  networkState(v: ContainerView): ContainerNetworkState;
  /** The same for many containers, read at once (lists). */
  networkStates(vs: ContainerView[]): Map<string, ContainerNetworkState>;

  // ---- records
  create(req: CreateRequest): Promise<{ id: string; warnings: string[] }>;
  rename(ref: string, newName: string): void;
  /** Drops the parent's legacy link `alias` (docker's `rm --link parent/alias`). */
  removeLink(parent: string, alias: string): void;
  /** Resource limits and restart policy; resolves with warnings. */
  update(ref: string, u: Partial<HostConfig>): Promise<string[]>;
  /** Resolves with the removed container's ID; `volumes` (rm -v) removes its anonymous volumes too. */
  remove(ref: string, opts?: { force?: boolean; volumes?: boolean }): Promise<string>;
  /** Removes stopped containers the filters (until, label, label!) select. */
  prune(filters?: Record<string, string[]>): Promise<PruneResult>;

  // ---- lifecycle (signals as docker spells them: "SIGTERM", "TERM", "15")
  start(ref: string): Promise<void>;
  /** Everything a start does up to the runtime's create; the process waits for `start` (podman's init). */
  init(ref: string): Promise<void>;
  /** podman's mount: the root filesystem mounted (a stopped container's too); resolves with its path. */
  mount(ref: string): Promise<string>;
  /** Unmounts a stopped container's root; a live one's is a conflict. */
  unmount(ref: string): Promise<void>;
  /** ID → mount point of every container whose root is mounted. */
  mounted(): Record<string, string>;
  /** podman's checkpoint and restore need CRIU: a not-implemented EngineError naming it (after a lookup). */
  checkpoint(ref: string): Promise<never>;
  /** podman's generate systemd for a container: unit name → unit text. */
  systemdUnits(ref: string, o: SystemdUnitOptions): Record<string, string>;
  restore(ref: string): Promise<never>;
  stop(ref: string, timeoutSec?: number, signal?: string): Promise<void>;
  restart(ref: string, timeoutSec?: number, signal?: string): Promise<void>;
  kill(ref: string, signal?: string): Promise<void>;
  pause(ref: string): Promise<void>;
  unpause(ref: string): Promise<void>;

  // ---- waits
  wait(ref: string, condition?: WaitCondition, signal?: AbortSignal): Promise<{ exitCode: number; error?: string }>;
  /** Until the container is in one of podman's state names; resolves with the exit code. */
  waitState(ref: string, conditions: string[], signal?: AbortSignal): Promise<number>;

  // ---- stdio
  logs(ref: string, o: LogsOptions): ContainerLogs;
  attach(ref: string, o: AttachOptions): Promise<AttachStream>;
  resize(ref: string, height: number, width: number): void;
}
