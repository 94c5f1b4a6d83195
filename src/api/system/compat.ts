import type { Ctx, RouteDef } from '../../server/http.js';
import { sendJson } from '../../server/http.js';
import { pingHandler } from './ping.js';
import { events } from './events.js';
import type { HostFacts, SystemInfo } from '../../engine/system/types.js';
import { BERTH_VERSION, COMPAT_API_VERSION, COMPAT_MIN_API_VERSION } from '../../version.js';

const BUILD_TIME = new Date().toISOString();

async function version(ctx: Ctx): Promise<void> {
  const h = ctx.engine.system.host();
  const details = {
    ApiVersion: COMPAT_API_VERSION,
    Arch: h.goArch,
    BuildTime: BUILD_TIME,
    Experimental: 'false',
    GitCommit: '',
    GoVersion: `node${process.versions.node}`,
    KernelVersion: h.kernel,
    MinAPIVersion: COMPAT_MIN_API_VERSION,
    Os: 'linux',
  };
  sendJson(ctx, 200, {
    Platform: { Name: `berth ${BERTH_VERSION}` },
    Components: [{ Name: 'Engine', Version: BERTH_VERSION, Details: details }],
    Version: BERTH_VERSION,
    ApiVersion: COMPAT_API_VERSION,
    MinAPIVersion: COMPAT_MIN_API_VERSION,
    GitCommit: '',
    GoVersion: details.GoVersion,
    Os: 'linux',
    Arch: h.goArch,
    KernelVersion: h.kernel,
    Experimental: false,
    BuildTime: BUILD_TIME,
  });
}

async function info(ctx: Ctx): Promise<void> {
  const i = await ctx.engine.system.info();
  const h = i.host;
  // Rootless without a delegated cgroup tree no limit can be applied, whatever the kernel has.
  const limits = !i.rootless || !!i.rootlessInfo?.cgroupDelegation;
  const runtimes = Object.fromEntries(Object.entries(i.runtimes).map(([n, path]) => [n, { path }]));
  sendJson(ctx, 200, {
    ID: i.id,
    Containers: i.containers.total,
    ContainersRunning: i.containers.running,
    ContainersPaused: i.containers.paused,
    ContainersStopped: i.containers.stopped,
    Images: i.images,
    Driver: i.storage.driver,
    DriverStatus: [
      ['Backing Filesystem', i.storage.backingFilesystem],
      ['Supports d_type', 'true'],
      ['Native Overlay Diff', String(i.storage.nativeDiff)],
      ...(i.storage.mountProgram ? [['Mount Program', i.storage.mountProgram.path]] : []),
    ],
    DockerRootDir: i.paths.root,
    Plugins: {
      Volume: ['local'],
      Network: ['bridge', 'host', 'null'],
      Authorization: null,
      Log: ['k8s-file'],
    },
    MemoryLimit: limits && h.memoryLimit,
    SwapLimit: limits && h.swapLimit,
    KernelMemory: false,
    KernelMemoryTCP: false,
    CpuCfsPeriod: limits && h.cpuCfs,
    CpuCfsQuota: limits && h.cpuCfs,
    CPUShares: limits && h.cpuShares,
    CPUSet: limits && h.cpuset,
    PidsLimit: limits && h.pidsLimit,
    IPv4Forwarding: true,
    OomKillDisable: false,
    BridgeNfIptables: h.bridgeNfIptables,
    BridgeNfIp6tables: h.bridgeNfIptables,
    Debug: ctx.log.enabled('debug'),
    NFd: 0,
    NGoroutines: 0,
    SystemTime: new Date().toISOString(),
    LoggingDriver: 'k8s-file',
    // dockerd's word for a rootless daemon that has no cgroups.
    CgroupDriver: limits ? 'cgroupfs' : 'none',
    CgroupVersion: h.cgroupVersion,
    NEventsListener: i.eventListeners,
    KernelVersion: h.kernel,
    OperatingSystem: h.osName,
    OSVersion: h.osVersion,
    OSType: 'linux',
    Architecture: h.arch,
    NCPU: h.cpus,
    MemTotal: h.memTotal,
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: {
      AllowNondistributableArtifactsCIDRs: [],
      AllowNondistributableArtifactsHostnames: [],
      InsecureRegistryCIDRs: ['127.0.0.0/8', '::1/128'],
      IndexConfigs: {
        'docker.io': { Name: 'docker.io', Mirrors: [], Secure: true, Official: true },
      },
      Mirrors: [],
    },
    GenericResources: null,
    HttpProxy: process.env.HTTP_PROXY ?? process.env.http_proxy ?? '',
    HttpsProxy: process.env.HTTPS_PROXY ?? process.env.https_proxy ?? '',
    NoProxy: process.env.NO_PROXY ?? process.env.no_proxy ?? '',
    Name: h.hostname,
    Labels: [],
    ExperimentalBuild: false,
    ServerVersion: i.version,
    ClusterStore: '',
    ClusterAdvertise: '',
    Runtimes: runtimes,
    DefaultRuntime: i.runtime.name,
    Swarm: {
      NodeID: '',
      NodeAddr: '',
      LocalNodeState: 'inactive',
      ControlAvailable: false,
      Error: '',
      RemoteManagers: null,
    },
    LiveRestoreEnabled: true,
    Isolation: '',
    InitBinary: i.init ?? '',
    ContainerdCommit: { ID: '', Expected: '' },
    RuncCommit: { ID: i.runtime.version, Expected: i.runtime.version },
    InitCommit: { ID: '', Expected: '' },
    SecurityOptions: [
      ...(h.seccompProfile ? ['name=seccomp,profile=default'] : []),
      ...(i.rootless ? ['name=rootless'] : []),
      `name=cgroupns`,
    ],
    ProductLicense: 'Apache-2.0',
    DefaultAddressPools: [],
    Warnings: warnings(i),
  });
}

function warnings(i: SystemInfo): string[] {
  const w: string[] = [];
  if (i.rootless && !i.rootlessInfo?.cgroupDelegation) {
    w.push(
      `WARNING: Running in rootless mode without cgroups: containers get no resource limits (memory, cpus, pids, blkio are ignored with a warning at create). ${
        i.host.cgroupVersion === '2' ? 'Let systemd delegate cgroup controllers to the user (Delegate=yes) to enable them.' : 'Boot the host with cgroup v2 (and let systemd delegate controllers to the user) to enable them.'
      }`,
    );
  } else if (!i.host.swapLimit) w.push('WARNING: No swap limit support');
  return w;
}

export const routes: RouteDef[] = [
  { method: ['GET', 'HEAD'], path: '/_ping', handler: pingHandler },
  { method: 'GET', path: '/version', handler: version },
  { method: 'GET', path: '/info', handler: info },
  { method: 'GET', path: '/events', handler: events },
];
