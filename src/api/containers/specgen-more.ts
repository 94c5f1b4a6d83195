// SpecGenerator fields beyond the first mapping (specgen.ts): devices and their cgroup rules,
// block-IO limits, masked paths, the environment's defaults, the time zone — each translated to
// the create request the engine already honours — and the fields berth cannot honour on this
// host, each refused with its reason.
import { existsSync } from 'node:fs';
import { HttpError } from '../../server/errors.js';
import type { ContainerConfig, HostConfig } from '../../engine/containers/types.js';

type SG = Record<string, unknown>;

function refuse(field: string, why: string): never {
  throw new HttpError(400, `SpecGenerator field "${field}" ${why}`, `invalid argument: ${field}`);
}

/** Fields refused whenever they hold anything but their zero value, with why. */
export const REFUSED: Record<string, string> = {
  timeout: 'is not supported by berth yet (a run time limit)',
  personality: 'is not supported by berth (execution domains)',
  procfs_opts: 'is not supported by berth (procfs mount options)',
  rootfs: 'is not supported: berth runs containers from images only',
  rootfs_overlay: 'is not supported: berth runs containers from images only',
  rootfs_mapping: 'is not supported: berth runs containers from images only',
  rootfs_propagation: 'is not supported by berth (the root is mounted rprivate)',
  shm_size_systemd: 'is not supported: berth does not run systemd containers specially',
  storage_opts: 'is not supported: the overlay driver takes no per-container options',
  unified: 'needs cgroup v2 (this host is cgroup v1 hybrid)',
  intelRdt: 'needs Intel RDT, which berth does not drive',
  chroot_directories: 'is not supported by berth',
  cni_networks: 'is not supported: berth uses netavark networks (use Networks)',
  conmon_pid_file: 'is not supported: berth keeps conmon\'s pid file in the container\'s bundle',
  dependencyContainers: 'is not supported by berth yet',
  devices_from: 'is not supported by berth yet (use devices)',
  host_device_list: 'is not supported by berth yet (use devices)',
  envmerge: 'is not supported by berth yet',
  base_hosts_file: 'is not supported by berth yet (/etc/hosts is made from the host\'s and the networks\')',
  group_entry: 'is not supported by berth yet',
  passwd_entry: 'is not supported by berth yet',
  overlay_volumes: 'is not supported by berth yet (use volumes or mounts)',
  removeImage: 'is not supported by berth yet',
};

export const MORE_MAPPED = new Set(['devices', 'device_cgroup_rule', 'throttleReadBpsDevice', 'throttleWriteBpsDevice', 'throttleReadIOPSDevice', 'throttleWriteIOPSDevice', 'weightDevice', 'mask', 'unmask', 'unsetenv', 'unsetenvall', 'env_host', 'timezone']);

const num = (v: unknown) => (v === null || v === undefined ? '*' : String(v));

/** Applies the fields of MORE_MAPPED to the config and host config being built. */
export function mapMore(sg: SG, c: Partial<ContainerConfig>, h: Partial<HostConfig>, secOpt: string[]): { unsetEnv?: { names: string[]; all: boolean } } {
  const devices = (sg.devices as { path?: string }[] | undefined) ?? [];
  if (devices.length) {
    // podman-remote packs the CLI's host[:container[:permissions]] into `path`.
    h.Devices = devices.map((d) => {
      if (!d || typeof d.path !== 'string' || !d.path) refuse('devices', 'entries need a path');
      const [PathOnHost, PathInContainer, CgroupPermissions] = d.path.split(':');
      return { PathOnHost, PathInContainer: PathInContainer || PathOnHost, CgroupPermissions: CgroupPermissions || 'rwm' };
    });
  }
  const rules = (sg.device_cgroup_rule as { allow?: boolean; type?: string; major?: number | null; minor?: number | null; access?: string }[] | undefined) ?? [];
  if (rules.length) {
    h.DeviceCgroupRules = rules.map((r) => {
      if (r.allow === false) refuse('device_cgroup_rule', 'deny rules are not supported (berth adds allow rules to the default list)');
      return `${r.type || 'a'} ${num(r.major)}:${num(r.minor)} ${r.access || 'rwm'}`;
    });
  }
  const throttle = (field: string, key: 'BlkioDeviceReadBps' | 'BlkioDeviceWriteBps' | 'BlkioDeviceReadIOps' | 'BlkioDeviceWriteIOps') => {
    const m = sg[field] as Record<string, { rate?: number }> | undefined;
    if (m && Object.keys(m).length) h[key] = Object.entries(m).map(([Path, v]) => ({ Path, Rate: Number(v?.rate ?? 0) }));
  };
  throttle('throttleReadBpsDevice', 'BlkioDeviceReadBps');
  throttle('throttleWriteBpsDevice', 'BlkioDeviceWriteBps');
  throttle('throttleReadIOPSDevice', 'BlkioDeviceReadIOps');
  throttle('throttleWriteIOPSDevice', 'BlkioDeviceWriteIOps');
  const weights = sg.weightDevice as Record<string, { weight?: number; leafWeight?: number }> | undefined;
  if (weights && Object.keys(weights).length) {
    h.BlkioWeightDevice = Object.entries(weights).map(([Path, v]) => {
      if (v?.leafWeight) refuse('weightDevice', 'leafWeight is not supported (CFQ only)');
      return { Path, Weight: Number(v?.weight ?? 0) };
    });
  }
  const paths = (field: string) => {
    const v = sg[field] as string[] | undefined;
    if (v?.some((p) => typeof p !== 'string' || p.includes(':'))) refuse(field, 'must be a list of paths');
    return v ?? [];
  };
  if (paths('mask').length) secOpt.push(`mask=${paths('mask').join(':')}`);
  if (paths('unmask').length) secOpt.push(`unmask=${paths('unmask').join(':')}`);
  if (sg.env_host) {
    // The host is where the service runs: its environment comes first, the request's wins.
    const own = new Set((c.Env ?? []).map((e) => e.split('=')[0]));
    c.Env = [...Object.entries(process.env).filter(([k]) => !own.has(k)).map(([k, v]) => `${k}=${v}`), ...(c.Env ?? [])];
  }
  const tz = sg.timezone;
  if (tz !== undefined && tz !== null && tz !== '') {
    if (typeof tz !== 'string') refuse('timezone', 'must be a string');
    const file = tz === 'local' ? '/etc/localtime' : `/usr/share/zoneinfo/${tz}`;
    if (tz !== 'local' && (!/^[A-Za-z0-9_+\-/]+$/.test(tz) || tz.split('/').includes('..'))) refuse('timezone', `"${tz.slice(0, 64)}" is not a time zone name`);
    if (!existsSync(file)) refuse('timezone', `"${tz.slice(0, 64)}" is not a time zone this host knows (${file})`);
    // The zone file itself, as podman does: a TZ variable would be read as a POSIX rule by some libcs.
    (h.Binds ??= []).push(`${file}:/etc/localtime:ro`);
  }
  const names = (sg.unsetenv as string[] | undefined) ?? [];
  if (names.some((n) => typeof n !== 'string')) refuse('unsetenv', 'must be a list of variable names');
  return names.length || sg.unsetenvall ? { unsetEnv: { names, all: !!sg.unsetenvall } } : {};
}
