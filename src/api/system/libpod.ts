import type { Ctx, RouteDef } from '../../server/http.js';
import { sendJson } from '../../server/http.js';
import { pingHandler } from './ping.js';
import { events } from './events.js';
import type { HostFacts, IdMapping } from '../../engine/system/types.js';
import { BERTH_VERSION, LIBPOD_API_VERSION, LIBPOD_MIN_API_VERSION } from '../../version.js';

const BUILT = Math.floor(Date.now() / 1000);

function versionBlock(h: HostFacts) {
  return {
    APIVersion: LIBPOD_API_VERSION,
    Version: LIBPOD_API_VERSION,
    GoVersion: `node${process.versions.node}`,
    GitCommit: '',
    BuiltTime: new Date(BUILT * 1000).toUTCString(),
    Built: BUILT,
    OsArch: `linux/${h.goArch}`,
    Os: 'linux',
  };
}

/** podman-remote reads the compat-shaped version plus libpod's Components as podman serves it. */
async function version(ctx: Ctx): Promise<void> {
  const h = ctx.engine.system.host();
  const v = versionBlock(h);
  sendJson(ctx, 200, {
    Platform: { Name: `berth ${BERTH_VERSION}` },
    Components: [
      {
        Name: 'Podman Engine',
        Version: LIBPOD_API_VERSION,
        Details: {
          APIVersion: LIBPOD_API_VERSION,
          Arch: h.goArch,
          BuildTime: v.BuiltTime,
          Experimental: 'false',
          GitCommit: '',
          GoVersion: v.GoVersion,
          KernelVersion: h.kernel,
          MinAPIVersion: LIBPOD_MIN_API_VERSION,
          Os: 'linux',
        },
      },
    ],
    Version: LIBPOD_API_VERSION,
    ApiVersion: LIBPOD_API_VERSION,
    MinAPIVersion: LIBPOD_MIN_API_VERSION,
    GitCommit: '',
    GoVersion: v.GoVersion,
    Os: 'linux',
    Arch: h.goArch,
    KernelVersion: h.kernel,
    BuildTime: v.BuiltTime,
    Experimental: false,
  });
}

async function info(ctx: Ctx): Promise<void> {
  const i = await ctx.engine.system.info();
  const h = i.host;
  const c = i.containers;
  sendJson(ctx, 200, {
    host: {
      arch: h.goArch,
      buildahVersion: '',
      cgroupManager: 'cgroupfs',
      cgroupVersion: h.cgroupVersion === '2' ? 'v2' : 'v1',
      // Rootless, the controllers are those delegated to the user (podman's answer): none here.
      cgroupControllers: i.rootless ? (i.rootlessInfo?.cgroupDelegation?.controllers ?? []) : h.cgroupControllers,
      conmon: { package: 'conmon', path: i.conmon.path, version: i.conmon.version },
      cpus: h.cpus,
      cpuUtilization: h.cpuUtilization,
      databaseBackend: 'sqlite',
      distribution: { distribution: h.osId, variant: '', version: h.osVersion, codename: h.osCodename },
      eventLogger: 'memory',
      freeLocks: 2048 - c.total,
      hostname: h.hostname,
      idMappings: i.rootlessInfo ? { gidmap: idMap(i.rootlessInfo.gidMap), uidmap: idMap(i.rootlessInfo.uidMap) } : { gidmap: null, uidmap: null },
      kernel: h.kernel,
      linkmode: 'dynamic',
      logDriver: 'k8s-file',
      memFree: h.memFree,
      memTotal: h.memTotal,
      networkBackend: 'netavark',
      networkBackendInfo: {
        backend: i.network.backend,
        version: i.network.netavark.version,
        package: i.network.netavark.package,
        path: i.network.netavark.path,
        dns: { version: i.network.aardvark.version, package: i.network.aardvark.package, path: i.network.aardvark.path },
      },
      ociRuntime: { name: i.runtime.name, package: i.runtime.name, path: i.runtime.path, version: i.runtime.version },
      os: 'linux',
      pasta: { executable: i.network.pasta.path, package: i.network.pasta.package, version: i.network.pasta.version },
      remoteSocket: { path: i.socketPath ? `unix://${i.socketPath}` : '', exists: true },
      rootlessNetworkCmd: i.network.rootlessNetworkCmd,
      runtimeInfo: {},
      security: {
        apparmorEnabled: false,
        capabilities: 'CAP_CHOWN,CAP_DAC_OVERRIDE,CAP_FOWNER,CAP_FSETID,CAP_KILL,CAP_NET_BIND_SERVICE,CAP_SETFCAP,CAP_SETGID,CAP_SETPCAP,CAP_SETUID,CAP_SYS_CHROOT',
        rootless: i.rootless,
        seccompEnabled: !!h.seccompProfile,
        seccompProfilePath: h.seccompProfile ?? '',
        selinuxEnabled: false,
      },
      serviceIsRemote: true,
      slirp4netns: { executable: i.network.slirp4netns.path, package: i.network.slirp4netns.package, version: i.network.slirp4netns.version },
      swapFree: h.swapFree,
      swapTotal: h.swapTotal,
      uptime: formatUptime(h.uptimeSeconds),
      variant: '',
    },
    store: {
      configFile: '',
      containerStore: { number: c.total, paused: c.paused, running: c.running, stopped: c.stopped },
      graphDriverName: i.storage.driver,
      graphOptions: i.storage.mountProgram ? { 'overlay.mount_program': { Executable: i.storage.mountProgram.path, Package: i.storage.mountProgram.package, Version: i.storage.mountProgram.version } } : {},
      graphRoot: i.paths.root,
      graphRootAllocated: i.graphRootUsage.total,
      graphRootUsed: i.graphRootUsage.used,
      graphStatus: { 'Backing Filesystem': i.storage.backingFilesystem, 'Native Overlay Diff': String(i.storage.nativeDiff), 'Supports d_type': 'true', 'Supports shifting': 'false', 'Supports volatile': 'true', 'Using metacopy': 'false' },
      imageCopyTmpDir: '/var/tmp',
      imageStore: { number: i.images },
      runRoot: i.paths.runRoot,
      volumePath: `${i.paths.root}/volumes`,
      transientStore: false,
    },
    // podman's shape: `search`, then each [[registry]] entry under its prefix.
    registries: {
      search: i.registries.search,
      ...Object.fromEntries(
        i.registries.entries.map((r) => [r.prefix, { Prefix: r.prefix, Location: r.location, Insecure: r.insecure, Blocked: r.blocked, MirrorByDigestOnly: r.mirrorByDigestOnly, Mirrors: r.mirrors.map((m) => ({ Location: m.location, Insecure: m.insecure })) }]),
      ),
    },
    plugins: { volume: ['local'], network: ['bridge'], log: ['k8s-file'], authorization: null },
    version: versionBlock(h),
  });
}

/** podman's IDMap shape. */
const idMap = (m: IdMapping[]) => m.map((e) => ({ container_id: e.containerId, host_id: e.hostId, size: e.size }));

function formatUptime(s: number): string {
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  return `${hh}h ${mm}m ${s % 60}s`;
}


export const routes: RouteDef[] = [
  { method: ['GET', 'HEAD'], path: '/libpod/_ping', handler: pingHandler },
  { method: 'GET', path: '/libpod/version', handler: version },
  { method: 'GET', path: '/libpod/info', handler: info },
  { method: 'GET', path: '/libpod/events', handler: events },
];
