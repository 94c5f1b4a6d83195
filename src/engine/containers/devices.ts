// docker's DeviceCgroupRules ("c 1:3 rwm", "b *:* m"): checked at create with dockerd's words,
// turned into allow entries of the container's device cgroup at start.
import type { OciDeviceRule } from '../../oci/spec.js';
import { badParameter } from '../errors.js';

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
