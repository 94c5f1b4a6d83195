// docker's devices: DeviceCgroupRules ("c 1:3 rwm", "b *:* m") and --device mappings, and the
// block devices blkio limits name. Checked at create with dockerd's words, turned into the
// container's device nodes and device cgroup entries at start (the host's nodes may change).
import { deviceNumbers, devicesFromPath } from '../../oci/devices.js';
import type { OciBlockIO, OciDevice, OciDeviceRule } from '../../oci/spec.js';
import { badParameter } from '../errors.js';
import type { HostConfig } from './types.js';

const RULE = /^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/;

export function deviceCgroupRule(rule: unknown): OciDeviceRule {
  const m = typeof rule === 'string' ? RULE.exec(rule) : null;
  if (!m) throw badParameter(`invalid device cgroup rule format: '${String(rule).slice(0, 100)}'`);
  const num = (s: string) => (s === '*' ? undefined : Number(s));
  const r: OciDeviceRule = { allow: true, type: m[1] as 'a' | 'b' | 'c', access: m[4] };
  const major = num(m[2]);
  const minor = num(m[3]);
  if (major !== undefined) r.major = major;
  if (minor !== undefined) r.minor = minor;
  return r;
}

export function deviceCgroupRules(rules: unknown): OciDeviceRule[] {
  if (rules === null || rules === undefined) return [];
  if (!Array.isArray(rules)) throw badParameter('DeviceCgroupRules must be a list of strings');
  return rules.map(deviceCgroupRule);
}

/** --device mappings: the nodes to create and their cgroup entries (default permissions rwm). */
export function deviceMappings(list: HostConfig['Devices']): { devices: OciDevice[]; rules: OciDeviceRule[] } {
  const devices: OciDevice[] = [];
  const rules: OciDeviceRule[] = [];
  if (list === null || list === undefined) return { devices, rules };
  if (!Array.isArray(list)) throw badParameter('Devices must be a list of device mappings');
  for (const m of list) {
    const host = m?.PathOnHost;
    if (typeof host !== 'string' || !host.startsWith('/')) throw badParameter(`invalid device mapping: ${JSON.stringify(m)?.slice(0, 100)}`);
    const inside = m.PathInContainer || host;
    const perms = m.CgroupPermissions || 'rwm';
    if (typeof inside !== 'string' || !inside.startsWith('/')) throw badParameter(`${String(inside).slice(0, 100)} is not an absolute path`);
    if (typeof perms !== 'string' || !/^[rwm]{1,3}$/.test(perms)) throw badParameter(`invalid device mode: ${String(perms).slice(0, 10)}`);
    try {
      const r = devicesFromPath(host, inside, perms);
      devices.push(...r.devices);
      rules.push(...r.rules);
    } catch (e) {
      throw badParameter((e as Error).message);
    }
  }
  return { devices, rules };
}

type BlkioKey = 'BlkioWeightDevice' | 'BlkioDeviceReadBps' | 'BlkioDeviceWriteBps' | 'BlkioDeviceReadIOps' | 'BlkioDeviceWriteIOps';
const BLKIO: [BlkioKey, keyof OciBlockIO, 'weight' | 'rate'][] = [
  ['BlkioWeightDevice', 'weightDevice', 'weight'],
  ['BlkioDeviceReadBps', 'throttleReadBpsDevice', 'rate'],
  ['BlkioDeviceWriteBps', 'throttleWriteBpsDevice', 'rate'],
  ['BlkioDeviceReadIOps', 'throttleReadIOPSDevice', 'rate'],
  ['BlkioDeviceWriteIOps', 'throttleWriteIOPSDevice', 'rate'],
];

/** The per-device blkio weight and throttles, each device by its major:minor (dockerd's stat errors). */
export function blockIOLimits(h: Partial<HostConfig>): OciBlockIO {
  const out: Record<string, unknown[]> = {};
  for (const [key, oci, field] of BLKIO) {
    const list = h[key] as { Path?: unknown; Weight?: unknown; Rate?: unknown }[] | null | undefined;
    if (list === null || list === undefined) continue;
    if (!Array.isArray(list)) throw badParameter(`${key} must be a list`);
    for (const d of list) {
      const value = field === 'weight' ? d?.Weight : d?.Rate;
      if (typeof d?.Path !== 'string' || typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw badParameter(`invalid ${key} entry: ${JSON.stringify(d)?.slice(0, 100)}`);
      let n: { major: number; minor: number };
      try {
        n = deviceNumbers(d.Path);
      } catch (e) {
        const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
        throw badParameter(missing ? `stat ${d.Path.slice(0, 100)}: no such file or directory` : `${key}: ${(e as Error).message.slice(0, 120)}`);
      }
      (out[oci] ??= []).push({ ...n, [field]: value });
    }
  }
  return out as OciBlockIO;
}
