// Networks of a rootless berth. The default network (docker's `bridge`, no --network) is podman
// 5's: the container's own namespace connected by pasta (or slirp4netns), which also publishes
// its ports. User-defined networks are netavark bridges inside the user's rootless network
// namespace (rootless-netns.ts), with aardvark-dns there; their published ports are forwarded by
// a detached forwarder (forwarder.ts). Each helper process is recorded with the run and ended at
// its teardown; all of them run on after the service, as the containers do.
import { join } from 'node:path';
import type { ContainersConf } from '../../config/containers-conf.js';
import { privateDir } from '../../lib/private-fs.js';
import { connectNamespace, namespaceAddress } from '../../network/rootless/connector.js';
import type { ConnectorMode } from '../../network/rootless/connector-mode.js';
import { startForwarder } from '../../network/rootless/forwarder.js';
import { stopHelper } from '../../network/rootless/process.js';
import { RootlessNetns } from '../../network/rootless/rootless-netns.js';
import { checkTun, chooseConnector, type ConnectorChoice, RootlessNetworkError, type RootlessNetworkCmd } from '../../network/rootless/tools.js';
import type { HelperProcess } from '../../network/rootless/types.js';
import { badParameter, EngineError } from '../errors.js';
import type { PublishedPort } from './types.js';

export interface RootlessNetworkingDeps {
  runRoot: string;
  conf: ContainersConf['network'];
  flock: () => string;
  nsenter: () => string;
  /** How to run berth itself ([node, script]): the port forwarder is `berth network port-forwarder`. */
  self: () => string[];
  ns: { create(path: string): Promise<void>; remove(path: string): Promise<void> };
}

/** What a rootless run keeps with its options, for runInfo and its teardown. */
export interface RootlessRunState {
  /** connector: the default network through pasta/slirp4netns; netavark: user networks in the rootless netns. */
  mode: 'connector' | 'netavark';
  helpers: HelperProcess[];
  nameservers: string[];
}

export class RootlessNetworking {
  readonly netns: RootlessNetns;
  private chosen: ConnectorChoice | undefined;
  private readonly helperDir: string;

  constructor(private readonly d: RootlessNetworkingDeps) {
    this.helperDir = join(d.runRoot, 'networks', 'rootless');
    this.netns = new RootlessNetns({
      dir: join(d.runRoot, 'networks', 'rootless-netns'),
      connector: () => this.connector(),
      pastaOptions: d.conf.pasta_options,
      flock: d.flock,
      nsenter: d.nsenter,
      ns: d.ns,
    });
  }

  /** pasta or slirp4netns, as containers.conf asks or what is installed; the reason when neither can work. */
  connector(): ConnectorChoice {
    if (this.chosen) return this.chosen;
    try {
      checkTun();
      return (this.chosen = chooseConnector(this.d.conf.default_rootless_network_cmd));
    } catch (e) {
      if (e instanceof RootlessNetworkError) throw badParameter(e.message);
      throw e;
    }
  }

  /** The one a container names (`--network slirp4netns`), installed or the reason. */
  private named(cmd: RootlessNetworkCmd): ConnectorChoice {
    try {
      return chooseConnector(cmd);
    } catch (e) {
      if (e instanceof RootlessNetworkError) throw badParameter(e.message);
      throw e;
    }
  }

  /** The default network: pasta/slirp4netns on the container's namespace, its ports published by it. */
  async connectDefault(netnsPath: string, tag: string, ports: PublishedPort[], asked?: ConnectorMode) {
    const c = asked && asked.cmd !== this.connector().cmd ? this.named(asked.cmd) : this.connector();
    if (c.cmd === 'pasta' && ports.some((p) => p.protocol === 'sctp')) throw badParameter('rootless: pasta cannot publish sctp ports');
    privateDir(this.helperDir);
    let connected;
    try {
      connected = await connectNamespace(c, { netnsPath, dir: this.helperDir, tag, ports, pastaOptions: [...(this.d.conf.pasta_options ?? []), ...(asked?.options ?? [])] });
    } catch (e) {
      throw portError(e as Error);
    }
    try {
      const address = await namespaceAddress(this.d.nsenter(), netnsPath);
      return { helper: connected.helper, nameserver: connected.nameserver, address };
    } catch (e) {
      await stopHelper(connected.helper);
      throw e;
    }
  }

  /** Published ports of a run on user networks: host sockets forwarded to `target` in the rootless netns. */
  async forward(containerNetns: string, tag: string, ports: PublishedPort[], target: string): Promise<HelperProcess> {
    if (ports.some((p) => p.protocol === 'sctp')) throw badParameter('rootless: sctp ports cannot be published');
    if (!target) throw badParameter('rootless: the container has no address to forward its published ports to');
    privateDir(this.helperDir);
    try {
      return await startForwarder({ nsenter: this.d.nsenter(), rootlessNetns: this.netns.path, containerNetns, self: this.d.self(), ports, target, logFile: join(this.helperDir, `${tag}.forwarder.log`) });
    } catch (e) {
      throw portError(e as Error);
    }
  }

}

/** A host port the kernel refused is the request's problem (a conflict), not the service's. */
function portError(e: Error): Error {
  if (e instanceof EngineError) return e;
  if (/address already in use|Address in use|bind/i.test(e.message)) return new EngineError('conflict', e.message, 'conflict');
  return e;
}
